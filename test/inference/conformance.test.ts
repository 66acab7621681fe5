/**
 * The protocol conformance suite against two independent servers: the
 * minimal fake (which also proves the suite itself accepts a server written
 * only from the spec) and `radz worker` serving the demo bundle.
 */
import type { RunningWorker } from "../../src/inference/index.js";
import { fakeImageEncoder, startFakeOipServer, type FakeOipServer } from "./fake-oip-server.js";
import { TEST_TOKEN, startTestWorker, tempDemoBundle, type TempBundle } from "./helpers.js";
import { describeOipServerConformance } from "./oip-conformance.js";

describe("inference/conformance", function () {
  this.timeout(60_000);

  describe("against the minimal spec-following fake", () => {
    let fake: FakeOipServer;
    before(async () => {
      fake = await startFakeOipServer({
        models: [
          fakeImageEncoder({
            name: "fake-image",
            input: "pixels",
            output: "embedding",
            channels: 1,
            size: 4,
            dim: 3,
            maxBatch: 4,
          }),
        ],
        token: "fake-token",
      });
    });
    after(() => fake.close());
    describeOipServerConformance("fake OIP server", () => ({
      baseUrl: fake.url,
      token: "fake-token",
      models: [
        {
          name: "fake-image",
          inputs: [{ name: "pixels", datatype: "FP32", shape: [1, 4, 4] }],
          outputs: ["embedding"],
          maxBatch: 4,
        },
      ],
    }));
  });

  describe("against radz worker (demo bundle)", () => {
    let bundle: TempBundle;
    let worker: RunningWorker;
    before(async () => {
      bundle = await tempDemoBundle();
      worker = await startTestWorker(bundle, { maxBatch: 4 });
    });
    after(async () => {
      await worker?.stop();
      bundle?.cleanup();
    });
    describeOipServerConformance("radz worker", () => ({
      baseUrl: worker.url,
      token: TEST_TOKEN,
      models: [
        {
          name: "radz-demo-synthetic-image",
          inputs: [{ name: "image", datatype: "FP32", shape: [1, 224, 224] }],
          outputs: ["embedding"],
          maxBatch: 4,
        },
        {
          name: "radz-demo-synthetic-text",
          inputs: [
            { name: "input_ids", datatype: "INT64", shape: [6] },
            { name: "attention_mask", datatype: "INT64", shape: [6], value: () => 1 },
          ],
          outputs: ["text_embedding"],
          maxBatch: 4,
        },
      ],
    }));
  });
});
