/**
 * Soak benchmark: N synthetic chest studies (default 1,000) through a real
 * local Orthanc and `radz serve` running as a child process, as in
 * production. Reports studies/min, p50/p95 latency from StableStudy to SR
 * (job enqueued by the change feed -> SR stored and verified, job done),
 * peak RSS of the service, and its RSS over the first vs the last 10% of the
 * run (does memory grow?). Checks every study ended done, and a sample for
 * exactly one SR.
 *
 *   npm run bench:soak -- [--count 1000] [--warmup 100] [--size 128] [--window 6]
 *                         [--concurrency 4] [--smaps-every 30] [--rest 20]
 *                         [--out bench-output/soak.json]
 *
 * The service first processes --warmup studies (JIT, allocator and cache
 * high-water marks, SQLite's page cache); the RSS comparison is over the
 * --count studies after them. The warm-up's mean RSS is reported too.
 *
 * RSS is read two ways. Running: every second while studies flow, so each
 * read also holds whatever the studies in flight hold at that instant
 * (received instances, the summary page being drawn, libvips' threads);
 * reported as the mean and the least read of each tenth. At rest: after the
 * warm-up and after each tenth the uploads pause until every study is done,
 * the service idles --rest seconds and the least of five reads is taken
 * ("idle"); then the service runs a full garbage collection (SIGWINCH, which
 * bench/soak-gc.ts, loaded into the child only, answers) and the least of
 * five reads is taken again ("after GC"): what the service retains, without
 * dead buffers V8 had not yet collected. "RSS does not grow" holds when the
 * after-GC read after the last tenth is within 5 % of that after the first;
 * otherwise the benchmark exits 1. The rests are left out of the throughput.
 *
 * Orthanc runs with StableAge 1 s (production default 60 s) so the run
 * measures RadZ, not the stability wait. Studies are uploaded closed-loop:
 * at most --window studies are in Orthanc without a finished job, so the
 * queue stays short and latency is processing latency, not backlog.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import getPort from "get-port";
import { DicomWebClient } from "../src/dicomweb/index.js";
import { writeDemoBundle } from "../src/model/index.js";
import { OrthancClient, startLocalOrthanc } from "../src/orthanc/index.js";
import { generateApiToken, hashApiToken } from "../src/security/index.js";
import { generateSyntheticStudy } from "../src/synthetic/index.js";

interface Args {
  count: number;
  size: number;
  window: number;
  concurrency: number;
  out: string;
  /** Studies processed before the measured run (not counted in the RSS comparison). */
  warmup: number;
  /** Seconds between reads of the service's /proc/PID/smaps (0: never). */
  smapsEvery: number;
  /** Seconds the service rests, idle, after the warm-up and after each tenth before RSS is read (0: no rests). */
  rest: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    count: 1000,
    size: 128,
    window: 6,
    concurrency: 4,
    out: "bench-output/soak.json",
    warmup: 100,
    smapsEvery: 30,
    rest: 20,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k === "--out" && v) {
      args.out = v;
      i++;
    } else if (k === "--rest" && v !== undefined) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${k} needs a non-negative integer`);
      args.rest = n;
      i++;
    } else if (k === "--smaps-every" && v !== undefined) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${k} needs a non-negative integer`);
      args.smapsEvery = n;
      i++;
    } else if (k?.startsWith("--") && v !== undefined && k.slice(2) in args) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < (k === "--warmup" ? 0 : 1))
        throw new Error(`${k} needs a ${k === "--warmup" ? "non-negative" : "positive"} integer`);
      (args as unknown as Record<string, number>)[k.slice(2)] = n;
      i++;
    } else {
      throw new Error(`unknown argument ${k}`);
    }
  }
  return args;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** VmRSS and VmHWM (peak) of a process, in MiB (Linux /proc). */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

/**
 * Resident memory of a process by kind of mapping (Linux /proc/PID/smaps), in
 * MiB: the brk heap (glibc's main arena), anonymous mappings (other malloc
 * arenas, V8's heap spaces, WebAssembly memories, thread stacks), and
 * file-backed mappings (code of node, onnxruntime, libvips …). Also each
 * anonymous mapping's resident MiB by start address, to find which one grows.
 */
function smapsOf(pid: number): {
  heap: number;
  anon: number;
  file: number;
  anonByStart: Record<string, number>;
  anonSizeByStart: Record<string, number>;
} | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, "utf8");
  } catch {
    return null;
  }
  const out = {
    heap: 0,
    anon: 0,
    file: 0,
    anonByStart: {} as Record<string, number>,
    anonSizeByStart: {} as Record<string, number>,
  };
  let kind: "heap" | "anon" | "file" = "anon";
  let start = "";
  let size = 0;
  for (const line of text.split("\n")) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      start = header[1]!;
      size = (parseInt(header[2]!, 16) - parseInt(start, 16)) / 1048576;
      const path = header[3]!.trim();
      kind = path === "[heap]" ? "heap" : path === "" || path.startsWith("[") ? "anon" : "file";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const mib = Number(rss[1]) / 1024;
    out[kind] += mib;
    if (kind === "anon" && mib > 0) {
      out.anonByStart[start] = mib;
      out.anonSizeByStart[start] = size;
    }
  }
  return out;
}

/** Change from the read after tenth 1 to the read after tenth 10, in %; null without both. */
function firstToLastPct<T extends { afterTenth: number }>(
  reads: readonly T[],
  value: (r: T) => number,
): number | null {
  const a = reads.find((r) => r.afterTenth === 1);
  const b = reads.find((r) => r.afterTenth === 10);
  return a === undefined || b === undefined
    ? null
    : Number(((value(b) / value(a) - 1) * 100).toFixed(1));
}

/** Least-squares slope of value over finished studies, in MiB per 1,000 studies; null under 2 reads. */
function slopePer1000<T extends { finished: number }>(
  reads: readonly T[],
  value: (r: T) => number,
): number | null {
  if (reads.length < 2) return null;
  const xs = reads.map((r) => r.finished);
  const ys = reads.map(value);
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? null : Number(((num / den) * 1000).toFixed(1));
}

/** The most the retained RSS may rise from the first to the last tenth for "does not grow". */
const GROWTH_LIMIT_PCT = 5;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const mallocArenaMax = process.env.MALLOC_ARENA_MAX ?? "2";
  const mallocMmapThreshold = process.env.MALLOC_MMAP_THRESHOLD_ ?? "131072";
  const work = mkdtempSync(join(os.tmpdir(), "radz-soak-"));
  const orthanc = await startLocalOrthanc({ stableAgeSeconds: 1 });
  const dbPath = join(work, "radz.sqlite");
  let child: ReturnType<typeof spawn> | null = null;
  try {
    await writeDemoBundle(join(work, "bundle"));
    const configFile = join(work, "radz.json");
    // /metrics (V8 heap next to RSS) needs a read token.
    const token = generateApiToken();
    const port = await getPort();
    writeFileSync(
      configFile,
      JSON.stringify({
        orthanc: { url: orthanc.url },
        jobs: { dbPath, concurrency: args.concurrency },
        intake: { startFrom: "beginning", pollCron: "* * * * * *", sweep: false },
        model: { bundle: join(work, "bundle") },
        http: { port, tokens: [{ name: "soak", sha256: hashApiToken(token), role: "read" }] },
        log: { level: "warn" },
      }),
    );
    // glibc malloc settings as deploy/radz.service has them (docs/deploy.md,
    // "Memory"); MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ in the environment override them.
    child = spawn(
      process.execPath,
      [
        // bench/soak-gc.ts: SIGWINCH collects garbage (the at-rest reads, below).
        "--expose-gc",
        "--import",
        "tsx",
        "--import",
        "./bench/soak-gc.ts",
        "src/cli/main.ts",
        "serve",
        "--config",
        configFile,
      ],
      {
        stdio: ["ignore", "ignore", "inherit"],
        env: {
          ...process.env,
          MALLOC_ARENA_MAX: mallocArenaMax,
          MALLOC_MMAP_THRESHOLD_: mallocMmapThreshold,
        },
      },
    );
    const pid = child.pid!;
    // Wait for the store to exist and the service to settle.
    const started = Date.now();
    for (;;) {
      try {
        new Database(dbPath, { readonly: true, fileMustExist: true }).close();
        break;
      } catch {
        if (Date.now() - started > 120_000) throw new Error("radz serve did not start");
        await sleep(200);
      }
    }
    await sleep(2_000);
    const db = new Database(dbPath, { readonly: true });
    const finished = () =>
      (
        db
          .prepare("SELECT COUNT(*) AS n FROM jobs WHERE state IN ('done','skipped','failed')")
          .get() as { n: number }
      ).n;

    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 60_000 });
    const samples: { at: number; finished: number; rss: number; load1: number }[] = [];
    // RSS at rest: all uploaded studies done, the service idle for args.rest
    // seconds, then the least of five reads a second apart ("idle"); then a
    // full garbage collection in the service (SIGWINCH, bench/soak-gc.ts) and
    // the least of five reads again ("after GC"): what the service retains,
    // without the dead buffers V8 had not collected yet.
    const atRest: {
      afterTenth: number;
      finished: number;
      rssMiB: number;
      afterGcMiB: number;
      afterGcResident: { heap: number; anon: number; file: number } | null;
      /** V8 heap in use after the collection (the service's /metrics). */
      afterGcHeapUsedMiB: number | null;
    }[] = [];
    let resting = false;
    let restedMs = 0;
    let peak = 0;
    const heap: { finished: number; heapUsed: number; spaces: Record<string, number> }[] = [];
    const maps: { finished: number; map: NonNullable<ReturnType<typeof smapsOf>> }[] = [];
    const heapSampler = setInterval(() => {
      const at = finished();
      fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(4_000),
      })
        .then((r) => r.text())
        .then((text) => {
          const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
          // Committed size of each V8 heap space (new space grows with allocation rate).
          const spaces: Record<string, number> = {};
          for (const s of text.matchAll(
            /^nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)$/gm,
          ))
            spaces[s[1]!] = Number(s[2]) / 2 ** 20;
          if (m) heap.push({ finished: at, heapUsed: Number(m[1]) / 2 ** 20, spaces });
        })
        .catch(() => undefined);
    }, 2_000);
    const sampler = setInterval(() => {
      const m = memoryOf(pid);
      if (!m) return;
      peak = Math.max(peak, m.hwm);
      // Samples while resting are not running samples (they are read apart, below).
      if (!resting)
        samples.push({ at: Date.now(), finished: finished(), rss: m.rss, load1: os.loadavg()[0]! });
    }, 1_000);
    // Reading smaps walks the service's page tables under its memory-map lock:
    // not too often, or it shows in the latency it measures.
    const mapSampler =
      args.smapsEvery > 0
        ? setInterval(() => {
            const m = smapsOf(pid);
            if (m) maps.push({ finished: finished(), map: m });
          }, args.smapsEvery * 1_000)
        : undefined;

    const studyUids: string[] = [];
    const t0 = Date.now();
    let lastReport = 0;
    const total = args.warmup + args.count;
    const tenthStudies = args.count / 10;
    const restAfter = async (afterTenth: number, uploaded: number): Promise<void> => {
      while (finished() < uploaded) await sleep(100);
      resting = true;
      const r0 = Date.now();
      await sleep(args.rest * 1_000);
      const leastOfFive = async (): Promise<number> => {
        const reads: number[] = [];
        for (let k = 0; k < 5; k++) {
          const m = memoryOf(pid);
          if (m) reads.push(m.rss);
          await sleep(1_000);
        }
        return Math.min(...reads);
      };
      const idle = await leastOfFive();
      process.kill(pid, "SIGWINCH");
      // Backing stores are freed by V8's sweeper and Node's finalizers, after the collection itself.
      await sleep(2_000);
      const afterGc = await leastOfFive();
      const resident = smapsOf(pid);
      const heapUsed = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(4_000),
      })
        .then((r) => r.text())
        .then((text) => Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1]) / 2 ** 20)
        .catch(() => NaN);
      atRest.push({
        afterTenth,
        finished: finished(),
        rssMiB: Number(idle.toFixed(1)),
        afterGcMiB: Number(afterGc.toFixed(1)),
        afterGcResident: resident
          ? {
              heap: Number(resident.heap.toFixed(1)),
              anon: Number(resident.anon.toFixed(1)),
              file: Number(resident.file.toFixed(1)),
            }
          : null,
        afterGcHeapUsedMiB: Number.isFinite(heapUsed) ? Number(heapUsed.toFixed(1)) : null,
      });
      process.stderr.write(
        `soak: at rest after ${afterTenth === 0 ? "the warm-up" : `tenth ${afterTenth}`}: ${idle.toFixed(1)} MiB idle, ${afterGc.toFixed(1)} MiB after a full GC\n`,
      );
      restedMs += Date.now() - r0;
      resting = false;
    };
    for (let i = 0; i < total; i++) {
      if (args.rest > 0 && i >= args.warmup && (i - args.warmup) % tenthStudies === 0)
        await restAfter((i - args.warmup) / tenthStudies, i);
      while (i - finished() >= args.window) await sleep(50);
      const s = generateSyntheticStudy(
        { count: total, seed: 4242, rows: args.size, columns: args.size },
        i,
      );
      for (const bytes of s.instances) await client.uploadInstance(bytes);
      studyUids.push(s.studyInstanceUid);
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        process.stderr.write(
          `soak: ${finished()}/${total} finished (${args.warmup} warm-up), ${Math.round((Date.now() - t0) / 1000)} s\n`,
        );
      }
    }
    while (finished() < total) {
      if (Date.now() - t0 > 6 * 3_600_000) throw new Error("soak did not finish in 6 h");
      await sleep(250);
    }
    if (args.rest > 0) await restAfter(10, total);
    clearInterval(sampler);
    clearInterval(heapSampler);
    if (mapSampler) clearInterval(mapSampler);

    const rows = db
      .prepare("SELECT state, created_at, finished_at FROM jobs ORDER BY finished_at")
      .all() as { state: string; created_at: number; finished_at: number }[];
    db.close();
    const done = rows.filter((r) => r.state === "done");
    const latencies = done.map((r) => r.finished_at - r.created_at).sort((a, b) => a - b);
    const firstCreated = Math.min(...rows.map((r) => r.created_at));
    const lastFinished = Math.max(...rows.map((r) => r.finished_at));
    // The rests are idle time, not processing time.
    const minutes = (lastFinished - firstCreated - restedMs) / 60_000;
    // The measured run is the `count` studies after the warm-up; its tenths are
    // counted from the first of them. Samples of the idle service before the
    // first upload are part of neither.
    const tenth = args.count / 10;
    const seen = samples.filter((s) => s.at >= t0);
    const inRun = (lo: number, hi: number) =>
      seen.filter((s) => s.finished >= args.warmup + lo && s.finished < args.warmup + hi);
    const first = inRun(0, tenth).map((s) => s.rss);
    const last = inRun(args.count - tenth, args.count + 1).map((s) => s.rss);
    const warmup = seen.filter((s) => s.finished < args.warmup).map((s) => s.rss);
    const tenthRss = (t: number) =>
      inRun(t * tenth, (t + 1) * tenth + (t === 9 ? 1 : 0)).map((s) => s.rss);
    const byTenth = Array.from({ length: 10 }, (_, t) => Number(mean(tenthRss(t)).toFixed(1)));
    // The least RSS of each tenth: memory the service holds between bursts of
    // work, without the buffers of whichever studies were in flight at a
    // sample. Retained memory (a leak, a cache filling) raises it; in-flight
    // work does not.
    const floorByTenth = Array.from({ length: 10 }, (_, t) =>
      Number(Math.min(...tenthRss(t)).toFixed(1)),
    );
    const heapIn = (lo: number, hi: number) =>
      heap
        .filter((h) => h.finished >= args.warmup + lo && h.finished < args.warmup + hi)
        .map((h) => h.heapUsed);

    // Where the resident memory is, by tenth: brk heap, anonymous, file-backed
    // mappings, and V8's committed heap spaces; and the anonymous mappings that
    // grew most between the first and the last tenth.
    const mapsIn = (lo: number, hi: number) =>
      maps.filter((m) => m.finished >= args.warmup + lo && m.finished < args.warmup + hi);
    const breakdownByTenth = Array.from({ length: 10 }, (_, t) => {
      const ms = mapsIn(t * tenth, (t + 1) * tenth + (t === 9 ? 1 : 0));
      const hs = heap.filter(
        (h) =>
          h.finished >= args.warmup + t * tenth &&
          h.finished < args.warmup + (t + 1) * tenth + (t === 9 ? 1 : 0),
      );
      const spaceNames = [...new Set(hs.flatMap((h) => Object.keys(h.spaces)))];
      return {
        heap: Number(mean(ms.map((m) => m.map.heap)).toFixed(1)),
        anon: Number(mean(ms.map((m) => m.map.anon)).toFixed(1)),
        file: Number(mean(ms.map((m) => m.map.file)).toFixed(1)),
        v8Committed: Object.fromEntries(
          spaceNames.map((n) => [n, Number(mean(hs.map((h) => h.spaces[n] ?? 0)).toFixed(1))]),
        ),
      };
    });
    const firstMap = mapsIn(0, tenth).at(-1)?.map;
    const lastMap = mapsIn(args.count - tenth, args.count + 1).at(-1)?.map;
    const anonGrowth =
      firstMap && lastMap
        ? [...new Set([...Object.keys(firstMap.anonByStart), ...Object.keys(lastMap.anonByStart)])]
            .map((start) => ({
              start,
              firstMiB: Number((firstMap.anonByStart[start] ?? 0).toFixed(1)),
              lastMiB: Number((lastMap.anonByStart[start] ?? 0).toFixed(1)),
            }))
            .sort((a, b) => Math.abs(b.lastMiB - b.firstMiB) - Math.abs(a.lastMiB - a.firstMiB))
            .slice(0, 12)
        : [];

    // A sample of studies: exactly one RadZ SR each (QIDO-RS by SOP Class).
    const dicomweb = new DicomWebClient({
      url: orthanc.dicomwebUrl,
      timeoutMs: 60_000,
      maxInstanceBytes: 1 << 28,
    });
    const step = Math.max(1, Math.floor(studyUids.length / 50));
    let checked = 0;
    let oneSr = 0;
    for (let i = 0; i < studyUids.length; i += step) {
      const found = await dicomweb.searchForInstances(studyUids[i]!, undefined, ["00080016"]);
      const srs = found.filter(
        (f) => f["00080016"]?.Value?.[0] === "1.2.840.10008.5.1.4.1.1.88.33", // Comprehensive SR
      ).length;
      checked++;
      if (srs === 1) oneSr++;
    }

    const cpus = os.cpus();
    const result = {
      studies: args.count,
      warmupStudies: args.warmup,
      done: done.length,
      notDone: rows.length - done.length,
      imageSize: `${args.size}x${args.size}`,
      concurrency: args.concurrency,
      window: args.window,
      wallMinutes: Number(minutes.toFixed(2)),
      studiesPerMinute: Number((rows.length / minutes).toFixed(1)),
      latencyMs: {
        p50: quantile(latencies, 0.5),
        p95: quantile(latencies, 0.95),
        max: latencies[latencies.length - 1] ?? NaN,
      },
      rssMiB: {
        peak: Number(peak.toFixed(1)),
        warmup: Number(mean(warmup).toFixed(1)),
        first10pct: Number(mean(first).toFixed(1)),
        last10pct: Number(mean(last).toFixed(1)),
        byTenth,
        floorByTenth,
        // After the warm-up (afterTenth 0) and after each tenth, idle: what the service keeps.
        atRest,
        atRestFirstToLastPct: firstToLastPct(atRest, (r) => r.rssMiB),
        afterGcFirstToLastPct: firstToLastPct(atRest, (r) => r.afterGcMiB),
        // The least-squares slope of the after-GC reads over tenths 1–10, per 1,000 studies.
        afterGcSlopeMiBPer1000: slopePer1000(
          atRest.filter((r) => r.afterTenth >= 1),
          (r) => r.afterGcMiB,
        ),
        samples: samples.length,
      },
      residentByKindMiB: { byTenth: breakdownByTenth, anonGrowth },
      heapUsedMiB: {
        first10pct: Number(mean(heapIn(0, tenth)).toFixed(1)),
        last10pct: Number(mean(heapIn(args.count - tenth, args.count + 1)).toFixed(1)),
        samples: heap.length,
      },
      srCheck: { sampled: checked, exactlyOne: oneSr },
      // "RSS does not grow": what the service retains at rest (after a full GC)
      // after the last tenth is within GROWTH_LIMIT_PCT of that after the first.
      rssDoesNotGrow: (() => {
        const pct = firstToLastPct(atRest, (r) => r.afterGcMiB);
        return {
          limitPct: GROWTH_LIMIT_PCT,
          afterGcFirstToLastPct: pct,
          holds: pct !== null && pct <= GROWTH_LIMIT_PCT,
        };
      })(),
      machine: {
        cpu: cpus[0]?.model ?? "unknown",
        cores: cpus.length,
        memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
        mallocArenaMax,
        mallocMmapThreshold,
        node: process.version,
        orthanc: "1.10.1 (local, StableAge 1 s)",
        // Other work on the machine inflates times: the 1-minute load average during the run.
        loadAverage: Number(mean(samples.map((s) => s.load1)).toFixed(1)),
      },
      at: new Date().toISOString(),
    };
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(
      args.out,
      JSON.stringify(
        { ...result, rssSamples: samples, heapSamples: heap, mapsSamples: maps },
        null,
        2,
      ),
    );
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    if (result.notDone > 0 || oneSr !== checked) process.exitCode = 1;
    // Without rests there is no at-rest read to judge growth by.
    if (args.rest > 0 && !result.rssDoesNotGrow.holds) process.exitCode = 1;
  } finally {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child!.once("exit", r));
    }
    await orthanc.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
