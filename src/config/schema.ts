/**
 * The one configuration schema. Every option lives here with its default and
 * description; docs/configuration.md is generated from it (npm run docs:config)
 * and a test fails when that file is stale.
 */
import cron from "node-cron";
import { z } from "zod";

const url = z.string().url();

export const ConfigSchema = z
  .object({
    orthanc: z
      .object({
        url: url.default("http://127.0.0.1:8042").describe("Orthanc REST base URL."),
        username: z.string().optional().describe("HTTP Basic user for Orthanc."),
        password: z
          .string()
          .optional()
          .describe("HTTP Basic password for Orthanc (secret; prefer RADZ_ORTHANC__PASSWORD)."),
        timeoutMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe("Per-request timeout for Orthanc REST calls."),
      })
      .strict()
      .default({ url: "http://127.0.0.1:8042", timeoutMs: 30_000 }),
    dicomweb: z
      .object({
        url: url
          .optional()
          .describe("DICOMweb root (QIDO/WADO/STOW). Default: <orthanc.url>/dicom-web."),
        timeoutMs: z
          .number()
          .int()
          .positive()
          .default(60_000)
          .describe("Per-request timeout for DICOMweb calls."),
        maxInstanceBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024 * 1024)
          .describe(
            "Largest instance RadZ will retrieve; larger ones fail the study with DICOMWEB_INSTANCE_TOO_LARGE.",
          ),
      })
      .strict()
      .default({ timeoutMs: 60_000, maxInstanceBytes: 256 * 1024 * 1024 }),
    intake: z
      .object({
        poll: z
          .boolean()
          .default(true)
          .describe("Poll Orthanc's /changes feed for StableStudy events."),
        pollCron: z
          .string()
          .refine((v) => cron.validate(v), "not a valid node-cron expression")
          .default("*/2 * * * * *")
          .describe("node-cron schedule (with seconds) for polling /changes."),
        startFrom: z
          .enum(["now", "beginning"])
          .default("now")
          .describe(
            "On first start (no stored cursor): 'now' ignores studies already in Orthanc (use `radz backfill` for those), 'beginning' reads Orthanc's whole change history.",
          ),
        changesLimit: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(100)
          .describe("Changes fetched per /changes request."),
      })
      .strict()
      .default({ poll: true, pollCron: "*/2 * * * * *", startFrom: "now", changesLimit: 100 }),
    jobs: z
      .object({
        dbPath: z
          .string()
          .default(".radz/radz.sqlite")
          .describe("SQLite job store path (created if missing)."),
        concurrency: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(2)
          .describe("Studies processed at once."),
        maxAttempts: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(5)
          .describe("Attempts before a job with transient errors ends failed."),
        backoffBaseMs: z
          .number()
          .int()
          .min(0)
          .default(2_000)
          .describe("First retry delay; doubles each attempt, with jitter."),
        backoffMaxMs: z
          .number()
          .int()
          .min(0)
          .default(300_000)
          .describe("Upper bound on one retry delay."),
      })
      .strict()
      .default({
        dbPath: ".radz/radz.sqlite",
        concurrency: 2,
        maxAttempts: 5,
        backoffBaseMs: 2_000,
        backoffMaxMs: 300_000,
      }),
    selection: z
      .object({
        modalities: z
          .array(z.string())
          .default(["CR", "DX", "DR"])
          .describe("Modalities whose images are read."),
        bodyParts: z
          .array(z.string())
          .default(["CHEST", "THORAX", ""])
          .describe("Accepted Body Part Examined values ('' = absent)."),
        maxImagesPerStudy: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(4)
          .describe("Most images read per study."),
      })
      .strict()
      .default({
        modalities: ["CR", "DX", "DR"],
        bodyParts: ["CHEST", "THORAX", ""],
        maxImagesPerStudy: 4,
      }),
    imaging: z
      .object({
        maxPixels: z
          .number()
          .int()
          .positive()
          .default(100_000_000)
          .describe(
            "Largest Rows x Columns accepted; larger images fail with DICOM_IMAGE_TOO_LARGE.",
          ),
        windowIndex: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe("Which Window Center/Width pair to use when several are present."),
      })
      .strict()
      .default({ maxPixels: 100_000_000, windowIndex: 0 }),
    model: z
      .object({
        bundle: z
          .string()
          .default(".radz/demo-bundle")
          .describe("Model bundle directory (contains bundle.json)."),
        executionProviders: z
          .array(z.enum(["cuda", "cpu"]))
          .default(["cpu"])
          .describe("onnxruntime execution providers in order of preference."),
        requireGpu: z
          .boolean()
          .default(false)
          .describe("Fail at start when the CUDA execution provider is not available."),
        aggregation: z
          .enum(["max", "mean"])
          .default("max")
          .describe("How per-image probabilities combine into a study's."),
      })
      .strict()
      .default({
        bundle: ".radz/demo-bundle",
        executionProviders: ["cpu"],
        requireGpu: false,
        aggregation: "max",
      }),
    report: z
      .object({
        seriesNumber: z
          .number()
          .int()
          .min(1)
          .default(9900)
          .describe("Series Number of the RadZ results series."),
        seriesDescription: z
          .string()
          .max(64)
          .default("RadZ AI findings (unverified)")
          .describe("Series Description of the results series; the model name is appended."),
        manufacturer: z
          .string()
          .max(64)
          .default("RadZ")
          .describe("Manufacturer written into the SR."),
        institutionName: z
          .string()
          .max(64)
          .optional()
          .describe("Institution Name written into the SR equipment module."),
      })
      .strict()
      .default({
        seriesNumber: 9900,
        seriesDescription: "RadZ AI findings (unverified)",
        manufacturer: "RadZ",
      }),
    http: z
      .object({
        host: z.string().default("127.0.0.1").describe("Address the API listens on."),
        port: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .default(8700)
          .describe("Port the API listens on (0 = any free port)."),
      })
      .strict()
      .default({ host: "127.0.0.1", port: 8700 }),
    log: z
      .object({
        level: z
          .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
          .default("info")
          .describe("Log level."),
      })
      .strict()
      .default({ level: "info" }),
  })
  .strict();

export type ConfigInput = z.input<typeof ConfigSchema>;
export type Config = z.output<typeof ConfigSchema>;
