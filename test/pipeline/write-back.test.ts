/**
 * write-back.ts with fake DICOMweb / Orthanc clients: the branches a real
 * Orthanc 1.10 does not take (it accepts a re-sent SOP Instance UID with
 * HTTP 200), e.g. a PACS that answers 409 or lists the re-send in Failed SOP
 * Sequence. The real-Orthanc paths are in test/report/write-back.int.test.ts.
 */
import { type DicomJsonObject, SopClassUid } from "../../src/dicom/index.js";
import { expect } from "chai";
import type { StoreInstancesResult } from "../../src/dicomweb/index.js";
import { RadzError } from "../../src/errors.js";
import { silentLogger } from "../../src/observability/index.js";
import { Stopwatch } from "../../src/pipeline/stopwatch.js";
import {
  deleteEarlierResults,
  findEarlierResults,
  RESULT_INCLUDE_FIELDS,
  storeResultObjects,
  type ResultObject,
} from "../../src/pipeline/write-back.js";
import { RADZ_EQUIPMENT_MODEL_NAME } from "../../src/report/index.js";

const STUDY = "1.2.3";
const SERIES = "1.2.3.9";
const SR: ResultObject = {
  part10: new Uint8Array(4),
  sopInstanceUid: "1.2.3.9.1",
  seriesInstanceUid: SERIES,
};
const SC: ResultObject = {
  part10: new Uint8Array(4),
  sopInstanceUid: "1.2.3.9.2",
  seriesInstanceUid: SERIES,
};

function instanceJson(uid: string, extra: Record<string, string> = {}): DicomJsonObject {
  const out: DicomJsonObject = { "00080018": { vr: "UI", Value: [uid] } };
  for (const [tag, value] of Object.entries(extra)) out[tag] = { vr: "LO", Value: [value] };
  return out;
}

function fakeDicomweb(o: { store: () => Promise<StoreInstancesResult>; visible: string[] }): {
  calls: string[];
  client: Parameters<typeof storeResultObjects>[0];
} {
  const calls: string[] = [];
  return {
    calls,
    client: {
      storeInstances: async (parts) => {
        calls.push(`stow ${parts.length}`);
        return o.store();
      },
      seriesInstances: async (studyUid, seriesUid) => {
        calls.push(`qido ${studyUid} ${seriesUid ?? ""}`);
        return o.visible.map((uid) => instanceJson(uid));
      },
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<RadzError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(RadzError);
    return err as RadzError;
  }
  throw new Error("expected a rejection");
}

describe("pipeline/write-back", () => {
  describe("storeResultObjects", () => {
    it("sends every object in one STOW-RS request and takes its acknowledgement as the verification (no QIDO)", async () => {
      const fake = fakeDicomweb({
        store: async () => ({
          stored: [SR.sopInstanceUid, SC.sopInstanceUid],
          failed: [],
          warnings: [],
        }),
        visible: [],
      });
      const clock = new Stopwatch();
      const outcome = await storeResultObjects(fake.client, STUDY, [SR, SC], clock);
      expect(outcome).to.deep.equal({ alreadyPresent: [], warnings: [] });
      expect(fake.calls).to.deep.equal(["stow 2"]);
      expect(Object.keys(clock.toJSON())).to.include("stow").and.not.include("verify");
    });

    it("lists with QIDO-RS only the series of objects the server did not acknowledge", async () => {
      const other: ResultObject = { ...SC, seriesInstanceUid: "1.2.3.10" };
      const fake = fakeDicomweb({
        store: async () => ({
          stored: [SR.sopInstanceUid],
          failed: [{ sopInstanceUid: other.sopInstanceUid, reason: "0xA900 ..." }],
          warnings: [],
        }),
        visible: [other.sopInstanceUid],
      });
      const clock = new Stopwatch();
      const outcome = await storeResultObjects(fake.client, STUDY, [SR, other], clock);
      expect(outcome.alreadyPresent).to.deep.equal([other.sopInstanceUid]);
      expect(fake.calls).to.deep.equal(["stow 2", `qido ${STUDY} 1.2.3.10`]);
      expect(Object.keys(clock.toJSON())).to.include.members(["stow", "verify"]);
    });

    it("treats a refused re-send (STOW_FAILED, e.g. 409) as stored when QIDO shows the objects", async () => {
      const fake = fakeDicomweb({
        store: async () => {
          throw new RadzError("STOW_FAILED", "STOW-RS stored 0 of 2 instance(s) (HTTP 409)");
        },
        visible: [SR.sopInstanceUid, SC.sopInstanceUid],
      });
      const outcome = await storeResultObjects(fake.client, STUDY, [SR, SC], new Stopwatch());
      expect(outcome.alreadyPresent).to.deep.equal([SR.sopInstanceUid, SC.sopInstanceUid]);
    });

    it("treats an object in Failed SOP Sequence as stored when QIDO shows it", async () => {
      const fake = fakeDicomweb({
        store: async () => ({
          stored: [SR.sopInstanceUid],
          failed: [{ sopInstanceUid: SC.sopInstanceUid, reason: "0xA900 ..." }],
          warnings: ["HTTP 202: partial"],
        }),
        visible: [SR.sopInstanceUid, SC.sopInstanceUid],
      });
      const outcome = await storeResultObjects(fake.client, STUDY, [SR, SC], new Stopwatch());
      expect(outcome).to.deep.equal({
        alreadyPresent: [SC.sopInstanceUid],
        warnings: ["HTTP 202: partial"],
      });
    });

    it("fails with STOW_FAILED when an object is not in the study afterwards", async () => {
      const fake = fakeDicomweb({
        store: async () => ({
          stored: [SR.sopInstanceUid],
          failed: [
            { sopInstanceUid: SC.sopInstanceUid, reason: "0xC000 Error: cannot understand" },
          ],
          warnings: [],
        }),
        visible: [SR.sopInstanceUid],
      });
      const err = await rejection(
        storeResultObjects(fake.client, STUDY, [SR, SC], new Stopwatch()),
      );
      expect(err.code).to.equal("STOW_FAILED");
      expect(err.message).to.contain("1 of 2").and.to.contain("0xC000");
    });

    it("passes transport errors through (the runner retries them) without querying", async () => {
      const fake = fakeDicomweb({
        store: async () => {
          throw new RadzError("DICOMWEB_UNREACHABLE", "connection refused");
        },
        visible: [SR.sopInstanceUid],
      });
      const err = await rejection(storeResultObjects(fake.client, STUDY, [SR], new Stopwatch()));
      expect(err.code).to.equal("DICOMWEB_UNREACHABLE");
      expect(fake.calls).to.deep.equal(["stow 1"]);
    });
  });

  describe("findEarlierResults", () => {
    it("reads only SR- and OT-modality series and picks the newest earlier RadZ SR", async () => {
      const queries: string[] = [];
      const dicomweb: Parameters<typeof findEarlierResults>[0] = {
        searchForSeries: async (studyUid, query) => {
          queries.push(`series ${studyUid} ${JSON.stringify(query)}`);
          return query?.["00080060"] === "OT"
            ? [{ "0020000E": { vr: "UI", Value: ["2.25.3"] } }]
            : [
                { "0020000E": { vr: "UI", Value: ["2.25.1"] } },
                { "0020000E": { vr: "UI", Value: ["2.25.2"] } },
              ];
        },
        seriesInstances: async (studyUid, seriesUid, fields) => {
          queries.push(`instances ${seriesUid} ${(fields ?? []).join(",")}`);
          const common = {
            "0020000E": seriesUid,
            "00081090": RADZ_EQUIPMENT_MODEL_NAME,
            "00080023": "20240101",
          };
          if (seriesUid === "2.25.3")
            return [
              instanceJson("2.25.3.1", {
                ...common,
                "00080016": SopClassUid.SecondaryCaptureImageStorage,
                "00080033": "105000",
              }),
            ];
          return seriesUid === "2.25.1"
            ? [
                instanceJson("2.25.1.1", {
                  ...common,
                  "00080016": SopClassUid.Comprehensive3DSRStorage,
                  "00080033": "100000",
                }),
                instanceJson("2.25.1.2", {
                  ...common,
                  "00080016": SopClassUid.SecondaryCaptureImageStorage,
                  "00080033": "100000",
                }),
              ]
            : [
                instanceJson("2.25.2.1", {
                  ...common,
                  "00080016": SopClassUid.ComprehensiveSRStorage,
                  "00080033": "110000",
                }),
                instanceJson("2.25.2.9", {
                  ...common,
                  "00080016": SopClassUid.Comprehensive3DSRStorage,
                  "00081090": "Other",
                  "00080033": "120000",
                }),
              ];
        },
      };
      const found = await findEarlierResults(dicomweb, STUDY, {
        sopInstanceUid: "2.25.9.1",
        summarySopInstanceUid: "2.25.9.2",
      });
      expect(queries[0]).to.equal(`series ${STUDY} {"00080060":"SR"}`);
      expect(queries[1]).to.equal(`series ${STUDY} {"00080060":"OT"}`);
      expect(queries[2]).to.equal(`instances 2.25.1 ${RESULT_INCLUDE_FIELDS.join(",")}`);
      expect(queries).to.have.length(5);
      // The Comprehensive SR (2.25.2.1) is newer than the Comprehensive 3D SR (2.25.1.1).
      expect(found.predecessor?.sopInstanceUid).to.equal("2.25.2.1");
      expect(found.objects.map((o) => o.sopInstanceUid)).to.deep.equal([
        "2.25.1.1",
        "2.25.1.2",
        "2.25.3.1",
        "2.25.2.1",
      ]);
    });
  });

  describe("findEarlierResults with the job's series listing", () => {
    it("reads the SR and OT series the listing names, with no series search", async () => {
      const queries: string[] = [];
      const dicomweb: Parameters<typeof findEarlierResults>[0] = {
        searchForSeries: async () => {
          queries.push("series search");
          return [];
        },
        seriesInstances: async (_studyUid, seriesUid) => {
          queries.push(`instances ${seriesUid}`);
          return seriesUid === "2.25.7"
            ? [
                instanceJson("2.25.7.1", {
                  "0020000E": seriesUid,
                  "00081090": RADZ_EQUIPMENT_MODEL_NAME,
                  "00080016": SopClassUid.Comprehensive3DSRStorage,
                  "00080023": "20240101",
                  "00080033": "100000",
                }),
              ]
            : [];
        },
      };
      const current = { sopInstanceUid: "2.25.9.1", summarySopInstanceUid: "2.25.9.2" };
      const found = await findEarlierResults(dicomweb, STUDY, current, [
        { seriesInstanceUid: "2.25.5", modality: "DX" },
        { seriesInstanceUid: "2.25.6" },
        { seriesInstanceUid: "2.25.7", modality: "SR" },
        { seriesInstanceUid: "2.25.8", modality: "OT" },
      ]);
      expect(queries).to.deep.equal(["instances 2.25.7", "instances 2.25.8"]);
      expect(found.predecessor?.sopInstanceUid).to.equal("2.25.7.1");

      // A new study: images only, so no request at all.
      queries.length = 0;
      const none = await findEarlierResults(dicomweb, STUDY, current, [
        { seriesInstanceUid: "2.25.5", modality: "DX" },
      ]);
      expect(queries).to.deep.equal([]);
      expect(none.objects).to.deep.equal([]);
      expect(none.predecessor).to.equal(null);
    });
  });

  describe("deleteEarlierResults", () => {
    it("deletes exactly the earlier objects through Orthanc's REST API", async () => {
      const deleted: string[] = [];
      const orthanc: Parameters<typeof deleteEarlierResults>[0] = {
        studyInstances: async () =>
          ["1.1", "2.1", "2.2", "3.1"].map((uid, i) => ({
            orthancId: `id-${i}`,
            sopInstanceUid: uid,
            instanceNumber: null,
            parentSeries: "s",
            fileSize: null,
            indexInSeries: null,
          })),
        deleteInstance: async (id) => {
          deleted.push(id);
        },
      };
      const earlier = ["2.1", "2.2"].map((uid) => ({
        studyInstanceUid: STUDY,
        seriesInstanceUid: "2",
        sopInstanceUid: uid,
        sopClassUid: SopClassUid.Comprehensive3DSRStorage,
      }));
      expect(await deleteEarlierResults(orthanc, "study-id", earlier, silentLogger())).to.equal(2);
      expect(deleted).to.deep.equal(["id-1", "id-2"]);
      expect(await deleteEarlierResults(orthanc, "study-id", [], silentLogger())).to.equal(0);
      expect(deleted).to.have.length(2);
    });
  });
});
