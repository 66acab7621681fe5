/**
 * A decode-pool worker thread (decode-pool.ts): loads the image codecs once,
 * then answers each PrepareImageRequest with prepareImage()'s result, the
 * tensor and thumbnail buffers transferred back (no copy). Errors travel as
 * { code, message } and become RadzErrors again on the main thread.
 */
import { parentPort } from "node:worker_threads";
import { toRadzError } from "../errors.js";
import { initCodecs } from "../imaging/index.js";
import { prepareImage } from "./prepare-image.js";
import type { WorkerReply, WorkerTask } from "./decode-pool.js";

const port = parentPort;
if (!port) throw new Error("decode-worker.ts runs as a worker thread only");

const ready = initCodecs();
void ready.then(
  () => port.postMessage({ ready: true }),
  () => port.postMessage({ ready: false }),
);

port.on("message", (task: WorkerTask) => {
  // The request's buffer goes back with the reply, for the pool to reuse
  // (nothing prepareImage returns refers to it: headerOnly copies).
  const input = task.request.bytes.buffer as ArrayBuffer;
  void ready
    .then(() => {
      const result = prepareImage(task.request);
      const transfer: ArrayBuffer[] = [result.tensor.buffer as ArrayBuffer, input];
      if (result.thumbnail) transfer.push(result.thumbnail.data.buffer as ArrayBuffer);
      const reply: WorkerReply = { id: task.id, ok: true, result, input };
      port.postMessage(reply, transfer);
    })
    .catch((err: unknown) => {
      const e = toRadzError(err);
      const reply: WorkerReply = {
        id: task.id,
        ok: false,
        error: { code: e.code, message: e.message },
        input,
      };
      port.postMessage(reply, [input]);
    });
});
