/**
 * Browser sessions: an opaque random ID in the cookie, the session on the
 * server (docs/security.md, "Browsers"). The API token never goes into a
 * cookie: logging in trades it for a session ID, which is
 *
 *   - revoked by logout (DELETE /api/session): the old cookie is refused;
 *   - bound to its token: when the token is no longer in http.tokens, or is
 *     revoked (revokeToken), its sessions end with it;
 *   - expiring: http.sessionMaxAgeSeconds after login, whatever happens;
 *   - worthless as a bearer token, and kept in memory only as its SHA-256
 *     (a restart ends every session).
 */
import { createHash, randomBytes } from "node:crypto";
import type { ApiPrincipal } from "./api-tokens.js";

export const SESSION_ID_PREFIX = "rzs_";

interface SessionRecord {
  readonly principal: ApiPrincipal;
  /** SHA-256 (hex) of the token the session was created with. */
  readonly tokenSha256: string;
  readonly expiresAt: number;
}

export interface SessionStoreOptions {
  readonly maxAgeSeconds: number;
  /** Is this token (by its hex SHA-256) still configured? Checked on every use. */
  readonly tokenValid: (tokenSha256: string) => boolean;
  /** Most sessions kept; the oldest ends first (default 10 000). */
  readonly maxSessions?: number;
  readonly now?: () => number;
}

function digest(id: string): string {
  return createHash("sha256").update(id, "utf8").digest("base64url");
}

export class SessionStore {
  readonly #o: SessionStoreOptions;
  readonly #sessions = new Map<string, SessionRecord>();

  constructor(options: SessionStoreOptions) {
    this.#o = options;
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  /** A new session for `principal` (logged in with the token whose SHA-256 is `tokenSha256`). */
  create(
    principal: ApiPrincipal,
    tokenSha256: string,
  ): { readonly id: string; readonly expiresAt: number } {
    this.#sweep();
    while (this.#sessions.size >= (this.#o.maxSessions ?? 10_000)) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const id = SESSION_ID_PREFIX + randomBytes(32).toString("base64url");
    const expiresAt = this.#now() + this.#o.maxAgeSeconds * 1000;
    this.#sessions.set(digest(id), { principal, tokenSha256, expiresAt });
    return { id, expiresAt };
  }

  /** The session's principal, or null (unknown, logged out, expired, or its token revoked). */
  get(id: string): ApiPrincipal | null {
    if (!id.startsWith(SESSION_ID_PREFIX) || id.length > 128) return null;
    const key = digest(id);
    const s = this.#sessions.get(key);
    if (s === undefined) return null;
    if (s.expiresAt <= this.#now() || !this.#o.tokenValid(s.tokenSha256)) {
      this.#sessions.delete(key);
      return null;
    }
    return s.principal;
  }

  /** Ends one session (logout). True when it existed. */
  revoke(id: string): boolean {
    return this.#sessions.delete(digest(id));
  }

  /** Ends every session created with this token; returns how many. */
  revokeToken(tokenSha256: string): number {
    let n = 0;
    for (const [key, s] of this.#sessions) {
      if (s.tokenSha256 === tokenSha256) {
        this.#sessions.delete(key);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(key);
  }
}
