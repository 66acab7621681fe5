/**
 * Ground truth for `radz eval` / `radz calibrate`: a CSV file with a header
 * `studyInstanceUID,<label id>,<label id>,...` and one line per study
 * (the format `radz demo --generate` writes as truth.csv). Cells: 1/0,
 * true/false, yes/no, positive/negative; an empty cell, "-1" (CheXpert's
 * "uncertain") or "u" leaves that label unknown for that study, which is then
 * left out of that label's metrics.
 */
import { readFile } from "node:fs/promises";
import { RadzError } from "../errors.js";

export interface TruthTable {
  /** Label ids from the header, in order. */
  readonly labels: readonly string[];
  /** StudyInstanceUID -> label id -> truth (absent = unknown). */
  readonly studies: ReadonlyMap<string, ReadonlyMap<string, boolean>>;
}

const POSITIVE = new Set(["1", "1.0", "true", "yes", "y", "positive", "pos"]);
const NEGATIVE = new Set(["0", "0.0", "false", "no", "n", "negative", "neg"]);
const UNKNOWN = new Set(["", "-1", "-1.0", "u", "unknown", "na", "nan"]);
const UID_COLUMN = new Set(["studyinstanceuid", "study_instance_uid", "studyuid", "study"]);

function cells(line: string): string[] {
  return line.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
}

export function parseTruthCsv(text: string, source = "truth file"): TruthTable {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((l, i) => ({ line: l, no: i + 1 }))
    .filter(({ line }) => line.trim() !== "" && !line.trimStart().startsWith("#"));
  const head = lines.shift();
  if (!head) throw new RadzError("INPUT_INVALID", `${source} is empty`);
  const header = cells(head.line);
  if (!UID_COLUMN.has(header[0]!.toLowerCase()))
    throw new RadzError(
      "INPUT_INVALID",
      `${source}: the first column must be studyInstanceUID, not "${header[0]}"`,
    );
  const labels = header.slice(1);
  if (labels.length === 0) throw new RadzError("INPUT_INVALID", `${source} names no label column`);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup) throw new RadzError("INPUT_INVALID", `${source}: label column "${dup}" appears twice`);
  const studies = new Map<string, Map<string, boolean>>();
  const problems: string[] = [];
  for (const { line, no } of lines) {
    const row = cells(line);
    const uid = row[0]!;
    if (!/^[0-9]+(\.[0-9]+)*$/.test(uid) || uid.length > 64) {
      problems.push(`line ${no}: "${uid.slice(0, 70)}" is not a UID`);
      continue;
    }
    if (row.length !== header.length) {
      problems.push(`line ${no}: ${row.length} cells, the header has ${header.length}`);
      continue;
    }
    if (studies.has(uid)) {
      problems.push(`line ${no}: study ${uid} appears twice`);
      continue;
    }
    const values = new Map<string, boolean>();
    labels.forEach((label, i) => {
      const v = row[i + 1]!.toLowerCase();
      if (POSITIVE.has(v)) values.set(label, true);
      else if (NEGATIVE.has(v)) values.set(label, false);
      else if (!UNKNOWN.has(v)) problems.push(`line ${no}, ${label}: "${row[i + 1]}" is not 1/0`);
    });
    studies.set(uid, values);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join("; ");
    throw new RadzError(
      "INPUT_INVALID",
      `${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"}: ${shown}${problems.length > 10 ? "; ..." : ""}`,
    );
  }
  return { labels, studies };
}

export async function readTruthCsv(file: string): Promise<TruthTable> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new RadzError("INPUT_INVALID", `cannot read the truth file "${file}"`, { cause: err });
  }
  return parseTruthCsv(text, `truth file "${file}"`);
}
