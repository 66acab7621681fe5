import type { DriftSnapshot } from "../../drift/index.js";
import type {
  FeedbackEntry,
  FeedbackFilter,
  FeedbackInput,
  FeedbackSource,
  JobStore,
} from "../../jobs/index.js";
import type { NotificationLog } from "../../notify/index.js";
import type { Logger } from "../../observability/index.js";
import type { OrthancStudyIdentity } from "../../orthanc/index.js";
import type { EventBus } from "../events.js";
import type { StudyLinkOptions } from "./links.js";
import type { PreviewSource } from "./preview.js";

/** Who a study is, read from Orthanc on demand (routes/identity.ts). */
interface StudyIdentitySource {
  /** The study's identifying tags, read from Orthanc now. */
  identity(orthancStudyId: string): Promise<OrthancStudyIdentity>;
}

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
  /** Radiologist feedback in the job store (GET /api/feedback, GET/POST /api/studies/:id/feedback). */
  readonly feedback?:
    | {
        listFeedback(filter: FeedbackFilter): FeedbackEntry[];
        addFeedback(
          entries: readonly FeedbackInput[],
          who: { author: string; source: FeedbackSource },
        ): number;
      }
    | undefined;
  /** The loaded bundle's label set (feedback may name only these; absent: the study's findings). */
  readonly labels?:
    (() => readonly { readonly id: string; readonly display: string }[]) | undefined;
  /** Who a study is (patient name, ID, accession number…), read from Orthanc on demand, never stored. */
  readonly identity?: StudyIdentitySource | undefined;
  /** Whether Orthanc has a study (reprocessing a study RadZ has no job for). */
  readonly studyExists?: ((orthancStudyId: string) => Promise<boolean>) | undefined;
  /** Serve the worklist page (ui.enabled). */
  readonly ui?: { readonly enabled: boolean } | undefined;
  /** SSE keep-alive comment interval (default 15 s). */
  readonly sseHeartbeatMs?: number | undefined;
  /** Most concurrent SSE clients (default 100). */
  readonly maxEventClients?: number | undefined;
  /** Drift monitoring (GET /api/drift; absent: drift.enabled is false). */
  readonly drift?: { snapshot(): DriftSnapshot } | undefined;
}
