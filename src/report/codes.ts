/**
 * The one table of the coded concepts that make up the RadZ Structured
 * Report's own structure (TID 1500 and the templates it includes): titles,
 * concept names, units, qualitative values. The concepts of the findings
 * themselves are model/concepts.ts's (a bundle's labels carry them); the
 * coding scheme designators, SOP class and transfer syntax UIDs are DICOM
 * vocabulary (src/dicom/). No other file in report/ spells a code.
 *
 * Every code was checked against a public source; the tag after each entry
 * names it:
 *
 *  [P]  pydicom `src/pydicom/sr/_concepts_dict.py` / `_cid_dict.py` / `_snomed_dict.py`
 *       (generated from DICOM PS3.16), github.com/pydicom/pydicom @ fb1f24e4.
 *       "CID n" after [P] is the context group pydicom lists the code in.
 *  [D]  DCMTK `dcmsr/include/dcmtk/dcmsr/codes/{dcm,umls}.h` and `dcmsr/libcmr/*.cc`
 *       (the TID 1500 / CID 5000 implementation), github.com/DCMTK/dcmtk @ d12e350e.
 *  [H]  highdicom `src/highdicom/sr/templates.py`, github.com/ImagingDataCommons/highdicom @ 49728738.
 *  [F6048] fhir.org/guides/stats2/valueset-fhir.dicom-dicom-cid-6048-cadoperatingpointaxislabel.html
 *       (DICOM CID 6048 with definitions).
 *  [F7003] fhir.org/guides/stats2/valueset-fhir.dicom-dicom-cid-7003-diagnosticimagingreportpurposeofreference.html
 *  [U]  dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_7.2.2.html
 *       (PS3.16 §7.2.2 "Measurement Unit": UCUM rules for unitless values).
 *  [S]  Orthanc Stone `OrthancStone/Sources/Toolbox/DicomStructuredReport.cpp`
 *       (orthanc-mirrors/orthanc-stone): the concepts it requires to draw a region.
 *  [USCORE] hl7.org/fhir/us/core/STU5/Media-chest-xray.html
 *       ("Plain chest X-ray (procedure) (SNOMED CT#399208008)").
 *
 * SNOMED CT is always designated "SCT" (the "SRT" designator is retired).
 */
import type { CodedConcept } from "../model/index.js";

export const CODES = {
  // ---- TID 1500 Measurement Report -------------------------------------------------
  /** Document title, TID 1500 row 1. [P CID 7021] [D CODE_DCM_ImagingMeasurementReport] */
  imagingMeasurementReport: {
    value: "126000",
    scheme: "DCM",
    meaning: "Imaging Measurement Report",
  },
  /** TID 1204 row 1, HAS CONCEPT MOD of the root. [P] [D CODE_DCM_LanguageOfContentItemAndDescendants] [H] */
  languageOfContentItemAndDescendants: {
    value: "121049",
    scheme: "DCM",
    meaning: "Language of Content Item and Descendants",
  },
  /** CID 5000 Language, RFC 5646 tag. [D dcmsr/libcmr/cid5000.cc "English_US"] ([H] writes meaning "English (United States)") */
  englishUS: { value: "en-US", scheme: "RFC5646", meaning: "English (US)" },
  /** TID 1002 Observer Type. [P] [D CODE_DCM_ObserverType] */
  observerType: { value: "121005", scheme: "DCM", meaning: "Observer Type" },
  /** Observer Type value. [P CID 270] [D CODE_DCM_Device] */
  device: { value: "121007", scheme: "DCM", meaning: "Device" },
  /** TID 1004 rows. [P] [D CODE_DCM_DeviceObserver*] [H DeviceObserverIdentifyingAttributes] */
  deviceObserverUID: { value: "121012", scheme: "DCM", meaning: "Device Observer UID" },
  deviceObserverName: { value: "121013", scheme: "DCM", meaning: "Device Observer Name" },
  deviceObserverManufacturer: {
    value: "121014",
    scheme: "DCM",
    meaning: "Device Observer Manufacturer",
  },
  deviceObserverModelName: {
    value: "121015",
    scheme: "DCM",
    meaning: "Device Observer Model Name",
  },
  /** TID 1500 row 4. [P] [D CODE_DCM_ProcedureReported] */
  procedureReported: { value: "121058", scheme: "DCM", meaning: "Procedure reported" },
  /** Value of Procedure reported: one or more chest radiograph views. [USCORE] */
  plainChestXRay: { value: "399208008", scheme: "SCT", meaning: "Plain chest X-ray" },
  /** TID 1600 Image Library container. [P] [D CODE_DCM_ImageLibrary] */
  imageLibrary: { value: "111028", scheme: "DCM", meaning: "Image Library" },
  /** TID 1600 Image Library Group container. [P] [D CODE_DCM_ImageLibraryGroup] [H ImageLibrary] */
  imageLibraryGroup: { value: "126200", scheme: "DCM", meaning: "Image Library Group" },
  /** Concept name of TID 1601 IMAGE entries. [P SCT "Source (attribute)"] [H ImageLibrary] */
  source: { value: "260753009", scheme: "SCT", meaning: "Source" },
  /** TID 1500 row 6. [P] [D CODE_DCM_ImagingMeasurements] */
  imagingMeasurements: { value: "126010", scheme: "DCM", meaning: "Imaging Measurements" },
  /**
   * Container (an extension of TID 1500, which is extensible) holding one TID 1501 group per
   * label, present or absent: outside "Imaging Measurements", whose groups viewers draw only
   * through a SCOORD (docs/report.md "Layout"). The DCM report section heading of TID 2000. [P CID 7001]
   */
  findings: { value: "121070", scheme: "DCM", meaning: "Findings" },
  /** TID 1500 row 12 "Qualitative Evaluations" container (rows 13/14 CODE/TEXT). [D CODE_UMLS_QualitativeEvaluations, tid1500.cc] */
  qualitativeEvaluations: { value: "C0034375", scheme: "UMLS", meaning: "Qualitative Evaluations" },

  // ---- TID 1501 Measurement and Qualitative Evaluation Group -------------------------
  /** [P] [D CODE_DCM_MeasurementGroup] */
  measurementGroup: { value: "125007", scheme: "DCM", meaning: "Measurement Group" },
  /** TID 4108 rows. [P] [D CODE_DCM_Tracking*] [H TrackingIdentifier] */
  trackingIdentifier: { value: "112039", scheme: "DCM", meaning: "Tracking Identifier" },
  trackingUniqueIdentifier: {
    value: "112040",
    scheme: "DCM",
    meaning: "Tracking Unique Identifier",
  },
  /** [P CID 3419/6053/7002/9000] [D CODE_DCM_Finding] [H] */
  finding: { value: "121071", scheme: "DCM", meaning: "Finding" },
  /** TID 4019 Algorithm Identification (HAS CONCEPT MOD). [P] [D CODE_DCM_Algorithm*] [H AlgorithmIdentification] */
  algorithmName: { value: "111001", scheme: "DCM", meaning: "Algorithm Name" },
  algorithmVersion: { value: "111003", scheme: "DCM", meaning: "Algorithm Version" },
  algorithmParameters: { value: "111002", scheme: "DCM", meaning: "Algorithm Parameters" },
  /** Qualitative evaluation values, CID 241 "Present-Absent Only". [P CID 240/241] */
  present: { value: "52101004", scheme: "SCT", meaning: "Present" },
  absent: { value: "272519000", scheme: "SCT", meaning: "Absent" },
  /**
   * The calibrated probability. CID 6048 definition: "The likelihood that the
   * finding detected is in fact the type of finding identified." [P CID 6048] [F6048]
   */
  certaintyOfFinding: { value: "111012", scheme: "DCM", meaning: "Certainty of Finding" },
  /** The operating threshold on that probability. [P] [D CODE_DCM_ThresholdValue] */
  thresholdValue: { value: "122411", scheme: "DCM", meaning: "Threshold Value" },
  /** IMAGE items of a group: "Image or waveform used as source for measurement". [P CID 7003] [F7003] [H SourceImageForMeasurementGroup] */
  sourceOfMeasurement: { value: "121112", scheme: "DCM", meaning: "Source of Measurement" },

  // ---- TID 1410 Planar ROI Measurements and Qualitative Evaluations ------------------------
  /** The SCOORD of a planar ROI group (exactly one per group). [P] [H ImageRegion] [S] */
  imageRegion: { value: "111030", scheme: "DCM", meaning: "Image Region" },
  /** The IMAGE a region's SCOORD is SELECTED FROM. [P] [H SourceImageForRegion] [S] (Stone requires this name) */
  originalSource: { value: "111040", scheme: "DCM", meaning: "Original Source" },

  // ---- Study-level outcome (TID 1500 row 12 Qualitative Evaluations) -------------------
  /** TEXT item carrying the triage priority ("urgent" | "review" | "routine"). [P SCT "Priority (attribute)"] */
  priority: { value: "260870009", scheme: "SCT", meaning: "Priority" },
  /** TEXT item carrying the machine-generated / unverified statement. [P CID 12101] */
  comment: { value: "121106", scheme: "DCM", meaning: "Comment" },

  // ---- SOP Common: Contributing Equipment ------------------------------------------------
  /** CID 7005 has no "Processing Algorithm"; "Processing Equipment" is its term for a processing step. [P CID 7005] [D] */
  processingEquipment: { value: "109102", scheme: "DCM", meaning: "Processing Equipment" },
} as const satisfies Record<string, CodedConcept>;

/** UCUM units for NUM content items. */
export const UNITS = {
  /**
   * A unitless score bounded to [0, 1]: PS3.16 §7.2.2 "unitless numeric scores may
   * use ({M:N}, UCUM, "range: M:N")". Used for the probability and its threshold. [U]
   */
  range0To1: { value: "{0:1}", scheme: "UCUM", meaning: "range: 0:1" },
  /**
   * The same unitless probability, as a UCUM annotation ("{…}" is unity, UCUM §12) that reads
   * as a word: the unit of the NUM a viewer labels a region with. OHIF 3.13 prints a NUM as
   * "<concept>: <value, 2 decimals> <unit CodeValue>" (cornerstone-dicom-sr
   * `_getLabelFromMeasuredValueSequence`), so "{0:1}" showed as "Pneumothorax: 0.99 {0:1}" and
   * "1" would read as a second number. [U]
   */
  probability: { value: "{probability}", scheme: "UCUM", meaning: "probability" },
  /** UCUM unity, for unbounded dimensionless values. [P CID 7181] [H `Code('1', 'UCUM', 'no units')`] [U] */
  noUnits: { value: "1", scheme: "UCUM", meaning: "no units" },
} as const satisfies Record<string, CodedConcept>;

/** Template identifiers written in Content Template Sequence. */
export const TEMPLATE_IDS = {
  measurementReport: "1500",
  measurementGroup: "1501",
  planarRoiMeasurements: "1410",
} as const;

/**
 * Manufacturer's Model Name (0008,1090) of every object RadZ writes (SR and
 * summary image). Not configurable: it is how a re-run recognises earlier
 * RadZ results in a study (previous-results.ts).
 */
export const RADZ_EQUIPMENT_MODEL_NAME = "RadZ";

/** True if two coded concepts denote the same code (meaning is not compared). */
export function sameCode(
  a: Pick<CodedConcept, "value" | "scheme">,
  b: Pick<CodedConcept, "value" | "scheme">,
): boolean {
  return a.value === b.value && a.scheme === b.scheme;
}
