/**
 * Golden SRs: the dsrdump rendering of SRs built from fixed inputs (fixed
 * date, deterministic UIDs) is committed under test/golden/, so any change to
 * the SR content shows up as a diff in review:
 *  - sr-basic.dsrdump.txt: a bundle without spatial output (no regions);
 *  - sr-regions.dsrdump.txt: the same labels with regions on the positive ones.
 *
 * Regenerate after an intended change with:
 *   UPDATE_GOLDEN=1 npx mocha test/report/golden.test.ts
 */
import { expect } from "chai";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildStudyReport, type StudyReportInput } from "../../src/report/structured-report.js";
import { triage } from "../../src/report/triage.js";
import { run, writeTemp } from "../helpers/dicom-tools.js";
import { localisedFindings, reportInput } from "./fixtures.js";

/** Every code, long values, template ids and referenced UIDs: the whole content. */
const DSRDUMP_OPTIONS = ["+Pc", "+Pl", "+Pt", "+Pu", "+Psu"];

function expectGolden(name: string, input: StudyReportInput): void {
  const golden = fileURLToPath(new URL(`../golden/${name}`, import.meta.url));
  const file = writeTemp(buildStudyReport(input).part10);
  const dump = run("dsrdump", [...DSRDUMP_OPTIONS, file]);
  expect(dump.status, dump.stderr).to.equal(0);
  expect(dump.stderr).to.equal("");
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(golden)) {
    if (process.env.UPDATE_GOLDEN !== "1")
      throw new Error(`golden file missing: run with UPDATE_GOLDEN=1 to create ${golden}`);
    writeFileSync(golden, dump.stdout, "utf8");
  }
  expect(dump.stdout).to.equal(readFileSync(golden, "utf8"));
}

describe("report/golden", () => {
  it("renders the basic SR exactly as the committed dsrdump golden", () => {
    expectGolden("sr-basic.dsrdump.txt", reportInput());
  });

  it("renders the SR with regions exactly as the committed dsrdump golden", () => {
    const findings = localisedFindings();
    expectGolden("sr-regions.dsrdump.txt", reportInput({ findings, triage: triage(findings) }));
  });
});
