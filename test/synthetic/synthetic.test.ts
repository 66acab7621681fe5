import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { SopClassUid, TransferSyntaxUid } from "../../src/dicom/index.js";
import { radz } from "../cli/run-cli.js";
import { dcmjsData } from "../../src/synthetic/dcmjs-data.js";
import {
  SYNTHETIC_LABELS,
  REGIONS_CSV_HEADER,
  generateSyntheticStudies,
  regionsCsv,
  truthCsv,
  writeSyntheticStudies,
} from "../../src/synthetic/index.js";
import {
  DrawnExtents,
  STORED_OFFSET,
  STORED_RANGE,
  renderChestPhantom,
  type ImageJitter,
  type StudyFindings,
} from "../../src/synthetic/phantom.js";

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), "radz-synth-"));
}

function readDataset(bytes: Uint8Array): {
  meta: Record<string, unknown>;
  ds: Record<string, unknown>;
} {
  const ab = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  const dict = dcmjsData.DicomMessage.readFile(ab);
  return {
    meta: dcmjsData.DicomMetaDictionary.naturalizeDataset(dict.meta),
    ds: dcmjsData.DicomMetaDictionary.naturalizeDataset(dict.dict),
  };
}

describe("synthetic studies", () => {
  it("are byte-identical for the same seed and differ for another seed", () => {
    const a = generateSyntheticStudies({ count: 3, seed: 42, rows: 128, columns: 128 });
    const b = generateSyntheticStudies({ count: 3, seed: 42, rows: 128, columns: 128 });
    const c = generateSyntheticStudies({ count: 3, seed: 43, rows: 128, columns: 128 });
    for (let i = 0; i < 3; i++) {
      expect(Buffer.from(a[i]!.instances[0]!).equals(Buffer.from(b[i]!.instances[0]!))).to.equal(
        true,
      );
      expect(a[i]!.studyInstanceUid).to.equal(b[i]!.studyInstanceUid);
      expect(a[i]!.labels).to.deep.equal(b[i]!.labels);
      expect(Buffer.from(a[i]!.instances[0]!).equals(Buffer.from(c[i]!.instances[0]!))).to.equal(
        false,
      );
      expect(a[i]!.studyInstanceUid).to.not.equal(c[i]!.studyInstanceUid);
    }
  });

  it("writes a DX For Presentation Part-10 file with the expected attributes and 2.25 UIDs", () => {
    const [study] = generateSyntheticStudies({
      count: 1,
      seed: 9,
      rows: 200,
      columns: 160,
      imagesPerStudy: 2,
    });
    expect(study!.instances).to.have.length(2);
    const { meta, ds } = readDataset(study!.instances[1]!);
    expect(meta.TransferSyntaxUID).to.equal(TransferSyntaxUid.ExplicitVRLittleEndian);
    expect(ds.SOPClassUID).to.equal(SopClassUid.DigitalXRayImageStorageForPresentation);
    expect(ds.Modality).to.equal("DX");
    expect(ds.PresentationIntentType).to.equal("FOR PRESENTATION");
    expect(ds.PhotometricInterpretation).to.equal("MONOCHROME2");
    expect(ds.ViewPosition).to.equal("PA");
    expect(ds.BodyPartExamined).to.equal("CHEST");
    expect(ds.StudyDescription).to.equal("CHEST PA");
    expect(ds.BitsAllocated).to.equal(16);
    expect(ds.BitsStored).to.equal(12);
    expect(ds.HighBit).to.equal(11);
    expect(ds.Rows).to.equal(200);
    expect(ds.Columns).to.equal(160);
    expect(ds.InstanceNumber).to.equal(2);
    expect(ds.Manufacturer).to.equal("RadZ synthetic");
    expect(ds.StudyInstanceUID).to.equal(study!.studyInstanceUid);
    expect(ds.SOPInstanceUID).to.equal(study!.sopInstanceUids[1]);
    expect((ds.PatientName as { Alphabetic: string }[])[0]!.Alphabetic).to.equal(
      "SYNTHETIC^CASE0001",
    );
    for (const uid of [
      study!.studyInstanceUid,
      study!.seriesInstanceUid,
      ...study!.sopInstanceUids,
    ]) {
      expect(uid).to.match(/^2\.25\.[1-9]\d*$/);
      expect(uid.length).to.be.at.most(64);
    }
    expect(new Set(study!.sopInstanceUids).size).to.equal(2);
    const pixels = (ds.PixelData as ArrayBuffer[])[0]!;
    expect(pixels.byteLength).to.equal(200 * 160 * 2);
    const max = Math.max(...new Uint16Array(pixels));
    expect(max).to.be.below(4096);
  });

  it("passes dciodvfy without errors (also non-square and multi-image)", function () {
    const probe = spawnSync("dciodvfy", [], { encoding: "utf8" });
    if (probe.error) this.skip();
    const dir = tmp();
    try {
      const studies = [
        ...generateSyntheticStudies({ count: 2, seed: 3, rows: 256, columns: 256, findingRate: 1 }),
        ...generateSyntheticStudies({
          count: 1,
          seed: 4,
          rows: 300,
          columns: 240,
          imagesPerStudy: 2,
        }),
      ];
      const files = studies.flatMap((s, i) =>
        s.instances.map((bytes, j) => {
          const f = path.join(dir, `${i}-${j}.dcm`);
          writeFileSync(f, bytes);
          return f;
        }),
      );
      expect(files).to.have.length(4);
      for (const f of files) {
        const r = spawnSync("dciodvfy", [f], { encoding: "utf8" });
        const out = `${r.stdout}${r.stderr}`;
        const errors = out.split("\n").filter((l) => /^Error/.test(l));
        expect(errors, `${path.basename(f)}:\n${out}`).to.deep.equal([]);
        expect(out).to.contain("DXImageForPresentation");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("draws each finding independently at the given rate", () => {
    const none = generateSyntheticStudies({
      count: 5,
      seed: 1,
      rows: 64,
      columns: 64,
      findingRate: 0,
    });
    const all = generateSyntheticStudies({
      count: 5,
      seed: 1,
      rows: 64,
      columns: 64,
      findingRate: 1,
    });
    expect(none.every((s) => s.labels.length === 0)).to.equal(true);
    expect(all.every((s) => s.labels.join() === SYNTHETIC_LABELS.join())).to.equal(true);
    const some = generateSyntheticStudies({ count: 120, seed: 2, rows: 32, columns: 32 });
    for (const label of SYNTHETIC_LABELS) {
      const n = some.filter((s) => s.labels.includes(label)).length;
      expect(n, label).to.be.within(22, 64); // ~0.35 * 120 = 42
    }
  });

  it("renders findings as visible patterns", () => {
    const jitter: ImageJitter = {
      shiftX: 0,
      shiftY: 0,
      scale: 1,
      gain: 1,
      offset: 0,
      noiseSigma: 0,
      noiseSeed: 1,
    };
    const normal: StudyFindings = { labels: [], heartHalfWidth: 0.28 };
    const n = 256;
    const display = (img: Uint16Array, x: number, y: number): number => {
      const c = Math.floor(x * (n / 2) + n / 2);
      const r = Math.floor(y * (n / 2) + n / 2);
      return (img[r * n + c]! - STORED_OFFSET) / STORED_RANGE;
    };
    const base = renderChestPhantom(normal, jitter, n, n);
    // Pneumothorax on image left: the lateral apical rim becomes very dark.
    const ptx = renderChestPhantom(
      { ...normal, labels: ["pneumothorax"], pneumothorax: { side: -1, rim: 0.1, lowerY: 0 } },
      jitter,
      n,
      n,
    );
    expect(display(base, -0.69, -0.35)).to.be.above(0.15);
    expect(display(ptx, -0.69, -0.35)).to.be.below(0.08);
    // Effusion on image right: the lateral base becomes fluid-bright.
    const eff = renderChestPhantom(
      { ...normal, labels: ["pleural_effusion"], effusion: { side: 1, level: 0.25 } },
      jitter,
      n,
      n,
    );
    expect(display(base, 0.65, 0.35)).to.be.below(0.3);
    expect(display(eff, 0.65, 0.35)).to.be.above(0.5);
    // Cardiomegaly: the heart reaches further into the left lung field.
    const big = renderChestPhantom(
      { labels: ["cardiomegaly"], heartHalfWidth: 0.44 },
      jitter,
      n,
      n,
    );
    expect(display(base, 0.45, 0.2)).to.be.below(0.35);
    expect(display(big, 0.45, 0.2)).to.be.above(0.6);
    // Nodule: a small bright spot; consolidation: a large soft bright blob.
    const nod = renderChestPhantom(
      {
        ...normal,
        labels: ["nodule"],
        nodule: { side: -1, t: 0.45, y: -0.3, diameterMm: 10, amplitude: 0.4 },
      },
      jitter,
      n,
      n,
    );
    expect(display(nod, -0.45, -0.3) - display(base, -0.45, -0.3)).to.be.above(0.3);
    expect(display(nod, -0.45, -0.2)).to.equal(display(base, -0.45, -0.2));
    const con = renderChestPhantom(
      {
        ...normal,
        labels: ["consolidation"],
        consolidation: { side: 1, t: 0.45, y: -0.2, sigma: 0.09, amplitude: 0.35 },
      },
      jitter,
      n,
      n,
    );
    expect(display(con, 0.45, -0.2) - display(base, 0.45, -0.2)).to.be.above(0.3);
    expect(display(con, 0.45, -0.1) - display(base, 0.45, -0.1)).to.be.above(0.1);
  });

  it("writes <studyUid>/<n>.dcm and a truth.csv that matches the labels", async () => {
    const dir = tmp();
    try {
      const out = await writeSyntheticStudies(dir, {
        count: 4,
        seed: 5,
        rows: 64,
        columns: 64,
        imagesPerStudy: 2,
      });
      const studies = generateSyntheticStudies({
        count: 4,
        seed: 5,
        rows: 64,
        columns: 64,
        imagesPerStudy: 2,
      });
      expect(out.studies).to.equal(4);
      expect(out.files).to.have.length(8);
      expect(out.files[1]).to.equal(path.join(dir, studies[0]!.studyInstanceUid, "2.dcm"));
      expect(
        Buffer.from(readFileSync(out.files[1]!)).equals(Buffer.from(studies[0]!.instances[1]!)),
      ).to.equal(true);
      const csv = readFileSync(out.truthCsv, "utf8");
      expect(csv).to.equal(truthCsv(studies));
      const lines = csv.trimEnd().split("\n");
      expect(lines[0]).to.equal(
        "studyInstanceUID,pleural_effusion,pneumothorax,cardiomegaly,consolidation,nodule",
      );
      expect(lines).to.have.length(5);
      lines.slice(1).forEach((line, i) => {
        const [uid, ...flags] = line.split(",");
        expect(uid).to.equal(studies[i]!.studyInstanceUid);
        expect(flags.map(Number)).to.deep.equal(
          SYNTHETIC_LABELS.map((l) => (studies[i]!.labels.includes(l) ? 1 : 0)),
        );
      });
      const regions = readFileSync(out.regionsCsv, "utf8");
      expect(out.regionsCsv).to.equal(path.join(dir, "regions.csv"));
      expect(regions).to.equal(regionsCsv(studies));
      expect(regions.split("\n")[0]).to.equal(REGIONS_CSV_HEADER);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("records the box each finding was drawn in, on every image, inside the image and where it changed pixels", () => {
    const studies = generateSyntheticStudies({
      count: 12,
      seed: 21,
      rows: 240,
      columns: 320,
      imagesPerStudy: 2,
      findingRate: 0.6,
    });
    let boxes = 0;
    for (const s of studies) {
      for (const uid of s.sopInstanceUids) {
        const labels = s.drawn.filter((d) => d.sopInstanceUid === uid).map((d) => d.label);
        // Every finding present is drawn somewhere (a nodule or effusion is never all hidden).
        expect(labels).to.deep.equal([...s.labels]);
      }
      for (const d of s.drawn) {
        const [x0, y0, x1, y1] = d.box;
        expect(x0).to.be.within(0, x1 - 1);
        expect(y0).to.be.within(0, y1 - 1);
        expect(x1).to.be.at.most(320);
        expect(y1).to.be.at.most(240);
        boxes++;
      }
    }
    expect(boxes).to.be.greaterThan(20);
    // The box is where the pixels differ from the same image without that finding.
    const findings: StudyFindings = {
      labels: ["nodule"],
      heartHalfWidth: 0.28,
      nodule: { side: 1, t: 0.45, y: -0.2, diameterMm: 20, amplitude: 0.4 },
    };
    const jitter: ImageJitter = {
      shiftX: 0,
      shiftY: 0,
      scale: 1,
      gain: 1,
      offset: 0,
      noiseSigma: 0,
      noiseSeed: 1,
    };
    const extents = new DrawnExtents();
    const withNodule = renderChestPhantom(findings, jitter, 200, 200, undefined, extents);
    const without = renderChestPhantom(
      { ...findings, labels: [], nodule: undefined },
      jitter,
      200,
      200,
    );
    let [cx0, cy0, cx1, cy1] = [200, 200, 0, 0];
    for (let i = 0; i < withNodule.length; i++) {
      if (withNodule[i] === without[i]) continue;
      const x = i % 200;
      const y = (i - x) / 200;
      [cx0, cy0, cx1, cy1] = [
        Math.min(cx0, x),
        Math.min(cy0, y),
        Math.max(cx1, x + 1),
        Math.max(cy1, y + 1),
      ];
    }
    expect(extents.boxes().get("nodule")).to.deep.equal([cx0, cy0, cx1, cy1]);
  });

  // Speed is shown by the benchmarks (bench/imaging.ts, bench/e2e.ts generate these), not timed here.
  it("renders a full-size 2048 x 2500 16-bit image", () => {
    const [study] = generateSyntheticStudies({ count: 1, seed: 8, rows: 2500, columns: 2048 });
    expect(study!.instances[0]!.byteLength).to.be.above(2500 * 2048 * 2);
  });

  it("rejects bad options", () => {
    expect(() => generateSyntheticStudies({ count: -1, seed: 1 })).to.throw(RangeError);
    expect(() => generateSyntheticStudies({ count: 1, seed: 1.5 })).to.throw(RangeError);
    expect(() => generateSyntheticStudies({ count: 1, seed: 1, rows: 8 })).to.throw(RangeError);
    expect(() => generateSyntheticStudies({ count: 1, seed: 1, findingRate: 2 })).to.throw(
      RangeError,
    );
  });
});

describe("synthetic sites", () => {
  const digest = (studies: ReturnType<typeof generateSyntheticStudies>): string => {
    const h = createHash("sha256");
    for (const s of studies) for (const b of s.instances) h.update(b);
    h.update(truthCsv(studies));
    return h.digest("hex");
  };
  const options = { count: 4, seed: 8001, rows: 96, columns: 112, imagesPerStudy: 2 } as const;

  it("default is byte-identical to the generator before sites existed (same seed, same bytes)", () => {
    // Recorded from the generator before --site was added; changing default's output breaks the demo bundle's tuning.
    const before = "d915beddb9c446aa36967baf2a8e2ab955dd987e6bc5f1c7b1e361569b825b62";
    expect(digest(generateSyntheticStudies(options))).to.equal(before);
    expect(digest(generateSyntheticStudies({ ...options, site: "default" }))).to.equal(before);
  });

  it("shifted is reproducible for a seed, differs from default, and says it carries a burned-in marker", () => {
    const a = generateSyntheticStudies({ ...options, site: "shifted" });
    const b = generateSyntheticStudies({ ...options, site: "shifted" });
    const d = generateSyntheticStudies(options);
    expect(digest(a)).to.equal(digest(b));
    expect(a.map((s) => s.studyInstanceUid)).to.not.include.members(
      d.map((s) => s.studyInstanceUid),
    );
    const { ds } = readDataset(a[0]!.instances[0]!);
    expect(ds.BurnedInAnnotation).to.equal("YES");
    expect(ds.DetectorID).to.equal("SYNTH-2");
    expect(readDataset(d[0]!.instances[0]!).ds.BurnedInAnnotation).to.equal("NO");
    expect(() => generateSyntheticStudies({ ...options, site: "nowhere" as "shifted" })).to.throw(
      RangeError,
    );
  });

  it("shifted findings overlap: heart failure and pneumonia bring findings together", () => {
    const studies = generateSyntheticStudies({
      count: 400,
      seed: 5,
      rows: 16,
      columns: 16,
      site: "shifted",
    });
    const has = (s: (typeof studies)[number], l: string) => s.labels.includes(l as never);
    const rate = (pred: (s: (typeof studies)[number]) => boolean, of: typeof studies) =>
      of.filter(pred).length / of.length;
    const cardio = studies.filter((s) => has(s, "cardiomegaly"));
    const notCardio = studies.filter((s) => !has(s, "cardiomegaly"));
    // Independent at the default site; at the shifted one an effusion is far likelier with cardiomegaly.
    expect(rate((s) => has(s, "pleural_effusion"), cardio)).to.be.greaterThan(
      rate((s) => has(s, "pleural_effusion"), notCardio) + 0.2,
    );
  });

  it("radz demo --generate --site shifted writes the studies and truth.csv", async () => {
    const dir = tmp();
    try {
      const r = await radz([
        "demo",
        "--generate",
        dir,
        "--count",
        "3",
        "--seed",
        "8001",
        "--size",
        "64",
        "--site",
        "shifted",
      ]);
      expect(r.status, r.stderr).to.equal(0);
      const expected = generateSyntheticStudies({
        count: 3,
        seed: 8001,
        rows: 64,
        columns: 64,
        site: "shifted",
      });
      expect(readFileSync(path.join(dir, "truth.csv"), "utf8")).to.equal(truthCsv(expected));
      const bad = await radz(["demo", "--generate", dir, "--site", "elsewhere"]);
      expect(bad.status).to.not.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
