/**
 * Redaction of secrets in anything that dumps configuration (start-up log,
 * `radz doctor`, error reports). Works on any JSON-like value so that options
 * added later are covered by name:
 *
 *  - a string under a key that names a secret (password, secret, token,
 *    bearerToken, sha256, apiKey, credentials, cookie, authorization, …) is
 *    replaced by "[redacted]";
 *  - every value of a `headers` object is replaced (custom headers usually
 *    carry credentials);
 *  - the password part of a URL with user info (https://u:p@host) is replaced.
 *
 * File *paths* (caFile, clientKeyFile, …) are not secrets and stay visible.
 */

export const REDACTED = "[redacted]";

const SECRET_KEY =
  /(pass(word|phrase)?|secret|token|sha256|hmac|api[-_]?key|credential|cookie|authorization|private[-_]?key)$/i;

/** True for a key whose string value must never be printed. */
export function isSecretKey(key: string): boolean {
  return !/File$/.test(key) && SECRET_KEY.test(key);
}

/** "https://user:pw@host/x" -> "https://user:[redacted]@host/x"; other strings unchanged. */
export function redactUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:)[^/@\s]*@/i, `$1${REDACTED}@`);
}

function redactValue(value: unknown, key: string | undefined, inHeaders: boolean): unknown {
  const secret = inHeaders || (key !== undefined && isSecretKey(key));
  if (typeof value === "string") return secret ? REDACTED : redactUrl(value);
  if (secret && (typeof value === "number" || typeof value === "bigint")) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, key, inHeaders));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = redactValue(v, k, inHeaders || k.toLowerCase() === "headers");
    }
    return out;
  }
  return value;
}

/** A deep copy of `config` with every secret replaced by "[redacted]". */
export function redactConfig<T>(config: T): T {
  return redactValue(config, undefined, false) as T;
}
