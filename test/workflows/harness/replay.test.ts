/**
 * Determinism check of the sample workflow against recorded histories, offline.
 * Fixtures: test/fixtures/histories/*.json, (re)written by test/workflow-harness/write-history-fixtures.ts
 * or by the real-server suite with SAVE_HISTORY_FIXTURES=1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { temporal } from '@temporalio/proto';
import { historyToFixtureJson, parseHistoryJson, readHistoryFixture, type HistoryFixture } from '../../support/wf-history';
import { replayHistories } from '../../support/wf-replay';
import {
  alteredSampleWorkflowsPath,
  fixtureFileName,
  historyFixturesDir,
  historyScenarios,
  sampleWorkflowsPath,
} from '../../workflow-harness/fixture-scenarios';

const EventType = temporal.api.enums.v1.EventType;

const fixtureFiles = fs
  .readdirSync(historyFixturesDir)
  .filter((file) => file.endsWith('.json'))
  .sort();

function loadFixture(file: string): HistoryFixture & { name: string } {
  return { name: file, ...readHistoryFixture(path.join(historyFixturesDir, file)) };
}

/** Stack traces differ between ts-jest and tsx; everything else must match exactly. */
function withoutStackTraces(json: string): unknown {
  return JSON.parse(json, (key, value: unknown) => (key === 'stackTrace' ? undefined : value));
}

describe('history fixtures', () => {
  it('exist for every harness scenario, and still equal what the harness synthesises', async () => {
    for (const scenario of historyScenarios) {
      const harness = await scenario.run();
      try {
        harness.runs.forEach((run, index) => {
          const file = path.join(historyFixturesDir, fixtureFileName(scenario.name, index));
          expect({ file, json: withoutStackTraces(fs.readFileSync(file, 'utf8')) }).toEqual({
            file,
            json: withoutStackTraces(historyToFixtureJson(run.history())),
          });
        });
      } finally {
        await harness.dispose();
      }
    }
  });

  it('are proto3 JSON that parses and re-serialises byte for byte', () => {
    for (const file of fixtureFiles) {
      const json = fs.readFileSync(path.join(historyFixturesDir, file), 'utf8');
      expect({ file, json: historyToFixtureJson(parseHistoryJson(JSON.parse(json))) }).toEqual({ file, json });
    }
  });

  it('link every event to the events the server would link it to', () => {
    for (const file of fixtureFiles) {
      const { history } = loadFixture(file);
      const events = history.events;
      const typeOf = (eventId: unknown): string => EventType[events[Number(eventId) - 1]?.eventType ?? 0];
      events.forEach((event, index) => {
        expect(Number(event.eventId)).toBe(index + 1);
        const where = `${file} event ${index + 1}`;
        const a = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes;
        if (a) expect([where, typeOf(a.scheduledEventId), typeOf(a.startedEventId)]).toEqual([
          where,
          'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
          'EVENT_TYPE_ACTIVITY_TASK_STARTED',
        ]);
        const fired = event.timerFiredEventAttributes ?? event.timerCanceledEventAttributes;
        if (fired) expect([where, typeOf(fired.startedEventId)]).toEqual([where, 'EVENT_TYPE_TIMER_STARTED']);
        const completed = event.workflowTaskCompletedEventAttributes;
        if (completed) expect([where, typeOf(completed.scheduledEventId), typeOf(completed.startedEventId)]).toEqual([
          where,
          'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
          'EVENT_TYPE_WORKFLOW_TASK_STARTED',
        ]);
        const child = event.childWorkflowExecutionCompletedEventAttributes ?? event.childWorkflowExecutionFailedEventAttributes;
        if (child) expect([where, typeOf(child.initiatedEventId), typeOf(child.startedEventId)]).toEqual([
          where,
          'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED',
          'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED',
        ]);
      });
      expect([file, typeOf(events.length)]).toEqual([file, expect.stringMatching(/^EVENT_TYPE_WORKFLOW_EXECUTION_(COMPLETED|FAILED|CONTINUED_AS_NEW)$/)]);
    }
  });
});

describe('Worker.runReplayHistories over the fixtures (offline, no server)', () => {
  it('replays every fixture against the sample workflow code', async () => {
    const outcomes = await replayHistories(sampleWorkflowsPath, fixtureFiles.map(loadFixture));
    expect(outcomes.map(({ name, error }) => ({ name, error: error?.message }))).toEqual(
      fixtureFiles.map((name) => ({ name, error: undefined })),
    );
  });

  it('fails the approved history against the deliberately non-deterministic copy, and only that one', async () => {
    const approved = loadFixture('releaseAfterApproval.approved.json');
    const expired = loadFixture('releaseAfterApproval.expired.json');
    const [approvedOutcome, expiredOutcome] = await replayHistories(alteredSampleWorkflowsPath, [approved, expired]);

    expect(approvedOutcome.error).toBeInstanceOf(DeterminismViolationError);
    // Event 17 is the cooling-off TimerStarted; the altered code schedules releaseStock there.
    expect(approvedOutcome.error?.message).toContain(
      '[TMPRL1100] Nondeterminism error: Activity machine does not handle this event: HistoryEvent(id: 17, TimerStarted)',
    );
    // The expiry path was not changed, so its history still replays.
    expect(expiredOutcome.error).toBeUndefined();
  });
});
