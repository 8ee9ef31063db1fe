/**
 * Workflow tests against a REAL Temporal server, when one is reachable. No server can run on the
 * development machines or in CI here, so these suites are registered with `describe.skip` (Jest
 * reports them as skipped) unless TEMPORAL_ADDRESS is set, e.g.
 *
 *   TEMPORAL_ADDRESS=localhost:7233 npx jest test/workflows/harness/real-server
 *
 * TEMPORAL_NAMESPACE defaults to `default`.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { installQuietTemporalRuntime } from './wf-replay';
import { getWorkflowBundle, type ActivityImplementations } from './workflow-harness';

export interface TemporalServerContext {
  env: TestWorkflowEnvironment;
  address: string;
  namespace: string;
}

/**
 * `fn` registers tests and hooks; inside a test, `server()` gives the connected environment.
 * `fn` runs while Jest collects tests, so it must not call `server()` itself.
 */
export function describeWithTemporalServer(name: string, fn: (server: () => TemporalServerContext) => void): void {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    describe.skip(`${name} (skipped: set TEMPORAL_ADDRESS to run against a Temporal server)`, () => {
      fn(() => {
        throw new Error('No Temporal server: TEMPORAL_ADDRESS is not set');
      });
    });
    return;
  }
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  describe(name, () => {
    let context: TemporalServerContext | undefined;
    beforeAll(async () => {
      installQuietTemporalRuntime();
      const env = await TestWorkflowEnvironment.createFromExistingServer({ address, namespace });
      context = { env, address, namespace };
    });
    afterAll(async () => {
      await context?.env.teardown();
    });
    fn(() => {
      if (context === undefined) throw new Error(`Not connected to the Temporal server at ${address} (beforeAll failed?)`);
      return context;
    });
  });
}

export interface ServerWorkerOptions {
  workflowsPath: string;
  activities: ActivityImplementations;
  taskQueue: string;
}

/** Run a real Worker (same cached bundle as the harness) while `body` runs. */
export async function runWithWorker<R>(server: TemporalServerContext, options: ServerWorkerOptions, body: () => Promise<R>): Promise<R> {
  const worker = await Worker.create({
    connection: server.env.nativeConnection,
    namespace: server.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: await getWorkflowBundle(options.workflowsPath),
    activities: options.activities,
  });
  return await worker.runUntil(body);
}
