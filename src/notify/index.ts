/** Outbound notifications: signed webhook POSTs when a study is flagged urgent. */
export {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signWebhook,
  verifyWebhookSignature,
  type VerifyWebhookInput,
} from "./signature.js";
export {
  NOTIFICATION_STATES,
  NotificationLog,
  type NotificationFilter,
  type NotificationLogOptions,
  type NotificationRecord,
  type NotificationState,
} from "./notification-log.js";
export {
  URGENT_EVENT,
  WebhookNotifier,
  type UrgentStudyPayload,
  type WebhookFetch,
  type WebhookNotifierOptions,
} from "./webhook-notifier.js";
export { notifierFromConfig, type ConfiguredNotifier } from "./from-config.js";
