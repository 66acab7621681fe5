import { expect } from "chai";
import { BufferPool } from "../../src/pipeline/buffer-pool.js";

const MiB = 2 ** 20;

describe("pipeline/BufferPool", () => {
  it("hands out n bytes over a new buffer rounded up to a MiB, then reuses it once released", () => {
    const pool = new BufferPool({ maxBuffers: 2, maxBufferBytes: 64 * MiB });
    const a = pool.acquire(3 * MiB + 5);
    expect(a.byteLength).to.equal(3 * MiB + 5);
    expect(a.byteOffset).to.equal(0);
    expect(a.buffer.byteLength).to.equal(4 * MiB);
    expect(pool.owns(a.buffer)).to.equal(true);
    pool.release(a.buffer);
    const b = pool.acquire(4 * MiB);
    expect(b.buffer, "the same memory").to.equal(a.buffer);
    expect(pool.stats()).to.deep.include({ reused: 1, allocated: 1, idle: 0 });
  });

  it("takes the smallest idle buffer that fits", () => {
    const pool = new BufferPool({ maxBuffers: 4, maxBufferBytes: 64 * MiB });
    const small = pool.acquire(MiB).buffer;
    const large = pool.acquire(8 * MiB).buffer;
    const middle = pool.acquire(3 * MiB).buffer;
    for (const b of [large, small, middle]) pool.release(b);
    expect(pool.acquire(2 * MiB).buffer).to.equal(middle);
    expect(pool.acquire(MiB).buffer).to.equal(small);
    expect(pool.acquire(5 * MiB).buffer).to.equal(large);
    expect(pool.acquire(MiB).buffer, "none idle: a new one").not.to.be.oneOf([
      small,
      large,
      middle,
    ]);
  });

  it("keeps at most maxBuffers idle, letting the smallest go", () => {
    const pool = new BufferPool({ maxBuffers: 2, maxBufferBytes: 64 * MiB });
    const bufs = [1, 2, 3].map((m) => pool.acquire(m * MiB).buffer);
    for (const b of bufs) pool.release(b);
    expect(pool.stats()).to.deep.include({ idle: 2, idleBytes: 5 * MiB });
    pool.release(bufs[2]!); // already idle: not twice
    expect(pool.stats().idle).to.equal(2);
  });

  it("never keeps a foreign, detached or oversized buffer", () => {
    const pool = new BufferPool({ maxBuffers: 4, maxBufferBytes: 2 * MiB });
    pool.release(new ArrayBuffer(MiB));
    const detached = pool.acquire(MiB).buffer as ArrayBuffer;
    structuredClone(detached, { transfer: [detached] });
    expect(detached.byteLength).to.equal(0);
    pool.release(detached);
    const big = pool.acquire(3 * MiB);
    expect(big.buffer.byteLength, "over the limit: exactly sized").to.equal(3 * MiB);
    pool.release(big.buffer);
    expect(pool.stats().idle).to.equal(0);
  });

  it("adopts a buffer a worker transferred back (a new object over the memory sent)", () => {
    const pool = new BufferPool({ maxBuffers: 2, maxBufferBytes: 8 * MiB });
    const sent = pool.acquire(MiB).buffer as ArrayBuffer;
    const back = structuredClone(sent, { transfer: [sent] });
    expect(pool.owns(back)).to.equal(false);
    pool.adopt(back);
    expect(pool.owns(back)).to.equal(true);
    expect(pool.acquire(MiB).buffer).to.equal(back);
  });
});
