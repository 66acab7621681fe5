/**
 * Authentication of pushes from the Orthanc hook to POST /webhook/orthanc.
 *
 * Two schemes, both keyed by `intake.webhookSecret`:
 *
 *  - **HMAC** (the Python hook; preferred): the sender adds
 *      X-Radz-Timestamp: <Unix time in seconds>
 *      X-Radz-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
 *    A timestamp outside ±`maxSkewSeconds` is refused, and a signature seen
 *    before within that window is refused as a replay, so a captured request
 *    is worthless after one use and after the window.
 *
 *  - **Bearer** (the Lua hook: Orthanc 1.10's Lua has no HMAC): the sender adds
 *      Authorization: Bearer <webhookBearerToken(secret)>
 *    The token is derived from the secret (HMAC-SHA256(secret, BEARER_CONTEXT)),
 *    so the secret itself is never written into Orthanc's Lua script. A
 *    captured token can be replayed until the secret is rotated; it only lets
 *    the holder ask RadZ to (re)consider an Orthanc study, and RadZ reads the
 *    study from Orthanc itself. Disable with `intake.webhookAcceptBearer: false`.
 *
 * All comparisons are constant-time. Failures throw WEBHOOK_UNAUTHORIZED with
 * a reason that names no header value and no part of the body.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { RadzError } from "../errors.js";

export const TIMESTAMP_HEADER = "x-radz-timestamp";
export const SIGNATURE_HEADER = "x-radz-signature";
export const SIGNATURE_PREFIX = "sha256=";
/** Context string of the derived bearer token; change it (v2) to revoke every derived token. */
export const BEARER_CONTEXT = "radz-webhook-bearer-v1";

/** What verifyWebhook needs of a request (an express Request with a raw Buffer body fits). */
export interface WebhookRequest {
  readonly headers: IncomingHttpHeaders;
  /** The raw body bytes, exactly as received. */
  readonly body: Buffer;
}

export interface WebhookAuthOptions {
  readonly secret: string;
  /** Largest accepted |now - timestamp| in seconds (the replay window). */
  readonly maxSkewSeconds: number;
  /** Accept `Authorization: Bearer <webhookBearerToken(secret)>` (the Lua hook). */
  readonly acceptBearer: boolean;
  /** Remembers signatures within the window; omit only in tests of single requests. */
  readonly replayGuard?: ReplayGuard;
  /** Epoch milliseconds (tests). */
  readonly now?: () => number;
}

/** Which scheme authenticated a request. */
export type WebhookAuthScheme = "hmac" | "bearer";

/**
 * HMAC-SHA256(secret, `${timestamp}.${body}`) as `sha256=<hex>`: the value of X-Radz-Signature,
 * on pushes from the Orthanc hook and on RadZ's own notifications (src/notify/).
 */
export function signWebhook(
  secret: string,
  timestamp: string | number,
  body: Uint8Array | string,
): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
  return `${SIGNATURE_PREFIX}${mac}`;
}

/** The static bearer token the Lua hook sends (derived; the secret is not in the Lua script). */
export function webhookBearerToken(secret: string): string {
  return createHmac("sha256", secret).update(BEARER_CONTEXT).digest("hex");
}

/**
 * Remembers the signatures accepted within the replay window, so that each
 * signed request is accepted once. Bounded: beyond `capacity` entries the
 * oldest are forgotten (they are also the nearest to expiry).
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  /** Records `signature` until `expiresAt` (epoch ms); false when it was already recorded. */
  remember(signature: string, expiresAt: number, now: number): boolean {
    for (const [sig, exp] of this.seen) {
      if (exp > now) break;
      this.seen.delete(sig);
    }
    const known = this.seen.get(signature);
    if (known !== undefined && known > now) return false;
    this.seen.delete(signature);
    this.seen.set(signature, expiresAt);
    while (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next();
      if (oldest.done === true) break;
      this.seen.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function unauthorized(reason: string): RadzError {
  return new RadzError("WEBHOOK_UNAUTHORIZED", `webhook request refused: ${reason}`, {
    details: { reason },
  });
}

function equalSecret(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Throws WEBHOOK_UNAUTHORIZED unless the request carries a valid HMAC
 * signature (fresh, not replayed) or, when allowed, the derived bearer token.
 * Returns the scheme that authenticated it.
 */
export function verifyWebhook(req: WebhookRequest, options: WebhookAuthOptions): WebhookAuthScheme {
  const signature = header(req.headers, SIGNATURE_HEADER);
  if (signature !== undefined) {
    verifySignature(req, signature, options);
    return "hmac";
  }
  const authorization = header(req.headers, "authorization");
  if (authorization !== undefined && /^bearer\s/i.test(authorization)) {
    if (!options.acceptBearer) throw unauthorized("bearer tokens are disabled; sign the request");
    const given = Buffer.from(authorization.replace(/^bearer\s+/i, "").trim(), "utf8");
    const expected = Buffer.from(webhookBearerToken(options.secret), "utf8");
    if (!equalSecret(given, expected)) throw unauthorized("wrong bearer token");
    return "bearer";
  }
  throw unauthorized(`no ${SIGNATURE_HEADER} signature or bearer token`);
}

function verifySignature(
  req: WebhookRequest,
  signature: string,
  options: WebhookAuthOptions,
): void {
  const timestamp = header(req.headers, TIMESTAMP_HEADER);
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    throw unauthorized(`missing or malformed ${TIMESTAMP_HEADER}`);
  }
  const nowMs = (options.now ?? Date.now)();
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > options.maxSkewSeconds) {
    throw unauthorized(
      `timestamp outside the ${options.maxSkewSeconds} s replay window (check both clocks)`,
    );
  }
  if (!/^sha256=[0-9a-fA-F]{64}$/.test(signature)) {
    throw unauthorized(`malformed ${SIGNATURE_HEADER} (expected sha256=<64 hex digits>)`);
  }
  const given = Buffer.from(signature.slice(SIGNATURE_PREFIX.length).toLowerCase(), "hex");
  const expected = Buffer.from(
    signWebhook(options.secret, timestamp, req.body).slice(SIGNATURE_PREFIX.length),
    "hex",
  );
  if (!equalSecret(given, expected)) throw unauthorized("bad signature");
  // Remember it until it could no longer pass the timestamp check anyway.
  const expiresAt = (Number(timestamp) + options.maxSkewSeconds) * 1000 + 1000;
  if (
    options.replayGuard &&
    !options.replayGuard.remember(expected.toString("hex"), expiresAt, nowMs)
  ) {
    throw unauthorized("replayed request (signature already used)");
  }
}
