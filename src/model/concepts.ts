/**
 * The one table of coded concepts RadZ itself knows for findings: the demo
 * bundle's labels and a config `model.labels` entry that names one of these
 * ids without a concept take theirs from here. Each SNOMED CT code was
 * checked against a public source, cited beside it. Where no source could be
 * found to confirm a code, the finding uses a private code in the RadZ scheme
 * "99RADZ" (declared below) instead of an unverified SNOMED CT code.
 *
 * Other bundles bring their own concepts in their labels, checked against the
 * coding scheme designators of dicom/coding-schemes.ts; report/ writes every
 * finding's concept into the SR as (CodeValue, Coding Scheme Designator,
 * CodeMeaning). The SR's structural codes are report/codes.ts's.
 */
import type { CodedConcept, CodingSchemeDeclaration } from "./types.js";

/** The private coding scheme for concepts without a verified standard code (PS3.3 C.12.1.1.2.2). */
export const RADZ_CODING_SCHEME: CodingSchemeDeclaration = {
  designator: "99RADZ",
  name: "RadZ private finding codes",
  responsibleOrganization: "RadZ project",
};

export const FINDING_CONCEPTS = {
  /**
   * SNOMED CT 60046008 "Pleural effusion". Source: DICOM PS3.16 concept as
   * carried in pydicom src/pydicom/sr/_concepts_dict.py ("PleuralEffusion":
   * {"60046008": ("Pleural effusion", [645, 8134])}), github.com/pydicom/pydicom.
   */
  pleural_effusion: { value: "60046008", scheme: "SCT", meaning: "Pleural effusion" },
  /**
   * SNOMED CT 36118008 "Pneumothorax". Sources: DICOM PS3.16 CID 6102/6105 via
   * pydicom _concepts_dict.py ("Pneumothorax": {"36118008": ("Pneumothorax", [6062, 6102, 6105])});
   * HL7 Lithuania lung IG ValueSet incidental-finding
   * (https://build.fhir.org/ig/HL7LT/ig-lt-lung/ValueSet-incidental-finding.html): 36118008 "Pneumothorax (disorder)".
   */
  pneumothorax: { value: "36118008", scheme: "SCT", meaning: "Pneumothorax" },
  /**
   * SNOMED CT 95436008 "Lung consolidation". Source: HL7 Lithuania lung IG
   * ValueSet incidental-finding (https://build.fhir.org/ig/HL7LT/ig-lt-lung/ValueSet-incidental-finding.html,
   * FHIR IG publisher-validated against SNOMED CT International): 95436008 "Lung consolidation (disorder)".
   */
  consolidation: { value: "95436008", scheme: "SCT", meaning: "Lung consolidation" },
  /**
   * SNOMED CT 786838002 "Nodule of lung" (synonym "Pulmonary nodule"). Source: SNOMED CT
   * browser http://35.223.3.115/snomed/32506021000036107-20230731/?id=786838002&type=snomed
   * (FSN "Nodule of lung (disorder)", active, SNOMED CT core).
   */
  nodule: { value: "786838002", scheme: "SCT", meaning: "Nodule of lung" },
  /**
   * SNOMED CT 19242006 "Pulmonary edema". Source: DICOM PS3.16 CID 3700 via pydicom
   * _concepts_dict.py ("PulmonaryEdema": {"19242006": ("Pulmonary edema", [3700])}).
   */
  pulmonary_edema: { value: "19242006", scheme: "SCT", meaning: "Pulmonary edema" },
  /**
   * PRIVATE. No public source found that confirms a SNOMED CT code for
   * cardiomegaly (third-party code commonly uses 8186001, but DICOM PS3.16 as
   * carried by pydicom lists "Cardiomegaly" under 287272002 in fetal-echo
   * CIDs 12248/12249 while naming that code "Enlarged septal foramen of heart"
   * elsewhere), so RadZ uses its private code until one is verified.
   */
  cardiomegaly: { value: "RADZ0003", scheme: "99RADZ", meaning: "Cardiomegaly" },
  /** PRIVATE. Not verified against a public source; see cardiomegaly. */
  atelectasis: { value: "RADZ0007", scheme: "99RADZ", meaning: "Atelectasis" },
} as const satisfies Record<string, CodedConcept>;

export type FindingId = keyof typeof FINDING_CONCEPTS;

/** Concepts for the finding ids; undefined for ids not in the table. */
export function findingConcept(id: string): CodedConcept | undefined {
  return Object.hasOwn(FINDING_CONCEPTS, id) ? FINDING_CONCEPTS[id as FindingId] : undefined;
}
