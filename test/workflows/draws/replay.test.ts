/**
 * The draw workflow replays the histories a REAL Temporal server recorded for it
 * (test/fixtures/histories/draws/, written by scripts/record-histories.ts), offline with
 * Worker.runReplayHistories; and the offline harness, run on the same scenarios, schedules
 * the same activities and ends the same way as the server did.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { readHistoryFixture } from '../../support/wf-history';
import { replayHistories } from '../../support/wf-replay';
import { drawFixturesDir, drawHistoryScenarios } from './fixture-scenarios';
import { drawWorkflowsPath } from './support';

/** What both the server and the harness decided: the activities scheduled, in order, and the closing event. */
function decisions(history: temporal.api.history.v1.IHistory): { activities: string[]; closedWith: string | null | undefined } {
  const events = history.events ?? [];
  const activities = events.flatMap((event) => (event.activityTaskScheduledEventAttributes ? [event.activityTaskScheduledEventAttributes.activityType?.name ?? ''] : []));
  const last = events.at(-1);
  const closedWith = last?.workflowExecutionCompletedEventAttributes ? 'COMPLETED' : last?.workflowExecutionFailedEventAttributes ? 'FAILED' : null;
  return { activities, closedWith };
}

test('every draw fixture was recorded by a real server, and the harness makes the same decisions on the same scenario', async () => {
  for (const scenario of drawHistoryScenarios) {
    const file = path.join(drawFixturesDir, `${scenario.name}.json`);
    const recorded = readHistoryFixture(file).history;
    // Only a server writes task ids and the worker's identity into the start event.
    expect({ file, taskId: Number(recorded.events?.[0]?.taskId ?? 0) > 0, identity: recorded.events?.[0]?.workflowExecutionStartedEventAttributes?.identity }).toEqual({ file, taskId: true, identity: expect.any(String) });
    const harness = await scenario.run();
    try {
      expect({ file, ...decisions(harness.history()) }).toEqual({ file, ...decisions(recorded) });
    } finally {
      await harness.dispose();
    }
  }
});

test('Worker.runReplayHistories replays every recorded draw history against the draw workflow', async () => {
  const files = fs.readdirSync(drawFixturesDir).filter((file) => file.endsWith('.json')).sort();
  expect(files).toEqual(drawHistoryScenarios.map((scenario) => `${scenario.name}.json`).sort());
  const outcomes = await replayHistories(drawWorkflowsPath, files.map((file) => ({ name: file, ...readHistoryFixture(path.join(drawFixturesDir, file)) })));
  expect(outcomes.map(({ name, error }) => ({ name, error: error?.message }))).toEqual(files.map((name) => ({ name, error: undefined })));
});
