/**
 * Site adaptation, measured (issue 21; docs/models.md "Site adaptation"):
 *
 *   npm run bench:adapt [-- --size 256 --work /tmp/radz-bench-adapt]
 *
 * For each synthetic site (shifted, default): 300 studies with seed 8001 (the
 * evaluation set) and 100 with seed 8002 (the pool the confirmations come
 * from), the demo bundle, then exactly the commands a site would run:
 *
 *   radz adapt --truth <8002>/truth.csv <8002> --shots 16 --out adaptation.json
 *   radz eval  --truth <8001>/truth.csv <8001> --adaptation adaptation.json --json
 *
 * and prints both sites side by side: per label and macro AUROC and ECE
 * zero-shot -> adapted, and the acceptance checks (shifted: zero-shot macro
 * AUROC in [0.70, 0.90], macro AUROC up by >= 0.05, ECE not worse; default:
 * no label's AUROC moved by more than 0.01). Exit code 1 when a check fails.
 */
import { mkdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { main } from "../src/cli/main.js";
import { writeDemoBundle } from "../src/model/index.js";
import { writeSyntheticStudies, type SyntheticSite } from "../src/synthetic/index.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const size = Number(arg("size", "256"));
const work = arg("work", path.join(os.tmpdir(), "radz-bench-adapt"));

/** Runs the radz CLI in this process and returns what it printed on stdout. */
async function radz(args: string[]): Promise<string> {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  };
  try {
    const code = await main(["node", "radz", ...args, "--log-level", "silent"]);
    if (code !== 0) throw new Error(`radz ${args.join(" ")} exited ${code}`);
  } finally {
    process.stdout.write = write;
  }
  return out.join("");
}

interface Pair {
  auroc: [number, number];
  ece: [number, number];
}

async function site(name: SyntheticSite, bundle: string): Promise<Map<string, Pair>> {
  const evalSet = path.join(work, name, "8001");
  const pool = path.join(work, name, "8002");
  process.stderr.write(`${name}: generating 300 + 100 studies (${size} px)…\n`);
  await writeSyntheticStudies(evalSet, {
    count: 300,
    seed: 8001,
    rows: size,
    columns: size,
    site: name,
  });
  await writeSyntheticStudies(pool, {
    count: 100,
    seed: 8002,
    rows: size,
    columns: size,
    site: name,
  });
  const adaptation = path.join(work, name, "adaptation.json");
  process.stderr.write(
    `${name}: radz adapt (16 confirmed-present studies per label, seed 8002)…\n`,
  );
  const fit = JSON.parse(
    await radz([
      "adapt",
      "--bundle",
      bundle,
      "--truth",
      path.join(pool, "truth.csv"),
      pool,
      "--shots",
      "16",
      "--out",
      adaptation,
      "--json",
    ]),
  ) as { id: string; alpha: number; studies: number };
  process.stderr.write(
    `${name}: adaptation ${fit.id} from ${fit.studies} studies, alpha ${fit.alpha}; radz eval --adaptation on 300…\n`,
  );
  const report = JSON.parse(
    await radz([
      "eval",
      "--bundle",
      bundle,
      "--truth",
      path.join(evalSet, "truth.csv"),
      evalSet,
      "--adaptation",
      adaptation,
      "--bootstrap",
      "1",
      "--json",
    ]),
  ) as { adaptation: { labels: Record<string, Pair> } };
  return new Map(Object.entries(report.adaptation.labels));
}

const f3 = (v: number): string => v.toFixed(3);
const mean = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const bundle = path.join(work, "bundle");
await writeDemoBundle(bundle);
const shifted = await site("shifted", bundle);
const plain = await site("default", bundle);

const labels = [...shifted.keys()];
const rows = labels.map((id) => {
  const s = shifted.get(id)!;
  const d = plain.get(id)!;
  return [
    id,
    `${f3(s.auroc[0])} -> ${f3(s.auroc[1])}`,
    `${f3(s.ece[0])} -> ${f3(s.ece[1])}`,
    `${f3(d.auroc[0])} -> ${f3(d.auroc[1])}`,
    `${f3(d.ece[0])} -> ${f3(d.ece[1])}`,
  ];
});
const macro = (m: Map<string, Pair>, k: "auroc" | "ece", i: 0 | 1): number =>
  mean([...m.values()].map((p) => p[k][i]));
rows.push([
  "macro",
  `${f3(macro(shifted, "auroc", 0))} -> ${f3(macro(shifted, "auroc", 1))}`,
  `${f3(macro(shifted, "ece", 0))} -> ${f3(macro(shifted, "ece", 1))}`,
  `${f3(macro(plain, "auroc", 0))} -> ${f3(macro(plain, "auroc", 1))}`,
  `${f3(macro(plain, "ece", 0))} -> ${f3(macro(plain, "ece", 1))}`,
]);
const header = ["label", "shifted AUROC", "shifted ECE", "default AUROC", "default ECE"];
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
process.stdout.write(
  `Zero-shot -> adapted (demo bundle; evaluation: 300 studies, seed 8001; adaptation: radz adapt --shots 16 on seed 8002)\n` +
    `${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${rows.map(line).join("\n")}\n\n`,
);

const base = macro(shifted, "auroc", 0);
const gain = macro(shifted, "auroc", 1) - base;
const eceShifted: [number, number] = [macro(shifted, "ece", 0), macro(shifted, "ece", 1)];
const maxDefaultMove = Math.max(
  ...[...plain.values()].map((p) => Math.abs(p.auroc[1] - p.auroc[0])),
);
const checks: [string, boolean][] = [
  [`shifted zero-shot macro AUROC ${f3(base)} in [0.70, 0.90]`, base >= 0.7 && base <= 0.9],
  [`shifted macro AUROC up by ${f3(gain)} (>= 0.05)`, gain >= 0.05],
  [
    `shifted macro ECE ${f3(eceShifted[0])} -> ${f3(eceShifted[1])} (not worse)`,
    eceShifted[1] <= eceShifted[0],
  ],
  [`default: largest label AUROC change ${f3(maxDefaultMove)} (<= 0.01)`, maxDefaultMove <= 0.01],
];
for (const [text, ok] of checks) process.stdout.write(`${ok ? "PASS" : "FAIL"}  ${text}\n`);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
