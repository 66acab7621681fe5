/**
 * Data that leaves the model: per-label scores and the model's identity.
 * report/ and pipeline/ consume these; model/ produces them.
 */

/** A coded concept as DICOM SR writes it (Code Value, Coding Scheme Designator, Code Meaning). */
export interface CodedConcept {
  readonly value: string;
  /** "SCT" for SNOMED CT, "DCM", or the bundle's declared private scheme (e.g. "99RADZ"). */
  readonly scheme: string;
  readonly meaning: string;
}

export interface LabelScore {
  /** Stable label id from the bundle (e.g. "pneumothorax"). */
  readonly labelId: string;
  readonly display: string;
  readonly concept: CodedConcept;
  /** Raw zero-shot logit before calibration. */
  readonly logit: number;
  /** Calibrated probability in [0, 1]. */
  readonly probability: number;
  /** Operating threshold on the calibrated probability. */
  readonly threshold: number;
  /** probability >= threshold. */
  readonly positive: boolean;
  /** Triage weight from the bundle (>= 1 means a positive finding is urgent). */
  readonly triageWeight: number;
}

export interface ModelIdentity {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** sha256 (hex, first 16 chars) over the label ids, prompts, descriptions, calibration and thresholds. */
  readonly labelSetHash: string;
  /** True for generated demonstration bundles: every output says so. */
  readonly synthetic: boolean;
  /** The execution provider actually running the image encoder ("cpu", "cuda", or "remote"). */
  readonly executionProvider: string;
}

/** A private coding scheme a bundle declares for labels without a standard code. */
export interface CodingSchemeDeclaration {
  readonly designator: string;
  readonly name: string;
  readonly responsibleOrganization?: string;
}
