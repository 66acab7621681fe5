/**
 * Turns on the cores for the image encoder and the decode workers, where the
 * encoder runs on this machine's CPU (imaging.yieldToInference).
 *
 * onnxruntime splits each operator over its intra-op threads and waits for
 * the last of them; a decode worker that takes one of those threads' cores
 * holds the whole operator up while the others wait (on a CPU node with the
 * default of one intra-op thread per core). Shared, the cores did either too
 * much (the model's threads waiting for each other) or too little (decoding
 * given way to inference until inference ran dry, then one worker on one
 * core): docs/benchmarks.md, "End to end". Taking turns, each has every core
 * while it runs: no decode worker starts an image while an encoder run is in
 * flight (an image already started finishes), and between runs every worker
 * may start one. A run never waits for decoding: a study's images are decoded
 * before it is queued for inference, so decoding only ever waits for runs
 * that are already going, and every gap between two runs lets each idle
 * worker start an image.
 */
export class CoreTurns {
  private runs = 0;
  private readonly waiting: (() => void)[] = [];

  /** True while no encoder run is in flight. */
  get decodeMayStart(): boolean {
    return this.runs === 0;
  }

  /** Runs `fn` (one encoder run) as the model's turn: no decode starts until it settles. */
  async inference<T>(fn: () => Promise<T>): Promise<T> {
    this.runs++;
    try {
      return await fn();
    } finally {
      this.runs--;
      if (this.runs === 0) for (const resume of this.waiting.splice(0)) resume();
    }
  }

  /** Calls `resume` once decoding may start: now, or when the runs in flight have settled. */
  whenDecodeMayStart(resume: () => void): void {
    if (this.runs === 0) resume();
    else this.waiting.push(resume);
  }
}

/**
 * Whether decoding takes turns with the encoder (imaging.yieldToInference):
 * true or false as set; "auto" where the encoder runs in this process on the
 * CPU execution provider.
 */
export function takesTurns(
  setting: "auto" | boolean,
  encoder: { readonly remote: boolean; readonly executionProvider: string },
): boolean {
  if (setting !== "auto") return setting;
  return !encoder.remote && encoder.executionProvider === "cpu";
}
