// Mocha's spec reporter plus the closing line CI reads: "N passed, N failed, N skipped".
// The counts come from mocha's own runner statistics for this run.
"use strict";
const Mocha = require("mocha");
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      const passed = s.passes || 0;
      const failed = s.failures || 0;
      const skipped = s.pending || 0;
      process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    });
  }
}
module.exports = SummaryReporter;
