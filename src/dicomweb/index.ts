/** DICOMweb facade (HTTP only): QIDO-RS, WADO-RS, STOW-RS. */
export { DicomWebClient, type DicomWebClientOptions, type RetrieveOptions } from "./client.js";
export type { QidoQuery } from "./qido-rs.js";
export type { StoreInstancesResult, StowFailure } from "./stow-rs.js";
export { hasPart10Prefix, readPart10Meta, type Part10Meta } from "./part10.js";
