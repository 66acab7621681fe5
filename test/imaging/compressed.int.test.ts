/**
 * Compressed images through a real Orthanc (DICOMweb plugin):
 *  - WADO-RS asks for the stored transfer syntax (transfer-syntax=*): a
 *    JPEG-LS and a JPEG 2000 instance come back compressed, as stored, and
 *    decode to the source's pixels; the instance size limit applies.
 *  - The service path: a study whose codestream is corrupt ends `failed` with
 *    DICOM_CODEC_ERROR, a study in a video syntax ends `failed` with
 *    DICOM_UNSUPPORTED_TRANSFER_SYNTAX, and the good compressed studies
 *    beside them complete with an SR.
 * Needs DCMTK (dcmcjpls) and GDCM (gdcmconv) to make the compressed files.
 */
import { expect } from "chai";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { initCodecs, parseInstance, readStoredValues } from "../../src/imaging/index.js";
import { isTerminal } from "../../src/jobs/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { generateSyntheticStudies, type SyntheticStudy } from "../../src/synthetic/index.js";
import { expectRadzError } from "../helpers/errors.js";
import { useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { HAS_DCMTK, HAS_GDCM, encapsulatedFile, runTool } from "./codec-fixtures.js";

const JPEG_LS = "1.2.840.10008.1.2.4.80";
const J2K = "1.2.840.10008.1.2.4.90";
const MPEG2 = "1.2.840.10008.1.2.4.100";

/** Byte offset of the first occurrence of `marker` (two bytes). */
function findMarker(bytes: Uint8Array, a: number, b: number): number {
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === a && bytes[i + 1] === b) return i;
  return -1;
}

/** The instance's attributes (no Pixel Data) with video "pixel data" in MPEG2 MP@ML. */
function asVideo(file: Uint8Array): Uint8Array {
  const ds: Record<string, unknown> = { ...parseInstance(file).dataset };
  delete ds["PixelData"];
  const vrMap = { ...((ds["_vrMap"] as Record<string, string> | undefined) ?? {}) };
  delete vrMap["PixelData"];
  ds["_vrMap"] = vrMap;
  return encapsulatedFile(MPEG2, ds, [new Uint8Array([0, 0, 1, 0xb3, 0, 0, 0, 0])]);
}

describe("imaging: compressed images through a real Orthanc", function () {
  this.timeout(180_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  const radz = useService({ prefix: "radz-compressed-int-", orthancUrl: () => orthanc.url });
  let studies: SyntheticStudy[];
  let jls: Uint8Array;
  let j2k: Uint8Array;

  before(async function () {
    if (!HAS_DCMTK || !HAS_GDCM) this.skip();
    this.timeout(120_000);
    await initCodecs();
    studies = generateSyntheticStudies({ count: 4, seed: 23, rows: 256, columns: 256 });
    jls = runTool(radz.dir, "dcmcjpls", [], studies[0]!.instances[0]!, "jls");
    j2k = runTool(radz.dir, "gdcmconv", ["--j2k"], studies[1]!.instances[0]!, "j2k");
  });

  it("WADO-RS returns JPEG-LS and JPEG 2000 instances as stored (transfer-syntax=*), decoded to the source's pixels", async () => {
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    await client.uploadInstance(jls);
    await client.uploadInstance(j2k);
    const dicomweb = new DicomWebClient({
      url: orthanc.dicomwebUrl,
      timeoutMs: 10_000,
      maxInstanceBytes: 1 << 26,
    });
    for (const [study, sent, syntax] of [
      [studies[0]!, jls, JPEG_LS],
      [studies[1]!, j2k, J2K],
    ] as const) {
      const bytes = await dicomweb.retrieveInstance(
        study.studyInstanceUid,
        study.seriesInstanceUid,
        study.sopInstanceUids[0]!,
      );
      const got = parseInstance(bytes);
      expect(got.transferSyntaxUid, "retrieved in the stored syntax").to.equal(syntax);
      expect(bytes.byteLength, "compressed, not transcoded").to.be.lessThan(
        study.instances[0]!.byteLength,
      );
      const source = readStoredValues(parseInstance(study.instances[0]!)).data;
      expect(Buffer.from(readStoredValues(got).data.buffer).equals(Buffer.from(source.buffer))).to
        .be.true;
      expect(readStoredValues(parseInstance(sent)).data).to.have.length(source.length);
    }
    // The configured instance size limit applies to compressed instances too.
    const small = new DicomWebClient({
      url: orthanc.dicomwebUrl,
      timeoutMs: 10_000,
      maxInstanceBytes: 1024,
    });
    await expectRadzError(
      small.retrieveInstance(
        studies[0]!.studyInstanceUid,
        studies[0]!.seriesInstanceUid,
        studies[0]!.sopInstanceUids[0]!,
      ),
      "DICOMWEB_INSTANCE_TOO_LARGE",
    );
  });

  it("the service fails a corrupt-codestream study and a video-syntax study with their codes and completes the good compressed studies", async () => {
    // Study 2: JPEG-LS whose SOF55 says 3 more lines than Rows (a corrupt codestream).
    const corrupt = runTool(radz.dir, "dcmcjpls", [], studies[2]!.instances[0]!, "corrupt");
    const sof = findMarker(corrupt, 0xff, 0xf7);
    expect(sof).to.be.greaterThan(0);
    const lines = (corrupt[sof + 5]! << 8) | corrupt[sof + 6]!;
    corrupt[sof + 5] = ((lines + 3) >> 8) & 0xff;
    corrupt[sof + 6] = (lines + 3) & 0xff;
    // Study 3: the image's attributes with MPEG2 video (a syntax RadZ refuses by name).
    const video = asVideo(studies[3]!.instances[0]!);
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    const svc = await radz.start();
    const ids: string[] = [];
    for (const bytes of [corrupt, video])
      ids.push((await client.uploadInstance(bytes)).parentStudy);
    // Studies 0 and 1 were stored (JPEG-LS, JPEG 2000) by the previous test.
    const stored = await client.uploadInstance(jls); // idempotent: gives the study id
    const stored2 = await client.uploadInstance(j2k);
    ids.push(stored.parentStudy, stored2.parentStudy);
    await waitFor(
      () => ids.every((id) => isTerminal(svc.store.getByStudy(id)?.state ?? "queued")),
      120_000,
      "the four studies to finish",
    );
    const [bad, unsupported, good1, good2] = ids.map((id) => svc.store.getByStudy(id)!);
    expect(bad!.state).to.equal("failed");
    expect(bad!.lastError?.code).to.equal("DICOM_CODEC_ERROR");
    expect(bad!.lastError?.message).to.include("CharLS");
    expect(unsupported!.state).to.equal("failed");
    expect(unsupported!.lastError?.code).to.equal("DICOM_UNSUPPORTED_TRANSFER_SYNTAX");
    expect(unsupported!.lastError?.message).to.include(MPEG2).and.include("MPEG2");
    for (const job of [good1!, good2!]) {
      expect(job.state, JSON.stringify(job.lastError)).to.equal("done");
      expect(job.result?.sr).to.not.equal(null);
    }
  });
});
