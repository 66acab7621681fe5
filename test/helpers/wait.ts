/**
 * Waiting on state instead of on the clock: `waitFor` polls a condition until
 * it holds or `ms` have passed, and says what it waited for when it gives up.
 */
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves once `pred` holds (it may be async); rejects after `ms` with
 * "timed out after N ms waiting for <what>". `everyMs` is the polling
 * interval: keep the default for in-process state (a job store, a counter),
 * pass a longer one when `pred` asks a server over HTTP.
 */
export async function waitFor(
  pred: () => boolean | Promise<boolean>,
  ms = 5_000,
  what = "the condition",
  everyMs = 10,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
