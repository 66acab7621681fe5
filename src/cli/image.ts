/**
 * `radz image <file> --png <out> [--bundle <dir>] [--frame N] [--stored <out.pgm>]`
 *
 *  --png     the image exactly as the model is given it: after the Modality
 *            and VOI LUTs, photometric rules and the bundle's preprocessing
 *            (resize filter, pad / crop, size, 8-bit rounding), before the
 *            normalisation (mean / std) and channel replication. An 8-bit
 *            grey PNG when the bundle rounds to 8-bit levels, else 16-bit.
 *  --stored  the decoded stored values (before any LUT) as a binary 16-bit
 *            PGM (PPM for colour) to compare with other toolkits; signed
 *            images are offset by 2^(Bits Stored - 1), stated in the header.
 *
 * The window, frame limits and instance size come from the configuration
 * (imaging.windowIndex, imaging.maxPixels, dicomweb.maxInstanceBytes), the
 * preprocessing from the bundle (--bundle, else model.bundle).
 */
import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import sharp from "sharp";
import { transferSyntaxName } from "../dicom/index.js";
import { RadzError } from "../errors.js";
import {
  decodeFrame,
  initCodecs,
  modelView,
  parseInstance,
  pnmOffset,
  readStoredValues,
  storedPnm,
} from "../imaging/index.js";
import { readBundleManifest } from "../model/index.js";
import { addCommonOptions, configFrom, type CommonOptions } from "./common.js";

interface ImageOptions extends CommonOptions {
  png?: string;
  stored?: string;
  bundle?: string;
  frame: string;
}

function frameNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
    throw new RadzError("INPUT_INVALID", `--frame must be a 0-based frame number, not "${text}"`);
  }
  return n;
}

export function registerImageCommand(program: Command): void {
  addCommonOptions(
    program
      .command("image")
      .description(
        "Write what the model sees for a DICOM image (--png: after LUTs and the bundle's\n" +
          "preprocessing, before normalisation) and/or its decoded stored values (--stored: 16-bit PGM).",
      )
      .argument("<file>", "DICOM Part-10 file")
      .option("--png <out>", "PNG of the model's input image (grey, 8- or 16-bit)")
      .option("--stored <out>", "16-bit PGM (PPM for colour) of the stored pixel values")
      .option(
        "-b, --bundle <dir>",
        "model bundle whose preprocessing to apply (default: model.bundle)",
      )
      .option("--frame <n>", "0-based frame of a multi-frame image", "0"),
  ).action(async (file: string, opts: ImageOptions) => {
    if (opts.png === undefined && opts.stored === undefined) {
      throw new RadzError(
        "INPUT_INVALID",
        "nothing to write: give --png <out> and/or --stored <out>",
      );
    }
    const frame = frameNumber(opts.frame);
    const config = configFrom(opts, opts.bundle ? { model: { bundle: opts.bundle } } : {});
    await initCodecs();
    const bytes = new Uint8Array(await readFile(file));
    const instance = parseInstance(bytes, { maxBytes: config.dicomweb.maxInstanceBytes });
    const lines: string[] = [
      `${file}: ${transferSyntaxName(instance.transferSyntaxUid)} (${instance.transferSyntaxUid}), frame ${frame}`,
    ];

    if (opts.stored !== undefined) {
      const stored = readStoredValues(instance, frame, { maxPixels: config.imaging.maxPixels });
      await writeFile(opts.stored, storedPnm(stored));
      const offset = pnmOffset(stored);
      lines.push(
        `stored values: ${opts.stored} (${stored.columns} x ${stored.rows}, ${stored.photometricInterpretation}, ` +
          `Bits Stored ${stored.bitsStored}${offset ? `, written as value + ${offset}` : ""})`,
      );
    }

    if (opts.png !== undefined) {
      const manifest = await readBundleManifest(config.model.bundle);
      const decoded = decodeFrame(instance, {
        frame,
        windowIndex: config.imaging.windowIndex,
        maxPixels: config.imaging.maxPixels,
      });
      const view = modelView(decoded, manifest.preprocess);
      const png = sharp(view.data, {
        raw: { width: view.width, height: view.height, channels: 1 },
      })
        .toColourspace(view.bits === 16 ? "grey16" : "b-w")
        .png();
      await writeFile(opts.png, await png.toBuffer());
      const w = decoded.window;
      lines.push(
        `model input: ${opts.png} (${view.width} x ${view.height}, ${view.bits}-bit grey; bundle ` +
          `${manifest.identity.id} ${manifest.identity.version}; VOI ${decoded.voi}` +
          `${w ? ` C=${w.center} W=${w.width}` : ""})`,
      );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  });
}
