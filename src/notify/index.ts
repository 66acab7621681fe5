/** Outbound notifications: signed webhook POSTs when a study is flagged urgent. */
export { signWebhook, verifyWebhookSignature } from "./signature.js";
export {
  NOTIFICATION_STATES,
  NotificationLog,
  type NotificationRecord,
} from "./notification-log.js";
export { WebhookNotifier } from "./webhook-notifier.js";
export { notifierFromConfig } from "./from-config.js";
