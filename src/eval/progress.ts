/**
 * A progress bar for long `radz eval` / `radz calibrate` runs (cli-progress),
 * on stderr and only when stderr is a terminal, so piped and --json output
 * stays clean.
 */
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function studyProgress(
  total: number,
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {value}/{total} studies | {percentage}% | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let max = Math.max(1, total);
  bar.start(max, 0);
  return {
    update(done: number) {
      if (done > max) {
        max = done;
        bar.setTotal(max);
      }
      bar.update(done);
    },
    stop() {
      bar.stop();
    },
  };
}
