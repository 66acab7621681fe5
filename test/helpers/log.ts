/**
 * A logger whose output a test can read: `text()` is everything written so
 * far, `records()` the JSON log lines parsed.
 */
import { Writable } from "node:stream";
import { createLogger } from "../../src/observability/index.js";

export function logSink(level: "info" | "debug" = "info"): {
  logger: ReturnType<typeof createLogger>;
  text: () => string;
  records: () => Record<string, unknown>[];
} {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const text = () => chunks.join("");
  return {
    logger: createLogger({ level, destination: sink }),
    text,
    records: () =>
      text()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
