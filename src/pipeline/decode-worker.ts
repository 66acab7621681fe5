/**
 * A decode-pool worker thread (decode-pool.ts): lowers its own priority when
 * told to (imaging.decodeNice), loads the image codecs once,
 * then answers each PrepareImageRequest with prepareImage()'s result, the
 * tensor and thumbnail buffers transferred back (no copy). Errors travel as
 * { code, message } and become RadzErrors again on the main thread.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { toRadzError } from "../errors.js";
import { initCodecs } from "../imaging/index.js";
import { prepareImage } from "./prepare-image.js";
import type { DecodeWorkerData, WorkerReply, WorkerTask } from "./decode-pool.js";

const port = parentPort;
if (!port) throw new Error("decode-worker.ts runs as a worker thread only");

// This thread's own priority (Linux: a thread's ID set with setpriority() changes that
// thread only). Where that is not possible it runs at the process's priority.
const { nice } = (workerData ?? { nice: 0 }) as DecodeWorkerData;
if (nice > 0 && process.platform === "linux") {
  try {
    setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), nice);
  } catch {
    // Not allowed or no /proc: the process's priority.
  }
}

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
