/**
 * `radz infer` (src/pipeline/infer-files.ts) writes the summary image beside
 * the SR, lists both in `outputs`, and writes the SR alone when
 * report.summaryImage is off. Both files pass dciodvfy and belong together
 * (same series, same study).
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { SopClassUid } from "../../src/dicom/index.js";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.js";
import { loadModel, writeDemoBundle, type ZeroShotModel } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { inferFiles, type InferOutcome } from "../../src/pipeline/infer-files.js";
import { readPart10 } from "../../src/report/dcmjs.js";
import { readStudyReport, reportUids } from "../../src/report/index.js";
import { writeSyntheticStudies } from "../../src/synthetic/index.js";
import { dciodvfy } from "../helpers/dicom-tools.js";

describe("radz infer: SR and summary image files", function () {
  this.timeout(60_000);
  let work: string;
  let model: ZeroShotModel;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "radz-infer-summary-"));
    await writeDemoBundle(join(work, "bundle"));
    model = await loadModel(join(work, "bundle"), {
      executionProviders: ["cpu"],
      requireGpu: false,
      logger: silentLogger(),
    });
    await writeSyntheticStudies(join(work, "data"), { count: 1, seed: 4, rows: 256, columns: 256 });
  });
  after(async () => {
    await model.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function run(summaryImage: boolean, out: string): Promise<InferOutcome[]> {
    const config = loadConfig({ env: {}, overrides: { report: { summaryImage } } });
    const outcomes: InferOutcome[] = [];
    for await (const o of inferFiles([join(work, "data")], {
      model,
      config,
      outDir: out,
      logger: silentLogger(),
      softwareVersion: "0.0.0-test",
    }))
      outcomes.push(o);
    return outcomes;
  }

  it("writes <study>.summary.dcm beside <study>.sr.dcm and lists both", async () => {
    const out = join(work, "out-on");
    const [outcome] = await run(true, out);
    expect(outcome?.state).to.equal("done");
    const study = outcome!.studyInstanceUID!;
    expect(outcome!.outputs).to.deep.equal([
      join(out, `${study}.sr.dcm`),
      join(out, `${study}.summary.dcm`),
    ]);
    const sr = readStudyReport(new Uint8Array(readFileSync(outcome!.outputs[0]!)));
    const summary = readPart10(new Uint8Array(readFileSync(outcome!.outputs[1]!))).dataset;
    expect(summary.SOPClassUID).to.equal(SopClassUid.SecondaryCaptureImageStorage);
    expect(summary.SOPInstanceUID).to.equal(
      reportUids(study, model.identity).summarySopInstanceUid,
    );
    // Its own series (Modality OT, report.summarySeriesNumber), not the SR's.
    expect(summary.SeriesInstanceUID).to.equal(
      reportUids(study, model.identity).summarySeriesInstanceUid,
    );
    expect(summary.SeriesInstanceUID).to.not.equal(sr.seriesInstanceUid);
    expect([summary.Modality, summary.SeriesNumber]).to.deep.equal(["OT", 9901]);
    expect(summary.StudyInstanceUID).to.equal(study);
    const srDataset = readPart10(new Uint8Array(readFileSync(outcome!.outputs[0]!))).dataset;
    expect(
      [summary.ContentDate, summary.ContentTime],
      "one content date/time for both objects",
    ).to.deep.equal([srDataset.ContentDate, srDataset.ContentTime]);
    expect(outcome!.timings).to.have.property("summary");
    for (const file of outcome!.outputs) {
      const iod = dciodvfy(file);
      expect(iod.errors, iod.output).to.deep.equal([]);
    }
  });

  it("writes the SR alone when report.summaryImage is false", async () => {
    const out = join(work, "out-off");
    const [outcome] = await run(false, out);
    expect(outcome?.state).to.equal("done");
    expect(outcome!.outputs).to.have.length(1);
    expect(outcome!.outputs[0]).to.match(/\.sr\.dcm$/);
    expect(existsSync(join(out, `${outcome!.studyInstanceUID}.summary.dcm`))).to.equal(false);
  });
});
