/**
 * dcmjs logs through loglevel straight to the console, and at its default
 * level ("warn") it prints attribute values (e.g. "Unknown name in dataset
 * X : <value>", "Truncating value <value> of PatientName …"). Once the
 * service's modules are loaded, the one CommonJS dcmjs instance every part
 * shares must be at "error" or quieter, so no value reaches the console.
 */
import { createRequire } from "node:module";
import { expect } from "chai";
import "../../src/app.js";

interface Loglevel {
  getLevel(): number;
  getLogger(name: string): { getLevel(): number };
}
interface DcmjsLike {
  log: Loglevel;
  data: {
    DicomMetaDictionary: { denaturalizeDataset(ds: Record<string, unknown>): unknown };
  };
}

const ERROR = 4; // loglevel: TRACE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, SILENT 5

describe("security: dcmjs console logging", () => {
  const dcmjs = createRequire(import.meta.url)("dcmjs") as DcmjsLike;

  it("is at level error or quieter once the service is loaded", () => {
    expect(dcmjs.log.getLevel()).to.be.at.least(ERROR);
    expect(dcmjs.log.getLogger("validation.dcmjs").getLevel()).to.be.at.least(ERROR);
  });

  it("prints no attribute value for unknown or overlong attributes", () => {
    const printed: string[] = [];
    const originals = { ...console };
    for (const m of ["log", "info", "warn", "error", "debug", "trace"] as const) {
      console[m] = (...args: unknown[]) => {
        printed.push(args.map(String).join(" "));
      };
    }
    const stdout = process.stdout.write.bind(process.stdout);
    const stderr = process.stderr.write.bind(process.stderr);
    const capture = ((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    try {
      dcmjs.data.DicomMetaDictionary.denaturalizeDataset({
        NotAKeyword: "PHIMARK_VALUE_1",
        PatientName: `${"A".repeat(80)}PHIMARK_VALUE_2`,
        AccessionNumber: `${"B".repeat(40)}PHIMARK_VALUE_3`,
      });
    } finally {
      Object.assign(console, originals);
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }
    expect(printed.join("\n")).to.not.include("PHIMARK");
  });
});
