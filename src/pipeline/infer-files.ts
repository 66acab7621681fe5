/**
 * `radz infer`: the service's pipeline without Orthanc. Reads Part-10 files,
 * groups them by study, runs the same analyze/report code, writes one SR per
 * study (`<study>.sr.dcm`) and, unless `report.summaryImage` is off, its
 * summary image (`<study>.summary.dcm`). A bad file fails its study (or itself, when not even its study can be
 * read), never the run.
 */
import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Config } from "../config/index.js";
import { toRadzError } from "../errors.js";
import { initCodecs, parseInstance, type DicomInstance } from "../imaging/index.js";
import { candidateFromInstance, selectImages, type ImageCandidate } from "../intake/index.js";
import type { ResultRegion } from "../jobs/index.js";
import type { ZeroShotModel } from "../model/index.js";
import type { Logger } from "../observability/index.js";
import { analyzeImages, buildReport, resultRegion } from "./analyze.js";
import { Stopwatch } from "./stopwatch.js";

export interface InferOutcome {
  studyInstanceUID: string | null;
  state: "done" | "skipped" | "failed";
  findings: {
    label: string;
    probability: number;
    positive: boolean;
    /** Where the finding is (bundles with a spatial output): positive findings, or every label with localise "all". */
    regions?: ResultRegion[];
  }[];
  priority: "urgent" | "review" | "routine" | null;
  outputs: string[];
  timings: Record<string, number>;
  error?: { code: string; message: string };
  /** Files that could not be attributed to a study. */
  files?: string[];
}

export interface InferFilesOptions {
  model: ZeroShotModel;
  config: Pick<Config, "imaging" | "model" | "report" | "selection" | "dicomweb">;
  outDir: string;
  logger: Logger;
  softwareVersion: string;
  /** Which findings get regions (default "positive"; radz eval uses "all"). */
  localise?: "positive" | "all";
}

async function* walk(path: string): AsyncGenerator<string> {
  const s = await stat(path);
  if (s.isDirectory()) {
    const entries = (await readdir(path)).sort();
    for (const e of entries) yield* walk(join(path, e));
  } else if (s.isFile()) {
    yield path;
  }
}

/**
 * A file is treated as DICOM when it has the Part-10 "DICM" prefix or a .dcm
 * name; anything else in a folder (truth.csv, READMEs) is ignored, while a
 * broken .dcm file fails as itself.
 */
function looksLikeDicom(path: string, bytes: Uint8Array): boolean {
  const magic = bytes.length >= 132 && String.fromCharCode(...bytes.subarray(128, 132)) === "DICM";
  return magic || /\.dcm$/i.test(path);
}

export async function* inferFiles(
  inputs: readonly string[],
  o: InferFilesOptions,
): AsyncGenerator<InferOutcome> {
  await initCodecs(); // the WebAssembly image codecs, loaded once per process
  const limits = { maxBytes: o.config.dicomweb.maxInstanceBytes };
  const studies = new Map<string, { path: string; candidate: ImageCandidate }[]>();
  const unreadable: { path: string; code: string; message: string }[] = [];
  const ignored: string[] = [];

  // Pass 1: headers only kept in memory (path + selection fields), never pixels.
  for (const input of inputs) {
    for await (const path of walk(resolve(input))) {
      try {
        const bytes = new Uint8Array(await readFile(path));
        if (!looksLikeDicom(path, bytes)) {
          ignored.push(path);
          continue;
        }
        const instance = parseInstance(bytes, limits);
        const list = studies.get(instance.studyInstanceUid) ?? [];
        list.push({ path, candidate: candidateFromInstance(instance) });
        studies.set(instance.studyInstanceUid, list);
      } catch (err) {
        const e = toRadzError(err, "DICOM_PARSE_ERROR");
        unreadable.push({ path, code: e.code, message: e.message });
      }
    }
  }

  if (ignored.length > 0)
    o.logger.info(
      { ignored: ignored.length },
      "ignored files that are not DICOM (no DICM prefix, no .dcm name)",
    );
  await mkdir(o.outDir, { recursive: true });
  for (const [studyUid, files] of studies) {
    const clock = new Stopwatch();
    try {
      const { selected, rejected } = selectImages(
        files.map((f) => f.candidate),
        o.config.selection,
      );
      if (selected.length === 0) {
        const reasons = [...new Set(rejected.map((r) => r.reason))].slice(0, 5).join("; ");
        yield {
          studyInstanceUID: studyUid,
          state: "skipped",
          findings: [],
          priority: null,
          outputs: [],
          timings: {},
          error: {
            code: "NO_ELIGIBLE_IMAGES",
            message: `no eligible chest radiograph${reasons ? `: ${reasons}` : ""}`,
          },
        };
        continue;
      }
      const instances: DicomInstance[] = [];
      for (const c of selected) {
        const path = files.find((f) => f.candidate.sopInstanceUid === c.sopInstanceUid)!.path;
        const bytes = new Uint8Array(await readFile(path));
        instances.push(clock.time("parse", () => parseInstance(bytes, limits)));
      }
      const analysis = await analyzeImages(instances, o.model, o.config, clock, o.model, {
        localise: o.localise ?? "positive",
      });
      const report = await buildReport(
        analysis,
        instances[0]!,
        o.model,
        o.config,
        o.softwareVersion,
        clock,
      );
      const out = join(o.outDir, `${studyUid}.sr.dcm`);
      await writeFile(out, report.sr.part10);
      const outputs = [out];
      if (report.summary) {
        const summaryOut = join(o.outDir, `${studyUid}.summary.dcm`);
        await writeFile(summaryOut, report.summary.part10);
        outputs.push(summaryOut);
      }
      yield {
        studyInstanceUID: studyUid,
        state: "done",
        findings: analysis.findings.map((f) => ({
          label: f.labelId,
          probability: f.probability,
          positive: f.positive,
          ...(f.regions ? { regions: f.regions.map(resultRegion) } : {}),
        })),
        priority: analysis.triage.priority,
        outputs,
        timings: clock.toJSON(),
      };
    } catch (err) {
      const e = toRadzError(err);
      o.logger.warn({ code: e.code }, "study failed in offline inference");
      yield {
        studyInstanceUID: studyUid,
        state: "failed",
        findings: [],
        priority: null,
        outputs: [],
        timings: clock.toJSON(),
        error: { code: e.code, message: e.message },
      };
    }
  }

  for (const u of unreadable) {
    yield {
      studyInstanceUID: null,
      state: "failed",
      findings: [],
      priority: null,
      outputs: [],
      timings: {},
      error: { code: u.code, message: u.message },
      files: [u.path],
    };
  }
}
