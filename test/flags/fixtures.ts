/** Studies the flags integration tests share. */
import { generateSyntheticStudy, type SyntheticStudy } from "../../src/synthetic/index.js";

/** The first synthetic study whose only drawn finding is a pneumothorax. */
export function pneumothoraxOnlyStudy(seed: number, size = 256): SyntheticStudy {
  for (let i = 0; i < 200; i++) {
    const s = generateSyntheticStudy({ count: 1, seed, rows: size, columns: size }, i);
    if (s.labels.length === 1 && s.labels[0] === "pneumothorax") return s;
  }
  throw new Error("no pneumothorax-only study among the first 200");
}
