/**
 * Workflow tests against a REAL Temporal server: the run's server that globalSetup started
 * from the pinned Temporal CLI (./temporal-server.ts), or TEMPORAL_ADDRESS's. Without one
 * (the CLI not built, no address) a suite is reported skipped with the reason, except in CI
 * (CI=true), where it fails: CI must never pass without having run these.
 *
 * TEMPORAL_NAMESPACE defaults to `default`.
 */
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createPrismaClient, type PrismaClient } from '../../prisma/client';
import { createActivities, type Activities } from '../../workflows/activities';
import { ConnectedTemporal } from '../../workflows/connection';
import { WORKFLOWS_PATH } from '../../workflows/worker';
import { TEMPORAL_MISSING_ENV, TEMPORAL_SERVER_ENV } from './temporal-server';
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
  const address = process.env[TEMPORAL_SERVER_ENV];
  if (!address) {
    const reason = process.env[TEMPORAL_MISSING_ENV] ?? `globalSetup published no Temporal server (${TEMPORAL_SERVER_ENV} is not set)`;
    if (process.env.CI === 'true') {
      describe(name, () => {
        test('has a real Temporal server to run against', () => {
          throw new Error(`No Temporal server in CI: ${reason}. .ci/run builds the CLI with scripts/temporal-cli.sh; see its output.`);
        });
      });
      return;
    }
    describe.skip(`${name} (skipped: ${reason})`, () => {
      fn(() => {
        throw new Error(`No Temporal server: ${reason}`);
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

/**
 * What a Godown process has against the real server: a TemporalAccess for the API (the
 * outbox dispatches through it) and a real Worker polling `taskQueue` with every workflow
 * (workflows/index) and every activity on its own Prisma client, as a worker process has.
 */
export interface RealGodownTemporal {
  /** For the API (createTestApi): its close() stops the worker and closes the connections. */
  temporal: ConnectedTemporal;
  client: Client;
  taskQueue: string;
  /** The activities' own database client. */
  prisma: PrismaClient;
}

/**
 * What a Godown process has against the real server: a TemporalAccess for the API (the
 * outbox dispatches through it) and a real Worker polling `taskQueue` with every workflow
 * (workflows/index) and every activity on its own Prisma client, as a worker process has.
 */
export async function startRealGodownTemporal(
  server: TemporalServerContext,
  options: { databaseUrl: string; taskQueue: string; wrapActivities?: (activities: Activities) => ActivityImplementations },
): Promise<RealGodownTemporal> {
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const prisma = createPrismaClient(options.databaseUrl, { poolMax: 5 });
  let gateway: () => ReturnType<ConnectedTemporal['workflows']> = () => {
    throw new Error('the worker is not connected yet');
  };
  const real = createActivities({ prisma, logger: pino({ level: 'silent' }), workflows: () => gateway() });
  // Its own native connection, as a worker process has: closed after the worker stops.
  const workerConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: workerConnection,
    namespace: server.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: await getWorkflowBundle(require.resolve(WORKFLOWS_PATH)),
    activities: options.wrapActivities ? options.wrapActivities(real) : real,
  });
  const running = worker.run();
  const temporal = new ConnectedTemporal(connection, client, server.address, server.namespace, options.taskQueue, async () => {
    worker.shutdown();
    await running;
    await workerConnection.close();
    await prisma.$disconnect();
  });
  gateway = () => temporal.workflows();
  return { temporal, client, taskQueue: options.taskQueue, prisma };
}

/** Polls `read` until `done` holds for what it returns (the real server runs workflows on its own time). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await read();
  }
  return last;
}
