/** DICOMweb facade (HTTP only): QIDO-RS, WADO-RS, STOW-RS. */
export { DicomWebClient } from "./client.js";
export type { QidoQuery } from "./qido-rs.js";
export type { StoreInstancesResult } from "./stow-rs.js";
