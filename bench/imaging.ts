/**
 * Imaging benchmark: per transfer syntax, milliseconds per image for
 * read + parse + decode + LUT + preprocess of a 2048 x 2500, 12-bit stored /
 * 16-bit allocated synthetic chest radiograph, side by side with DCMTK doing
 * decode + VOI + scale to 224 on the same files, and peak RSS.
 *
 *   npm run bench:imaging            (= npx tsx bench/imaging.ts)
 *   npx tsx bench/imaging.ts [--iterations N] [--rounds R] [--only REGEX] [--markdown out.md]
 *
 * Method (docs/benchmarks.md, "Imaging"):
 *  - RadZ runs in a fresh child process per syntax (so its peak RSS is that
 *    syntax's), loads the codecs, decodes 3 images to warm up, then times N
 *    iterations of: read the file into a buffer of a BufferPool (the service
 *    receives each instance into one, reused from image to image), then
 *    prepareImage (what a decode worker of the service runs per image:
 *    parseInstance, decodeFrame with all LUTs, preprocess — CheXzero-style:
 *    pad to square, 224, 3 channels, mean/std). It is measured twice: with the area filter — an averaging
 *    downscale, like DCMTK's default scaler, so the ratio compares like with
 *    like — and with bicubic, CheXzero's filter, which RadZ computes exactly
 *    as PIL does (antialiased: about 45 taps per output sample for this
 *    11x reduction, where DCMTK's bicubic uses 4); both are in the table.
 *  - DCMTK, the peer: bench/peers/dcmtk-render.cc, compiled here with g++
 *    against Debian's libdcmtk-dev, makes the library calls
 *    `dcmj2pnm +Wi 1 +Syv 224 in out` makes (load the file, DicomImage with
 *    dcmj2pnm's flags, first window, height scaled to 224 — the same
 *    184 x 224 the pad fit gives — with its default interpolation, 8-bit
 *    output), with the JPEG, JPEG-LS and RLE decoders registered, N times in
 *    one process after the same warm-up, timing each image with the process
 *    CPU clock. The ratio is RadZ / that. Why not the tool itself: dcmj2pnm
 *    is one file per process, and its start-up (process, data dictionary,
 *    codec registration, output file) had to be estimated from a run on an
 *    8 x 8 image and subtracted; two process timings subtracted on a shared
 *    2-vCPU machine moved the "net" by a factor of two between runs. The
 *    tools per process (dcmj2pnm; dcml2pnm for JPEG-LS) are still measured
 *    and reported, gross and net of start-up, in a second table; without g++
 *    or the headers the ratio falls back to that net.
 *  - DCMTK 3.6.7 cannot read JPEG 2000 or HTJ2K. For JPEG 2000 the peer is
 *    GDCM (`gdcmconv --raw`: decode with OpenJPEG and write, no VOI, no
 *    scaling — less work than RadZ does), net of its own start-up the same
 *    way. HTJ2K has no native peer here; RadZ's time is reported alone.
 *  - Peer RSS: /usr/bin/time -f %M on one run. RadZ RSS: the child's
 *    process.resourceUsage().maxRSS (includes Node itself, ~50 MB).
 *  - Two clocks. CPU time (user + system, all threads; RadZ from
 *    process.cpuUsage() around each image, DCMTK in one process from its
 *    process CPU clock, the tools from /usr/bin/time around a shell loop of
 *    runs) is what the targets are judged on: it does not
 *    depend on what else runs on the machine. Wall-clock time is reported
 *    too, and is what a user waits for on an idle machine.
 *  - Rounds: the whole table is measured R times (default 2), RadZ and the
 *    peer back to back per syntax, and the median of all runs is reported,
 *    so background load hits both sides alike.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { initCodecs, parseInstance, PreprocessSpecSchema } from "../src/imaging/index.js";
import { BufferPool } from "../src/pipeline/buffer-pool.js";
import { prepareImage } from "../src/pipeline/prepare-image.js";
import { generateSyntheticStudies } from "../src/synthetic/index.js";
import {
  encapsulatedFile,
  encodeHtj2k,
  openJphEncoderModule,
} from "../test/imaging/codec-fixtures.js";
import { gray16 } from "../test/imaging/fixtures.js";

/** CheXzero-style preprocessing; the filter is the bicubic CheXzero uses, or area (like DCMTK's scaler). */
function spec(filter: "bicubic" | "area") {
  return PreprocessSpecSchema.parse({
    size: 224,
    resize: filter,
    fit: "pad",
    channels: 3,
    scale: "byte",
    mean: [101.48761],
    std: [83.43944],
  });
}

// ------------------------------------------------------------------ child: RadZ timing

/** Images decoded before timing starts, in each child. */
const WARMUP_IMAGES = 3;

interface ChildResult {
  /** Wall-clock milliseconds per image. */
  ms: number[];
  /** CPU milliseconds (user + system, all threads of the process) per image. */
  cpuMs: number[];
  maxRssKb: number;
}

async function radzChild(
  file: string,
  iterations: number,
  filter: "bicubic" | "area",
): Promise<void> {
  await initCodecs();
  const SPEC = spec(filter);
  // Each instance arrives in a buffer of the decode pool's BufferPool, reused
  // from image to image, as in the service (buffer-pool.ts).
  const buffers = new BufferPool({ maxBuffers: 2, maxBufferBytes: 2 ** 28 });
  const once = (): void => {
    const fd = fs.openSync(file, "r");
    const bytes = buffers.acquire(fs.fstatSync(fd).size);
    fs.readSync(fd, bytes, 0, bytes.byteLength, 0);
    fs.closeSync(fd);
    const { tensor } = prepareImage({
      bytes,
      windowIndex: 0,
      maxPixels: 1e8,
      preprocess: SPEC,
      thumbnail: false,
    });
    buffers.release(bytes.buffer);
    if (tensor.length !== 3 * 224 * 224) throw new Error("unexpected tensor size");
  };
  // Warm-up: the service's code is hot after its first few images (JIT tiers,
  // WASM memory growth); one image leaves V8's optimising tier mostly unused.
  for (let i = 0; i < WARMUP_IMAGES; i++) once();
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    once();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  const result: ChildResult = { ms, cpuMs, maxRssKb: process.resourceUsage().maxRSS };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ------------------------------------------------------------------ parent

interface Syntax {
  readonly name: string;
  readonly uid: string;
  /** File name in the work dir (made by prepare()). */
  readonly file: string;
  /** The same syntax for an 8 x 8 image (start-up measurement; GDCM crashes on 1 x 1 JPEG 2000). */
  readonly tiny: string;
  readonly peer?: {
    readonly tool: string;
    readonly args: readonly string[];
    readonly label: string;
  };
  /** Target ratio RadZ / peer net (from the issue), if any. */
  readonly target?: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1
    ? (s[(n - 1) / 2] as number)
    : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

function run(tool: string, args: readonly string[]): void {
  execFileSync(tool, [...args], { stdio: ["ignore", "ignore", "pipe"] });
}

function wallMs(tool: string, args: readonly string[], times: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = process.hrtime.bigint();
    run(tool, args);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

/**
 * CPU milliseconds (user + system) per run of `tool args`, from /usr/bin/time
 * around a shell loop of `times` runs (its 10 ms resolution divided by `times`).
 */
function cpuMsPerRun(tool: string, args: readonly string[], times: number): number {
  const quoted = [tool, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const script = `for i in $(seq ${times}); do ${quoted} >/dev/null 2>&1; done`;
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S", "bash", "-c", script], { encoding: "utf8" });
  const last = r.stderr.trim().split("\n").pop() ?? "";
  const [user, system] = last.split(" ").map(Number) as [number, number];
  return ((user + system) * 1000) / times;
}

function peakRssKb(tool: string, args: readonly string[]): number {
  const r = spawnSync("/usr/bin/time", ["-f", "%M", tool, ...args], { encoding: "utf8" });
  const lines = r.stderr.trim().split("\n");
  return Number(lines[lines.length - 1]);
}

// ------------------------------------------------------------------ DCMTK in one process

const DCMTK_LIBS = [
  "-ldcmimage",
  "-ldcmimgle",
  "-ldcmjpeg",
  "-ldcmjpls",
  "-ldcmdata",
  "-loflog",
  "-lofstd",
];

/**
 * bench/peers/dcmtk-render.cc compiled into `dir` (g++ and DCMTK's headers:
 * Debian's g++ and libdcmtk-dev), or why it could not be.
 */
function buildDcmtkRender(dir: string): { binary: string } | { why: string } {
  const source = path.join(path.dirname(self), "peers", "dcmtk-render.cc");
  const binary = path.join(dir, "dcmtk-render");
  const r = spawnSync("g++", ["-O2", "-o", binary, source, ...DCMTK_LIBS], { encoding: "utf8" });
  if (r.error !== undefined) return { why: `g++ not found (${r.error.message})` };
  if (r.status !== 0) return { why: r.stderr.trim().split("\n").slice(0, 3).join(" ") };
  return { binary };
}

/** DCMTK doing dcmj2pnm's work on `file` `iterations` times in one process, after the same warm-up as RadZ. */
function dcmtkInProcess(
  binary: string,
  file: string,
  iterations: number,
): Omit<ChildResult, "maxRssKb"> {
  const r = spawnSync(binary, [file, String(iterations), String(WARMUP_IMAGES)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`dcmtk-render failed for ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Omit<ChildResult, "maxRssKb">;
}

function toolArgs(s: Syntax, input: string, output: string): string[] {
  return [...(s.peer?.args ?? []), input, output];
}

const self = fileURLToPath(import.meta.url);

function radzRun(file: string, iterations: number, filter: "bicubic" | "area"): ChildResult {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", self, "--radz-child", file, String(iterations), filter],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  if (r.status !== 0) throw new Error(`RadZ child failed for ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as ChildResult;
}

async function prepare(dir: string): Promise<Syntax[]> {
  const [study] = generateSyntheticStudies({ count: 1, seed: 7, rows: 2500, columns: 2048 });
  if (!study) throw new Error("no synthetic study");
  const raw = path.join(dir, "explicit-le.dcm");
  fs.writeFileSync(raw, study.instances[0] as Uint8Array);
  // Same attributes that matter (12 of 16 bits, a window) so the peer takes the same code path.
  const tiny = gray16(
    8,
    8,
    Array.from({ length: 64 }, (_, i) => i * 60),
    { BitsStored: 12, HighBit: 11, WindowCenter: 2048, WindowWidth: 4096 },
  );
  const tinyRaw = path.join(dir, "tiny-explicit-le.dcm");
  fs.writeFileSync(tinyRaw, tiny);

  const both = (name: string, tool: string, args: readonly string[]): [string, string] => {
    const big = path.join(dir, `${name}.dcm`);
    const small = path.join(dir, `tiny-${name}.dcm`);
    run(tool, [...args, raw, big]);
    run(tool, [...args, tinyRaw, small]);
    return [big, small];
  };
  const dcmj2pnm = { tool: "dcmj2pnm", args: ["+Wi", "1", "+Syv", "224"], label: "DCMTK dcmj2pnm" };
  const dcml2pnm = { tool: "dcml2pnm", args: ["+Wi", "1", "+Syv", "224"], label: "DCMTK dcml2pnm" };
  const gdcm = { tool: "gdcmconv", args: ["--raw"], label: "GDCM gdcmconv --raw (decode only)" };

  const out: Syntax[] = [
    {
      name: "Explicit VR Little Endian",
      uid: "1.2.840.10008.1.2.1",
      file: raw,
      tiny: tinyRaw,
      peer: dcmj2pnm,
      target: 1.0,
    },
  ];
  const add = (
    name: string,
    uid: string,
    tool: string,
    args: readonly string[],
    peer: Syntax["peer"],
    target?: number,
  ): void => {
    const [file, small] = both(uid, tool, args);
    out.push({
      name,
      uid,
      file,
      tiny: small,
      ...(peer ? { peer } : {}),
      ...(target ? { target } : {}),
    });
  };
  add("Implicit VR Little Endian", "1.2.840.10008.1.2", "dcmconv", ["+ti"], dcmj2pnm, 1.0);
  add("Explicit VR Big Endian", "1.2.840.10008.1.2.2", "dcmconv", ["+tb"], dcmj2pnm, 1.0);
  add(
    "Deflated Explicit VR Little Endian",
    "1.2.840.10008.1.2.1.99",
    "dcmconv",
    ["+td"],
    dcmj2pnm,
    1.0,
  );
  add("RLE Lossless", "1.2.840.10008.1.2.5", "dcmcrle", [], dcmj2pnm, 1.0);
  add("JPEG Extended 12-bit (lossy)", "1.2.840.10008.1.2.4.51", "dcmcjpeg", ["+ee"], dcmj2pnm);
  add("JPEG Lossless SV1", "1.2.840.10008.1.2.4.70", "dcmcjpeg", ["+e1"], dcmj2pnm);
  add(
    "JPEG Lossless Process 14 (predictor 6)",
    "1.2.840.10008.1.2.4.57",
    "dcmcjpeg",
    ["+el"],
    dcmj2pnm,
  );
  add("JPEG-LS Lossless", "1.2.840.10008.1.2.4.80", "dcmcjpls", [], dcml2pnm, 1.0);
  add(
    "JPEG-LS Near-lossless (NEAR 2)",
    "1.2.840.10008.1.2.4.81",
    "dcmcjpls",
    ["+en"],
    dcml2pnm,
    1.0,
  );
  add("JPEG 2000 Lossless", "1.2.840.10008.1.2.4.90", "gdcmconv", ["--j2k"], gdcm, 1.5);
  add(
    "JPEG 2000 (irreversible, rate 10)",
    "1.2.840.10008.1.2.4.91",
    "gdcmconv",
    ["--j2k", "--lossy", "--irreversible", "-r", "10"],
    gdcm,
    1.5,
  );

  // HTJ2K: no local tool writes it; OpenJPH's encoder does, wrapped by hand.
  const openjph = await openJphEncoderModule();
  const instance = parseInstance(study.instances[0] as Uint8Array);
  const ds: Record<string, unknown> = { ...instance.dataset };
  const pixels = ds["PixelData"] as ArrayBuffer[];
  delete ds["PixelData"];
  const vrMap = { ...((ds["_vrMap"] as Record<string, string> | undefined) ?? {}) };
  delete vrMap["PixelData"];
  ds["_vrMap"] = vrMap;
  const native = new Uint8Array(pixels[0] as ArrayBuffer);
  const cs = encodeHtj2k(
    openjph,
    native,
    {
      name: "chest",
      rows: 2500,
      columns: 2048,
      bitsAllocated: 16,
      bitsStored: 12,
      signed: false,
      samplesPerPixel: 1,
    },
    { reversible: true },
  );
  const even = cs.byteLength % 2 === 0 ? cs : Uint8Array.from([...cs, 0]);
  const ht = path.join(dir, "htj2k.dcm");
  fs.writeFileSync(ht, encapsulatedFile("1.2.840.10008.1.2.4.201", ds, [even]));
  out.push({
    name: "HTJ2K Lossless (OpenJPH encoder)",
    uid: "1.2.840.10008.1.2.4.201",
    file: ht,
    tiny: ht,
  });
  return out;
}

interface Row {
  syntax: Syntax;
  sizeMb: number;
  /** Area filter: like for like with DCMTK's averaging scaler; the ratio uses it. */
  radzMs: number[];
  /** Bicubic (CheXzero's filter, PIL-exact with antialiasing: ~45 taps per output sample here). */
  radzBicubicMs: number[];
  radzCpuMs: number[];
  radzBicubicCpuMs: number[];
  radzRssKb: number;
  /** DCMTK in one process (bench/peers/dcmtk-render.cc), per image. */
  dcmtkMs: number[];
  dcmtkCpuMs: number[];
  /** The peer tool, one process per file, and the same on an 8 x 8 image (its start-up). */
  peerMs: number[];
  peerStartupMs: number[];
  peerCpuMs: number[];
  peerStartupCpuMs: number[];
  peerRssKb: number;
  /** RadZ (area) / the peer the target is judged against, each round alone. */
  roundRatios: number[];
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "—";
}

/** The peer's CPU ms per image the ratio is taken against: DCMTK in one process, else the tool net of start-up. */
function peerCpu(r: Row): number {
  if (r.dcmtkCpuMs.length > 0) return median(r.dcmtkCpuMs);
  return median(r.peerCpuMs) - median(r.peerStartupCpuMs);
}

function peerLabel(r: Row): string {
  if (r.dcmtkCpuMs.length > 0) return "DCMTK, in one process (dcmj2pnm's calls)";
  return r.syntax.peer ? `${r.syntax.peer.label}, net of start-up` : "none";
}

function markdown(rows: readonly Row[], iterations: number, rounds: number): string {
  const lines = [
    "CPU time (user + system, all threads; robust to other processes on the machine) — the ratio the targets are judged on:",
    "",
    `| Transfer syntax | File MB | RadZ CPU ms/image (area) | RadZ CPU ms/image (bicubic) | Peer | Peer CPU ms/image | RadZ (area) / peer | Target | Ratio per round | RadZ (bicubic) / peer | RadZ peak RSS MB | Peer peak RSS MB |`,
    `|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|`,
  ];
  for (const r of rows) {
    const radz = median(r.radzCpuMs);
    const bicubic = median(r.radzBicubicCpuMs);
    const peer = peerCpu(r);
    const ratio = radz / peer;
    const target = r.syntax.target;
    const verdict =
      target === undefined ? "—" : `≤ ${target.toFixed(1)} ${ratio <= target ? "✔" : "✘"}`;
    lines.push(
      `| ${r.syntax.name} | ${fmt(r.sizeMb, 1)} | ${fmt(radz)} | ${fmt(bicubic)} | ${peerLabel(r)} | ${fmt(peer)} | ${fmt(ratio, 2)} | ${verdict} | ${r.roundRatios.map((x) => fmt(x, 2)).join(", ") || "—"} | ${fmt(bicubic / peer, 2)} | ${fmt(r.radzRssKb / 1024)} | ${fmt(r.peerRssKb / 1024)} |`,
    );
  }
  lines.push(
    "",
    "The peer tool as a user runs it, one process per file (CPU; start-up = the same command on an 8 x 8 image of the same syntax):",
    "",
    `| Transfer syntax | Tool | CPU ms/file | Start-up CPU ms | Net CPU ms | RadZ (area) / net |`,
    `|---|---|---:|---:|---:|---:|`,
  );
  for (const r of rows) {
    if (!r.syntax.peer) continue;
    const total = median(r.peerCpuMs);
    const startup = median(r.peerStartupCpuMs);
    lines.push(
      `| ${r.syntax.name} | ${r.syntax.peer.tool} | ${fmt(total)} | ${fmt(startup)} | ${fmt(total - startup)} | ${fmt(median(r.radzCpuMs) / (total - startup), 2)} |`,
    );
  }
  lines.push(
    "",
    "Wall-clock time (what a user waits for; depends on the machine's load):",
    "",
    `| Transfer syntax | RadZ ms/image (area) | RadZ ms/image (bicubic) | DCMTK in one process ms/image | RadZ (area) / DCMTK | Peer tool ms/file | Peer start-up ms | Peer net ms |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|`,
  );
  for (const r of rows) {
    const radz = median(r.radzMs);
    const dcmtk = median(r.dcmtkMs);
    const wall = median(r.peerMs);
    const startup = median(r.peerStartupMs);
    lines.push(
      `| ${r.syntax.name} | ${fmt(radz)} | ${fmt(median(r.radzBicubicMs))} | ${fmt(dcmtk)} | ${fmt(radz / dcmtk, 2)} | ${fmt(wall)} | ${fmt(startup)} | ${wall > startup ? fmt(wall - startup) : "— (noise)"} |`,
    );
  }
  lines.push(
    "",
    `Medians over ${rounds} round(s) x ${iterations} iteration(s) per syntax (RadZ and DCMTK in one process each after ${WARMUP_IMAGES} warm-up images).`,
  );
  return lines.join("\n");
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--radz-child") {
    await radzChild(argv[1] as string, Number(argv[2]), argv[3] === "area" ? "area" : "bicubic");
    return;
  }
  const opt = (name: string, fallback: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
  };
  const iterations = Number(opt("--iterations", "5"));
  const rounds = Number(opt("--rounds", "2"));
  const markdownOut = opt("--markdown", "");
  // Only the syntaxes whose name matches (e.g. --only "Endian|RLE"): more iterations where they matter.
  const only = new RegExp(opt("--only", ""), "i");

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "radz-bench-imaging-"));
  try {
    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    const dcmtk = execFileSync("dcmj2pnm", ["--version"], { encoding: "utf8" }).split("\n")[0];
    const gdcmVersion = execFileSync("gdcmconv", ["--version"], { encoding: "utf8" }).trim();
    console.log(
      `machine: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
    );
    console.log(`peers: ${dcmtk?.trim()}; ${gdcmVersion}`);
    const render = buildDcmtkRender(dir);
    if ("why" in render) {
      console.log(
        `DCMTK in one process unavailable (${render.why}); install g++ and libdcmtk-dev for it. Ratios fall back to dcmj2pnm net of start-up.`,
      );
    }
    console.log("preparing files ...");
    const syntaxes = (await prepare(dir)).filter((x) => only.test(x.name));
    const rows: Row[] = syntaxes.map((syntax) => ({
      syntax,
      sizeMb: fs.statSync(syntax.file).size / 1e6,
      radzMs: [],
      radzBicubicMs: [],
      radzCpuMs: [],
      radzBicubicCpuMs: [],
      radzRssKb: 0,
      dcmtkMs: [],
      dcmtkCpuMs: [],
      peerMs: [],
      peerStartupMs: [],
      peerCpuMs: [],
      peerStartupCpuMs: [],
      peerRssKb: Number.NaN,
      roundRatios: [],
    }));
    for (let round = 1; round <= rounds; round++) {
      for (const row of rows) {
        const s = row.syntax;
        const radz = radzRun(s.file, iterations, "area");
        row.radzMs.push(...radz.ms);
        row.radzCpuMs.push(...radz.cpuMs);
        const bicubic = radzRun(s.file, iterations, "bicubic");
        row.radzBicubicMs.push(...bicubic.ms);
        row.radzBicubicCpuMs.push(...bicubic.cpuMs);
        row.radzRssKb = Math.max(row.radzRssKb, radz.maxRssKb, bicubic.maxRssKb);
        const dcmtkReads = s.peer?.tool === "dcmj2pnm" || s.peer?.tool === "dcml2pnm";
        if ("binary" in render && dcmtkReads) {
          const d = dcmtkInProcess(render.binary, s.file, iterations);
          row.dcmtkMs.push(...d.ms);
          row.dcmtkCpuMs.push(...d.cpuMs);
          row.roundRatios.push(median(radz.cpuMs) / median(d.cpuMs));
        }
        if (s.peer) {
          const outFile = path.join(
            dir,
            `out-${s.uid}${s.peer.tool === "gdcmconv" ? ".dcm" : ".pgm"}`,
          );
          run(s.peer.tool, toolArgs(s, s.file, outFile)); // warm the page cache
          row.peerMs.push(...wallMs(s.peer.tool, toolArgs(s, s.file, outFile), iterations));
          row.peerStartupMs.push(...wallMs(s.peer.tool, toolArgs(s, s.tiny, outFile), iterations));
          // Full-size and start-up loops alternate, so a slower moment of the
          // machine hits both sides of the subtraction.
          const loops = Math.max(5, iterations);
          for (let half = 0; half < 2; half++) {
            row.peerCpuMs.push(cpuMsPerRun(s.peer.tool, toolArgs(s, s.file, outFile), loops));
            row.peerStartupCpuMs.push(
              cpuMsPerRun(s.peer.tool, toolArgs(s, s.tiny, outFile), loops),
            );
          }
          if (round === 1) row.peerRssKb = peakRssKb(s.peer.tool, toolArgs(s, s.file, outFile));
          const k = row.peerCpuMs.length;
          if (row.dcmtkCpuMs.length === 0) {
            row.roundRatios.push(
              median(radz.cpuMs) /
                (median(row.peerCpuMs.slice(k - 2)) - median(row.peerStartupCpuMs.slice(k - 2))),
            );
          }
        }
        console.log(
          `round ${round}: ${s.name.padEnd(40)} RadZ ${fmt(median(radz.ms))} ms, CPU ${fmt(median(radz.cpuMs))} (bicubic ${fmt(median(bicubic.ms))})` +
            (row.dcmtkCpuMs.length > 0
              ? `  DCMTK in one process ${fmt(median(row.dcmtkCpuMs.slice(-iterations)))} ms CPU`
              : "") +
            (s.peer
              ? `  ${s.peer.tool} ${fmt(median(row.peerMs))} ms (start-up ${fmt(median(row.peerStartupMs))}), CPU net ${fmt(median(row.peerCpuMs) - median(row.peerStartupCpuMs))}`
              : ""),
        );
      }
    }
    const table = markdown(rows, iterations, rounds);
    console.log(`\n${table}\n`);
    console.log(
      `load average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
    );
    if (markdownOut) fs.writeFileSync(markdownOut, `${table}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
