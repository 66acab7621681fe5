/**
 * What the model is given, as an image a person can look at, and the stored
 * values as a file other tools can compare against (`radz image`).
 *
 *  - modelView: the decoded frame after every LUT and the bundle's geometry
 *    (resize filter, pad / crop / stretch, output size, 8-bit rounding) —
 *    preprocess() itself, run with the normalisation left out (scale "unit",
 *    mean 0, std 1, one channel), so each value is the grey level in [0,1]
 *    that the bundle's scale / mean / std and channel replication then turn
 *    into the tensor. Bundles that round to 8-bit levels (quantize8) give an
 *    8-bit image holding exactly those levels; the others a 16-bit image,
 *    round(v x 65535).
 *  - storedPnm: the stored values (before any LUT) as a binary 16-bit PGM
 *    (P5; P6 PPM for colour), maxval 65535, samples big-endian (Netpbm).
 *    PGM has no negative numbers, so signed images are written as
 *    value + 2^(Bits Stored - 1); a comment line in the header states the
 *    offset ("# stored = sample - 2048").
 */
import type { DecodedImage } from "./decode-frame.js";
import { preprocess } from "./preprocess.js";
import type { PreprocessSpec } from "./preprocess-spec.js";
import type { StoredFrame } from "./stored-values.js";

export interface ModelViewImage {
  readonly width: number;
  readonly height: number;
  /** 8 when the bundle rounds to 8-bit levels (quantize8), else 16. */
  readonly bits: 8 | 16;
  /** width*height grey samples, row-major. */
  readonly data: Uint8Array | Uint16Array;
}

/** The bundle's preprocessing without its normalisation, as 8- or 16-bit grey. */
export function modelView(decoded: DecodedImage, spec: PreprocessSpec): ModelViewImage {
  const grey = preprocess(decoded, {
    ...spec,
    channels: 1,
    scale: "unit",
    mean: [0],
    std: [1],
  });
  const size = spec.size;
  if (spec.quantize8) {
    return {
      width: size,
      height: size,
      bits: 8,
      data: Uint8Array.from(grey, (v) => Math.round(v * 255)),
    };
  }
  return {
    width: size,
    height: size,
    bits: 16,
    data: Uint16Array.from(grey, (v) => Math.round(v * 65535)),
  };
}

/** The offset added to stored values so that they fit a PGM (0 for unsigned images). */
export function pnmOffset(frame: Pick<StoredFrame, "signed" | "bitsStored">): number {
  return frame.signed ? 2 ** (frame.bitsStored - 1) : 0;
}

/** Stored values as a binary 16-bit PGM (grey) or PPM (colour). */
export function storedPnm(frame: StoredFrame): Uint8Array {
  const offset = pnmOffset(frame);
  const magic = frame.samplesPerPixel === 3 ? "P6" : "P5";
  const header =
    `${magic}\n# RadZ stored values (${frame.photometricInterpretation}, Bits Stored ${frame.bitsStored}` +
    `${frame.signed ? ", signed" : ""}): stored = sample - ${offset}\n` +
    `${frame.columns} ${frame.rows}\n65535\n`;
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(head.byteLength + frame.data.length * 2);
  out.set(head);
  const view = new DataView(out.buffer, head.byteLength);
  for (let i = 0; i < frame.data.length; i++) {
    view.setUint16(2 * i, (frame.data[i] as number) + offset, false);
  }
  return out;
}
