#!/usr/bin/env node
// Entry point for `npx radz`: runs the compiled CLI (built by `npm ci` via the
// `prepare` script). See src/cli/main.ts.
import { main } from "../dist/cli/main.js";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
