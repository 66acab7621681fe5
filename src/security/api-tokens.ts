/**
 * API tokens: random, shown once, stored only as their SHA-256.
 *
 *   token  = "radz_" + base64url(32 random bytes)   (256 bits of entropy)
 *   stored = { name, sha256: hex(SHA-256(token)), role }
 *
 * A presented token is hashed and compared with every stored hash using
 * crypto.timingSafeEqual on equal-length digests, without stopping at the
 * first match, so response time says nothing about how close a guess was or
 * which entry matched. A plain (unsalted) hash is enough because the token
 * itself is 256 random bits: there is no dictionary to attack.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Roles, each including the one before: `read` (GET routes), `reviewer`
 * (read + radiologist feedback on findings), `admin` (every route).
 */
export const API_ROLES = ["read", "reviewer", "admin"] as const;
export type ApiRole = (typeof API_ROLES)[number];

export interface ApiTokenEntry {
  readonly name: string;
  /** Hex SHA-256 of the token (64 lower-case hex digits). */
  readonly sha256: string;
  readonly role: ApiRole;
}

/** Who a verified token belongs to. */
export interface ApiPrincipal {
  readonly name: string;
  readonly role: ApiRole;
}

export const TOKEN_PREFIX = "radz_";
/** Longest token accepted for hashing (anything longer is refused unhashed). */
export const MAX_TOKEN_LENGTH = 512;

/** A new random API token. */
export function generateApiToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** Hex SHA-256 of a token, as stored in http.tokens[].sha256. */
export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Does `role` include the rights of `required`? (admin ⊇ reviewer ⊇ read) */
export function roleAllows(role: ApiRole, required: ApiRole): boolean {
  return API_ROLES.indexOf(role) >= API_ROLES.indexOf(required);
}

export class ApiTokenTable {
  readonly #entries: readonly { digest: Buffer; principal: ApiPrincipal }[];

  constructor(entries: readonly ApiTokenEntry[]) {
    this.#entries = entries.map((e) => ({
      digest: Buffer.from(e.sha256, "hex"),
      principal: Object.freeze({ name: e.name, role: e.role }),
    }));
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The principal for a presented token, or null (constant time over the table). */
  verify(token: string): ApiPrincipal | null {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    const digest = createHash("sha256").update(token, "utf8").digest();
    let found: ApiPrincipal | null = null;
    for (const entry of this.#entries) {
      // Stored digests that are not 32 bytes (impossible after config validation) never match.
      const same = entry.digest.length === digest.length && timingSafeEqual(entry.digest, digest);
      if (same && found === null) found = entry.principal;
    }
    return found;
  }

  /** Is a token with this hex SHA-256 configured? (sessions check their token on every use) */
  has(sha256: string): boolean {
    const digest = Buffer.from(sha256, "hex");
    return this.#entries.some(
      (e) => e.digest.length === digest.length && timingSafeEqual(e.digest, digest),
    );
  }
}
