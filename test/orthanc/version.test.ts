import { expect } from "chai";
import fc from "fast-check";
import { isVersionAtLeast, parseOrthancVersion } from "../../src/orthanc/version.js";

function releaseParts(v: string): readonly number[] {
  const parsed = parseOrthancVersion(v);
  if (parsed.kind !== "release") throw new Error(`not a release: ${v}`);
  return parsed.parts;
}

describe("orthanc/version", () => {
  it("compares components as numbers, not strings", () => {
    expect(isVersionAtLeast("1.10.1", "1.12.0")).to.equal(false);
    expect(isVersionAtLeast("1.9.7", "1.12.0")).to.equal(false);
    expect(isVersionAtLeast("1.12.0", "1.12.0")).to.equal(true);
    expect(isVersionAtLeast("1.12.10", "1.12.9")).to.equal(true);
    expect(isVersionAtLeast("1.2.0", "1.12.0")).to.equal(false);
    expect(isVersionAtLeast("2.0", "1.12.0")).to.equal(true);
    expect(isVersionAtLeast("1.11.99", "1.12.0")).to.equal(false);
  });

  it("treats missing components as zero", () => {
    expect(isVersionAtLeast("1.12", "1.12.0")).to.equal(true);
    expect(isVersionAtLeast("1.12.0", "1.12")).to.equal(true);
    expect(isVersionAtLeast("1.12.0.1", "1.12.1")).to.equal(false);
  });

  it("treats mainline builds as newest and unreadable versions as too old", () => {
    expect(isVersionAtLeast("mainline", "1.12.0")).to.equal(true);
    expect(isVersionAtLeast("mainline-5f2ca1b", "99.0.0")).to.equal(true);
    expect(isVersionAtLeast("", "1.0.0")).to.equal(false);
    expect(isVersionAtLeast("unknown", "0.0.1")).to.equal(false);
    expect(parseOrthancVersion("1.12.3-rc1")).to.deep.equal({ kind: "release", parts: [1, 12, 3] });
  });

  it("is a total order on release versions (antisymmetric, reflexive)", () => {
    const version = fc
      .array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 4 })
      .map((p) => p.join("."));
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(isVersionAtLeast(a, a)).to.equal(true);
        const ab = isVersionAtLeast(a, b);
        const ba = isVersionAtLeast(b, a);
        expect(ab || ba).to.equal(true);
        const pa = releaseParts(a);
        const pb = releaseParts(b);
        const n = Math.max(pa.length, pb.length);
        const equal = Array.from({ length: n }, (_, i) => (pa[i] ?? 0) === (pb[i] ?? 0)).every(
          Boolean,
        );
        expect(ab && ba).to.equal(equal);
      }),
    );
  });
});
