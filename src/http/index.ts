/**
 * The HTTP surface's facade (docs/architecture.md, "Layers"): the API with its
 * worklist routes, the live-update bus, and the Orthanc webhook route.
 */
export { createApi } from "./app.js";
export { EventBus } from "./events.js";
export { WEBHOOK_PATH, createWebhookRouter } from "./webhook.js";
export { linkOptionsFromConfig, orthancPreviewSource, studyLinks } from "./routes/index.js";
