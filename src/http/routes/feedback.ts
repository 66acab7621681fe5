/**
 * Radiologist feedback from the worklist (issue 21):
 *
 *   GET  /api/studies/:id/feedback   the study's current verdicts and the label set
 *   POST /api/studies/:id/feedback   confirm / reject findings, add a missed one
 *                                    (role reviewer or admin; auth.ts WRITE_ROUTE_ROLES)
 *
 * A body is {"findings": [{"label": "<label id>", "verdict": "present"|"absent"}]}:
 * confirming a finding is "present", rejecting it "absent", a missed finding
 * "present" for a label the model did not flag. Entries are appended to the
 * job store's feedback table (src/jobs/feedback.ts) under the study's hashed
 * key with the principal's name as author and source "worklist"; the latest
 * entry per (study, label) is the current verdict. The audit line
 * (feedback.recorded) names the labels and verdicts; nothing holds PHI.
 */
import type { Request, Response, Router } from "express";
import { RadzError } from "../../errors.js";
import {
  FEEDBACK_VERDICTS,
  studyFeedbackKey,
  type FeedbackInput,
  type FeedbackVerdict,
  type Job,
} from "../../jobs/index.js";
import { setAuditDetail } from "../audit.js";
import { principalOf } from "../auth.js";
import { LABEL_ID_PATTERN, orthancIdParam } from "./params.js";
import type { WorklistRouteDeps } from "./types.js";

/** Most entries in one POST (a label set is a few dozen labels). */
export const MAX_FEEDBACK_ENTRIES = 64;

interface LabelChoice {
  readonly id: string;
  readonly display: string;
}

function studyUidOf(job: Job): string | null {
  return job.studyInstanceUid ?? job.result?.studyInstanceUid ?? null;
}

function labelSet(deps: WorklistRouteDeps, job: Job): LabelChoice[] {
  const labels =
    deps.labels?.() ??
    job.result?.findings.map((f) => ({ id: f.labelId, display: f.display })) ??
    [];
  return labels.map((l) => ({ id: l.id, display: l.display }));
}

/** The POST body, checked: known labels, each at most once, verdict present or absent. */
export function parseFeedbackBody(
  body: unknown,
  labels: readonly LabelChoice[],
): { label: string; verdict: FeedbackVerdict }[] {
  const findings: unknown =
    typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as { findings?: unknown }).findings
      : undefined;
  if (!Array.isArray(findings) || findings.length === 0 || findings.length > MAX_FEEDBACK_ENTRIES) {
    throw new RadzError(
      "INPUT_INVALID",
      `body must be {"findings": [{"label": "<label id>", "verdict": "present"|"absent"}]} with 1 to ${MAX_FEEDBACK_ENTRIES} entries`,
    );
  }
  const known = new Set(labels.map((l) => l.id));
  const seen = new Set<string>();
  return findings.map((f: unknown, i) => {
    const label: unknown =
      typeof f === "object" && f !== null ? (f as { label?: unknown }).label : undefined;
    const verdict: unknown =
      typeof f === "object" && f !== null ? (f as { verdict?: unknown }).verdict : undefined;
    if (typeof label !== "string" || !LABEL_ID_PATTERN.test(label)) {
      throw new RadzError(
        "INPUT_INVALID",
        `findings[${i}].label must be a label id (lower_snake_case)`,
      );
    }
    if (!known.has(label)) {
      throw new RadzError("INPUT_INVALID", `findings[${i}].label is not in the model's label set`);
    }
    if (seen.has(label)) {
      throw new RadzError("INPUT_INVALID", `findings[${i}].label appears more than once`);
    }
    seen.add(label);
    if (
      typeof verdict !== "string" ||
      !(FEEDBACK_VERDICTS as readonly string[]).includes(verdict)
    ) {
      throw new RadzError("INPUT_INVALID", `findings[${i}].verdict must be "present" or "absent"`);
    }
    return { label, verdict: verdict as FeedbackVerdict };
  });
}

export function registerFeedbackRoutes(router: Router, deps: WorklistRouteDeps): void {
  const jobOf = (req: Request): Job => {
    const id = orthancIdParam(req.params.id);
    const job = deps.store.getByStudy(id);
    if (!job) throw new RadzError("JOB_NOT_FOUND", "no job for that study");
    return job;
  };
  const current = (uid: string | null) =>
    uid === null || deps.feedback === undefined
      ? []
      : deps.feedback.listFeedback({ studyKey: studyFeedbackKey(uid), current: true });

  router.get("/api/studies/:id/feedback", (req: Request, res: Response) => {
    const job = jobOf(req);
    res.json({
      orthancStudyId: job.orthancStudyId,
      labels: labelSet(deps, job),
      feedback: current(studyUidOf(job)),
    });
  });

  router.post("/api/studies/:id/feedback", (req: Request, res: Response) => {
    const job = jobOf(req);
    const store = deps.feedback;
    if (store === undefined) {
      throw new RadzError("ROUTE_NOT_FOUND", "this service does not store feedback");
    }
    const uid = studyUidOf(job);
    if (uid === null) {
      throw new RadzError(
        "JOB_INVALID_TRANSITION",
        "RadZ has not read this study yet; give feedback once it has a result",
      );
    }
    const entries = parseFeedbackBody(req.body, labelSet(deps, job));
    const author = principalOf(res)?.name;
    if (author === undefined) throw new RadzError("AUTH_REQUIRED", "no authenticated principal");
    const inputs: FeedbackInput[] = entries.map((e) => ({ studyInstanceUid: uid, ...e }));
    const stored = store.addFeedback(inputs, { author, source: "worklist" });
    const studyKey = studyFeedbackKey(uid);
    setAuditDetail(res, "feedback.recorded", { jobId: job.id, studyKey, findings: entries });
    res.status(201).json({
      orthancStudyId: job.orthancStudyId,
      stored,
      feedback: current(uid),
    });
  });
}
