import { expect } from "chai";
import { Prng, seededRandom } from "../../src/synthetic/prng.js";

describe("synthetic/prng", () => {
  it("repeats for a seed, differs between seeds, stays in [0, 1)", () => {
    const take = (f: () => number) => Array.from({ length: 1000 }, f);
    const a = take(seededRandom(7));
    expect(take(seededRandom(7))).to.deep.equal(a);
    expect(take(seededRandom(8))).not.to.deep.equal(a);
    expect(a.every((x) => x >= 0 && x < 1)).to.equal(true);
    // Roughly uniform: each tenth of [0, 1) gets 100 +- 40 of 1000 draws.
    const tenths = new Array<number>(10).fill(0);
    for (const x of a) tenths[Math.floor(x * 10)]! += 1;
    for (const n of tenths) expect(n).to.be.within(60, 140);
  });

  it("seededRandom is Prng.next for the same seed", () => {
    const p = new Prng(42);
    const f = seededRandom(42);
    for (let i = 0; i < 10; i++) expect(f()).to.equal(p.next());
  });
});
