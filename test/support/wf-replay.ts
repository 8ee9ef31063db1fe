/**
 * Replay of recorded histories against workflow code, offline: `Worker.runReplayHistories` runs
 * an in-process replay worker (Temporal Core via the native bridge) and needs no server.
 */
import { IllegalStateError } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';
import { getWorkflowBundle } from './workflow-harness';

let runtimeInstalled = false;

/** Keep Core's and the replay worker's INFO/WARN chatter out of test output (errors still show). */
export function installQuietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
    });
  } catch (error) {
    // Someone (another helper in this process) already created the runtime: keep theirs.
    if (!(error instanceof IllegalStateError)) throw error;
  }
  runtimeInstalled = true;
}

export interface ReplayInput {
  /** For messages: usually the fixture file name. */
  name: string;
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

export interface ReplayOutcome {
  name: string;
  workflowId: string;
  /** DeterminismViolationError, ReplayError… or undefined when the code replays the history. */
  error: Error | undefined;
}

/** Replay each history against the workflows at `workflowsPath` (bundled once, cached). */
export async function replayHistories(workflowsPath: string, inputs: ReplayInput[]): Promise<ReplayOutcome[]> {
  installQuietTemporalRuntime();
  const workflowBundle = await getWorkflowBundle(workflowsPath);
  const outcomes: ReplayOutcome[] = [];
  const histories = inputs.map(({ workflowId, history }) => ({ workflowId, history }));
  for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'workflow-harness-replay' }, histories)) {
    const input = inputs[outcomes.length];
    outcomes.push({ name: input.name, workflowId: result.workflowId, error: result.error });
  }
  return outcomes;
}
