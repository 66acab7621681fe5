import { expect } from "chai";
import fc from "fast-check";
import { deterministicUid, isValidUid, randomUid } from "../../src/report/uid.js";

function uuidHex(uid: string): string {
  return BigInt(uid.slice("2.25.".length)).toString(16).padStart(32, "0");
}

describe("report/uid", () => {
  it("gives the same UID for the same parts and different UIDs otherwise", () => {
    const a = deterministicUid("sop", "1.2.3", "model", "1.0.0", "abcd");
    expect(deterministicUid("sop", "1.2.3", "model", "1.0.0", "abcd")).to.equal(a);
    expect(deterministicUid("sop", "1.2.3", "model", "1.0.0", "abce")).to.not.equal(a);
    expect(deterministicUid("series", "1.2.3", "model", "1.0.0", "abcd")).to.not.equal(a);
  });

  it("does not confuse part boundaries", () => {
    expect(deterministicUid("a.b", "c")).to.not.equal(deterministicUid("a", "b.c"));
    expect(deterministicUid("ab")).to.not.equal(deterministicUid("a", "b"));
  });

  it("is a 2.25 UUID UID with the RFC 9562 version 8 and variant bits", () => {
    const uid = deterministicUid("x");
    expect(uid.startsWith("2.25.")).to.equal(true);
    const hex = uuidHex(uid);
    expect(hex[12]).to.equal("8");
    expect(["8", "9", "a", "b"]).to.include(hex[16]);
  });

  it("always gives a valid UID: <= 64 chars, digits, no leading zeros (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 6 }), (parts) => {
        const uid = deterministicUid(...parts);
        expect(isValidUid(uid), uid).to.equal(true);
        expect(uid.length).to.be.at.most(44);
      }),
    );
  });

  it("makes random v4 UIDs that are valid and distinct", () => {
    const uids = new Set(Array.from({ length: 200 }, () => randomUid()));
    expect(uids.size).to.equal(200);
    for (const uid of uids) {
      expect(isValidUid(uid), uid).to.equal(true);
      expect(uuidHex(uid)[12]).to.equal("4");
    }
  });

  it("rejects invalid UIDs", () => {
    expect(isValidUid("1.02.3")).to.equal(false);
    expect(isValidUid("1..2")).to.equal(false);
    expect(isValidUid("1.2.a")).to.equal(false);
    expect(isValidUid(`1.${"2".repeat(63)}`)).to.equal(false);
    expect(isValidUid("1.0.2")).to.equal(true);
  });
});
