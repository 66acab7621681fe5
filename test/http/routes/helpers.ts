/** Shared set-up for the worklist route tests: a real createApi() on a free port with two tokens. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApi, type ApiDeps } from "../../../src/http/app.js";
import type { JobResult, JobStore } from "../../../src/jobs/index.js";
import { silentLogger } from "../../../src/observability/index.js";
import { hashApiToken } from "../../../src/security/index.js";

export const ADMIN_TOKEN = "radz_test-admin-token-0123456789abcdef";
export const READ_TOKEN = "radz_test-read-token-0123456789abcdef";
export const REVIEWER_TOKEN = "radz_test-reviewer-token-0123456789abcdef";

export interface RunningApi {
  readonly base: string;
  /** fetch with the admin token (or `token`, or none with null). */
  fetch(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export async function startApi(
  store: JobStore,
  worklist: ApiDeps["worklist"] = {},
  extra: Partial<ApiDeps> = {},
): Promise<RunningApi> {
  const app = createApi({
    store,
    logger: silentLogger(),
    ready: () => true,
    model: () => null,
    security: {
      tokens: [
        { name: "admin", sha256: hashApiToken(ADMIN_TOKEN), role: "admin" },
        { name: "reader", sha256: hashApiToken(READ_TOKEN), role: "read" },
        { name: "reviewer", sha256: hashApiToken(REVIEWER_TOKEN), role: "reviewer" },
      ],
    },
    worklist,
    ...extra,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    fetch(path, init = {}) {
      const { token = ADMIN_TOKEN, headers, ...rest } = init;
      const h = new Headers(headers);
      if (token !== null) h.set("Authorization", `Bearer ${token}`);
      return fetch(`${base}${path}`, { ...rest, headers: h });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export const STUDY_IDS = [
  "0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d",
  "11111111-11111111-11111111-11111111-11111111",
  "22222222-22222222-22222222-22222222-22222222",
  "33333333-33333333-33333333-33333333-33333333",
  "44444444-44444444-44444444-44444444-44444444",
  "55555555-55555555-55555555-55555555-55555555",
] as const;

export function result(
  priority: JobResult["priority"],
  positives: Record<string, number>,
  extra: Partial<JobResult> = {},
): JobResult {
  const labels = ["pneumothorax", "pleural_effusion", "cardiomegaly", "nodule"];
  return {
    studyInstanceUid: `2.25.${Math.floor(Math.random() * 1e12)}`,
    findings: labels.map((labelId) => ({
      labelId,
      display: labelId.replace("_", " "),
      probability: positives[labelId] ?? 0.05,
      threshold: 0.5,
      positive: labelId in positives,
    })),
    priority,
    triageScore: Math.max(0, ...Object.values(positives)),
    model: { id: "demo", version: "1", labelSetHash: "abcd" },
    images: ["2.25.100"],
    sr: { sopInstanceUid: "2.25.200", seriesInstanceUid: "2.25.201" },
    timings: { qido: 3.2, inference: 12.5, stow: 4.1, flags: 1.5 },
    ...extra,
  };
}

/** Runs the job of `orthancStudyId` (which must be the next queued one) to done. */
export function completeNext(store: JobStore, orthancStudyId: string, r: JobResult, now: number) {
  const job = store.claimNext(now);
  if (job?.orthancStudyId !== orthancStudyId) throw new Error("unexpected job order");
  return store.complete(job.id, r);
}

export function failNext(store: JobStore, orthancStudyId: string, now: number) {
  const job = store.claimNext(now);
  if (job?.orthancStudyId !== orthancStudyId) throw new Error("unexpected job order");
  return store.fail(job.id, { code: "ORTHANC_REJECTED", message: "Orthanc answered HTTP 403" });
}
