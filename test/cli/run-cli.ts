/** Runs the `radz` CLI in process (main()), capturing stdout and stderr. */
import { main } from "../../src/cli/main.js";

type Write = typeof process.stdout.write;

export async function radz(
  args: string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  const capture =
    (into: string[]): Write =>
    (chunk: string | Uint8Array) => {
      into.push(String(chunk));
      return true;
    };
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  const exitCode = process.exitCode;
  try {
    const status = await main(["node", "radz", ...args, "--log-level", "silent"]);
    return { status, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    process.exitCode = exitCode;
  }
}
