import type { Config } from "../config/index.js";
import type { Job } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";
import { NotificationLog } from "./notification-log.js";
import { WebhookNotifier } from "./webhook-notifier.js";

export interface ConfiguredNotifier {
  readonly notifier: WebhookNotifier;
  readonly log: NotificationLog;
}

/** The webhook notifier and its log when notify.webhookUrl is set, else null. */
export function notifierFromConfig(
  config: Pick<Config, "notify" | "jobs">,
  deps: {
    logger: Logger;
    links?: (job: Job) => Record<string, string | null>;
    userAgent?: string;
  },
): ConfiguredNotifier | null {
  const n = config.notify;
  if (n.webhookUrl === undefined || n.secret === undefined) return null;
  const log = new NotificationLog({ path: config.jobs.dbPath });
  const notifier = new WebhookNotifier({
    url: n.webhookUrl,
    secret: n.secret,
    timeoutMs: n.timeoutMs,
    maxAttempts: n.maxAttempts,
    backoffBaseMs: n.backoffBaseMs,
    backoffMaxMs: n.backoffMaxMs,
    log,
    logger: deps.logger,
    ...(deps.links ? { links: deps.links } : {}),
    ...(deps.userAgent ? { userAgent: deps.userAgent } : {}),
  });
  return { notifier, log };
}
