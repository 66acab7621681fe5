/**
 * The image encoder's session thread (session-thread.ts): opens the session
 * with openSession() (log lines go back to the main thread's logger), then
 * answers each run with the outputs (copied into the reply: onnxruntime owns
 * its output buffers). onnxruntime's errors travel as { code, message } and
 * become RadzErrors again on the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import { RadzError, toRadzError } from "../errors.js";
import { openSession } from "./onnx-session.js";
import type {
  SessionOutput,
  SessionReply,
  SessionRequest,
  SessionWorkerData,
} from "./session-thread.js";

const port = parentPort;
if (!port) throw new Error("session-worker.ts runs as a worker thread only");
const post = (reply: SessionReply): void => port.postMessage(reply);
const data = workerData as SessionWorkerData;

const log =
  (level: "info" | "warn") =>
  (fields: Record<string, unknown>, msg: string): void =>
    post({ type: "log", level, fields, msg });

let session: ort.InferenceSession | null = null;
try {
  const opened = await openSession(data.modelPath, {
    ...data.options,
    logger: { info: log("info"), warn: log("warn") } as never,
  });
  session = opened.session;
  post({
    type: "open",
    ok: true,
    executionProvider: opened.executionProvider,
    inputMetadata: [...session.inputMetadata],
    outputMetadata: [...session.outputMetadata],
  });
} catch (err) {
  const e = toRadzError(err);
  post({
    type: "open",
    ok: false,
    error: {
      code: e.code,
      message: e.message,
      ...(e.details ? { details: { ...e.details } } : {}),
    },
  });
}

port.on("message", (req: SessionRequest) => {
  if (req.type === "release") {
    const s = session;
    session = null;
    void (s ? s.release() : Promise.resolve()).finally(() => post({ type: "released" }));
    return;
  }
  void (async () => {
    try {
      if (!session) throw new RadzError("INFERENCE_FAILED", "the session is not open");
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(req.feeds))
        feeds[name] = new ort.Tensor("float32", t.data, [...t.dims]);
      const result = await session.run(feeds, [...req.fetches]);
      const outputs: Record<string, SessionOutput> = {};
      for (const [name, t] of Object.entries(result))
        outputs[name] = { type: t.type, dims: [...t.dims], data: t.data };
      post({ type: "run", id: req.id, ok: true, outputs });
    } catch (err) {
      const e = err instanceof RadzError ? err : toRadzError(err);
      post({ type: "run", id: req.id, ok: false, error: { code: e.code, message: e.message } });
    }
  })();
});
