/**
 * imaging/ facade: DICOM Part-10 bytes -> parsed instance -> display image ->
 * model input tensor. No network I/O. (Which instances are read is intake's
 * business: intake/selection.ts.)
 */
export { parseInstance, type DicomInstance } from "./instance.js";
export { decodeFrame, type DecodedImage } from "./decode-frame.js";
export { FrameScratch } from "./frame-scratch.js";
export { floatPixels } from "./display-pixels.js";
export { thumbnailOf, type GreyImage } from "./thumbnail.js";
export { readStoredValues } from "./stored-values.js";
export { preprocess, fitGeometry, type Geometry } from "./preprocess.js";
export { PreprocessSpecSchema, type PreprocessSpec } from "./preprocess-spec.js";
export { ACCEPTED_IMAGE_SOP_CLASSES } from "./sop-class.js";
export { initCodecs } from "./init-codecs.js";
export { modelView, storedPnm, pnmOffset } from "./model-view.js";
export { encapsulatedFrame } from "./encapsulated.js";
export { DEFAULT_FRAME_DECODERS, type FrameDecoder } from "./frame-decoder.js";
export { getNumber, getString, getStrings } from "./dataset.js";
