/**
 * (Re)writes test/fixtures/histories/draws/*.json from the draw scenarios:
 *
 *   npx tsx test/workflows/draws/write-fixtures.ts
 *
 * Only after a deliberate, replay-safe change: a failing replay means running
 * draw workflows would break.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToFixtureJson } from '../../support/wf-history';
import { drawFixturesDir, drawHistoryScenarios } from './fixture-scenarios';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  fs.mkdirSync(drawFixturesDir, { recursive: true });
  for (const scenario of drawHistoryScenarios) {
    const harness = await scenario.run();
    try {
      const file = path.join(drawFixturesDir, `${scenario.name}.json`);
      fs.writeFileSync(file, historyToFixtureJson(harness.history()).split(`${repoRoot}${path.sep}`).join(''));
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
    } finally {
      await harness.dispose();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
