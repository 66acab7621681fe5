/**
 * Known API tokens for tests of anything behind the API's token gate:
 *
 *   createApi({ ..., security: TEST_API_SECURITY })
 *   fetch(url, { headers: authHeaders("read") })
 *
 * or, for a whole service: loadConfig({ overrides: { http: { tokens: TEST_API_TOKENS } } }).
 */
import { hashApiToken, type ApiRole, type ApiTokenEntry } from "../../src/security/index.js";
import type { ApiSecurityOptions } from "../../src/http/auth.js";

export const TEST_ADMIN_TOKEN = "radz_test-admin-token-0000000000000000000000000";
export const TEST_READ_TOKEN = "radz_test-read-token-00000000000000000000000000";
export const TEST_REVIEWER_TOKEN = "radz_test-reviewer-token-0000000000000000000000";

export const TEST_API_TOKENS: ApiTokenEntry[] = [
  { name: "test-admin", sha256: hashApiToken(TEST_ADMIN_TOKEN), role: "admin" },
  { name: "test-reader", sha256: hashApiToken(TEST_READ_TOKEN), role: "read" },
  { name: "test-reviewer", sha256: hashApiToken(TEST_REVIEWER_TOKEN), role: "reviewer" },
];

/** Security options for createApi: the two test tokens, a generous failure limit. */
export const TEST_API_SECURITY: ApiSecurityOptions = {
  tokens: TEST_API_TOKENS,
  authFailureMax: 10_000,
};

export function tokenFor(role: ApiRole): string {
  return { admin: TEST_ADMIN_TOKEN, reviewer: TEST_REVIEWER_TOKEN, read: TEST_READ_TOKEN }[role];
}

/** `Authorization: Bearer …` for the test token of `role` (merged with `extra`). */
export function authHeaders(
  role: ApiRole = "read",
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...extra, Authorization: `Bearer ${tokenFor(role)}` };
}
