/**
 * Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>` with the shared
 * secret (`notify.secret`), sent as
 *
 *   X-Radz-Timestamp: 1718000000            (Unix seconds)
 *   X-Radz-Signature: sha256=<64 hex digits>
 *
 * A receiver recomputes the HMAC over the raw body bytes it received, compares
 * in constant time, and rejects timestamps outside its tolerance (replays).
 */
import { timingSafeEqual } from "node:crypto";
import { signWebhook } from "../security/index.js";

export const TIMESTAMP_HEADER = "X-Radz-Timestamp";
export const SIGNATURE_HEADER = "X-Radz-Signature";
export const EVENT_HEADER = "X-Radz-Event";
export const DELIVERY_HEADER = "X-Radz-Delivery";

/** "sha256=" + hex HMAC-SHA256(secret, `${timestamp}.${body}`): one signing scheme for pushes in and out. */
export { signWebhook };

export interface VerifyWebhookInput {
  readonly secret: string;
  /** The X-Radz-Timestamp header. */
  readonly timestamp: string | undefined;
  /** The X-Radz-Signature header. */
  readonly signature: string | undefined;
  /** The raw body as received. */
  readonly body: string | Uint8Array;
  /** Accepted clock difference (default 300 s). */
  readonly toleranceSeconds?: number;
  /** Unix seconds (default now). */
  readonly now?: number;
}

/** True when the signature matches and the timestamp is within tolerance. */
export function verifyWebhookSignature(input: VerifyWebhookInput): boolean {
  const { timestamp, signature } = input;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) {
    return false;
  }
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(input.secret, Number(timestamp), input.body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
