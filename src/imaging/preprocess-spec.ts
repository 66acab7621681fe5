/**
 * How a model wants its input image, as a model bundle declares it
 * (bundle.json "preprocess"). Owned by imaging/ because imaging/ executes it;
 * model/ embeds this schema in the bundle schema.
 */
import { z } from "zod";

export const PreprocessSpecSchema = z
  .object({
    /** Output is size x size. */
    size: z.number().int().min(8).max(4096),
    /** Resampling filter used when resizing. */
    resize: z.enum(["area", "bilinear", "bicubic"]).default("bilinear"),
    /** pad: keep aspect, pad to square; crop: keep aspect, centre crop; stretch: ignore aspect. */
    fit: z.enum(["pad", "crop", "stretch"]).default("pad"),
    /** Value used for padding, on the 0..1 display scale before normalisation. */
    padValue: z.number().min(0).max(1).default(0),
    /** 1 = grey, 3 = grey replicated to RGB. */
    channels: z.union([z.literal(1), z.literal(3)]).default(3),
    /** Pixel scale before mean/std: "unit" = 0..1, "byte" = 0..255. */
    scale: z.enum(["unit", "byte"]).default("unit"),
    /** Round to 8-bit levels before normalisation (models trained on 8-bit PNG/JPEG exports). */
    quantize8: z.boolean().default(false),
    /** Per-channel mean and std applied after scaling: (x - mean) / std. One value applies to all channels. */
    mean: z.array(z.number()).min(1).max(3).default([0]),
    std: z.array(z.number().positive()).min(1).max(3).default([1]),
  })
  .strict()
  .superRefine((spec, ctx) => {
    // One value applies to every channel; otherwise one value per channel.
    for (const key of ["mean", "std"] as const) {
      const n = spec[key].length;
      if (n !== 1 && n !== spec.channels) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `${key} must have 1 value or ${spec.channels} (one per channel), not ${n}`,
        });
      }
    }
  });

export type PreprocessSpec = z.output<typeof PreprocessSpecSchema>;
