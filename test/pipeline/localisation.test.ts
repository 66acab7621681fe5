import { expect } from "chai";
import { rmSync } from "node:fs";
import { initCodecs, parseInstance, type DicomInstance } from "../../src/imaging/index.js";
import { loadModel, type LabelScore, type ZeroShotModel } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/logger.js";
import { analyzeImages, resultRegion } from "../../src/pipeline/analyze.js";
import { Stopwatch } from "../../src/pipeline/stopwatch.js";
import { generateSyntheticStudies, type SyntheticStudy } from "../../src/synthetic/index.js";
import { copyBundle, demoBundleDir, editManifest } from "../model/bundle-fixtures.js";

const CPU = { executionProviders: ["cpu"] as const, requireGpu: false, logger: silentLogger() };
const config = {
  imaging: { windowIndex: 0, maxPixels: 100_000_000 },
  model: { aggregation: "max" as const },
};

function inBox(p: readonly [number, number], b: readonly number[]): boolean {
  return p[0] >= b[0]! && p[0] <= b[2]! && p[1] >= b[1]! && p[1] <= b[3]!;
}

describe("pipeline: where the findings are (demo bundle's spatial output)", function () {
  this.timeout(120_000);
  let dir: string;
  let remove: () => void;
  let model: ZeroShotModel;
  before(async () => {
    await initCodecs();
    ({ dir, remove } = await demoBundleDir());
    model = await loadModel(dir, { ...CPU, executionProviders: ["cpu"] });
  });
  after(async () => {
    await model?.close();
    remove?.();
  });

  const analyse = (
    m: ZeroShotModel,
    s: SyntheticStudy,
    localise: "positive" | "all" = "positive",
  ): Promise<LabelScore[]> =>
    analyzeImages(
      s.instances.map((b): DicomInstance => parseInstance(b)),
      m,
      config as never,
      new Stopwatch(),
      m,
      { localise },
    ).then((a) => a.findings);

  it("gives every positive finding regions whose peak lies in the box the generator drew (square and non-square images, 2 images per study)", async () => {
    for (const [rows, columns] of [
      [256, 256],
      [300, 420], // wide: padded top and bottom
      [400, 280], // tall: padded left and right
    ] as const) {
      const studies = generateSyntheticStudies({
        count: 6,
        seed: 31,
        rows,
        columns,
        imagesPerStudy: 2,
        findingRate: 0.5,
      });
      let checked = 0;
      for (const s of studies) {
        const findings = await analyse(model, s);
        for (const f of findings) {
          if (!f.positive) {
            expect(f.regions, `${f.labelId} negative: no regions`).to.equal(undefined);
            continue;
          }
          expect(f.regions!.length, `${f.labelId} ${rows}x${columns}`).to.be.greaterThan(0);
          for (const r of f.regions!) {
            expect(s.sopInstanceUids).to.include(r.sopInstanceUid);
            expect(r.frame).to.equal(1);
            const [x0, y0, x1, y1] = r.box;
            expect(x0).to.be.within(0, columns);
            expect(x1).to.be.within(x0, columns);
            expect(y0).to.be.within(0, rows);
            expect(y1).to.be.within(y0, rows);
            expect(inBox(r.peak, r.box)).to.equal(true);
            expect(r.polygon.length).to.be.at.least(3);
            for (const p of r.polygon) expect(inBox(p, r.box)).to.equal(true);
            expect(r.score).to.be.within(0, 1);
          }
          if (!s.labels.includes(f.labelId as never)) continue;
          // The first region on each image is the strongest; it points at what was drawn there.
          for (const uid of s.sopInstanceUids) {
            const top = f.regions!.find((r) => r.sopInstanceUid === uid);
            const drawn = s.drawn.find((d) => d.sopInstanceUid === uid && d.label === f.labelId);
            if (!top || !drawn) continue;
            expect(inBox(top.peak, drawn.box), `${f.labelId} ${rows}x${columns}`).to.equal(true);
            checked++;
          }
        }
      }
      expect(checked, `${rows}x${columns}`).to.be.greaterThan(5);
    }
  });

  it("localise 'all' gives every label regions; results carry them in the JSON shape", async () => {
    const [s] = generateSyntheticStudies({ count: 1, seed: 5, rows: 200, columns: 200 });
    const findings = await analyse(model, s!, "all");
    expect(findings.every((f) => f.regions !== undefined)).to.equal(true);
    const r = findings.find((f) => f.regions!.length > 0)!.regions![0]!;
    const json = resultRegion(r);
    expect(Object.keys(json)).to.deep.equal([
      "sopInstanceUID",
      "frame",
      "peak",
      "box",
      "polygon",
      "score",
    ]);
    expect(json.sopInstanceUID).to.equal(r.sopInstanceUid);
  });

  it("a bundle without the spatial output (schemaVersion 1) loads and scores the same, with no regions", async () => {
    const plain = copyBundle(dir);
    editManifest(plain, (m) => {
      m.schemaVersion = 1;
      delete (m.imageEncoder as Record<string, unknown>).spatialOutputName;
    });
    const without = await loadModel(plain, { ...CPU, executionProviders: ["cpu"] });
    try {
      expect(without.patchGrid).to.equal(null);
      expect(model.patchGrid).to.deep.equal([56, 56]);
      const studies = generateSyntheticStudies({ count: 4, seed: 77, rows: 192, columns: 192 });
      for (const s of studies) {
        const a = await analyse(model, s);
        const b = await analyse(without, s);
        b.forEach((f, k) => {
          expect(f.regions).to.equal(undefined);
          expect(f.logit).to.be.closeTo(a[k]!.logit, 1e-5);
          expect(f.probability).to.be.closeTo(a[k]!.probability, 1e-5);
          expect(f.positive).to.equal(a[k]!.positive);
        });
      }
      const [enc] = await without.encodeImages([new Float32Array(224 * 224)]);
      expect(enc!.patches).to.equal(undefined);
    } finally {
      await without.close();
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
