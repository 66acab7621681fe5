/**
 * Orthanc configuration directories for install tests, shaped like Debian's
 * /etc/orthanc (orthanc.json full of comments, dicomweb.json, python.json +
 * sample.py, credentials.json), and a launcher that starts a real Orthanc on
 * such a directory — the way Debian's service does — on free loopback ports.
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import getPort from "get-port";
import {
  chrootPrefix,
  findDicomWebPlugin,
  findOrthancBinary,
  findOrthancBinaryIn,
} from "../../../src/orthanc/index.js";
import { waitFor } from "../../helpers/wait.js";

export interface ConfigDirOptions {
  httpPort?: number;
  dicomPort?: number;
  storageDir?: string;
  /** Path of the DICOMweb plugin to load (default: a placeholder path). */
  dicomWebPlugin?: string;
  /** Write python.json (PythonScript → sample.py) and sample.py, as orthanc-python does. */
  python?: boolean;
  stableAge?: number;
  username?: string;
  password?: string;
}

/** A Debian-like configuration directory (comments, odd indentation, several files). */
export function writeDebianLikeConfigDir(dir: string, o: ConfigDirOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  const storage = o.storageDir ?? join(dir, "..", "storage");
  const auth = o.username !== undefined;
  writeFileSync(
    join(dir, "orthanc.json"),
    `{
  /**
   * General configuration of Orthanc
   **/

  // The logical name of this instance of Orthanc.
  "Name" : "RADZ-INSTALL-TEST",

  // Path to the directory that holds the heavyweight files
  "StorageDirectory" : ${JSON.stringify(storage)},
  "IndexDirectory" : ${JSON.stringify(storage)},

  // List of paths to the custom Lua scripts that are to be loaded
  // into this instance of Orthanc
  "LuaScripts" : [
  ],

  // List of paths to the plugins that are to be loaded into this
  // instance of Orthanc
  "Plugins" : [
    ${JSON.stringify(o.dicomWebPlugin ?? "/usr/share/orthanc/plugins/libOrthancDicomWeb.so")}
  ],

  "HttpPort" : ${o.httpPort ?? 8042},
  "DicomPort" : ${o.dicomPort ?? 4242},
  "DicomAet" : "RADZTEST",
  "RemoteAccessAllowed" : false,
  "AuthenticationEnabled" : ${auth},
  "SaveJobs" : false,
  "ConcurrentJobs" : 1,
  "HttpDescribeErrors" : true,

  // Dictionary of symbolic names for the user-defined metadata. Each
  // entry must map an unique string to an unique number between 1024
  // and 65535. Reserved values:
  //  - The Orthanc whole-slide imaging plugin uses metadata 4200
  "UserMetadata" : {
    // "Sample" : 1024
  },

  // Number of seconds without receiving any instance before a
  // patient, a study or a series is considered as stable.
  "StableAge" : ${o.stableAge ?? 60},

  "DeidentifyLogs" : true
}
`,
  );
  writeFileSync(
    join(dir, "dicomweb.json"),
    `{
    /**
     * The following options control the configuration of the Orthanc
     * plugin adding support of WADO and DICOMweb.
     **/

    "DicomWeb" : {
\t"Enable" : true,         // Whether DICOMweb support is enabled
\t"Root" : "/dicom-web/",  // Root URI of the DICOMweb API (for QIDO-RS, STOW-RS and WADO-RS)
\t"EnableWado" : false,
\t"StudiesMetadata" : "Full",
\t"SeriesMetadata" : "Full"
    }
}
`,
  );
  const credentials = join(dir, "credentials.json");
  writeFileSync(
    credentials,
    `{
  // The list of the registered users. Because Orthanc uses HTTP
  // Basic Authentication, the passwords are stored as plain text.
  "RegisteredUsers" : {
    ${auth ? `${JSON.stringify(o.username)} : ${JSON.stringify(o.password ?? "")}` : '// "alice" : "alicePassword"'}
  }
}
`,
  );
  chmodSync(credentials, 0o640);
  if (o.python === true) {
    writeFileSync(
      join(dir, "python.json"),
      `{
  /**
   * Configuration to run Python script as Orthanc plugins.
   **/
  "PythonScript" : ${JSON.stringify(join(dir, "sample.py"))},
  "PythonVerbose" : false
}
`,
    );
    writeFileSync(
      join(dir, "sample.py"),
      "import orthanc\northanc.LogWarning('Hello world from Python!')\n",
    );
  }
}

export interface DirSnapshotEntry {
  readonly mode: number;
  readonly bytes: string;
}

/** Every file of `dir` with its mode and bytes (base64), for byte-identity checks. */
export function snapshotDir(dir: string): Record<string, DirSnapshotEntry> {
  const out: Record<string, DirSnapshotEntry> = {};
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    out[name] = { mode: st.mode & 0o7777, bytes: readFileSync(p).toString("base64") };
  }
  return out;
}

export interface DirOrthanc {
  readonly url: string;
  readonly httpPort: number;
  readonly log: () => string;
  stop(): Promise<void>;
}

/** Free ports for a configuration directory's Orthanc. */
export async function freePorts(): Promise<{ httpPort: number; dicomPort: number }> {
  const httpPort = await getPort();
  const dicomPort = await getPort({ exclude: [httpPort] });
  return { httpPort, dicomPort };
}

/**
 * Starts `Orthanc <dir>` (as Debian's service does) and waits for GET /system.
 * With `rootDir` (the Debian 13 tree for Orthanc 1.12), Orthanc runs chrooted
 * in it; `dir` and every path its configuration names must then lie under
 * `rootDir` (host paths there are valid inside: see chrootPrefix).
 */
export async function startOrthancOnDir(
  dir: string,
  httpPort: number,
  auth?: { username: string; password: string },
  rootDir?: string,
): Promise<DirOrthanc> {
  const command =
    rootDir === undefined
      ? [findOrthancBinary(), dir]
      : [...chrootPrefix(rootDir), findOrthancBinaryIn(rootDir), dir];
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
  const [file, ...args] = setpriv ? [setpriv, "--pdeathsig", "KILL", "--", ...command] : command;
  const child: ChildProcess = spawn(file!, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (c: Buffer) => {
    output = (output + c.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const onProcessExit = () => child.kill("SIGKILL");
  process.on("exit", onProcessExit);
  const url = `http://127.0.0.1:${httpPort}`;
  const headers: Record<string, string> = auth
    ? {
        Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`,
      }
    : {};
  const stop = async () => {
    process.off("exit", onProcessExit);
    if (!exited) child.kill("SIGKILL");
    await exit;
  };
  const answers = async (): Promise<boolean> => {
    if (exited) throw new Error(`Orthanc exited at start-up:\n${output}`);
    try {
      const res = await fetch(`${url}/system`, { headers, signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false; // not yet
    }
  };
  try {
    await waitFor(answers, 30_000, "Orthanc to answer GET /system", 100);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}:\n${output}`, { cause: err });
  }
  return { url, httpPort, log: () => output, stop };
}

export { findDicomWebPlugin };
