export { createOutboundHttp, loadTlsFiles, type FetchLike, type OutboundHttp } from "./outbound.js";
export {
  dicomwebOutboundOptions,
  orthancOutboundOptions,
  outboundFromConfig,
  type OutboundTransports,
} from "./outbound-config.js";
export { REDACTED, redactConfig, redactUrl } from "./redact.js";
export {
  API_ROLES,
  ApiTokenTable,
  MAX_TOKEN_LENGTH,
  generateApiToken,
  hashApiToken,
  roleAllows,
  type ApiPrincipal,
  type ApiRole,
  type ApiTokenEntry,
} from "./api-tokens.js";
export {
  DISCARD_MAX_BYTES,
  ResponseTooLargeError,
  boundedChunks,
  discardBody,
  readBytesLimited,
  readIncomingLimited,
  readJsonLimited,
  readTextLimited,
} from "./response-body.js";
export {
  ReplayGuard,
  signWebhook,
  verifyWebhook,
  webhookBearerToken,
  type WebhookAuthScheme,
} from "./webhook-auth.js";
export {
  RESERVED_DESCRIPTORS,
  connectionCap,
  listenWithLimits,
  type LimitedListener,
  type ListenerLimits,
} from "./listener-limits.js";
export { FailureLimiter, tokenKey } from "./failure-limiter.js";
export { SessionStore } from "./sessions.js";
