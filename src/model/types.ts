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
  /**
   * Where the finding is, on the images read (study findings that are
   * positive, from bundles with a spatial output; model/localisation.ts).
   */
  readonly regions?: readonly FindingRegion[];
}

/**
 * One region of a finding on one image, in that image's source pixel
 * coordinates: x = column, y = row, continuous, (0, 0) the top-left corner of
 * the top-left pixel (so a pixel's centre is at +0.5), as DICOM SCOORD
 * Graphic Data counts them.
 */
export interface FindingRegion {
  readonly sopInstanceUid: string;
  /** Frame number (1-based) of the image the region is on. */
  readonly frame: number;
  /** The highest point of the label's heatmap inside the region. */
  readonly peak: readonly [number, number];
  /** Bounding box [x0, y0, x1, y1] (x0 < x1, y0 < y1). */
  readonly box: readonly [number, number, number, number];
  /** Outer contour, closed implicitly (the last point joins the first). */
  readonly polygon: readonly (readonly [number, number])[];
  /** The label's calibration applied to the peak patch's logit: how strongly this region alone shows the finding. */
  readonly score: number;
}

/** Patch embeddings of one image in the joint space: row-major [height, width, dim]. */
export interface PatchGrid {
  readonly height: number;
  readonly width: number;
  readonly dim: number;
  readonly data: Float32Array;
}

/** What the image encoder gives for one image. */
export interface ImageEncoding {
  /** The image embedding [dim] (raw; scoring L2-normalises it). */
  readonly embedding: Float32Array;
  /** Patch embeddings, when the bundle declares a spatial output. */
  readonly patches?: PatchGrid;
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
  /** The site adaptation in use (config model.adaptation), if any. */
  readonly adaptation?: { readonly id: string; readonly method: string };
}

/** A private coding scheme a bundle declares for labels without a standard code. */
export interface CodingSchemeDeclaration {
  readonly designator: string;
  readonly name: string;
  readonly responsibleOrganization?: string;
}
