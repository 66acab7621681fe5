/** Orthanc REST facade (HTTP only) and a local Orthanc for tests and `radz demo`. */
export { OrthancClient } from "./client.js";
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
} from "./installation.js";
export {
  isVersionAtLeast,
  LABELS_MIN_VERSION,
  DICOMWEB_SERIES_METADATA_CACHE_VERSION,
} from "./version.js";
export { type OrthancChange, type OrthancStudyIdentity } from "./types.js";
