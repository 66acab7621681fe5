/**
 * Shared test helpers for code that talks HTTP to Orthanc / DICOMweb:
 *
 *   useOrthanc(opts)      mocha hooks: a fresh local Orthanc per suite (before/after);
 *                         `version: "1.12"` runs Debian 13's Orthanc 1.12 (chroot)
 *   ORTHANC_VERSIONS      the versions suites that matter on both run against
 *   orthancRoot(ctx, v)   the root file system for a version (undefined: the host's)
 *   orthancErrorLines(log)           error-level lines of Orthanc's log
 *   orthancStorageReadWarnings(log)  1.12's W001 lines (tags read from storage)
 *   makeTestInstance(o)   a minimal valid DX Part-10 image (dcmjs), random UIDs
 *   readPart10(bytes)     parse Part-10 bytes back into { meta, dataset } (naturalized)
 *   writePart10(m, d)     and write them again
 *
 * The full synthetic chest generator lives in src/synthetic/; this one is
 * deliberately tiny (64x64, 16-bit) so HTTP tests stay fast.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  startLocalOrthanc,
  type LocalOrthanc,
  type StartLocalOrthancOptions,
} from "../../src/orthanc/index.js";

// dcmjs ships no type declarations; describe the little this helper uses.
interface DcmjsDicomDict {
  dict: Record<string, unknown>;
  meta: Record<string, unknown>;
  write(options?: Record<string, unknown>): ArrayBuffer;
}
interface Dcmjs {
  data: {
    DicomDict: new (meta: Record<string, unknown>) => DcmjsDicomDict;
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DcmjsDicomDict;
    };
    DicomMetaDictionary: {
      denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
      naturalizeDataset(dict: Record<string, unknown>): Record<string, unknown>;
    };
  };
}
const dcmjs = createRequire(import.meta.url)("dcmjs") as Dcmjs;

/**
 * The Orthanc versions tests run against: "1.10" is the host's (Debian 12:
 * Orthanc 1.10.1, DICOMweb 1.7), "1.12" Debian 13's (Orthanc 1.12.7, DICOMweb
 * 1.20) in the root file system tools/orthanc-trixie.sh builds.
 */
export type OrthancVersion = "1.10" | "1.12";
export const ORTHANC_VERSIONS: readonly OrthancVersion[] = ["1.10", "1.12"];

const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Where the Debian 13 tree is: $RADZ_ORTHANC_1_12_ROOT, else <repo>/.radz/orthanc-1.12. */
export function orthanc112RootPath(): string {
  return resolve(process.env.RADZ_ORTHANC_1_12_ROOT ?? join(REPO_ROOT, ".radz", "orthanc-1.12"));
}

/**
 * The root file system to chroot Orthanc `version` in (undefined: the host's
 * own Orthanc). Without the Debian 13 tree, the test says so and is skipped —
 * except under CI=true, where it fails: CI builds the tree first (.ci/run).
 */
export function orthancRoot(ctx: Mocha.Context, version: OrthancVersion): string | undefined {
  if (version === "1.10") return undefined;
  const root = orthanc112RootPath();
  if (existsSync(join(root, ".radz-complete"))) return root;
  const why = `Orthanc 1.12: no Debian 13 tree at ${root}; build it with tools/orthanc-trixie.sh`;
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`    skipped: ${why}`);
  ctx.skip();
}

export interface UseOrthancOptions extends StartLocalOrthancOptions {
  /** Which Orthanc (default "1.10", the host's). */
  readonly version?: OrthancVersion;
}

/** Fields are filled in by the `before` hook; read them inside tests/hooks only. */
export interface OrthancFixture {
  server: LocalOrthanc;
  url: string;
  dicomwebUrl: string;
  /** The running Orthanc's version, from GET /system ("1.10.1", "1.12.7"). */
  version: string;
}

/**
 * Starts a local Orthanc in `before` and stops it in `after`. Call at the top
 * of a `describe`. The returned object's fields are set once `before` ran.
 */
export function useOrthanc(opts: UseOrthancOptions = {}): OrthancFixture {
  const fixture = {} as OrthancFixture;
  before(async function () {
    this.timeout(60_000);
    const { version = "1.10", ...start } = opts;
    const rootDir = orthancRoot(this, version);
    fixture.server = await startLocalOrthanc(rootDir === undefined ? start : { ...start, rootDir });
    fixture.url = fixture.server.url;
    fixture.dicomwebUrl = fixture.server.dicomwebUrl;
    const headers: Record<string, string> =
      opts.username === undefined
        ? {}
        : {
            Authorization: `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ""}`).toString("base64")}`,
          };
    fixture.version = await checkOrthancVersion(fixture.url, version, headers);
  });
  after(async function () {
    this.timeout(30_000);
    await fixture.server?.stop();
  });
  return fixture;
}

/** Orthanc's version at `url` (GET /system); throws unless it is `version`.x. */
export async function checkOrthancVersion(
  url: string,
  version: OrthancVersion,
  headers: Record<string, string> = {},
): Promise<string> {
  const system = (await (await fetch(`${url}/system`, { headers })).json()) as { Version: string };
  if (!system.Version.startsWith(`${version}.`))
    throw new Error(`asked for Orthanc ${version}, ${url} runs ${system.Version}`);
  return system.Version;
}

/** Error-level lines (glog "E…") of an Orthanc log: what an admin reads as trouble. */
export function orthancErrorLines(log: readonly string[]): string[] {
  return log.filter((line) => /^E\d{4} /.test(line));
}

/**
 * Orthanc 1.12's W001 warnings: a query that made Orthanc read DICOM files
 * from storage because it asked for attributes Orthanc does not index.
 */
export function orthancStorageReadWarnings(log: readonly string[]): string[] {
  return log.filter((line) => /\bW001:/.test(line));
}

/** A random UID under the UUID-derived root 2.25 (PS3.5 B.2). */
export function randomUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString("hex")}`).toString(10)}`;
}

export const DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1";
export const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";

export interface TestInstanceOptions {
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  patientName?: string;
  patientId?: string;
  patientBirthDate?: string;
  accessionNumber?: string;
  modality?: string;
  /** SOP Class UID (default DX For Presentation), in the file meta and the dataset. */
  sopClassUid?: string;
  bodyPartExamined?: string;
  viewPosition?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  rows?: number;
  columns?: number;
  /** Extra naturalized attributes merged last (dcmjs keyword -> value). */
  extra?: Record<string, unknown>;
}

export interface TestInstance {
  bytes: Uint8Array;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

/** A minimal DX (for presentation) Part-10 file, Explicit VR Little Endian, 16-bit MONOCHROME2. */
export function makeTestInstance(opts: TestInstanceOptions = {}): TestInstance {
  const studyInstanceUid = opts.studyInstanceUid ?? randomUid();
  const seriesInstanceUid = opts.seriesInstanceUid ?? randomUid();
  const sopInstanceUid = opts.sopInstanceUid ?? randomUid();
  const sopClassUid = opts.sopClassUid ?? DX_FOR_PRESENTATION;
  const rows = opts.rows ?? 64;
  const columns = opts.columns ?? 64;

  const pixels = new Uint16Array(rows * columns);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) pixels[y * columns + x] = (x * 31 + y * 17) & 0x0fff;
  }

  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: "2.25.80302813137786398554742050926734630921",
    ImplementationVersionName: "RADZ_TEST",
  };
  const dataset: Record<string, unknown> = {
    SpecificCharacterSet: "ISO_IR 100",
    ImageType: ["ORIGINAL", "PRIMARY"],
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: "20240101",
    StudyTime: "120000",
    AccessionNumber: opts.accessionNumber ?? "ACC0001",
    Modality: opts.modality ?? "DX",
    PresentationIntentType: "FOR PRESENTATION",
    Manufacturer: "RadZ test",
    ReferringPhysicianName: "",
    PatientName: opts.patientName ?? "TEST^PATIENT",
    PatientID: opts.patientId ?? "PID0001",
    PatientBirthDate: opts.patientBirthDate ?? "19700101",
    PatientSex: "O",
    BodyPartExamined: opts.bodyPartExamined ?? "CHEST",
    ViewPosition: opts.viewPosition ?? "PA",
    StudyInstanceUID: studyInstanceUid,
    SeriesInstanceUID: seriesInstanceUid,
    StudyID: "1",
    SeriesNumber: String(opts.seriesNumber ?? 1),
    InstanceNumber: String(opts.instanceNumber ?? 1),
    PatientOrientation: ["A", "F"],
    BurnedInAnnotation: "NO",
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    Rows: rows,
    Columns: columns,
    ImagerPixelSpacing: ["0.2", "0.2"],
    PixelSpacing: ["0.2", "0.2"],
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    WindowCenter: "2048",
    WindowWidth: "4096",
    RescaleIntercept: "0",
    RescaleSlope: "1",
    RescaleType: "US",
    PresentationLUTShape: "IDENTITY",
    LossyImageCompression: "00",
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: "OW" },
    ...opts.extra,
  };

  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  const bytes = new Uint8Array(dict.write());
  return { bytes, studyInstanceUid, seriesInstanceUid, sopInstanceUid };
}

/** Parses Part-10 bytes into naturalized { meta, dataset } (dcmjs keywords). */
export function readPart10(bytes: Uint8Array): {
  meta: Record<string, unknown>;
  dataset: Record<string, unknown>;
} {
  const copy = bytes.slice().buffer;
  const file = dcmjs.data.DicomMessage.readFile(copy);
  return {
    meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.meta),
    dataset: dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict),
  };
}

/** Writes naturalized { meta, dataset } (as readPart10 returns them) back to Part-10 bytes. */
export function writePart10(
  meta: Record<string, unknown>,
  dataset: Record<string, unknown>,
): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
