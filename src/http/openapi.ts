/**
 * The API's OpenAPI 3.1 document, served at GET /api/openapi.json. Written by
 * hand next to the routes; test/http/routes/openapi.test.ts calls every route
 * of a real createApi() and validates each response against it (and fails
 * when a route is missing here), so the two cannot drift apart silently.
 * Schemas are JSON Schema 2020-12 (OpenAPI 3.1's dialect).
 */
import { RADZ_VERSION } from "../version.js";

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: "null" }] });
const str: Schema = { type: "string" };
const int0: Schema = { type: "integer", minimum: 0 };
const dateTime: Schema = { type: "string", format: "date-time" };
const unit: Schema = { type: "number", minimum: 0, maximum: 1 };
const uid: Schema = { type: "string", pattern: "^[0-9]+(\\.[0-9]+)*$", maxLength: 64 };
/** [x, y] in source pixels: x = column, y = row, (0, 0) the top-left corner of the top-left pixel. */
const point: Schema = {
  type: "array",
  items: { type: "number", minimum: 0 },
  minItems: 2,
  maxItems: 2,
};
const ORTHANC_ID = "^[0-9a-f]{8}(-[0-9a-f]{8}){4}$";

function object(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return {
    type: "object",
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
    additionalProperties: false,
  };
}

const jobError = nullable(object({ code: str, message: str }));

/** Properties of a worklist row (GET /api/studies items); shared with the detail view. */
const studyProperties: Record<string, Schema> = {
  id: { type: "integer", minimum: 1, description: "Job id (for /api/jobs/{id}/retry)." },
  orthancStudyId: { type: "string", pattern: ORTHANC_ID },
  studyInstanceUID: nullable(uid),
  state: ref("JobState"),
  attempts: int0,
  source: { type: "string", description: "changes, webhook, sweep, manual, backfill" },
  priority: nullable(ref("Priority")),
  triageScore: nullable({ type: "number", minimum: 0 }),
  findings: { type: "array", items: ref("Finding") },
  model: nullable(object({ id: str, version: str, labelSetHash: str })),
  images: {
    type: "array",
    items: uid,
    description: "SOP Instance UIDs of the images read.",
  },
  sr: nullable(object({ sopInstanceUid: uid, seriesInstanceUid: uid })),
  timings: {
    type: "object",
    additionalProperties: { type: "number", minimum: 0 },
    description:
      "Milliseconds per pipeline stage: orthanc, qido, wado, parse, decode, preprocess, inference, srBuild, stow, verify, flags …",
  },
  skipReason: nullable(str),
  error: jobError,
  createdAt: { ...dateTime, description: "Arrival: when RadZ queued the study." },
  updatedAt: dateTime,
  finishedAt: nullable(dateTime),
  links: ref("StudyLinks"),
};

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("Error") } },
});
const json = (description: string, schema: Schema) => ({
  description,
  content: { "application/json": { schema } },
});
const studyIdParam = {
  name: "id",
  in: "path",
  required: true,
  description: "Orthanc study ID.",
  schema: { type: "string", pattern: ORTHANC_ID },
};
const paging = [
  {
    name: "limit",
    in: "query",
    schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
  },
  { name: "offset", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
];
const gatedErrors = {
  "401": errorResponse("No valid token or session (AUTH_REQUIRED)."),
  "429": errorResponse("Too many failed authentications (AUTH_RATE_LIMITED)."),
};
const adminErrors = { ...gatedErrors, "403": errorResponse("Needs role admin (AUTH_FORBIDDEN).") };
const reviewerErrors = {
  ...gatedErrors,
  "403": errorResponse("Needs role reviewer or admin (AUTH_FORBIDDEN)."),
};
const labelId: Schema = { type: "string", pattern: "^[a-z][a-z0-9_]{0,63}$" };
const feedbackVerdict: Schema = {
  enum: ["present", "absent"],
  description:
    "present: the finding is there (confirmed, or missed by the model); absent: rejected.",
};
const feedbackEntry: Schema = object({
  id: { type: "integer", minimum: 1 },
  studyKey: { type: "string", pattern: "^[0-9a-f]{32}$" },
  jobId: nullable({ type: "integer", minimum: 1 }),
  label: str,
  verdict: feedbackVerdict,
  author: str,
  source: { enum: ["import", "worklist"] },
  createdAt: int0,
});
const publicOp = { security: [] as unknown[] };

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "RadZ API",
      version: RADZ_VERSION,
      summary: "Zero-shot chest radiograph findings beside Orthanc: worklist, jobs, notifications.",
      description:
        "Results are machine-generated, unverified and not for clinical use. Responses carry Orthanc IDs, UIDs, states and scores, never patient attributes. Every route except /healthz, the worklist's static files, the session login and the HMAC-signed webhook needs an API token (Authorization: Bearer) or the session cookie; every method but GET/HEAD needs role admin, except feedback on findings (POST /api/studies/{id}/feedback), which needs role reviewer (or admin). GET /api/studies/{id}/identity is the one answer that carries patient attributes (read from Orthanc on demand, never stored).",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    security: [{ bearerToken: [] }, { sessionCookie: [] }],
    paths: {
      "/healthz": {
        get: {
          ...publicOp,
          summary: "Liveness and the running model",
          responses: {
            "200": json(
              "Alive.",
              object({
                status: { const: "ok" },
                model: nullable(
                  object(
                    { id: str, version: str, executionProvider: str, adaptation: nullable(str) },
                    ["adaptation"],
                  ),
                ),
              }),
            ),
          },
        },
      },
      "/readyz": {
        get: {
          summary: "Readiness (model loaded, Orthanc answering)",
          responses: {
            "200": json("Ready.", ref("Readiness")),
            "503": json("Not ready.", ref("Readiness")),
            ...gatedErrors,
          },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          responses: {
            "200": {
              description: "Prometheus text exposition format.",
              content: { "text/plain": { schema: str } },
            },
            ...gatedErrors,
          },
        },
      },
      "/": {
        get: {
          ...publicOp,
          summary: "The worklist page",
          responses: {
            "200": { description: "HTML.", content: { "text/html": { schema: str } } },
          },
        },
      },
      "/worklist": {
        get: {
          ...publicOp,
          summary: "The worklist page (same as /)",
          responses: {
            "200": { description: "HTML.", content: { "text/html": { schema: str } } },
          },
        },
      },
      "/ui/{file}": {
        get: {
          ...publicOp,
          summary: "The worklist page's stylesheet and browser modules",
          parameters: [
            {
              name: "file",
              in: "path",
              required: true,
              schema: { type: "string", pattern: "^[a-z][a-z0-9-]*\\.(js|css)$" },
            },
          ],
          responses: {
            "200": {
              description: "JavaScript module or CSS.",
              content: { "text/javascript": { schema: str }, "text/css": { schema: str } },
            },
            "404": errorResponse("No such file."),
          },
        },
      },
      "/api/session": {
        post: {
          ...publicOp,
          summary:
            "Log in the browser: trade an API token for a session (an opaque ID in an HttpOnly cookie)",
          requestBody: {
            required: true,
            content: { "application/json": { schema: object({ token: str }) } },
          },
          responses: {
            "200": json(
              "Logged in; Set-Cookie: radz_session.",
              object({
                name: str,
                role: { enum: ["read", "reviewer", "admin"] },
                expiresAt: dateTime,
              }),
            ),
            "400": errorResponse("Body is not {token}."),
            "401": errorResponse("Invalid token."),
            "403": errorResponse("Cross-site request (Origin of another site) (AUTH_FORBIDDEN)."),
            "429": errorResponse("Too many failed attempts."),
          },
        },
        get: {
          summary: "Whose token or session this is (the login link shows it before logging in)",
          responses: {
            "200": json(
              "The credential's holder.",
              object({
                name: str,
                role: { enum: ["read", "reviewer", "admin"] },
                via: { enum: ["bearer", "cookie"] },
              }),
            ),
            "401": errorResponse("No valid token or session (AUTH_REQUIRED)."),
          },
        },
        delete: {
          ...publicOp,
          summary: "Log out: the session ends on the server and the cookie is cleared",
          responses: {
            "204": { description: "Logged out." },
            "403": errorResponse("Cross-site request (AUTH_FORBIDDEN)."),
          },
        },
      },
      "/webhook/orthanc": {
        post: {
          ...publicOp,
          summary: "Push from an Orthanc hook: a stable study (HMAC-signed; see docs)",
          responses: {
            "202": json(
              "Queued (or already known).",
              object({
                accepted: { const: true },
                created: { type: "boolean" },
                jobId: { type: "integer" },
                state: ref("JobState"),
              }),
            ),
            "400": errorResponse("Malformed body."),
            "401": errorResponse("Bad or missing signature."),
            "413": errorResponse("Body too large (INPUT_TOO_LARGE)."),
            "404": errorResponse("Webhook disabled (WEBHOOK_DISABLED)."),
          },
        },
      },
      "/api/studies": {
        get: {
          summary:
            "Worklist: studies by priority (urgent, review, routine, not analysed) then arrival",
          parameters: [
            { name: "priority", in: "query", schema: ref("Priority") },
            {
              name: "flag",
              in: "query",
              description: "Only studies with a positive finding of this label id.",
              schema: { type: "string", pattern: "^[a-z][a-z0-9_]{0,63}$" },
            },
            { name: "state", in: "query", schema: ref("JobState") },
            {
              name: "since",
              in: "query",
              description:
                "Only studies that arrived at or after this ISO 8601 date/date-time, or epoch milliseconds.",
              schema: str,
            },
            ...paging,
          ],
          responses: {
            "200": json(
              "One page.",
              object({
                studies: { type: "array", items: ref("Study") },
                limit: int0,
                offset: int0,
                nextOffset: nullable(int0),
                counts: { type: "object", additionalProperties: int0 },
              }),
            ),
            "400": errorResponse("Bad filter (INPUT_INVALID)."),
            ...gatedErrors,
          },
        },
      },
      "/api/studies/{id}": {
        get: {
          summary:
            "One study: findings with calibrated probabilities and thresholds, SR UIDs, stage timings, errors, notifications",
          parameters: [studyIdParam],
          responses: {
            "200": json("The study.", ref("StudyDetail")),
            "400": errorResponse("Malformed id."),
            "404": errorResponse("No job for that study (JOB_NOT_FOUND)."),
            ...gatedErrors,
          },
        },
      },
      "/api/studies/{id}/preview": {
        get: {
          summary: "Preview image (the results' summary image, else the first image read)",
          parameters: [studyIdParam],
          responses: {
            "200": {
              description: "Rendered by Orthanc (/instances/{id}/preview).",
              content: {
                "image/png": { schema: { type: "string", contentMediaType: "image/png" } },
              },
            },
            "400": errorResponse("Malformed id."),
            "404": errorResponse("No job, or no image in Orthanc."),
            "502": errorResponse("Orthanc failed."),
            ...gatedErrors,
          },
        },
      },
      "/api/studies/{id}/feedback": {
        get: {
          summary: "The study's current feedback per label, and the labels feedback may name",
          parameters: [studyIdParam],
          responses: {
            "200": json(
              "Current verdicts (latest per label) and the model's label set.",
              object({
                orthancStudyId: { type: "string", pattern: ORTHANC_ID },
                labels: { type: "array", items: object({ id: labelId, display: str }) },
                feedback: { type: "array", items: feedbackEntry },
              }),
            ),
            "400": errorResponse("Malformed id."),
            "404": errorResponse("No job for that study (JOB_NOT_FOUND)."),
            ...gatedErrors,
          },
        },
        post: {
          summary: "Confirm or reject findings, add a missed one (role reviewer or admin)",
          description:
            "Appends one feedback entry per item under the study's hashed key, with the caller's token name as author; audit-logged as feedback.recorded. Confirming a finding is `present`, rejecting it `absent`, a missed finding `present` for a label the model did not flag.",
          parameters: [studyIdParam],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: object({
                  findings: {
                    type: "array",
                    minItems: 1,
                    maxItems: 64,
                    items: object({ label: labelId, verdict: feedbackVerdict }),
                  },
                }),
              },
            },
          },
          responses: {
            "201": json(
              "Stored; the study's current feedback.",
              object({
                orthancStudyId: { type: "string", pattern: ORTHANC_ID },
                stored: { type: "integer", minimum: 1 },
                feedback: { type: "array", items: feedbackEntry },
              }),
            ),
            "400": errorResponse(
              "Malformed id or body, a label not in the model's label set or named twice (INPUT_INVALID).",
            ),
            "404": errorResponse("No job for that study (JOB_NOT_FOUND)."),
            "409": errorResponse("RadZ has not read the study yet (JOB_INVALID_TRANSITION)."),
            ...reviewerErrors,
          },
        },
      },
      "/api/studies/{id}/identity": {
        get: {
          summary: "Who the study is: patient name and ID, accession number, description, date",
          description:
            "Patient attributes (PHI), read from Orthanc (GET /studies/{id}) when asked for, for the worklist's users; never stored, logged or sent elsewhere by RadZ. Values as Orthanc holds them (Patient Name FAMILY^GIVEN, Study Date YYYYMMDD); null when absent. Cache-Control: no-store.",
          parameters: [studyIdParam],
          responses: {
            "200": json(
              "The study's identifying tags.",
              object({
                orthancStudyId: { type: "string", pattern: ORTHANC_ID },
                patientName: nullable(str),
                patientId: nullable(str),
                accessionNumber: nullable(str),
                studyDescription: nullable(str),
                studyDate: nullable(str),
              }),
            ),
            "400": errorResponse("Malformed id."),
            "404": errorResponse(
              "No job for that study (JOB_NOT_FOUND), or Orthanc no longer has it (ORTHANC_NOT_FOUND).",
            ),
            "502": errorResponse(
              "Orthanc is not reachable or answered with an error (ORTHANC_UNREACHABLE, ORTHANC_HTTP_ERROR, ORTHANC_REJECTED).",
            ),
            "504": errorResponse("Orthanc did not answer in time (ORTHANC_TIMEOUT)."),
            ...gatedErrors,
          },
        },
      },
      "/api/studies/{id}/reprocess": {
        post: {
          summary: "Queue the study again (also one RadZ has not seen yet)",
          parameters: [studyIdParam],
          responses: {
            "202": json("Queued.", ref("Study")),
            "400": errorResponse("Malformed id."),
            "404": errorResponse("Orthanc has no such study (ORTHANC_NOT_FOUND)."),
            "409": errorResponse("Being processed now (JOB_INVALID_TRANSITION)."),
            ...adminErrors,
          },
        },
      },
      "/api/jobs/failed": {
        get: {
          summary: "Failed jobs, most urgent then oldest first",
          parameters: paging,
          responses: {
            "200": json(
              "One page.",
              object({
                jobs: { type: "array", items: ref("Study") },
                limit: int0,
                offset: int0,
                nextOffset: nullable(int0),
              }),
            ),
            "400": errorResponse("Bad paging."),
            ...gatedErrors,
          },
        },
      },
      "/api/jobs/{id}/retry": {
        post: {
          summary: "Queue a failed job again",
          parameters: [
            { name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1 } },
          ],
          responses: {
            "202": json("Queued.", ref("Study")),
            "400": errorResponse("Malformed id."),
            "404": errorResponse("No such job (JOB_NOT_FOUND)."),
            "409": errorResponse("The job is not failed (JOB_INVALID_TRANSITION)."),
            ...adminErrors,
          },
        },
      },
      "/api/notifications": {
        get: {
          summary: "Outbound webhook notifications, newest first",
          parameters: [
            { name: "state", in: "query", schema: { enum: ["pending", "delivered", "failed"] } },
            { name: "study", in: "query", schema: { type: "string", pattern: ORTHANC_ID } },
            ...paging,
          ],
          responses: {
            "200": json(
              "One page.",
              object({
                enabled: { type: "boolean", description: "notify.webhookUrl is set." },
                notifications: { type: "array", items: ref("Notification") },
                limit: int0,
                offset: int0,
                nextOffset: nullable(int0),
              }),
            ),
            "400": errorResponse("Bad filter."),
            ...gatedErrors,
          },
        },
      },
      "/api/feedback": {
        get: {
          summary:
            "Radiologist feedback per (study, label), newest first (no PHI: hashed study keys)",
          parameters: [
            {
              name: "label",
              in: "query",
              schema: { type: "string", pattern: "^[a-z][a-z0-9_]{0,63}$" },
            },
            {
              name: "all",
              in: "query",
              schema: { enum: ["0", "1"] },
              description: "1: every entry, not only the latest per (study, label).",
            },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000 } },
          ],
          responses: {
            "200": json(
              "The feedback.",
              object({
                feedback: { type: "array", items: feedbackEntry },
                limit: int0,
              }),
            ),
            "400": errorResponse("Bad filter."),
            ...gatedErrors,
          },
        },
      },
      "/api/drift": {
        get: {
          summary:
            "Per-label score drift: PSI of the current window against the reference window, levels, alert state and history (docs/drift.md)",
          responses: {
            "200": json(
              "The drift monitor's state (enabled false: drift.enabled is off; nothing else then).",
              object(
                {
                  enabled: { type: "boolean" },
                  referenceKey: {
                    ...str,
                    description: "The label-set hash the windows belong to.",
                  },
                  settings: object({
                    referenceSize: int0,
                    windowSize: int0,
                    minWindowSize: int0,
                    bins: int0,
                    watchLevel: { type: "number" },
                    alertLevel: { type: "number" },
                  }),
                  referenceCount: int0,
                  windowCount: int0,
                  labels: {
                    type: "array",
                    items: object({
                      label: str,
                      display: str,
                      level: { enum: ["reference", "collecting", "ok", "watch", "alert"] },
                      psi: nullable({ type: "number", minimum: 0 }),
                      alerting: { type: "boolean" },
                      bins: nullable(
                        object({
                          edges: { type: "array", items: { type: "number" } },
                          reference: { type: "array", items: unit },
                          current: { type: "array", items: unit },
                        }),
                      ),
                      history: {
                        type: "array",
                        items: object({
                          at: {
                            ...int0,
                            description: "Epoch ms of the study that ended the window.",
                          },
                          psi: { type: "number", minimum: 0 },
                        }),
                      },
                    }),
                  },
                },
                ["referenceKey", "settings", "referenceCount", "windowCount", "labels"],
              ),
            ),
            ...gatedErrors,
          },
        },
      },
      "/api/events": {
        get: {
          summary: "Live updates (Server-Sent Events)",
          description:
            "`event: job` with `data:` a Study (JSON) whenever a job settles or is requeued; a comment line every 15 s keeps the stream open.",
          responses: {
            "200": {
              description: "An endless text/event-stream.",
              content: { "text/event-stream": { schema: str } },
            },
            "503": errorResponse("Too many live-update clients."),
            ...gatedErrors,
          },
        },
      },
      "/api/openapi.json": {
        get: {
          summary: "This document",
          responses: {
            "200": json("OpenAPI 3.1.", { type: "object", required: ["openapi", "paths"] }),
            ...gatedErrors,
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerToken: {
          type: "http",
          scheme: "bearer",
          description: "An API token (radz token create).",
        },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "radz_session",
          description:
            "An opaque session ID set by POST /api/session (never the token). Requests other than GET/HEAD authenticated by it need this service's Origin (or Sec-Fetch-Site: same-origin).",
        },
      },
      schemas: {
        Error: object({
          error: object({ code: { type: "string", pattern: "^[A-Z][A-Z0-9_]*$" }, message: str }),
        }),
        Priority: { enum: ["urgent", "review", "routine"] },
        JobState: { enum: ["queued", "running", "done", "skipped", "failed"] },
        Readiness: {
          type: "object",
          required: ["ready"],
          properties: { ready: { type: "boolean" } },
          additionalProperties: true,
        },
        Finding: object(
          {
            labelId: str,
            display: str,
            probability: { ...unit, description: "Calibrated probability." },
            threshold: {
              ...unit,
              description: "Operating threshold (bundle or triage.labels override).",
            },
            positive: { type: "boolean" },
            regions: {
              type: "array",
              items: ref("Region"),
              description:
                "Where the finding is, on each image read (positive findings, bundles with a spatial output; absent otherwise).",
            },
          },
          ["regions"],
        ),
        Region: object({
          sopInstanceUID: uid,
          frame: { type: "integer", minimum: 1, description: "Frame number (1-based)." },
          peak: { ...point, description: "Highest point of the label's heatmap in the region." },
          box: {
            type: "array",
            items: { type: "number", minimum: 0 },
            minItems: 4,
            maxItems: 4,
            description: "[x0, y0, x1, y1] bounding box.",
          },
          polygon: {
            type: "array",
            items: point,
            description: "Outer contour (closed implicitly).",
          },
          score: { ...unit, description: "The label's calibration applied to the region's peak." },
        }),
        StudyLinks: object({
          explorer: nullable({ type: "string", format: "uri" }),
          viewer: nullable({ type: "string", format: "uri" }),
          viewerName: str,
          preview: nullable(str),
        }),
        Study: object(studyProperties),
        StudyDetail: object({
          ...studyProperties,
          notifications: { type: "array", items: ref("Notification") },
        }),
        Notification: object({
          id: { type: "integer", minimum: 1 },
          eventId: { type: "string", format: "uuid" },
          event: str,
          jobId: { type: "integer", minimum: 1 },
          orthancStudyId: { type: "string", pattern: ORTHANC_ID },
          state: { enum: ["pending", "delivered", "failed"] },
          attempts: int0,
          nextAttemptAt: nullable(dateTime),
          lastStatus: nullable({ type: "integer" }),
          error: jobError,
          createdAt: dateTime,
          updatedAt: dateTime,
          deliveredAt: nullable(dateTime),
        }),
      },
    },
  };
}
