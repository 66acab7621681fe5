import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { RadzError } from "../../src/errors.js";
import { initCodecs, PreprocessSpecSchema } from "../../src/imaging/index.js";
import { CoreTurns } from "../../src/pipeline/core-turns.js";
import { DecodePool, defaultDecodeThreads } from "../../src/pipeline/decode-pool.js";
import { prepareImage, type PrepareImageRequest } from "../../src/pipeline/prepare-image.js";
import { makeTestInstance } from "../helpers/orthanc.js";

const spec = PreprocessSpecSchema.parse({
  size: 32,
  resize: "area",
  fit: "pad",
  padValue: 0,
  channels: 1,
  scale: "unit",
  quantize8: false,
  mean: [0],
  std: [1],
});

const request = (bytes: Uint8Array, thumbnail = true): PrepareImageRequest => ({
  bytes,
  windowIndex: 0,
  maxPixels: 100_000_000,
  preprocess: spec,
  thumbnail,
});

describe("pipeline/decode-pool", function () {
  this.timeout(20_000);
  let work: string;
  let rle: Uint8Array;
  before(async () => {
    await initCodecs(); // the in-thread reference below needs the codecs too
    work = mkdtempSync(join(tmpdir(), "radz-decode-pool-"));
    // An RLE Lossless copy, so the worker's own codec registry is exercised.
    writeFileSync(join(work, "in.dcm"), makeTestInstance({ rows: 80, columns: 64 }).bytes);
    execFileSync("dcmcrle", [join(work, "in.dcm"), join(work, "rle.dcm")]);
    rle = new Uint8Array(readFileSync(join(work, "rle.dcm")));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("sizes the default pool to the machine: a worker per core when taking turns with the encoder, else cores − 1, at least 1", () => {
    const cores = availableParallelism();
    expect(defaultDecodeThreads(true)).to.equal(cores);
    expect(defaultDecodeThreads(false)).to.equal(Math.max(1, cores - 1));
  });

  /** The nice values of this process's threads (Linux, /proc/self/task/N/stat field 19), by thread ID. */
  const threadNiceValues = (): Map<number, number> =>
    new Map(
      readdirSync("/proc/self/task").map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        return [Number(tid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16])];
      }),
    );
  const countNice = (n: number): number =>
    [...threadNiceValues().values()].filter((v) => v === n).length;

  it("runs its workers at the nice value it is given, and only them (Linux)", async function () {
    if (process.platform !== "linux") this.skip();
    const before = countNice(13);
    const pool = new DecodePool({ threads: 2, nice: 13 });
    try {
      // A decode has run on each worker, so both have set their priority.
      await Promise.all([pool.prepare(request(rle.slice())), pool.prepare(request(rle.slice()))]);
      expect(countNice(13) - before).to.equal(2);
      expect(threadNiceValues().get(process.pid)).to.not.equal(13); // the main thread
    } finally {
      await pool.close();
    }
    const plain = new DecodePool({ threads: 1 });
    try {
      await plain.prepare(request(rle.slice()));
      expect(countNice(13)).to.equal(before);
    } finally {
      await plain.close();
    }
  });

  it("a worker returns the same tensor, thumbnail and header (no Pixel Data) as the calling thread", async () => {
    const pool = new DecodePool({ threads: 2 });
    try {
      expect(pool.threads).to.equal(2);
      for (const bytes of [makeTestInstance({ rows: 96, columns: 80 }).bytes, rle]) {
        const expected = prepareImage(request(bytes.slice()));
        const got = await pool.prepare(request(bytes.slice()));
        expect(got.tensor).to.be.instanceOf(Float32Array);
        expect(got.tensor.length).to.equal(32 * 32);
        expect(Array.from(got.tensor)).to.deep.equal(Array.from(expected.tensor));
        expect(got.thumbnail?.rows).to.equal(expected.thumbnail?.rows);
        expect(Array.from(got.thumbnail!.data)).to.deep.equal(Array.from(expected.thumbnail!.data));
        expect(got.instance.sopInstanceUid).to.equal(expected.instance.sopInstanceUid);
        expect(got.instance.transferSyntaxUid).to.equal(expected.instance.transferSyntaxUid);
        expect(got.instance.dataset).to.not.have.property("PixelData");
        expect(got.instance.dataset.Rows).to.equal(expected.instance.dataset.Rows);
        expect(got.timings).to.have.keys("parse", "decode", "thumbnail", "preprocess");
      }
    } finally {
      await pool.close();
    }
  });

  it("taking turns (CoreTurns): starts no image while an encoder run is in flight, and finishes one it had started", async () => {
    const turns = new CoreTurns();
    const pool = new DecodePool({ threads: 1, turns });
    try {
      // Started before the run: it goes on beside it.
      const started = pool.prepare(request(rle.slice()));
      expect(pool.queued).to.equal(0);
      let endRun!: () => void;
      const run = turns.inference(() => new Promise<void>((resolve) => (endRun = resolve)));
      const startedResult = await started;
      expect(startedResult.tensor.length).to.equal(32 * 32);

      // Asked for during the run: it waits for the run to end.
      let settled = false;
      const held = pool.prepare(request(rle.slice())).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 150));
      expect(pool.queued, "held while the encoder runs").to.equal(1);
      expect(settled).to.equal(false);
      endRun();
      await run;
      const heldResult = await held;
      expect(pool.queued).to.equal(0);
      expect(Array.from(heldResult.tensor)).to.deep.equal(Array.from(startedResult.tensor));
    } finally {
      await pool.close();
    }
  });

  it("transfers the bytes to the worker instead of copying them", async () => {
    const pool = new DecodePool({ threads: 1 });
    try {
      const bytes = makeTestInstance().bytes.slice();
      const p = pool.prepare(request(bytes, false));
      expect(bytes.byteLength, "detached after transfer").to.equal(0);
      const got = await p;
      expect(got.thumbnail).to.equal(null);
    } finally {
      await pool.close();
    }
  });

  it("copies a Buffer that views part of a larger buffer instead of transferring (detaching) that buffer", async () => {
    const pool = new DecodePool({ threads: 1 });
    try {
      const instance = makeTestInstance({ rows: 8, columns: 8 }).bytes;
      // As Node's Buffer pool or a received chunk would be: the instance is a view at an offset.
      const larger = new Uint8Array(instance.byteLength + 16);
      larger.set(instance, 8);
      const view = Buffer.from(larger.buffer, 8, instance.byteLength);
      const got = await pool.prepare(request(view, false));
      expect(got.tensor.length).to.equal(32 * 32);
      expect(larger.byteLength, "the larger buffer is still usable").to.equal(
        instance.byteLength + 16,
      );
      expect(
        Buffer.from(larger.subarray(8, 8 + instance.byteLength)).equals(Buffer.from(instance)),
      ).to.equal(true);
    } finally {
      await pool.close();
    }
  });

  it("keeps at most `threads` images in flight; the rest wait in the queue", async () => {
    const pool = new DecodePool({ threads: 2 });
    try {
      const all = Array.from({ length: 6 }, () =>
        pool.prepare(request(makeTestInstance({ rows: 128, columns: 128 }).bytes, false)),
      );
      expect(pool.queued).to.equal(4);
      const done = await Promise.all(all);
      expect(done).to.have.length(6);
      expect(pool.queued).to.equal(0);
    } finally {
      await pool.close();
    }
  });

  it("a worker's error arrives as a RadzError with its code; the worker carries on", async () => {
    const pool = new DecodePool({ threads: 1 });
    try {
      const err = await pool.prepare(request(new Uint8Array(300).fill(7))).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(RadzError);
      expect((err as RadzError).code).to.equal("DICOM_PARSE_ERROR");
      const ok = await pool.prepare(request(makeTestInstance().bytes));
      expect(ok.tensor.length).to.equal(32 * 32);
    } finally {
      await pool.close();
    }
  });

  for (const threads of [1, 0]) {
    it(`threads: ${threads}: an instance received into the pool's buffer comes back to it for the next image, after success and failure`, async () => {
      const pool = new DecodePool({ threads });
      try {
        const bytes = makeTestInstance({ rows: 96, columns: 80 }).bytes;
        const expected = prepareImage(request(bytes.slice()));
        const into = pool.allocate(bytes.byteLength);
        into.set(bytes);
        const got = await pool.prepare(request(into));
        expect(Array.from(got.tensor)).to.deep.equal(Array.from(expected.tensor));
        expect(pool.buffers.stats()).to.deep.include({ idle: 1, allocated: 1 });
        const again = pool.allocate(bytes.byteLength);
        if (threads === 0) expect(again.buffer, "the same memory again").to.equal(into.buffer);
        else expect(into.buffer.byteLength, "transferred to the worker").to.equal(0);
        expect(pool.buffers.stats()).to.deep.include({ reused: 1, idle: 0 });
        // A failure returns the buffer too.
        again.fill(7);
        const err = await pool.prepare(request(again)).then(
          () => null,
          (e: unknown) => e,
        );
        expect((err as RadzError).code).to.equal("DICOM_PARSE_ERROR");
        expect(pool.buffers.stats().idle).to.equal(1);
        // The header the worker returned does not refer to the pooled bytes.
        const reused = pool.allocate(bytes.byteLength);
        reused.fill(0);
        expect(got.instance.sopInstanceUid).to.equal(expected.instance.sopInstanceUid);
        expect(JSON.stringify(got.instance.dataset)).to.equal(
          JSON.stringify(expected.instance.dataset),
        );
      } finally {
        await pool.close();
      }
    });
  }

  it("threads: 0 decodes on the calling thread with the same result", async () => {
    const pool = new DecodePool({ threads: 0 });
    const bytes = makeTestInstance().bytes;
    const got = await pool.prepare(request(bytes.slice()));
    expect(pool.threads).to.equal(0);
    expect(Array.from(got.tensor)).to.deep.equal(Array.from(prepareImage(request(bytes)).tensor));
    await pool.close();
  });
});
