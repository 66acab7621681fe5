/**
 * Fits the demo bundle's Platt calibration (DEMO_CALIBRATION in
 * src/model/demo-bundle.ts) on a synthetic set that the tests do not use
 * (seed 1001, 300 studies). Not a test; run by hand after changing the demo
 * encoders or prompts, then paste the printed table:
 *
 *   npx tsx test/model/fit-demo-calibration.ts
 *
 * Platt works on the raw logits, which do not depend on the current table.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fitPlatt, loadModel, writeDemoBundle } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/logger.js";
import { SYNTHETIC_LABELS, generateSyntheticStudies } from "../../src/synthetic/index.js";
import { tensorFromPart10 } from "./helpers.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "radz-fit-"));
try {
  await writeDemoBundle(dir);
  const model = await loadModel(dir, {
    executionProviders: ["cpu"],
    requireGpu: false,
    logger: silentLogger(),
  });
  const studies = generateSyntheticStudies({ count: 300, seed: 1001 });
  const logits: number[][] = [];
  for (let b = 0; b < studies.length; b += 16) {
    const batch = studies
      .slice(b, b + 16)
      .map((s) => tensorFromPart10(s.instances[0]!, model.preprocess));
    for (const row of await model.scoreImages(batch)) logits.push(row.map((s) => s.logit));
  }
  await model.close();
  const lines = SYNTHETIC_LABELS.map((label, k) => {
    const { a, b } = fitPlatt(
      logits.map((r) => r[k]!),
      studies.map((s) => s.labels.includes(label)),
    );
    return `  ${label}: { a: ${a.toFixed(4)}, b: ${b.toFixed(4)}, threshold: 0.5 },`;
  });
  console.log(lines.join("\n"));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
