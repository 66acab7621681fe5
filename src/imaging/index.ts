/**
 * imaging/ facade: DICOM Part-10 bytes -> parsed instance -> display image ->
 * model input tensor. No network I/O. (Which instances are read is intake's
 * business: intake/selection.ts.)
 */
export { parseInstance, type DicomInstance, type ParseLimits } from "./instance.js";
export { decodeFrame, type DecodedImage, type DecodeFrameOptions } from "./decode-frame.js";
export { FrameScratch } from "./frame-scratch.js";
export { floatPixels, lookupPixels, type DisplayPixels } from "./display-pixels.js";
export { thumbnailOf, THUMBNAIL_MAX_SIDE, type DisplayImage, type GreyImage } from "./thumbnail.js";
export { readStoredValues, type StoredFrame } from "./stored-values.js";
export type { FrameOptions } from "./raw-frame.js";
export type { VoiSource } from "./grayscale.js";
export { VoiLutFunction, type Window } from "./voi.js";
export { preprocess, fitGeometry, type Geometry } from "./preprocess.js";
export {
  PreprocessSpecSchema,
  type PreprocessSpec,
  type PreprocessSpecInput,
} from "./preprocess-spec.js";
export { ACCEPTED_IMAGE_SOP_CLASSES } from "./sop-class.js";
export { initCodecs, codecsReady } from "./init-codecs.js";
export { modelView, storedPnm, pnmOffset, type ModelViewImage } from "./model-view.js";
export { encapsulatedFrame, extendedOffsets } from "./encapsulated.js";
export { CODEC_FRAME_DECODERS } from "./codecs.js";
export { readJ2kSize, readJpegFrameHeader, type CodestreamHeader } from "./codestream-header.js";
export {
  FrameDecoderRegistry,
  DEFAULT_FRAME_DECODERS,
  defaultFrameDecoders,
  nativeFrameDecoder,
  type FrameDecoder,
  type FrameRequest,
  type DecodedFrameBytes,
} from "./frame-decoder.js";
export { Photometric, type PixelModule } from "./pixel-module.js";
export { getNumber, getString, getStrings } from "./dataset.js";
