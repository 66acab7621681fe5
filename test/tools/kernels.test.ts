/**
 * The committed WebAssembly kernel modules are what their .wat sources
 * compile to (`npm run build:kernels` rewrites them after a change).
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { KERNELS, renderKernelModule } from "../../tools/kernels/compile.js";

describe("tools/kernels", () => {
  for (const kernel of KERNELS) {
    it(`${kernel.module} is up to date with ${kernel.wat}`, async () => {
      const want = await renderKernelModule(kernel);
      expect(readFileSync(kernel.module, "utf8")).to.equal(
        want,
        `${kernel.module} is stale: run npm run build:kernels`,
      );
    });
  }
});
