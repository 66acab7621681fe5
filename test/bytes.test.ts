import { expect } from "chai";
import { exactArrayBuffer } from "../src/bytes.js";

describe("exactArrayBuffer", () => {
  it("returns the view's own buffer when the view spans all of it", () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    expect(exactArrayBuffer(bytes)).to.equal(bytes.buffer);
  });

  it("copies exactly the viewed bytes of a part of a larger buffer", () => {
    const whole = new Uint8Array([9, 1, 2, 3, 9]);
    const part = whole.subarray(1, 4);
    const out = exactArrayBuffer(part);
    expect(out).to.not.equal(whole.buffer);
    expect([...new Uint8Array(out)]).to.deep.equal([1, 2, 3]);
    whole[2] = 7;
    expect(new Uint8Array(out)[1], "a copy, not a view").to.equal(2);
  });

  it("copies a Buffer from Node's shared pool instead of handing out the pool", () => {
    const pooled = Buffer.from("abc");
    const out = exactArrayBuffer(pooled);
    expect(out.byteLength).to.equal(3);
    expect(Buffer.from(out).toString()).to.equal("abc");
  });
});
