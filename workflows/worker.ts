import path from 'node:path';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { PrismaClient } from '../prisma/client';
import { createActivities } from './activities';
import type { ConnectedTemporal } from './connection';
import { ensureSchedules } from './schedules';

export const WORKFLOWS_PATH = path.resolve(__dirname, 'index');

export interface WorkerOptions {
  temporal: ConnectedTemporal;
  /**
   * Where the SDK serves its own Prometheus metrics (workflow and activity
   * completions, failures, latencies, task-queue polling), e.g. `0.0.0.0:9464`.
   */
  metricsBindAddress?: string;
  prisma: PrismaClient;
  logger: Logger;
}

export interface RunningWorker {
  /** Stops polling, lets running activities finish, then resolves. */
  shutdown(): Promise<void>;
  /** Settles when the worker stops (after shutdown, or on a fatal error). */
  done: Promise<void>;
}

/**
 * Starts a worker polling the task queue (the workflows in workflows/index and
 * all activities) and makes sure the schedules exist.
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { temporal, logger } = options;
  if (options.metricsBindAddress) {
    // Must precede the first native connection; once per process.
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } });
  }
  const status = temporal.status();
  const connection = await NativeConnection.connect({ address: status.address ?? undefined });
  const worker = await Worker.create({
    connection,
    namespace: status.namespace,
    taskQueue: temporal.taskQueue,
    workflowsPath: require.resolve(WORKFLOWS_PATH),
    activities: createActivities({ prisma: options.prisma, logger, workflows: () => temporal.workflows() }),
  });
  const done = worker.run().finally(() => connection.close());
  logger.info({ taskQueue: temporal.taskQueue, address: status.address }, 'Temporal worker running');
  await ensureSchedules(temporal.client(), temporal.taskQueue, logger);
  return {
    shutdown: async () => {
      // The SDK's runtime starts the shutdown by itself on SIGINT/SIGTERM: then there is only the end to wait for.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
    done,
  };
}
