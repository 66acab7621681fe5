/**
 * Coding Scheme Designators (PS3.16 Section 8, Table 8-1).
 *
 * The one table of the standard designators RadZ writes, and accepts from
 * model bundles, without a Coding Scheme Identification Sequence entry
 * (PS3.3 C.12.1.1.2.2). Anything else — notably every private "99..."
 * designator — must be declared: in a bundle's `codingSchemes`, which the SR
 * then carries. The bundle schema (model/bundle-schema.ts) and the SR builder
 * (report/structured-report.ts) both check against these two sets.
 */
export const STANDARD_CODING_SCHEMES: ReadonlySet<string> = new Set([
  "DCM", // DICOM Controlled Terminology (PS3.16 Annex D)
  "SCT", // SNOMED CT
  "LN", // LOINC
  "UCUM", // Unified Code for Units of Measure
  "RFC5646", // IETF language tags
  "UMLS", // UMLS Metathesaurus CUIs
  "NCIt", // NCI Thesaurus
  "RADLEX", // RSNA RadLex
  "FMA", // Foundational Model of Anatomy
]);

/** Retired designators refused everywhere (use "SCT" for SNOMED CT, PS3.16 Table 8-1). */
export const RETIRED_CODING_SCHEMES: ReadonlySet<string> = new Set(["SRT", "SNM3", "99SDM"]);

/**
 * PS3.16 "DCMR" mapping resource (the DICOM Content Mapping Resource), for
 * Content Template Sequence. [DCMTK dcuid.h UID_DICOMContentMappingResource]
 */
export const DCMR = { mappingResource: "DCMR", mappingResourceUid: "1.2.840.10008.8.1.1" } as const;
