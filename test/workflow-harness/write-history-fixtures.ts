/**
 * (Re)writes test/fixtures/histories/*.json from the harness scenarios.
 *
 *   npx tsx test/workflow-harness/write-history-fixtures.ts
 *
 * Run it after a deliberate, replay-safe change to the sample workflow (or to the history
 * synthesis). Never to make a failing replay pass: a replay failure means the change is not
 * deterministic for executions already running.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToFixtureJson } from '../support/wf-history';
import { fixtureFileName, historyFixturesDir, historyScenarios } from './fixture-scenarios';

const repoRoot = path.resolve(__dirname, '..', '..');

/** Stack traces in failures name files; keep them relative so fixtures do not depend on the checkout. */
function withoutCheckoutPath(fixtureJson: string): string {
  return fixtureJson.split(`${repoRoot}${path.sep}`).join('');
}

async function main(): Promise<void> {
  for (const scenario of historyScenarios) {
    const harness = await scenario.run();
    try {
      harness.runs.forEach((run, index) => {
        const fixturePath = path.join(historyFixturesDir, fixtureFileName(scenario.name, index));
        fs.writeFileSync(fixturePath, withoutCheckoutPath(historyToFixtureJson(run.history())));
        console.log(`wrote ${path.relative(process.cwd(), fixturePath)} (${run.workflowType} ${run.workflowId})`);
      });
    } finally {
      await harness.dispose();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
