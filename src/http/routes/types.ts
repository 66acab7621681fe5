import type { FeedbackEntry, FeedbackFilter, JobStore } from "../../jobs/index.js";
import type { NotificationLog } from "../../notify/index.js";
import type { Logger } from "../../observability/index.js";
import type { EventBus } from "../events.js";
import type { StudyLinkOptions } from "./links.js";
import type { PreviewSource } from "./preview.js";

/** What the worklist routes need; everything but the store and logger is optional. */
export interface WorklistRouteDeps {
  readonly store: JobStore;
  readonly logger: Logger;
  /** Wakes the job runner after a requeue (it also polls on its own). */
  readonly wake?: (() => void) | undefined;
  /** Live updates for GET /api/events; the reprocess/retry routes publish to it. */
  readonly events?: EventBus | undefined;
  readonly links?: StudyLinkOptions | undefined;
  readonly preview?: PreviewSource | undefined;
  /** Outbound webhook notifications (absent: notify is not configured). */
  readonly notifications?: Pick<NotificationLog, "list"> | undefined;
  /** Radiologist feedback in the job store (GET /api/feedback). */
  readonly feedback?: { listFeedback(filter: FeedbackFilter): FeedbackEntry[] } | undefined;
  /** Whether Orthanc has a study (reprocessing a study RadZ has no job for). */
  readonly studyExists?: ((orthancStudyId: string) => Promise<boolean>) | undefined;
  /** Serve the worklist page (ui.enabled). */
  readonly ui?: { readonly enabled: boolean } | undefined;
  /** SSE keep-alive comment interval (default 15 s). */
  readonly sseHeartbeatMs?: number | undefined;
  /** Most concurrent SSE clients (default 100). */
  readonly maxEventClients?: number | undefined;
}
