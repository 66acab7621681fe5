/**
 * Golden SR: the dsrdump rendering of an SR built from fixed inputs (fixed
 * date, deterministic UIDs) is committed as test/golden/sr-basic.dsrdump.txt,
 * so any change to the SR content shows up as a diff in review.
 *
 * Regenerate after an intended change with:
 *   UPDATE_GOLDEN=1 npx mocha test/report/golden.test.ts
 */
import { expect } from "chai";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildStudyReport } from "../../src/report/structured-report.js";
import { run, writeTemp } from "../helpers/dicom-tools.js";
import { reportInput } from "./fixtures.js";

const GOLDEN = fileURLToPath(new URL("../golden/sr-basic.dsrdump.txt", import.meta.url));

/** Every code, long values, template ids and referenced UIDs: the whole content. */
const DSRDUMP_OPTIONS = ["+Pc", "+Pl", "+Pt", "+Pu", "+Psu"];

describe("report/golden", () => {
  it("renders the basic SR exactly as the committed dsrdump golden", () => {
    const file = writeTemp(buildStudyReport(reportInput()).part10);
    const dump = run("dsrdump", [...DSRDUMP_OPTIONS, file]);
    expect(dump.status, dump.stderr).to.equal(0);
    expect(dump.stderr).to.equal("");
    if (process.env.UPDATE_GOLDEN === "1" || !existsSync(GOLDEN)) {
      if (process.env.UPDATE_GOLDEN !== "1")
        throw new Error(`golden file missing: run with UPDATE_GOLDEN=1 to create ${GOLDEN}`);
      writeFileSync(GOLDEN, dump.stdout, "utf8");
    }
    expect(dump.stdout).to.equal(readFileSync(GOLDEN, "utf8"));
  });
});
