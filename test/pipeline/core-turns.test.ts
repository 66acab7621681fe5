/**
 * CoreTurns (src/pipeline/core-turns.ts): decoding waits while an encoder run
 * is in flight and resumes when the last one settles, failed or not; and when
 * the service takes turns at all (imaging.yieldToInference).
 */
import { expect } from "chai";
import { CoreTurns, takesTurns } from "../../src/pipeline/core-turns.js";

/** A promise and the functions that settle it. */
function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("pipeline/core-turns: CoreTurns", () => {
  it("lets decoding start at once when no encoder run is in flight", () => {
    const turns = new CoreTurns();
    let resumed = 0;
    turns.whenDecodeMayStart(() => resumed++);
    expect(turns.decodeMayStart).to.equal(true);
    expect(resumed).to.equal(1);
  });

  it("holds decoding while runs are in flight and resumes it once, when the last has settled (failed or not)", async () => {
    const turns = new CoreTurns();
    const a = deferred<string>();
    const b = deferred<string>();
    const runA = turns.inference(() => a.promise);
    const runB = turns.inference(() => b.promise);
    const resumed: string[] = [];
    turns.whenDecodeMayStart(() => resumed.push("first"));
    turns.whenDecodeMayStart(() => resumed.push("second"));
    expect(turns.decodeMayStart).to.equal(false);

    a.resolve("a");
    expect(await runA).to.equal("a");
    expect(turns.decodeMayStart, "one run still in flight").to.equal(false);
    expect(resumed).to.deep.equal([]);

    b.reject(new Error("encoder failed"));
    const failed = await runB.then(
      () => null,
      (e: unknown) => e,
    );
    expect((failed as Error).message).to.equal("encoder failed");
    expect(turns.decodeMayStart).to.equal(true);
    expect(resumed).to.deep.equal(["first", "second"]);

    // Each waiter is called once: a later run and its end call nobody again.
    await turns.inference(async () => "c");
    expect(resumed).to.have.length(2);
  });
});

describe("pipeline/core-turns: takesTurns (imaging.yieldToInference)", () => {
  it('"auto" takes turns only where the encoder runs in this process on the CPU', () => {
    expect(takesTurns("auto", { remote: false, executionProvider: "cpu" })).to.equal(true);
    expect(takesTurns("auto", { remote: false, executionProvider: "cuda" })).to.equal(false);
    expect(takesTurns("auto", { remote: true, executionProvider: "cpu" })).to.equal(false);
  });

  it("true and false are taken as set", () => {
    expect(takesTurns(true, { remote: true, executionProvider: "cuda" })).to.equal(true);
    expect(takesTurns(false, { remote: false, executionProvider: "cpu" })).to.equal(false);
  });
});
