/** The draw workflow replays its recorded histories (offline, Worker.runReplayHistories). */
import fs from 'node:fs';
import path from 'node:path';
import { historyToFixtureJson, readHistoryFixture } from '../../support/wf-history';
import { replayHistories } from '../../support/wf-replay';
import { drawFixturesDir, drawHistoryScenarios } from './fixture-scenarios';
import { drawWorkflowsPath } from './support';

const withoutStackTraces = (json: string): unknown => JSON.parse(json, (key, value: unknown) => (key === 'stackTrace' ? undefined : value));

test('every draw scenario has a fixture equal to what the harness synthesises now', async () => {
  for (const scenario of drawHistoryScenarios) {
    const harness = await scenario.run();
    try {
      const file = path.join(drawFixturesDir, `${scenario.name}.json`);
      expect({ file, json: withoutStackTraces(fs.readFileSync(file, 'utf8')) }).toEqual({ file, json: withoutStackTraces(historyToFixtureJson(harness.history())) });
    } finally {
      await harness.dispose();
    }
  }
});

test('Worker.runReplayHistories replays every draw fixture against the draw workflow', async () => {
  const files = fs.readdirSync(drawFixturesDir).filter((file) => file.endsWith('.json')).sort();
  expect(files).toEqual(drawHistoryScenarios.map((scenario) => `${scenario.name}.json`).sort());
  const outcomes = await replayHistories(drawWorkflowsPath, files.map((file) => ({ name: file, ...readHistoryFixture(path.join(drawFixturesDir, file)) })));
  expect(outcomes.map(({ name, error }) => ({ name, error: error?.message }))).toEqual(files.map((name) => ({ name, error: undefined })));
});
