// Writes Jest's totals to .jest-summary.json so that .ci/run can print the
// plain "N passed, N failed, N skipped" line from Jest's own results.
const { writeFileSync } = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    writeFileSync(path.resolve(__dirname, '../../.jest-summary.json'), JSON.stringify(summary));
  }
}

module.exports = SummaryReporter;
