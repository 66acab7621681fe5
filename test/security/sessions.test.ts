/**
 * security/sessions: opaque IDs that end on logout, on expiry and with
 * their token; security/failure-limiter: windows per key.
 */
import { expect } from "chai";
import { FailureLimiter, SessionStore, tokenKey } from "../../src/security/index.js";

const READER = { name: "reader", role: "read" as const };

describe("security/sessions", () => {
  let now = 1_000_000;
  const valid = new Set(["a".repeat(64), "b".repeat(64)]);
  const store = () =>
    new SessionStore({ maxAgeSeconds: 60, tokenValid: (sha) => valid.has(sha), now: () => now });

  it("creates random opaque IDs that find their principal", () => {
    const s = store();
    const one = s.create(READER, "a".repeat(64));
    const two = s.create(READER, "a".repeat(64));
    expect(one.id).to.match(/^rzs_[A-Za-z0-9_-]{43}$/);
    expect(one.id).to.not.equal(two.id);
    expect(s.get(one.id)).to.deep.equal(READER);
    expect(s.get("rzs_unknown")).to.equal(null);
    expect(s.get("a".repeat(64))).to.equal(null);
  });

  it("ends a session on logout, on expiry, and when its token is revoked or removed", () => {
    const s = store();
    const out = s.create(READER, "a".repeat(64));
    expect(s.revoke(out.id)).to.equal(true);
    expect(s.get(out.id)).to.equal(null);

    const old = s.create(READER, "a".repeat(64));
    now += 60_000;
    expect(s.get(old.id)).to.equal(null);

    const revoked = s.create(READER, "a".repeat(64));
    const other = s.create(READER, "b".repeat(64));
    expect(s.revokeToken("a".repeat(64))).to.equal(1);
    expect(s.get(revoked.id)).to.equal(null);
    expect(s.get(other.id)).to.deep.equal(READER);

    valid.delete("b".repeat(64)); // the entry left http.tokens
    expect(s.get(other.id)).to.equal(null);
  });

  it("keeps at most maxSessions, dropping the oldest", () => {
    const s = new SessionStore({ maxAgeSeconds: 60, tokenValid: () => true, maxSessions: 2 });
    const a = s.create(READER, "c".repeat(64));
    const b = s.create(READER, "c".repeat(64));
    const c = s.create(READER, "c".repeat(64));
    expect([s.get(a.id), s.get(b.id) !== null, s.get(c.id) !== null]).to.deep.equal([
      null,
      true,
      true,
    ]);
  });
});

describe("security/failure-limiter", () => {
  it("limits a key after max failures until its window ends; keys are independent", () => {
    let now = 0;
    const l = new FailureLimiter({ max: 2, windowMs: 1_000, now: () => now });
    l.fail(["addr:a", "token:x"]);
    expect(l.limitedUntil(["addr:a"])).to.equal(null);
    l.fail(["addr:a"]);
    expect(l.limitedUntil(["addr:a"])).to.equal(1_000);
    expect(l.limitedUntil(["addr:b", "token:x"])).to.equal(null);
    now = 1_000;
    expect(l.limitedUntil(["addr:a"])).to.equal(null);
  });

  it("keys a credential by a digest of its first characters, never the credential", () => {
    const k = tokenKey("radz_abcdefghij-rest-of-the-token");
    expect(k).to.equal(tokenKey("radz_abcdefghij-another-ending"));
    expect(k).to.not.include("abcdefghij");
    expect(k).to.not.equal(tokenKey("radz_abcdefghiJ-rest-of-the-token"));
  });
});
