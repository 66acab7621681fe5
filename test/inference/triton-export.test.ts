/**
 * `radz bundle export-triton`: the model repository's layout, config.pbtxt
 * parsed against the fields of Triton's inference.ModelConfig (model_config.proto,
 * field numbers and enums written inline below) with protobufjs, and the
 * names and tensors radz worker serves equal to what Triton would serve
 * from that repository, so the remote backend works against either.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import protobuf from "protobufjs";
import { main } from "../../src/cli/main.js";
import { loadConfig } from "../../src/config/index.js";
import type { RadzError } from "../../src/errors.js";
import {
  createInferenceBackend,
  exportTritonRepository,
  type RunningWorker,
} from "../../src/inference/index.js";
import { PbEnum, pbString, toPbtxt } from "../../src/inference/triton/pbtxt.js";
import { loadModel, readBundleManifest, type ZeroShotModel } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { startTestWorker, tempDemoBundle, type TempBundle } from "./helpers.js";
import { parseTextFormat } from "./pbtxt-parse.js";

/** The parts of Triton's model_config.proto (package inference) a RadZ export uses, same numbers. */
const MODEL_CONFIG_PROTO = `
syntax = "proto3";
package inference;
enum DataType {
  TYPE_INVALID = 0; TYPE_BOOL = 1; TYPE_UINT8 = 2; TYPE_UINT16 = 3; TYPE_UINT32 = 4;
  TYPE_UINT64 = 5; TYPE_INT8 = 6; TYPE_INT16 = 7; TYPE_INT32 = 8; TYPE_INT64 = 9;
  TYPE_FP16 = 10; TYPE_FP32 = 11; TYPE_FP64 = 12; TYPE_STRING = 13; TYPE_BF16 = 14;
}
message ModelInstanceGroup {
  enum Kind { KIND_AUTO = 0; KIND_GPU = 1; KIND_CPU = 2; KIND_MODEL = 3; }
  string name = 1;
  Kind kind = 4;
  int32 count = 2;
  repeated int32 gpus = 3;
  repeated string profile = 5;
  bool passive = 7;
  string host_policy = 9;
}
message ModelTensorReshape { repeated int64 shape = 1; }
message ModelInput {
  enum Format { FORMAT_NONE = 0; FORMAT_NHWC = 1; FORMAT_NCHW = 2; }
  string name = 1;
  DataType data_type = 2;
  Format format = 3;
  repeated int64 dims = 4;
  ModelTensorReshape reshape = 5;
  bool is_shape_tensor = 6;
  bool allow_ragged_batch = 7;
  bool optional = 8;
}
message ModelOutput {
  string name = 1;
  DataType data_type = 2;
  repeated int64 dims = 3;
  ModelTensorReshape reshape = 5;
  string label_filename = 4;
  bool is_shape_tensor = 6;
}
message ModelDynamicBatching {
  repeated int32 preferred_batch_size = 1;
  uint64 max_queue_delay_microseconds = 2;
  bool preserve_ordering = 3;
  uint64 priority_levels = 4;
  uint64 default_priority_level = 5;
}
message ModelConfig {
  string name = 1;
  string platform = 2;
  string backend = 17;
  int32 max_batch_size = 4;
  repeated ModelInput input = 5;
  repeated ModelOutput output = 6;
  oneof scheduling_choice { ModelDynamicBatching dynamic_batching = 11; }
  repeated ModelInstanceGroup instance_group = 7;
  string default_model_filename = 8;
}
`;

const root = protobuf.parse(MODEL_CONFIG_PROTO, { keepCase: true }).root;
const ModelConfig = root.lookupType("inference.ModelConfig");

interface ParsedConfig {
  name: string;
  platform: string;
  max_batch_size: number;
  input: { name: string; data_type: string; dims: number[] }[];
  output: { name: string; data_type: string; dims: number[] }[];
  dynamic_batching: { max_queue_delay_microseconds: number };
  instance_group: { count: number; kind: string }[];
}

/** config.pbtxt → text-format parse against ModelConfig → protobuf encode/decode round trip. */
function readConfig(file: string): ParsedConfig {
  const obj = parseTextFormat(readFileSync(file, "utf8"), ModelConfig);
  const message = ModelConfig.fromObject(obj);
  expect(ModelConfig.verify(message), "ModelConfig.verify").to.equal(null);
  const decoded = ModelConfig.decode(ModelConfig.encode(message).finish());
  return ModelConfig.toObject(decoded, {
    enums: String,
    longs: Number,
    defaults: false,
  }) as ParsedConfig;
}

/** The model metadata Triton reports for a batching model with this config. */
function tritonMetadata(c: ParsedConfig) {
  const t = (x: { name: string; data_type: string; dims: number[] }) => ({
    name: x.name,
    datatype: x.data_type.replace(/^TYPE_/, ""),
    shape: [-1, ...x.dims],
  });
  return { name: c.name, inputs: c.input.map(t), outputs: c.output.map(t) };
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("inference/Triton model repository export", function () {
  this.timeout(60_000);
  let bundle: TempBundle;
  let repo: string;

  before(async () => {
    bundle = await tempDemoBundle();
    repo = path.join(bundle.root, "triton-repo");
    await exportTritonRepository(bundle.bundleDir, repo, {
      maxBatch: 8,
      maxQueueDelayMicroseconds: 2_500,
      instanceKind: "gpu",
      instanceCount: 2,
    });
  });
  after(() => bundle?.cleanup());

  it("writes <model>/config.pbtxt and <model>/1/model.onnx per encoder, the bundle's own files", async () => {
    const manifest = await readBundleManifest(bundle.bundleDir);
    expect(readdirSync(repo).sort()).to.deep.equal([
      "radz-demo-synthetic-image",
      "radz-demo-synthetic-text",
    ]);
    for (const [name, file] of [
      ["radz-demo-synthetic-image", manifest.imageEncoder.file],
      ["radz-demo-synthetic-text", manifest.textEncoder!.file],
    ] as const) {
      expect(readdirSync(path.join(repo, name)).sort()).to.deep.equal(["1", "config.pbtxt"]);
      const exported = readFileSync(path.join(repo, name, "1", "model.onnx"));
      expect(sha(exported)).to.equal(sha(readFileSync(path.join(bundle.bundleDir, file))));
    }
  });

  it("config.pbtxt parses as inference.ModelConfig with the tensors, dynamic batching and instance group", () => {
    const image = readConfig(path.join(repo, "radz-demo-synthetic-image", "config.pbtxt"));
    expect(image).to.deep.equal({
      name: "radz-demo-synthetic-image",
      platform: "onnxruntime_onnx",
      max_batch_size: 8,
      input: [{ name: "image", data_type: "TYPE_FP32", dims: [1, 224, 224] }],
      output: [
        { name: "embedding", data_type: "TYPE_FP32", dims: [32] },
        // The bundle's spatial output (schemaVersion 2): [h, w, D] patch embeddings.
        { name: "patch_embeddings", data_type: "TYPE_FP32", dims: [56, 56, 32] },
      ],
      dynamic_batching: { max_queue_delay_microseconds: 2500 },
      instance_group: [{ count: 2, kind: "KIND_GPU" }],
    });
    const text = readConfig(path.join(repo, "radz-demo-synthetic-text", "config.pbtxt"));
    expect(text.input).to.deep.equal([
      { name: "input_ids", data_type: "TYPE_INT64", dims: [-1] },
      { name: "attention_mask", data_type: "TYPE_INT64", dims: [-1] },
    ]);
    expect(text.output).to.deep.equal([
      { name: "text_embedding", data_type: "TYPE_FP32", dims: [32] },
    ]);
    expect(
      readFileSync(path.join(repo, "radz-demo-synthetic-text", "config.pbtxt"), "utf8"),
    ).to.match(/^# Generated by radz bundle export-triton from bundle radz-demo-synthetic 1\.0\.0/);
  });

  it("the text-format reader refuses fields and enum values ModelConfig does not have", () => {
    expect(() => parseTextFormat('nmae: "x"', ModelConfig)).to.throw(/no field "nmae"/);
    expect(() => parseTextFormat("input [ { data_type: TYPE_FLOAT } ]", ModelConfig)).to.throw(
      /DataType/,
    );
    expect(() => parseTextFormat('name: "a"\nname: "b"', ModelConfig)).to.throw(/twice/);
    expect(() => parseTextFormat("max_batch_size: 1.5", ModelConfig)).to.throw(/integer/);
  });

  it("the writer escapes strings so they read back unchanged", () => {
    const tricky = 'a "quoted" \\ name\nwith ünïcode';
    const text = toPbtxt({
      name: tricky,
      instance_group: [{ kind: new PbEnum("KIND_CPU"), count: 1 }],
    });
    expect(pbString('"')).to.equal('"\\""');
    const back = parseTextFormat(text, ModelConfig);
    expect(back.name).to.equal(tricky);
    expect(back.instance_group).to.deep.equal([{ kind: "KIND_CPU", count: 1 }]);
  });

  describe("radz worker serves what Triton would serve from that repository", () => {
    let worker: RunningWorker;
    let model: ZeroShotModel;
    before(async () => {
      worker = await startTestWorker(bundle, { tokens: [], allowUnauthenticated: true });
      model = await loadModel(bundle.bundleDir, {
        executionProviders: ["cpu"],
        requireGpu: false,
        logger: silentLogger(),
        embeddingCacheDir: bundle.cacheDir,
      });
    });
    after(async () => {
      await worker?.stop();
      await model?.close();
    });

    it("same model names, tensor names, datatypes and shapes", async () => {
      for (const name of readdirSync(repo)) {
        const expected = tritonMetadata(readConfig(path.join(repo, name, "config.pbtxt")));
        const r = await fetch(`${worker.url}/v2/models/${name}`);
        expect(r.status).to.equal(200);
        const meta = (await r.json()) as {
          name: string;
          platform: string;
          inputs: unknown;
          outputs: unknown;
        };
        expect({ name: meta.name, inputs: meta.inputs, outputs: meta.outputs }).to.deep.equal(
          expected,
        );
        expect(meta.platform).to.equal("onnxruntime_onnx");
      }
    });

    it("the remote backend built from config (default model name) embeds like the local session", async () => {
      const config = loadConfig({
        env: {},
        overrides: { inference: { backend: "remote", endpoints: [{ url: worker.url }] } },
      });
      const backend = await createInferenceBackend(config, model, silentLogger());
      try {
        expect(backend.describe()).to.include({
          kind: "remote",
          ready: true,
          modelName: "radz-demo-synthetic-image",
        });
        const x = new Float32Array(224 * 224).map((_, i) => (i % 13) / 13);
        const [remote] = await backend.embedImages([x]);
        const [local] = await model.embedImages([x]);
        expect(Array.from(remote!)).to.deep.equal(Array.from(local!));
        // The spatial output comes back too, as the bundle declares it.
        const [remoteEnc] = await backend.encodeImages([x]);
        const [localEnc] = await model.encodeImages([x]);
        expect(Array.from(remoteEnc!.patches!.data)).to.deep.equal(
          Array.from(localEnc!.patches!.data),
        );
      } finally {
        await backend.close();
      }
    });
  });

  it("radz bundle export-triton: options reach config.pbtxt; --no-text leaves the text encoder out", async () => {
    const out = path.join(bundle.root, "repo-cli");
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    let code: number;
    try {
      code = await main([
        "node",
        "radz",
        "bundle",
        "export-triton",
        bundle.bundleDir,
        out,
        "--max-batch",
        "4",
        "--max-queue-delay-us",
        "0",
        "--instance-kind",
        "cpu",
        "--instances",
        "3",
        "--no-text",
      ]);
    } finally {
      process.stdout.write = write;
    }
    expect(code).to.equal(0);
    expect(readdirSync(out)).to.deep.equal(["radz-demo-synthetic-image"]);
    const c = readConfig(path.join(out, "radz-demo-synthetic-image", "config.pbtxt"));
    expect(c.max_batch_size).to.equal(4);
    expect(c.instance_group).to.deep.equal([{ count: 3, kind: "KIND_CPU" }]);
    // Dynamic batching stays on with no queue delay.
    expect(c.dynamic_batching, "dynamic_batching present").to.not.equal(undefined);
    expect(c.dynamic_batching.max_queue_delay_microseconds ?? 0).to.equal(0);
    const bad = await main([
      "node",
      "radz",
      "bundle",
      "export-triton",
      bundle.bundleDir,
      out,
      "--max-batch",
      "0",
    ]);
    expect(bad).to.equal(2);
  });

  it("refuses a bundle whose encoder does not match its sha256", async () => {
    const manifest = await readBundleManifest(bundle.bundleDir);
    const file = path.join(bundle.bundleDir, manifest.imageEncoder.file);
    const original = readFileSync(file);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0xff;
    writeFileSync(file, tampered);
    const out = path.join(bundle.root, "repo-bad");
    try {
      await exportTritonRepository(bundle.bundleDir, out);
      expect.fail("exported a tampered bundle");
    } catch (err) {
      expect((err as RadzError).code).to.equal("BUNDLE_HASH_MISMATCH");
    } finally {
      writeFileSync(file, original);
    }
    expect(existsSync(out)).to.equal(false);
  });
});
