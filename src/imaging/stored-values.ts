/**
 * Stored pixel values of one frame, before any LUT — for comparison with
 * other toolkits and for a "stored values" PGM export.
 */
import { Photometric } from "./pixel-module.js";
import type { DicomInstance } from "./instance.js";
import { loadRawFrame, storedValueTable, type FrameOptions } from "./raw-frame.js";

export interface StoredFrame {
  readonly rows: number;
  readonly columns: number;
  /** 1, or 3 for colour (YBR_FULL_422 is expanded to one Y Cb Cr triple per pixel). */
  readonly samplesPerPixel: 1 | 3;
  readonly bitsStored: number;
  /** Pixel Representation 1: values are two's complement, sign-extended here. */
  readonly signed: boolean;
  readonly photometricInterpretation: string;
  /** rows*columns*samplesPerPixel stored values, row-major, samples interleaved per pixel. */
  readonly data: Int32Array;
}

/** Stored values of frame `frame` (0-based, default 0). */
export function readStoredValues(
  instance: DicomInstance,
  frame = 0,
  opts: FrameOptions = {},
): StoredFrame {
  const { pixel, words } = loadRawFrame(instance, frame, opts);
  const table = storedValueTable(pixel);
  const n = pixel.rows * pixel.columns;
  const spp = pixel.samplesPerPixel;
  const data = new Int32Array(n * spp);
  if (spp === 1) {
    for (let i = 0; i < n; i++) data[i] = table[words[i] as number] as number;
  } else if (pixel.photometricInterpretation === Photometric.YbrFull422) {
    // Y1 Y2 Cb Cr for each horizontal pair of pixels (PS3.3 C.7.6.3.1.2).
    for (let p = 0, w = 0; p < n; p += 2, w += 4) {
      const cb = table[words[w + 2] as number] as number;
      const cr = table[words[w + 3] as number] as number;
      data[3 * p] = table[words[w] as number] as number;
      data[3 * p + 1] = cb;
      data[3 * p + 2] = cr;
      data[3 * p + 3] = table[words[w + 1] as number] as number;
      data[3 * p + 4] = cb;
      data[3 * p + 5] = cr;
    }
  } else if (pixel.planarConfiguration === 1) {
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < n; i++) data[3 * i + s] = table[words[s * n + i] as number] as number;
    }
  } else {
    for (let i = 0; i < 3 * n; i++) data[i] = table[words[i] as number] as number;
  }
  return {
    rows: pixel.rows,
    columns: pixel.columns,
    samplesPerPixel: spp,
    bitsStored: pixel.bitsStored,
    signed: pixel.pixelRepresentation === 1,
    photometricInterpretation: pixel.photometricInterpretation,
    data,
  };
}
