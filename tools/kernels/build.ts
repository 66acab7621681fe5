/** Rewrites the generated WebAssembly kernel modules (tools/kernels/compile.ts). */
import { writeFileSync } from "node:fs";
import { KERNELS, renderKernelModule } from "./compile.js";

for (const kernel of KERNELS) {
  writeFileSync(kernel.module, await renderKernelModule(kernel));
  process.stdout.write(`wrote ${kernel.module} from ${kernel.wat}\n`);
}
