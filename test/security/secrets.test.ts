/**
 * Secrets in the configuration: *_FILE variables, verbatim string values,
 * redaction of every dump, config-file errors that never quote the file, and
 * API tokens (random, stored hashed, verified in constant time).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { buildProgram } from "../../src/cli/main.js";
import { createToken } from "../../src/cli/token.js";
import { loadConfig } from "../../src/config/index.js";
import { RadzError } from "../../src/errors.js";
import {
  ApiTokenTable,
  generateApiToken,
  hashApiToken,
  REDACTED,
  redactConfig,
  redactUrl,
} from "../../src/security/index.js";

function thrown(fn: () => unknown): RadzError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(RadzError);
    return e as RadzError;
  }
  return expect.fail("expected a RadzError");
}

describe("security: secrets in configuration", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "radz-secrets-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads RADZ_*_FILE variables into the key without the suffix (one trailing newline dropped)", () => {
    writeFileSync(join(dir, "pw"), "s3cr3t \n");
    writeFileSync(join(dir, "tok"), "abc.def\r\n");
    writeFileSync(join(dir, "hook"), "0123456789abcdef0123");
    const c = loadConfig({
      env: {
        RADZ_ORTHANC__USERNAME: "radz",
        RADZ_ORTHANC__PASSWORD_FILE: join(dir, "pw"),
        RADZ_DICOMWEB__BEARER_TOKEN_FILE: join(dir, "tok"),
        RADZ_INTAKE__WEBHOOK_SECRET_FILE: join(dir, "hook"),
      },
    });
    expect(c.orthanc.password).to.equal("s3cr3t ");
    expect(c.dicomweb.bearerToken).to.equal("abc.def");
    expect(c.intake.webhookSecret).to.equal("0123456789abcdef0123");
  });

  it("keeps options whose own name ends in File as paths (caFile is not read)", () => {
    const c = loadConfig({ env: { RADZ_ORTHANC__CA_FILE: "/etc/radz/ca.pem" } });
    expect(c.orthanc.caFile).to.equal("/etc/radz/ca.pem");
  });

  it("takes string options verbatim (a numeric password stays a string), other options as JSON", () => {
    const c = loadConfig({
      env: { RADZ_ORTHANC__PASSWORD: "12345", RADZ_JOBS__CONCURRENCY: "3" },
    });
    expect(c.orthanc.password).to.equal("12345");
    expect(c.jobs.concurrency).to.equal(3);
  });

  it("names the variable and path, never content, when a secret file is unreadable", () => {
    const e = thrown(() =>
      loadConfig({ env: { RADZ_ORTHANC__PASSWORD_FILE: join(dir, "missing") } }),
    );
    expect(e.code).to.equal("SECRET_FILE_UNREADABLE");
    expect(e.message).to.include("RADZ_ORTHANC__PASSWORD_FILE").and.include("ENOENT");
  });

  it("never quotes the config file in a JSON syntax error", () => {
    const file = join(dir, "radz.json");
    writeFileSync(file, '{"orthanc": {"password": "hunter2-SECRET", }}');
    const e = thrown(() => loadConfig({ file, env: {} }));
    expect(e.code).to.equal("CONFIG_FILE_UNREADABLE");
    expect(e.message).to.match(/not valid JSON/);
    expect(e.message).to.not.include("hunter2");
    expect(JSON.stringify(e.details ?? {})).to.not.include("hunter2");
    expect(e.cause).to.equal(undefined);
  });

  it("redacts every secret in a configuration dump, keeping structure and non-secrets", () => {
    const c = loadConfig({
      env: {},
      overrides: {
        orthanc: {
          url: "https://radz:pw-in-url@pacs.local:8042",
          username: "radz",
          password: "P4ss",
          bearerToken: "T0ken",
          headers: { "X-Api-Key": "K3y" },
          caFile: "/etc/radz/ca.pem",
        },
        intake: { webhookSecret: "0123456789abcdef-hook" },
        http: { tokens: [{ name: "ops", sha256: "a".repeat(64), role: "admin" }] },
      },
    });
    const r = redactConfig(c);
    const text = JSON.stringify(r);
    for (const secret of [
      "P4ss",
      "T0ken",
      "K3y",
      "0123456789abcdef-hook",
      "a".repeat(64),
      "pw-in-url",
    ]) {
      expect(text).to.not.include(secret);
    }
    expect(r.orthanc.password).to.equal(REDACTED);
    expect(r.orthanc.headers?.["X-Api-Key"]).to.equal(REDACTED);
    expect(r.orthanc.username).to.equal("radz");
    expect(r.orthanc.caFile).to.equal("/etc/radz/ca.pem");
    expect(r.http.tokens[0]).to.deep.equal({ name: "ops", sha256: REDACTED, role: "admin" });
    expect(r.orthanc.url).to.equal(`https://radz:${REDACTED}@pacs.local:8042`);
    expect(r.jobs).to.deep.equal(c.jobs);
    // The original is untouched.
    expect(c.orthanc.password).to.equal("P4ss");
    expect(redactUrl("http://127.0.0.1:8042")).to.equal("http://127.0.0.1:8042");
  });
});

describe("security: API tokens", () => {
  it("generates distinct 256-bit tokens and hashes them with SHA-256", () => {
    const a = generateApiToken();
    const b = generateApiToken();
    expect(a).to.not.equal(b);
    expect(a).to.match(/^radz_[A-Za-z0-9_-]{43}$/);
    expect(hashApiToken("abc")).to.equal(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("verifies against the stored hashes only, with the right principal", () => {
    const admin = generateApiToken();
    const reader = generateApiToken();
    const table = new ApiTokenTable([
      { name: "ops", sha256: hashApiToken(admin), role: "admin" },
      { name: "viewer", sha256: hashApiToken(reader), role: "read" },
    ]);
    expect(table.verify(admin)).to.deep.equal({ name: "ops", role: "admin" });
    expect(table.verify(reader)).to.deep.equal({ name: "viewer", role: "read" });
    expect(table.verify(hashApiToken(admin))).to.equal(null); // the hash is not the token
    expect(table.verify(admin.slice(0, -1))).to.equal(null);
    expect(table.verify("")).to.equal(null);
    expect(table.verify("x".repeat(10_000))).to.equal(null);
    expect(new ApiTokenTable([]).verify(admin)).to.equal(null);
  });

  it("refuses token entries that are not hashes, and duplicate names, at config load", () => {
    const e = thrown(() =>
      loadConfig({
        env: {},
        overrides: {
          http: {
            tokens: [
              { name: "a", sha256: "radz_plaintext-token", role: "admin" },
              { name: "b", sha256: "b".repeat(64), role: "root" },
            ],
          },
        },
      }),
    );
    expect(e.code).to.equal("CONFIG_INVALID");
    expect(e.message).to.include("http.tokens.0.sha256").and.include("http.tokens.1.role");
    expect(e.message).to.not.include("radz_plaintext-token");
    const dup = thrown(() =>
      loadConfig({
        env: {},
        overrides: {
          http: {
            tokens: [
              { name: "a", sha256: "a".repeat(64), role: "admin" },
              { name: "a", sha256: "b".repeat(64), role: "read" },
            ],
          },
        },
      }),
    );
    expect(dup.message).to.match(/unique/);
  });

  it("radz token create: the entry holds the token's hash and validates as config", () => {
    const { token, entry } = createToken("night-shift", "admin");
    expect(entry).to.deep.equal({
      name: "night-shift",
      sha256: hashApiToken(token),
      role: "admin",
    });
    const c = loadConfig({ env: {}, overrides: { http: { tokens: [entry] } } });
    expect(new ApiTokenTable(c.http.tokens).verify(token)).to.deep.equal({
      name: "night-shift",
      role: "admin",
    });
  });

  it("radz token create --json prints the token once with its entry", async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string) => {
      out.push(chunk);
      return true;
    };
    try {
      await buildProgram().parseAsync([
        "node",
        "radz",
        "token",
        "create",
        "--name",
        "ci",
        "--role",
        "read",
        "--json",
      ]);
    } finally {
      process.stdout.write = write;
    }
    const printed = JSON.parse(out.join("")) as {
      token: string;
      entry: { name: string; sha256: string; role: string };
    };
    expect(printed.entry).to.deep.equal({
      name: "ci",
      sha256: hashApiToken(printed.token),
      role: "read",
    });
  });
});
