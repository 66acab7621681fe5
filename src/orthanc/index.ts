/** Orthanc REST facade (HTTP only) and a local Orthanc for tests and `radz demo`. */
export { OrthancClient, type OrthancClientOptions } from "./client.js";
export {
  startLocalOrthanc,
  RADZ_USER_METADATA,
  type LocalOrthanc,
  type StartLocalOrthancOptions,
} from "./local-server.js";
export {
  chrootPrefix,
  findOrthancBinary,
  findOrthancBinaryIn,
  findDicomWebPlugin,
  ORTHANC_INSTALL_HINT,
} from "./installation.js";
export {
  isVersionAtLeast,
  parseOrthancVersion,
  LABELS_MIN_VERSION,
  type OrthancVersion,
} from "./version.js";
export {
  ChangeType,
  ResourceType,
  type KnownChangeType,
  type OrthancChange,
  type OrthancChangesPage,
  type OrthancInstance,
  type OrthancSeries,
  type OrthancStudy,
  type OrthancSystem,
  type OrthancUploadResult,
} from "./types.js";
