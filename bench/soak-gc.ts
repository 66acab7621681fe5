/**
 * Loaded into the soak benchmark's `radz serve` child only
 * (`node --expose-gc --import ./bench/soak-gc.ts …`), never into the product:
 * SIGWINCH runs a full garbage collection on the main thread, so the
 * benchmark can read what the service retains at rest apart from garbage V8
 * has not collected yet. A dead Buffer stays resident until V8 collects the
 * object that owns it, and V8 collects when its own heap or the external
 * memory it tracks grows, not on a timer: an idle process can hold tens of
 * MiB of dead summary-page buffers for as long as it stays idle.
 * SIGWINCH's default action is to ignore it, so a signal sent before this
 * module has loaded does nothing.
 */
import { isMainThread } from "node:worker_threads";

const collect = (globalThis as { gc?: () => void }).gc;
if (isMainThread && typeof collect === "function") {
  process.on("SIGWINCH", () => {
    collect();
  });
}
