/**
 * Structured logging (pino). Components take a child logger
 * (`logger.child({ component: "intake" })`), jobs a child with the job's
 * correlation id. Studies are identified by Orthanc ID, never by patient
 * attributes.
 *
 * As a second line of defence, any field whose name is a PHI attribute is
 * redacted wherever it appears in a log object.
 */
import pino, { type Logger, type LevelWithSilent } from "pino";
import { Tag } from "../dicom/index.js";

export type { Logger } from "pino";

export const PHI_FIELDS = [
  "PatientName",
  "PatientID",
  "PatientBirthDate",
  "AccessionNumber",
  "patientName",
  "patientId",
  "patientBirthDate",
  "accessionNumber",
  Tag.PatientName,
  Tag.PatientID,
  Tag.PatientBirthDate,
  Tag.AccessionNumber,
] as const;

const REDACT_PATHS = PHI_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Where to write; defaults to stdout. Tests pass a stream to scan lines. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: "radz" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination(1),
  );
}

/** A logger that writes nothing (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
