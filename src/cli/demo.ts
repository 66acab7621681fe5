/**
 * `radz demo`: a throwaway Orthanc on free loopback ports, synthetic chest
 * studies, the whole service, a result table, then everything stopped.
 * `radz demo --generate <dir>` only writes the synthetic studies + truth.csv.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { createService } from "../app.js";
import { loadConfig } from "../config/index.js";
import { DicomWebClient } from "../dicomweb/index.js";
import { RadzError } from "../errors.js";
import { isTerminal, type Job } from "../jobs/index.js";
import { writeDemoBundle } from "../model/index.js";
import { createLogger } from "../observability/index.js";
import { OrthancClient, startLocalOrthanc } from "../orthanc/index.js";
import { generateApiToken, hashApiToken } from "../security/index.js";
import {
  SYNTHETIC_SITES,
  generateSyntheticStudies,
  writeSyntheticStudies,
  type SyntheticSite,
} from "../synthetic/index.js";

interface DemoOptions {
  generate?: string;
  count: number;
  seed: number;
  size: number;
  site: SyntheticSite;
  timeout: number;
  logLevel: string;
  serve?: boolean;
  port?: number;
}

const intArg = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new RadzError("INPUT_INVALID", `not a non-negative integer: ${v}`);
  return n;
};

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "Run the whole pipeline on synthetic chest studies in a throwaway local Orthanc and print the results.\n" +
        "Needs Debian's orthanc and orthanc-dicomweb packages. The demo model is synthetic: it only recognises the drawn patterns.",
    )
    .option(
      "--generate <dir>",
      "only write synthetic studies (Part-10 files, truth.csv, and regions.csv: the box of each finding drawn) into <dir>",
    )
    .option("-n, --count <n>", "number of studies", intArg, 6)
    .option("--seed <n>", "random seed (same seed, same studies)", intArg, 1)
    .option("--size <px>", "image rows and columns", intArg, 512)
    .option(
      "--site <name>",
      `synthetic site: ${SYNTHETIC_SITES.join(" or ")} (another detector, subtler and overlapping findings; docs/models.md)`,
      (v: string): SyntheticSite => {
        if (!(SYNTHETIC_SITES as readonly string[]).includes(v))
          throw new RadzError(
            "INPUT_INVALID",
            `--site must be one of ${SYNTHETIC_SITES.join(", ")}`,
          );
        return v as SyntheticSite;
      },
      "default",
    )
    .option("--timeout <s>", "give up after this many seconds", intArg, 180)
    .option("--log-level <level>", "service log level (stderr)", "warn")
    .option(
      "--serve",
      "after processing, keep Orthanc and the service running and print the worklist URL (with a login token for this run) until Ctrl-C",
    )
    .option("--port <n>", "API and worklist port with --serve (default: any free port)", intArg)
    .action(async (opts: DemoOptions) => {
      if (opts.generate) {
        const out = await writeSyntheticStudies(opts.generate, {
          count: opts.count,
          seed: opts.seed,
          rows: opts.size,
          columns: opts.size,
          site: opts.site,
        });
        process.stdout.write(
          `${out.studies} studies, ${out.files.length} files, truth in ${out.truthCsv}, drawn regions in ${out.regionsCsv}\n`,
        );
        return;
      }
      process.exitCode = await runDemo(opts);
    });
}

let lastProgress = "";
/** One status line: rewritten in place on a terminal, printed only when it changes otherwise. */
function progress(text: string): void {
  if (text === lastProgress) return;
  lastProgress = text;
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}

async function runDemo(opts: DemoOptions): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), "radz-demo-"));
  const logger = createLogger({ level: opts.logLevel as "warn", destination: process.stderr });
  progress("starting a throwaway Orthanc…");
  const orthanc = await startLocalOrthanc({ stableAgeSeconds: 2, logger });
  try {
    progress("writing the synthetic demonstration model bundle…");
    const bundle = join(work, "bundle");
    await writeDemoBundle(bundle);
    // An admin API token that lives as long as this demo (printed in the worklist URL with --serve).
    const token = generateApiToken();
    const config = loadConfig({
      env: {},
      overrides: {
        orthanc: { url: orthanc.url },
        jobs: { dbPath: join(work, "radz.sqlite"), backoffBaseMs: 500 },
        intake: { startFrom: "beginning", pollCron: "* * * * * *" },
        model: { bundle },
        http: {
          port: opts.serve ? (opts.port ?? 0) : 0,
          tokens: [{ name: "demo", sha256: hashApiToken(token), role: "admin" }],
        },
        log: { level: opts.logLevel },
      },
    });
    const service = await createService(config, logger);
    await service.start();
    try {
      progress(`generating and uploading ${opts.count} synthetic studies…`);
      const studies = generateSyntheticStudies({
        count: opts.count,
        seed: opts.seed,
        rows: opts.size,
        columns: opts.size,
        site: opts.site,
      });
      const client = new OrthancClient({ url: orthanc.url, timeoutMs: 30_000 });
      const orthancIds = new Map<string, string>();
      for (const s of studies) {
        for (const part10 of s.instances) {
          const up = await client.uploadInstance(part10);
          orthancIds.set(s.studyInstanceUid, up.parentStudy);
        }
      }
      const deadline = Date.now() + opts.timeout * 1000;
      let jobs: (Job | null)[] = [];
      for (;;) {
        jobs = studies.map((s) =>
          service.store.getByStudy(orthancIds.get(s.studyInstanceUid) ?? ""),
        );
        const finished = jobs.filter((j) => j && isTerminal(j.state)).length;
        progress(
          `waiting for studies to become stable and be analysed: ${finished}/${studies.length} done`,
        );
        if (finished === studies.length) break;
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      if (process.stderr.isTTY) process.stderr.write("\n");

      const dicomweb = new DicomWebClient({
        url: orthanc.dicomwebUrl,
        timeoutMs: 30_000,
        maxInstanceBytes: 1 << 30,
      });
      const rows: string[][] = [];
      let bad = 0;
      for (const [i, s] of studies.entries()) {
        const job = jobs[i] ?? null;
        let srStored = false;
        if (job?.result?.sr) {
          const found = await dicomweb.searchForInstances(
            s.studyInstanceUid,
            job.result.sr.seriesInstanceUid,
          );
          srStored = found.length > 0;
        }
        if (job?.state !== "done" || !srStored) bad++;
        const top = [...(job?.result?.findings ?? [])]
          .sort((a, b) => b.probability - a.probability)
          .slice(0, 3)
          .map((f) => `${f.positive ? "+" : " "}${f.labelId} ${f.probability.toFixed(2)}`)
          .join("  ");
        rows.push([
          `${i + 1}`,
          `…${s.studyInstanceUid.slice(-10)}`,
          s.labels.join(",") || "(none)",
          top || job?.lastError?.code || "-",
          job?.result?.priority ?? "-",
          job?.state ?? "not seen",
          srStored ? "yes" : "no",
        ]);
      }
      printTable(
        [
          "#",
          "study",
          "drawn findings",
          "top findings (probability; + = positive)",
          "priority",
          "state",
          "SR stored",
        ],
        rows,
      );
      process.stdout.write(
        "\nMachine-generated by a SYNTHETIC demonstration model; unverified; not for clinical use.\n",
      );
      if (opts.serve) await serveUntilInterrupted(`${service.url}/#login=${token}`, orthanc.url);
      return bad === 0 ? 0 : 1;
    } finally {
      await service.stop();
    }
  } finally {
    await orthanc.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Prints the worklist URL and waits for Ctrl-C (SIGINT) or SIGTERM. */
async function serveUntilInterrupted(worklistUrl: string, orthancUrl: string): Promise<void> {
  process.stdout.write(
    `\nWorklist: ${worklistUrl}\n` +
      `  (the link logs this browser in; the token is valid until the demo stops)\n` +
      `Orthanc Explorer: ${orthancUrl}/app/explorer.html\n` +
      "Upload more studies to Orthanc and watch them appear. Press Ctrl-C to stop.\n",
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  process.stderr.write("stopping…\n");
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join("  ")
      .trimEnd();
  process.stdout.write(`${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}
