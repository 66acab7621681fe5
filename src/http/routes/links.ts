/**
 * Links shown for a study: Orthanc Explorer and a configurable viewer. Built
 * on the server from configuration and the job's own IDs only: a client never
 * passes a URL, and the templates are checked to be http(s) at start.
 */
import type { Job } from "../../jobs/index.js";
import { reportUids } from "../../report/index.js";

export interface StudyLinkOptions {
  /** Orthanc as browsers reach it (ui.orthancPublicUrl, else orthanc.url); null: no Explorer link. */
  readonly orthancPublicUrl: string | null;
  /** ui.viewerUrlTemplate with {studyInstanceUID} / {orthancStudyId}; null: no viewer link. */
  readonly viewerUrlTemplate: string | null;
  readonly viewerName: string;
}

export interface StudyLinks {
  readonly explorer: string | null;
  readonly viewer: string | null;
  readonly viewerName: string;
  /** The API path of the preview image, or null when there is no image to show. */
  readonly preview: string | null;
}

/** A base URL without credentials or trailing slashes. */
export function publicBase(url: string): string {
  const u = new URL(url);
  u.username = "";
  u.password = "";
  u.search = "";
  u.hash = "";
  return u.toString().replace(/\/+$/, "");
}

export function studyLinks(job: Job, o: StudyLinkOptions | undefined): StudyLinks {
  const id = encodeURIComponent(job.orthancStudyId);
  const uid = job.result?.studyInstanceUid ?? job.studyInstanceUid;
  const explorer =
    o?.orthancPublicUrl != null
      ? `${publicBase(o.orthancPublicUrl)}/app/explorer.html#study?uuid=${id}`
      : null;
  const template = o?.viewerUrlTemplate ?? null;
  const viewer =
    template !== null && (uid !== null || !template.includes("{studyInstanceUID}"))
      ? template
          .replaceAll("{studyInstanceUID}", encodeURIComponent(uid ?? ""))
          .replaceAll("{orthancStudyId}", id)
      : null;
  return {
    explorer,
    viewer,
    viewerName: o?.viewerName ?? "Viewer",
    preview: previewCandidates(job).length === 0 ? null : `/api/studies/${id}/preview`,
  };
}

/**
 * The instances to preview, best first: the results series' summary image
 * (recorded on the job, or derived from the job's Study UID and model
 * identity, as the report module names it), then the first image the model
 * read. Empty when the job has no result.
 */
export function previewCandidates(job: Job): string[] {
  const result = job.result;
  if (result === null) return [];
  const out: string[] = [];
  const summary: unknown = (result as { summary?: unknown }).summary;
  if (
    typeof summary === "object" &&
    summary !== null &&
    "sopInstanceUid" in summary &&
    typeof summary.sopInstanceUid === "string"
  ) {
    out.push(summary.sopInstanceUid);
  }
  out.push(reportUids(result.studyInstanceUid, result.model).summarySopInstanceUid);
  if (result.images[0] !== undefined) out.push(result.images[0]);
  return [...new Set(out)];
}

/** Link options from the configuration (ui.*, falling back to orthanc.url for Explorer). */
export function linkOptionsFromConfig(config: {
  readonly ui: {
    readonly orthancPublicUrl?: string | undefined;
    readonly viewerUrlTemplate?: string | undefined;
    readonly viewerName: string;
  };
  readonly orthanc: { readonly url: string };
}): StudyLinkOptions {
  return {
    orthancPublicUrl: config.ui.orthancPublicUrl ?? config.orthanc.url,
    viewerUrlTemplate: config.ui.viewerUrlTemplate ?? null,
    viewerName: config.ui.viewerName,
  };
}
