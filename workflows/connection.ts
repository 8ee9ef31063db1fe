import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { HttpProblem } from '../api/http/problem';

export interface TemporalStatus {
  available: boolean;
  address: string | null;
  namespace: string;
  /** Why Temporal is unavailable, in words an operator can act on. */
  reason: string | null;
}

/** How the API reaches Temporal; operations that need a workflow call `client()` and get a 503 when it is down. */
export interface TemporalAccess {
  status(): TemporalStatus;
  client(): Client;
  taskQueue: string;
  close(): Promise<void>;
}

export class UnavailableTemporal implements TemporalAccess {
  constructor(
    private readonly reason: string,
    readonly taskQueue: string,
    private readonly namespace = 'default',
  ) {}
  status(): TemporalStatus {
    return { available: false, address: null, namespace: this.namespace, reason: this.reason };
  }
  client(): Client {
    throw new HttpProblem(503, 'temporal_unavailable', 'Workflow service unavailable', `this operation runs as a Temporal workflow and Temporal is unavailable: ${this.reason}`, undefined, { 'Retry-After': '30' });
  }
  async close(): Promise<void> {}
}

export class ConnectedTemporal implements TemporalAccess {
  constructor(
    private readonly connection: Connection,
    private readonly temporalClient: Client,
    private readonly address: string,
    private readonly namespace: string,
    readonly taskQueue: string,
    private readonly onClose: () => Promise<void> = async () => undefined,
  ) {}
  status(): TemporalStatus {
    return { available: true, address: this.address, namespace: this.namespace, reason: null };
  }
  client(): Client {
    return this.temporalClient;
  }
  async close(): Promise<void> {
    await this.connection.close();
    await this.onClose();
  }
}

export interface TemporalOptions {
  address?: string;
  namespace: string;
  taskQueue: string;
  devServer: 'auto' | 'off';
  connectTimeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * TEMPORAL_ADDRESS when set; otherwise the SDK's local development server when
 * it can be downloaded. When neither works the service still starts and
 * reports Temporal as unavailable — it never crashes for want of Temporal.
 */
export async function connectTemporal(options: TemporalOptions, logger: Logger): Promise<TemporalAccess> {
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  if (options.address) {
    try {
      const connection = await withTimeout(Connection.connect({ address: options.address }), timeoutMs, `Temporal at ${options.address}`);
      return new ConnectedTemporal(connection, new Client({ connection, namespace: options.namespace }), options.address, options.namespace, options.taskQueue);
    } catch (error) {
      const reason = `cannot reach Temporal at ${options.address}: ${(error as Error).message}`;
      logger.warn({ reason }, 'Temporal unavailable');
      return new UnavailableTemporal(reason, options.taskQueue, options.namespace);
    }
  }
  if (options.devServer === 'off') {
    return new UnavailableTemporal('TEMPORAL_ADDRESS is not set and the local development server is disabled (TEMPORAL_DEV_SERVER=off)', options.taskQueue, options.namespace);
  }
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await withTimeout(TestWorkflowEnvironment.createLocal(), 60_000, 'the Temporal development server download');
    const address = env.connection.options.address;
    logger.info({ address }, 'started the Temporal development server');
    return new ConnectedTemporal(env.connection, env.client, address, 'default', options.taskQueue, () => env.teardown());
  } catch (error) {
    const reason = `TEMPORAL_ADDRESS is not set and the Temporal development server could not be started (${(error as Error).message.split('\n')[0]})`;
    logger.warn({ reason }, 'Temporal unavailable');
    return new UnavailableTemporal(reason, options.taskQueue, options.namespace);
  }
}
