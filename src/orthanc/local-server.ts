/**
 * Starts a throw-away Orthanc (with the DICOMweb plugin) on free loopback
 * ports, for integration tests and `radz demo`. The server runs from a fresh
 * temp directory that stop() removes, and never outlives the Node process:
 * it is started under `setpriv --pdeathsig KILL` where available (the kernel
 * kills it if Node dies, even by SIGKILL) and an exit handler kills it as well.
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  accessSync,
  constants,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve, sep } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import getPort from "get-port";
import { RadzError } from "../errors.js";
import type { Logger } from "../observability/index.js";
import { discardBody } from "../security/index.js";
import {
  chrootPrefix,
  findDicomWebPlugin,
  findOrthancBinary,
  findOrthancBinaryIn,
  isUnder,
} from "./installation.js";

/**
 * User metadata registered in the local Orthanc's configuration, so that
 * `setStudyMetadata(id, "RadzPriority", …)` works on Orthanc < 1.12 (no labels).
 * A production Orthanc needs the same "UserMetadata" entries (or use the numeric index).
 */
export const RADZ_USER_METADATA: Readonly<Record<string, number>> = Object.freeze({
  RadzStatus: 4201,
  RadzPriority: 4202,
  RadzFindings: 4203,
  RadzResult: 4204,
});

export interface StartLocalOrthancOptions {
  /** Seconds without new instances before a study is "stable" (default 2). */
  readonly stableAgeSeconds?: number;
  /** Storage + index directory (default: a fresh temp dir, removed by stop()). */
  readonly storageDir?: string;
  /** Load the DICOMweb plugin at /dicom-web/ (default true). */
  readonly dicomWeb?: boolean;
  /** Lua scripts to load ("LuaScripts"). */
  readonly luaScripts?: readonly string[];
  /** Extra plugin paths (the DICOMweb plugin is added by `dicomWeb`). */
  readonly plugins?: readonly string[];
  /** Merged over the generated configuration (plain objects merge key by key). */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
  /** HTTP Basic credentials; when absent, AuthenticationEnabled is false. */
  readonly username?: string;
  readonly password?: string;
  /** "UserMetadata" (default RADZ_USER_METADATA). */
  readonly userMetadata?: Readonly<Record<string, number>>;
  readonly logger?: Logger;
  /** How long to wait for GET /system to answer (default 30 000 ms). */
  readonly startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 10 000 ms). */
  readonly stopGraceMs?: number;
  /** Override the binary lookup (PATH, /usr/sbin/Orthanc). */
  readonly orthancBinary?: string;
  /** Override the DICOMweb plugin lookup. */
  readonly dicomWebPluginPath?: string;
  /** Orthanc "Name" (default "RADZ-LOCAL"). */
  readonly name?: string;
  /**
   * Run Orthanc chrooted in this root file system (`chroot rootDir Orthanc …`),
   * e.g. the Debian 13 tree with Orthanc 1.12 that tools/orthanc-trixie.sh
   * builds. The binary and the DICOMweb plugin are looked up inside it and the
   * work directory (configuration, temp storage) is made inside it. Paths in
   * the other options are host paths: `storageDir` and `plugins` must lie
   * inside the tree, Lua scripts outside it are copied in. Needs root.
   */
  readonly rootDir?: string;
}

export interface LocalOrthanc {
  /** REST root, "http://127.0.0.1:<httpPort>". */
  readonly url: string;
  /** DICOMweb root, "<url>/dicom-web". */
  readonly dicomwebUrl: string;
  readonly httpPort: number;
  readonly dicomPort: number;
  readonly storageDir: string;
  readonly configPath: string;
  /** The running Orthanc process (a new one after restart()). */
  readonly process: ChildProcess;
  /**
   * Stops Orthanc and removes the temp dir. With a caller-provided storageDir:
   * SIGTERM, then SIGKILL after the grace period (the data is kept). With the
   * throw-away temp storage: SIGKILL at once (Orthanc takes ~3 s to stop
   * gracefully and the data is deleted anyway). Idempotent.
   */
  stop(): Promise<void>;
  /** Sends a signal now (default SIGKILL), e.g. to simulate a crash; stop() still cleans up. */
  kill(signal?: NodeJS.Signals): void;
  /** Stops the process gracefully (SIGTERM) and starts it again on the same ports and storage. */
  restart(): Promise<void>;
  /**
   * Orthanc's output (stdout and stderr), line by line, since the first start
   * and across restarts; the latest 100 000 lines. Tests read it to check what
   * Orthanc logged about RadZ's requests (`log.length` marks a starting point).
   */
  readonly log: readonly string[];
}

const READY_POLL_MS = 100;
const TAIL_LINES = 40;
const LOG_LINES = 100_000;
const MAX_PORT_ATTEMPTS = 3;
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"];

export async function startLocalOrthanc(
  opts: StartLocalOrthancOptions = {},
): Promise<LocalOrthanc> {
  const root = opts.rootDir === undefined ? undefined : resolve(opts.rootDir);
  const binary =
    root === undefined ? findOrthancBinary(opts.orthancBinary) : findOrthancBinaryIn(root);
  const dicomWeb = opts.dicomWeb ?? true;
  const plugins = [
    ...(dicomWeb ? [findDicomWebPlugin(opts.dicomWebPluginPath, root)] : []),
    ...(opts.plugins ?? []).map((p) => (root === undefined ? p : insideRoot(root, p))),
  ];

  let workDir: string;
  if (root === undefined) {
    workDir = mkdtempSync(join(tmpdir(), "radz-orthanc-"));
  } else {
    mkdirSync(join(root, "tmp"), { recursive: true });
    workDir = mkdtempSync(join(root, "tmp", "radz-orthanc-"));
  }
  const storageDir = opts.storageDir ?? join(workDir, "storage");
  mkdirSync(storageDir, { recursive: true });
  const server = new LocalOrthancServer(binary, plugins, workDir, storageDir, opts, root);
  try {
    await server.startFresh();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

class LocalOrthancServer implements LocalOrthanc {
  httpPort = 0;
  dicomPort = 0;
  readonly configPath: string;
  readonly #tail: string[] = [];
  readonly #log: string[] = [];
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | null = null;
  readonly #onExit: () => void;

  constructor(
    private readonly binary: string,
    private readonly plugins: readonly string[],
    private readonly workDir: string,
    readonly storageDir: string,
    private readonly opts: StartLocalOrthancOptions,
    private readonly root?: string,
  ) {
    this.configPath = join(workDir, "orthanc.json");
    // Last line of defence when the test runner or CLI exits without stop().
    this.#onExit = () => {
      this.#child?.kill("SIGKILL");
      rmSync(this.workDir, { recursive: true, force: true });
    };
    process.on("exit", this.#onExit);
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get dicomwebUrl(): string {
    return `${this.url}/dicom-web`;
  }

  get log(): readonly string[] {
    return this.#log;
  }

  /** A host path as Orthanc sees it (inside the root file system when chrooted). */
  #inside(hostPath: string): string {
    return this.root === undefined ? hostPath : insideRoot(this.root, hostPath);
  }

  /** Lua scripts as Orthanc sees them; when chrooted, ones outside the tree are copied in. */
  #luaScripts(): string[] {
    const root = this.root;
    if (root === undefined) return [...(this.opts.luaScripts ?? [])];
    return (this.opts.luaScripts ?? []).map((script, i) => {
      if (isUnder(root, script)) return insideRoot(root, script);
      const copy = join(this.workDir, `lua-${i}-${basename(script)}`);
      copyFileSync(script, copy);
      return insideRoot(root, copy);
    });
  }

  get process(): ChildProcess {
    if (this.#child === null) throw new Error("Orthanc is not running");
    return this.#child;
  }

  /** Picks free ports and starts; retries with new ports if Orthanc could not bind. */
  async startFresh(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.httpPort = await getPort();
      this.dicomPort = await getPort({ exclude: [this.httpPort] });
      try {
        await this.#launch();
        return;
      } catch (err) {
        const portClash = /already in use|cannot bind|address in use|privileged/i.test(
          this.#tail.join("\n"),
        );
        if (!portClash || attempt >= MAX_PORT_ATTEMPTS) throw err;
        this.opts.logger?.debug(
          { attempt },
          "Orthanc could not bind its ports; retrying with new ones",
        );
      }
    }
  }

  async restart(): Promise<void> {
    if (this.#stopping) throw new Error("Orthanc was stopped");
    await this.#terminate(true);
    await this.#launch();
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    this.#child?.kill(signal);
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      try {
        // Throw-away storage needs no graceful shutdown.
        await this.#terminate(this.opts.storageDir !== undefined);
      } finally {
        process.removeListener("exit", this.#onExit);
        rmSync(this.workDir, { recursive: true, force: true });
      }
    })();
    return this.#stopping;
  }

  #writeConfig(): void {
    const { opts } = this;
    const auth = opts.username !== undefined;
    const base: Record<string, unknown> = {
      Name: opts.name ?? "RADZ-LOCAL",
      StorageDirectory: this.#inside(this.storageDir),
      IndexDirectory: this.#inside(this.storageDir),
      HttpPort: this.httpPort,
      DicomPort: this.dicomPort,
      DicomAet: "RADZLOCAL",
      // Orthanc 1.10 has no HTTP bind-address option: it listens on all
      // interfaces, and RemoteAccessAllowed=false answers only loopback clients.
      RemoteAccessAllowed: false,
      AuthenticationEnabled: auth,
      RegisteredUsers: auth ? { [opts.username ?? ""]: opts.password ?? "" } : {},
      StableAge: opts.stableAgeSeconds ?? 2,
      Plugins: [...this.plugins],
      LuaScripts: this.#luaScripts(),
      UserMetadata: { ...(opts.userMetadata ?? RADZ_USER_METADATA) },
      SaveJobs: false,
      ConcurrentJobs: 1,
      HttpThreadsCount: 10,
      HttpDescribeErrors: true,
      StorageCompression: false,
      OverwriteInstances: false,
      DeidentifyLogs: true,
      DicomWeb: {
        Enable: true,
        Root: "/dicom-web/",
        EnableWado: false,
        Ssl: false,
        StudiesMetadata: "Full",
        SeriesMetadata: "Full",
      },
    };
    const config = deepMerge(base, opts.extraConfig ?? {});
    writeFileSync(this.configPath, JSON.stringify(config, null, 2));
  }

  async #launch(): Promise<void> {
    this.#writeConfig();
    this.#tail.length = 0;
    const setpriv = SETPRIV.find(isExecutable);
    // chroot execs Orthanc: the process (and its pid) is Orthanc's either way.
    const command = [
      ...(this.root === undefined ? [] : chrootPrefix(this.root)),
      this.binary,
      "--no-jobs",
      this.#inside(this.configPath),
    ];
    const [file, ...args] = setpriv ? [setpriv, "--pdeathsig", "KILL", "--", ...command] : command;
    const child = spawn(file!, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    const state: { exitInfo: string | null } = { exitInfo: null };
    this.#exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        state.exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
        resolve();
      });
      child.once("error", (err) => {
        state.exitInfo = `spawn error ${(err as NodeJS.ErrnoException).code ?? err.message}`;
        resolve();
      });
    });
    const keepLine = (line: string): void => {
      if (line.trim() === "") return;
      this.#tail.push(line);
      if (this.#tail.length > TAIL_LINES) this.#tail.shift();
      this.#log.push(line);
      if (this.#log.length > LOG_LINES) this.#log.splice(0, this.#log.length - LOG_LINES);
    };
    // Whole lines only: a chunk may end inside one.
    const lineReader = (): ((chunk: Buffer) => void) => {
      let rest = "";
      return (chunk) => {
        const lines = (rest + chunk.toString("utf8")).split("\n");
        rest = lines.pop() ?? "";
        lines.forEach(keepLine);
      };
    };
    child.stdout?.on("data", lineReader());
    child.stderr?.on("data", lineReader());

    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 30_000);
    const headers: Record<string, string> = {};
    if (this.opts.username !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${this.opts.username}:${this.opts.password ?? ""}`).toString("base64")}`;
    }
    while (Date.now() < deadline) {
      if (state.exitInfo !== null) {
        throw new RadzError(
          "INTERNAL",
          `Orthanc exited during start-up (${state.exitInfo}). Last output:\n${this.#tail.join("\n")}`,
        );
      }
      try {
        const res = await fetch(`${this.url}/system`, {
          headers,
          signal: AbortSignal.timeout(1000),
        });
        await discardBody(res);
        if (res.ok) {
          this.opts.logger?.debug(
            { httpPort: this.httpPort, dicomPort: this.dicomPort, pid: child.pid },
            "local Orthanc started",
          );
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(READY_POLL_MS);
    }
    await this.#terminate(false);
    throw new RadzError(
      "INTERNAL",
      `Orthanc did not answer GET /system within ${this.opts.startTimeoutMs ?? 30_000} ms. Last output:\n${this.#tail.join("\n")}`,
    );
  }

  async #terminate(graceful: boolean): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    if (child.exitCode === null && child.signalCode === null && !graceful) {
      child.kill("SIGKILL");
      await this.#exited;
    } else if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const grace = this.opts.stopGraceMs ?? 10_000;
      const cancel = new AbortController();
      const timer = sleep(grace, "timeout" as const, { signal: cancel.signal }).catch(
        () => "cancelled" as const,
      );
      const outcome = await Promise.race([this.#exited.then(() => "exited" as const), timer]);
      cancel.abort();
      if (outcome === "timeout") {
        this.opts.logger?.warn({ pid: child.pid }, "Orthanc ignored SIGTERM; sending SIGKILL");
        child.kill("SIGKILL");
        await this.#exited;
      }
    } else {
      await this.#exited;
    }
    this.#child = null;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path inside `root` of a host path under it ("/…"). */
function insideRoot(root: string, hostPath: string): string {
  if (!isUnder(root, hostPath))
    throw new RadzError("INPUT_INVALID", `${hostPath} is not inside the Orthanc root ${root}`);
  return `/${relative(root, resolve(hostPath)).split(sep).join("/")}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function deepMerge(
  base: Record<string, unknown>,
  over: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}
