import { rmSync } from "node:fs";
import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import { loadModel, type LoadModelOptions } from "../../src/model/index.js";
import { GraphBuilder } from "../../src/model/onnx-graph.js";
import { silentLogger } from "../../src/observability/logger.js";
import {
  copyBundle,
  demoBundleDir,
  editManifest,
  replaceFile,
  type Json,
} from "./bundle-fixtures.js";
import { logSink } from "../helpers/log.js";

const CPU: LoadModelOptions = {
  executionProviders: ["cpu"],
  requireGpu: false,
  logger: silentLogger(),
};

/** Deterministic inputs of the demo bundle's shape [1, 224, 224]. */
function inputs(n: number): Float32Array[] {
  return Array.from({ length: n }, (_, k) => {
    const x = new Float32Array(224 * 224);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.001 * (k + 1));
    return x;
  });
}

describe("the image encoder on its session thread (model.sessionThread)", () => {
  let demo: string;
  let removeDemo: () => void;
  const dirs: string[] = [];

  before(async () => {
    const b = await demoBundleDir();
    demo = b.dir;
    removeDemo = b.remove;
  });
  after(() => {
    removeDemo();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("gives the same embeddings, patch grids and scores as the session on the calling thread", async () => {
    const log = logSink();
    const here = await loadModel(demo, CPU);
    const threaded = await loadModel(demo, {
      ...CPU,
      sessionThread: true,
      logger: log.logger,
    });
    try {
      const x = inputs(3);
      const a = await here.encodeImages(x);
      // The inputs are the caller's still (only the batch built from them is handed over).
      expect(x[0]![1]).to.equal(Math.fround(Math.sin(0.001)));
      const b = await threaded.encodeImages(x);
      expect(b).to.have.length(3);
      b.forEach((e, i) => {
        expect([...e.embedding]).to.deep.equal([...a[i]!.embedding]);
        expect(e.patches?.height).to.equal(a[i]!.patches?.height);
        expect([...e.patches!.data]).to.deep.equal([...a[i]!.patches!.data]);
      });
      expect(await threaded.scoreImages(x)).to.deep.equal(await here.scoreImages(x));
      // The thread's log lines reach this thread's logger.
      const text = log.text();
      expect(text).to.contain("image encoder: onnxruntime session on cpu");
      expect(text).to.contain('"spinning":false');
      expect(threaded.identity.executionProvider).to.equal("cpu");
    } finally {
      await here.close();
      await threaded.close();
    }
  });

  it("leaves the event loop free while the batch runs", async () => {
    // What runs first: the batch's answer, or a callback queued just after it was asked for?
    const order = async (sessionThread: boolean): Promise<string[]> => {
      const model = await loadModel(demo, { ...CPU, sessionThread });
      try {
        const seen: string[] = [];
        const run = model.encodeImages(inputs(8)).then(() => seen.push("batch"));
        setImmediate(() => seen.push("event loop"));
        await run;
        await new Promise((r) => setImmediate(r));
        return seen;
      } finally {
        await model.close();
      }
    };
    // On the calling thread the run holds the event loop until it is done ...
    expect(await order(false)).to.deep.equal(["batch", "event loop"]);
    // ... on its own thread the event loop goes on meanwhile.
    expect(await order(true)).to.deep.equal(["event loop", "batch"]);
  });

  it("reports a load failure and a bad output as the calling thread's session does", async () => {
    const sized = copyBundle(demo);
    dirs.push(sized);
    editManifest(sized, (m) => ((m.preprocess as Json).size = 256));
    for (const sessionThread of [false, true]) {
      try {
        const m = await loadModel(sized, { ...CPU, sessionThread });
        await m.close();
        expect.fail("expected loadModel to fail");
      } catch (err) {
        expect((err as RadzError).code, String(err)).to.equal("BUNDLE_MODEL_MISMATCH");
        expect((err as RadzError).message).to.contain("[batch, 1, 256, 256]");
      }
    }
    // An encoder that fails to run: INFERENCE_FAILED from the thread, as a RadzError.
    const g = new GraphBuilder("reshape_fails");
    const image = g.input("image", "float32", ["batch", 1, 224, 224]);
    const bad = g.op("Reshape", [image, g.ints([13, -1])]);
    g.output(g.op("Flatten", [bad]), "embedding", "float32", ["batch", 32]);
    const broken = copyBundle(demo);
    dirs.push(broken);
    replaceFile(
      broken,
      "image-encoder.onnx",
      g.toBytes({
        producerName: "radz-test",
        producerVersion: "1",
        docString: "fails at run time",
      }),
    );
    editManifest(broken, (m) => {
      m.schemaVersion = 1;
      delete (m.imageEncoder as Json).spatialOutputName;
    });
    try {
      const m = await loadModel(broken, { ...CPU, sessionThread: true });
      await m.close();
      expect.fail("expected the warm-up run to fail");
    } catch (err) {
      expect(err).to.be.instanceOf(RadzError);
      expect((err as RadzError).code, String(err)).to.equal("INFERENCE_FAILED");
      expect((err as RadzError).message).to.contain("image encoder run failed");
    }
  });

  it("rejects use after close, and close ends the thread", async () => {
    const model = await loadModel(demo, { ...CPU, sessionThread: true });
    await model.close();
    await model.close();
    try {
      await model.scoreImages(inputs(1));
      expect.fail("expected a rejection");
    } catch (err) {
      expect((err as RadzError).code).to.equal("INFERENCE_FAILED");
    }
  });
});
