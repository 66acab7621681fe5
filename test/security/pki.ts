/**
 * A throw-away PKI for TLS tests, made with the openssl CLI (EC P-256, valid
 * two days): a server CA and a server certificate for 127.0.0.1/localhost, a
 * client CA and a client certificate (mutual TLS), and an unrelated CA that
 * trusts nothing here.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  dir: string;
  /** Paths. */
  serverCaFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCaFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  otherCaFile: string;
  /** A key that does not belong to clientCertFile. */
  strayKeyFile: string;
  read(path: string): string;
}

export function hasOpenssl(): boolean {
  return ["/usr/bin/openssl", "/bin/openssl", "/usr/local/bin/openssl"].some((p) => existsSync(p));
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function newCa(dir: string, name: string): void {
  openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-subj",
      `/CN=RadZ test ${name}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
}

function newLeaf(dir: string, name: string, ca: string, cn: string, ext: string): void {
  openssl(
    [
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${cn}`,
    ],
    dir,
  );
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.pem`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    ],
    dir,
  );
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "radz-pki-"));
  newCa(dir, "server-ca");
  newCa(dir, "client-ca");
  newCa(dir, "other-ca");
  newLeaf(
    dir,
    "server",
    "server-ca",
    "localhost",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  newLeaf(
    dir,
    "client",
    "client-ca",
    "radz-client",
    "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
  );
  openssl(
    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "stray.key"],
    dir,
  );
  const p = (f: string) => join(dir, f);
  return {
    dir,
    serverCaFile: p("server-ca.pem"),
    serverCertFile: p("server.pem"),
    serverKeyFile: p("server.key"),
    clientCaFile: p("client-ca.pem"),
    clientCertFile: p("client.pem"),
    clientKeyFile: p("client.key"),
    otherCaFile: p("other-ca.pem"),
    strayKeyFile: p("stray.key"),
    read: (path: string) => readFileSync(path, "utf8"),
  };
}
