/**
 * What RadZ costs the PACS: Orthanc's own CPU-seconds (utime + stime from
 * /proc/<pid>/stat) and reads (/proc/<pid>/io: rchar = bytes of read calls —
 * storage, index and sockets; read_bytes = from the disk) while RadZ handles
 *
 *   (a) a 600-instance CT study it skips (512×512, 16-bit),
 *   (b) a 2-image DX study it processes (`--size` px square, 16-bit, default 2048;
 *       a flat-panel chest detector gives ~2800: SR + summary image stored),
 *
 * beside the bare cost of (b) measured in the same run on a twin study: WADO-RS
 * retrieve of its 2 images + one STOW-RS of the same result objects — the SR
 * and the summary image, each in its series (UIDs rewritten). On Orthanc 1.10 (the host's) and 1.12 (Debian 13's tree, see
 * tools/orthanc-trixie.sh), each with its storage cache off so every file read
 * reaches the storage area. The real service (createService) runs with polling
 * and the sweep off; each study is enqueued by hand once Orthanc calls it
 * stable and has gone idle, so the window holds RadZ's work on that study only.
 *
 *   npm run bench:footprint [-- --reps 5] [--batch 3] [--size 2048] [--versions 1.10,1.12] [--out bench-output/footprint.json]
 *
 * Each repetition measures one CT study and `batch` DX studies (and as many
 * twins) in one window, reported per study: /proc counts CPU in 10 ms ticks.
 * Medians over the repetitions. Exit 1 when a target is missed: skipped CT
 * ≤ 0.05 s Orthanc CPU; processed DX ≤ 1.2 × the bare WADO-RS + STOW-RS CPU.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { createService } from "../src/app.js";
import { loadConfig } from "../src/config/index.js";
import { DicomWebClient } from "../src/dicomweb/index.js";
import { isTerminal } from "../src/jobs/index.js";
import { writeDemoBundle } from "../src/model/index.js";
import { silentLogger } from "../src/observability/index.js";
import { OrthancClient, startLocalOrthanc, type LocalOrthanc } from "../src/orthanc/index.js";
import { generateSyntheticStudies, type SyntheticStudy } from "../src/synthetic/index.js";
import {
  makeTestInstance,
  orthanc112RootPath,
  randomUid,
  readPart10,
  writePart10,
} from "../test/helpers/orthanc.js";

const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
const CT_INSTANCES = 600;
const CPU_TARGET_SKIPPED_S = 0.05;
const DX_RATIO_TARGET = 1.2;
/** clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const TICKS = 100;

const { values: args } = parseArgs({
  options: {
    reps: { type: "string", default: "5" },
    batch: { type: "string", default: "3" },
    size: { type: "string", default: "2048" },
    versions: { type: "string", default: "1.10,1.12" },
    out: { type: "string", default: "bench-output/footprint.json" },
  },
});
const reps = Number(args.reps);
const batch = Number(args.batch);
const DX_SIZE = Number(args.size);
const versions = args.versions.split(",").map((v) => v.trim());

interface Cost {
  cpuS: number;
  rcharBytes: number;
  readBytes: number;
}

function sample(pid: number): Cost {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const io = Object.fromEntries(
    readFileSync(`/proc/${pid}/io`, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(": ") as [string, string]),
  );
  return {
    // Fields 14 and 15 of stat (utime, stime); index 11 and 12 after "pid (comm) ".
    cpuS: (Number(fields[11]) + Number(fields[12])) / TICKS,
    rcharBytes: Number(io.rchar),
    readBytes: Number(io.read_bytes),
  };
}

/**
 * Waits until Orthanc has used no CPU for 1 s: its own work after an upload
 * (e.g. DICOMweb ≥ 1.15 builds each stable series' metadata cache by reading
 * every file) is not RadZ's.
 */
async function waitIdle(pid: number): Promise<void> {
  let last = sample(pid).cpuS;
  for (let quiet = 0, i = 0; quiet < 2 && i < 240; i++) {
    await sleep(500);
    const now = sample(pid).cpuS;
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}

/** Orthanc's cost of `work` (from idle; after it, a short settle for answers still being written). */
async function measure(pid: number, work: () => Promise<void>): Promise<Cost> {
  await waitIdle(pid);
  const before = sample(pid);
  await work();
  await sleep(300);
  const after = sample(pid);
  return {
    cpuS: after.cpuS - before.cpuS,
    rcharBytes: after.rcharBytes - before.rcharBytes,
    readBytes: after.readBytes - before.readBytes,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function waitStable(client: OrthancClient, orthancId: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await client.study(orthancId)).isStable) return;
    await sleep(200);
  }
  throw new Error("study did not become stable");
}

async function upload(client: OrthancClient, parts: readonly Uint8Array[]): Promise<string> {
  let id = "";
  for (const p of parts) id = (await client.uploadInstance(p)).parentStudy;
  return id;
}

function ctStudy(): Uint8Array[] {
  const studyInstanceUid = randomUid();
  const seriesInstanceUid = randomUid();
  return Array.from(
    { length: CT_INSTANCES },
    (_, i) =>
      makeTestInstance({
        studyInstanceUid,
        seriesInstanceUid,
        sopClassUid: CT_IMAGE_STORAGE,
        modality: "CT",
        bodyPartExamined: "HEAD",
        viewPosition: "",
        rows: 512,
        columns: 512,
        instanceNumber: i + 1,
      }).bytes,
  );
}

/** The same objects moved into another study (new study, series and SOP instance UIDs). */
function intoStudy(parts: readonly Uint8Array[], studyInstanceUid: string): Uint8Array[] {
  const series = new Map<string, string>();
  return parts.map((bytes) => {
    const { meta, dataset } = readPart10(bytes);
    const seriesUid = String(dataset.SeriesInstanceUID);
    if (!series.has(seriesUid)) series.set(seriesUid, randomUid());
    const sop = randomUid();
    return writePart10(
      { ...meta, MediaStorageSOPInstanceUID: sop },
      {
        ...dataset,
        StudyInstanceUID: studyInstanceUid,
        SeriesInstanceUID: series.get(seriesUid),
        SOPInstanceUID: sop,
      },
    );
  });
}

interface VersionResult {
  version: string;
  skippedCt: Cost[];
  processedDx: Cost[];
  bareDx: Cost[];
}

/** Repetition `rep`'s DX studies: `batch` to process, then `batch` twins (the same for every version). */
function dxStudiesFor(rep: number): SyntheticStudy[] {
  return generateSyntheticStudies({
    count: 2 * batch,
    seed: 20 + rep,
    rows: DX_SIZE,
    columns: DX_SIZE,
    imagesPerStudy: 2,
  });
}

const per = (c: Cost, n: number): Cost => ({
  cpuS: c.cpuS / n,
  rcharBytes: c.rcharBytes / n,
  readBytes: c.readBytes / n,
});

async function runVersion(label: string, work: string): Promise<VersionResult> {
  let rootDir: string | undefined;
  if (label === "1.12") {
    rootDir = orthanc112RootPath();
    if (!existsSync(join(rootDir, ".radz-complete")))
      throw new Error(`Orthanc 1.12: no tree at ${rootDir}; build it with tools/orthanc-trixie.sh`);
  }
  const orthanc: LocalOrthanc = await startLocalOrthanc({
    stableAgeSeconds: 1,
    ...(rootDir === undefined ? {} : { rootDir }),
    // Every file read reaches the storage area (Orthanc >= 1.10 caches files by default).
    extraConfig: { MaximumStorageCacheSize: 0 },
  });
  const pid = orthanc.process.pid!;
  const client = new OrthancClient({ url: orthanc.url, timeoutMs: 60_000 });
  const version = (await client.system()).version;
  const dicomweb = new DicomWebClient({
    url: orthanc.dicomwebUrl,
    timeoutMs: 60_000,
    maxInstanceBytes: 1 << 28,
  });
  const config = loadConfig({
    env: {},
    overrides: {
      orthanc: { url: orthanc.url },
      jobs: { dbPath: join(work, `radz-${label}.sqlite`) },
      intake: { poll: false, sweep: false },
      model: { bundle: join(work, "bundle") },
      http: { port: 0 },
      log: { level: "silent" },
    },
  });
  const service = await createService(config, silentLogger());
  await service.start();
  const result: VersionResult = { version, skippedCt: [], processedDx: [], bareDx: [] };
  const runJobs = async (orthancIds: string[], want: "skipped" | "done"): Promise<void> => {
    for (const id of orthancIds) service.store.enqueue(id, "manual");
    service.runner.wake();
    for (const id of orthancIds) {
      for (let i = 0; ; i++) {
        const job = service.store.getByStudy(id);
        if (job && isTerminal(job.state)) {
          if (job.state !== want)
            throw new Error(`job ended ${job.state}: ${JSON.stringify(job.lastError)}`);
          break;
        }
        if (i > 2400) throw new Error("job did not finish");
        await sleep(25);
      }
    }
  };
  try {
    for (let rep = 0; rep < reps; rep++) {
      // (a) the CT study RadZ skips.
      const ct = await upload(client, ctStudy());
      await waitStable(client, ct);
      result.skippedCt.push(await measure(pid, () => runJobs([ct], "skipped")));

      // (b) DX studies RadZ processes, and their twins read and written bare.
      const studies = dxStudiesFor(rep);
      const dx = studies.slice(0, batch);
      const twins = studies.slice(batch);
      const dxIds: string[] = [];
      for (const s of dx) dxIds.push(await upload(client, s.instances));
      for (const s of twins) await upload(client, s.instances);
      for (const id of dxIds) await waitStable(client, id);
      result.processedDx.push(per(await measure(pid, () => runJobs(dxIds, "done")), batch));
      // Every result object RadZ stored (the SR and the summary image, each in a
      // series of its own), moved into each twin (not measured).
      const twinObjects: Uint8Array[][] = [];
      for (const [i, s] of dx.entries()) {
        const parts: Uint8Array[] = [];
        const seriesUids = (await dicomweb.searchForSeries(s.studyInstanceUid, {}))
          .map((j) => String((j["0020000E"]?.Value as string[])[0]))
          .filter((uid) => uid !== s.seriesInstanceUid);
        if (seriesUids.length !== 2)
          throw new Error(`expected SR + summary series, got ${seriesUids.length}`);
        for (const seriesUid of seriesUids) {
          const sops = (await dicomweb.retrieveSeriesMetadata(s.studyInstanceUid, seriesUid)).map(
            (j) => String((j["00080018"]?.Value as string[])[0]),
          );
          for (const sop of sops)
            parts.push(await dicomweb.retrieveInstance(s.studyInstanceUid, seriesUid, sop));
        }
        twinObjects.push(intoStudy(parts, twins[i]!.studyInstanceUid));
      }
      result.bareDx.push(
        per(
          await measure(pid, async () => {
            for (const [i, twin] of twins.entries()) {
              for (const sop of twin.sopInstanceUids)
                await dicomweb.retrieveInstance(twin.studyInstanceUid, twin.seriesInstanceUid, sop);
              await dicomweb.storeInstances(twinObjects[i]!, twin.studyInstanceUid);
            }
          }),
          batch,
        ),
      );
      process.stderr.write(
        `  ${version} rep ${rep + 1}/${reps}: CT ${result.skippedCt.at(-1)!.cpuS.toFixed(2)} s, ` +
          `DX ${result.processedDx.at(-1)!.cpuS.toFixed(2)} s vs bare ${result.bareDx.at(-1)!.cpuS.toFixed(2)} s\n`,
      );
    }
  } finally {
    await service.stop();
    await orthanc.stop();
  }
  return result;
}

const mb = (b: number): string => (b / 1e6).toFixed(2);

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "radz-bench-footprint-"));
  try {
    await writeDemoBundle(join(work, "bundle"));
    const results: VersionResult[] = [];
    for (const v of versions) results.push(await runVersion(v, work));

    const rows: string[] = [];
    let ok = true;
    rows.push(
      "| Orthanc | (a) skipped CT, 600 inst.: CPU | rchar | read_bytes | (b) processed DX: CPU | rchar | bare WADO+STOW: CPU | rchar | (b) / bare CPU |",
      "| --- | --: | --: | --: | --: | --: | --: | --: | --: |",
    );
    const summary = results.map((r) => {
      const m = (xs: Cost[], k: keyof Cost) => median(xs.map((x) => x[k]));
      const ct = m(r.skippedCt, "cpuS");
      const dx = m(r.processedDx, "cpuS");
      const bare = m(r.bareDx, "cpuS");
      const ratio = bare > 0 ? dx / bare : Number.POSITIVE_INFINITY;
      ok &&= ct <= CPU_TARGET_SKIPPED_S && ratio <= DX_RATIO_TARGET;
      rows.push(
        `| ${r.version} | ${ct.toFixed(2)} s | ${mb(m(r.skippedCt, "rcharBytes"))} MB | ${mb(m(r.skippedCt, "readBytes"))} MB | ` +
          `${dx.toFixed(2)} s | ${mb(m(r.processedDx, "rcharBytes"))} MB | ${bare.toFixed(2)} s | ${mb(m(r.bareDx, "rcharBytes"))} MB | ${ratio.toFixed(2)} |`,
      );
      return { ...r, medians: { skippedCtCpuS: ct, processedDxCpuS: dx, bareDxCpuS: bare, ratio } };
    });
    console.log(
      `Orthanc's own cost of RadZ per study, medians of ${reps} repetitions (${batch} DX studies of ${DX_SIZE}² per window; CPU from /proc/<pid>/stat):\n`,
    );
    console.log(rows.join("\n"));
    console.log(
      `\ntargets: skipped CT ≤ ${CPU_TARGET_SKIPPED_S} s; processed DX ≤ ${DX_RATIO_TARGET} × bare — ${ok ? "met" : "MISSED"}`,
    );
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(
      args.out,
      JSON.stringify({ reps, batch, dxSize: DX_SIZE, results: summary }, null, 2),
    );
    if (!ok) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
