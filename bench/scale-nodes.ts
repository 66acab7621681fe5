/**
 * Mock GPU nodes for bench/scale.ts, run as a child process of the benchmark
 * (so the listener's CPU time is measured alone): `count` minimal Open
 * Inference Protocol servers (test/inference/fake-oip-server.ts) that each
 * take a fixed `latencyMs` per request, one request at a time, and answer
 * with a fixed embedding, dropping the pixel bytes as they arrive.
 *
 * Configuration: JSON in the RADZ_BENCH_NODES environment variable.
 * IPC in:  { type: "stats" } → { type: "stats", busyMs: number[], inferred: number[] };
 *          { type: "close" } → closes the servers and exits.
 * First message out: { type: "ready", urls: string[] }.
 */
import { startFakeOipServer, type FakeModel } from "../test/inference/fake-oip-server.js";

interface NodesConfig {
  readonly count: number;
  readonly latencyMs: number;
  readonly modelName: string;
  readonly inputName: string;
  readonly outputName: string;
  readonly inputShape: readonly number[];
  readonly embeddingSize: number;
}

const cfg = JSON.parse(process.env.RADZ_BENCH_NODES ?? "{}") as NodesConfig;
const send = (m: unknown) => process.send!(m);
const row = Array.from({ length: cfg.embeddingSize }, (_, k) => Math.fround(Math.cos(k + 1)));
const model: FakeModel = {
  name: cfg.modelName,
  inputs: [{ name: cfg.inputName, datatype: "FP32", shape: [-1, ...cfg.inputShape] }],
  outputs: [{ name: cfg.outputName, datatype: "FP32", shape: [-1, cfg.embeddingSize] }],
  compute: (_inputs, batch) => {
    const out: number[] = [];
    for (let b = 0; b < batch; b++) out.push(...row);
    return new Map([[cfg.outputName, out]]);
  },
};

const servers = await Promise.all(
  Array.from({ length: cfg.count }, () =>
    startFakeOipServer({
      models: [model],
      latencyMs: cfg.latencyMs,
      validate: false,
      record: false,
      discardTensorData: true,
    }),
  ),
);
process.on("message", (m: { type: string }) => {
  if (m.type === "stats") {
    send({
      type: "stats",
      busyMs: servers.map((s) => s.busyMs),
      inferred: servers.map((s) => s.inferred),
    });
  } else if (m.type === "close") {
    void Promise.all(servers.map((s) => s.close())).then(() => process.exit(0));
  }
});
send({ type: "ready", urls: servers.map((s) => s.url) });
