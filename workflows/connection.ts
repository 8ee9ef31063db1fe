import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { installedTemporalCli, projectRoot, startDevServer } from './dev-server';
import { HttpProblem } from '../api/http/problem';
import { withTimeout } from './with-timeout';

export interface TemporalStatus {
  available: boolean;
  address: string | null;
  namespace: string;
  /** Why Temporal is unavailable, in words an operator can act on. */
  reason: string | null;
}

/**
 * What the API may do with workflows: start one, signal it, ask it a query.
 * Narrow on purpose, so that routes do not depend on the SDK Client and tests
 * can run the same calls against the offline harness.
 */
export interface WorkflowGateway {
  /** Starts `workflowType` on the task queue; a second start with the same workflowId is refused by Temporal. */
  start(workflowType: string, options: WorkflowStartOptions): Promise<void>;
  signal(workflowId: string, signalName: string, ...args: unknown[]): Promise<void>;
  query<T = unknown>(workflowId: string, queryName: string, ...args: unknown[]): Promise<T>;
}

export interface WorkflowStartOptions {
  workflowId: string;
  args: unknown[];
  /** Default: the gateway's configured task queue. */
  taskQueue?: string;
  /**
   * REJECT_DUPLICATE for a workflow that must run once per id ever (a sale's, a
   * draw's): a start repeated after the first run closed is refused too
   * (WorkflowExecutionAlreadyStartedError) instead of running it again.
   * Default: Temporal's, which allows a new run once the previous one closed.
   */
  idReusePolicy?: 'REJECT_DUPLICATE';
}

/**
 * How the API reaches Temporal. Committed changes do not call it directly: they
 * write their starts and signals to the workflow outbox (workflows/outbox), whose
 * dispatcher calls `workflows()`. An operation that must not be accepted at all
 * without Temporal calls `workflows()` first and gets a 503 when it is unavailable.
 */
export interface TemporalAccess {
  status(): TemporalStatus;
  workflows(): WorkflowGateway;
  /** Asks Temporal whether it is really reachable now (for readiness); the status says why not. */
  probe(timeoutMs: number): Promise<TemporalStatus>;
  taskQueue: string;
  close(): Promise<void>;
}

function temporalUnavailable(reason: string): HttpProblem {
  return new HttpProblem(503, 'temporal_unavailable', 'Workflow service unavailable', `this operation runs as a Temporal workflow and Temporal is unavailable: ${reason}`, undefined, { 'Retry-After': '30' });
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
  workflows(): WorkflowGateway {
    throw temporalUnavailable(this.reason);
  }
  async probe(): Promise<TemporalStatus> {
    return this.status();
  }
  async close(): Promise<void> {}
}

/** The gateway over the SDK Client: every start goes to the configured task queue. */
class ClientWorkflowGateway implements WorkflowGateway {
  constructor(
    private readonly temporalClient: Client,
    private readonly taskQueue: string,
  ) {}
  async start(workflowType: string, options: WorkflowStartOptions): Promise<void> {
    await this.temporalClient.workflow.start(workflowType, {
      taskQueue: options.taskQueue ?? this.taskQueue,
      workflowId: options.workflowId,
      args: options.args,
      workflowIdReusePolicy: options.idReusePolicy,
    });
  }
  async signal(workflowId: string, signalName: string, ...args: unknown[]): Promise<void> {
    await this.temporalClient.workflow.getHandle(workflowId).signal<unknown[]>(signalName, ...args);
  }
  async query<T = unknown>(workflowId: string, queryName: string, ...args: unknown[]): Promise<T> {
    return this.temporalClient.workflow.getHandle(workflowId).query<T, unknown[]>(queryName, ...args);
  }
}

export class ConnectedTemporal implements TemporalAccess {
  private readonly gateway: WorkflowGateway;
  constructor(
    private readonly connection: Connection,
    private readonly temporalClient: Client,
    private readonly address: string,
    private readonly namespace: string,
    readonly taskQueue: string,
    private readonly onClose: () => Promise<void> = async () => undefined,
    /** The Temporal Web UI, when this process runs the development server that serves it. */
    readonly webUiUrl: string | null = null,
  ) {
    this.gateway = new ClientWorkflowGateway(temporalClient, taskQueue);
  }
  status(): TemporalStatus {
    return { available: true, address: this.address, namespace: this.namespace, reason: null };
  }
  workflows(): WorkflowGateway {
    return this.gateway;
  }
  /** The SDK client, for what the gateway does not cover (schedules at worker start-up). */
  client(): Client {
    return this.temporalClient;
  }
  /** Reachable when the frontend describes our namespace: the server is up and the namespace exists. */
  async probe(timeoutMs: number): Promise<TemporalStatus> {
    try {
      await this.temporalClient.withDeadline(Date.now() + timeoutMs, () =>
        this.temporalClient.workflowService.describeNamespace({ namespace: this.namespace }),
      );
      return this.status();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ...this.status(), available: false, reason: `Temporal at ${this.address} did not describe namespace "${this.namespace}": ${message}` };
    }
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
  /** Where the development server keeps its SQLite file (GODOWN_DATA_DIR), so that workflows survive a restart. */
  dataDir?: string;
  /** The development server's frontend and Web UI ports. */
  devServerPort?: number;
  devServerUiPort?: number;
  /** The `temporal` CLI; default the one scripts/temporal-cli.sh installed in .tools/. */
  cliPath?: string;
}

/**
 * TEMPORAL_ADDRESS when set; otherwise the Temporal development server run by
 * this process from the pinned Temporal CLI (scripts/temporal-cli.sh), its data
 * under `dataDir`; otherwise the SDK's development server when it can be
 * downloaded. When none works the service still starts and reports Temporal as
 * unavailable — it never crashes for want of Temporal.
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
  const cli = options.cliPath ?? installedTemporalCli(projectRoot());
  let cliFailure = 'the Temporal CLI is not installed (bash scripts/temporal-cli.sh)';
  if (cli !== null) {
    try {
      const server = await startDevServer({
        executable: cli,
        dbFilename: path.join(path.resolve(options.dataDir ?? '.data'), 'temporal', 'temporal.db'),
        port: options.devServerPort,
        uiPort: options.devServerUiPort,
        namespace: options.namespace,
        onOutput: (output) => logger.debug({ output }, 'temporal server'),
      });
      server.onUnexpectedExit((exit) => logger.error({ ...exit }, 'the Temporal development server stopped unexpectedly'));
      try {
        const connection = await withTimeout(Connection.connect({ address: server.address }), timeoutMs, `Temporal at ${server.address}`);
        logger.info({ address: server.address, webUi: server.webUiUrl, cli }, 'started the Temporal development server');
        return new ConnectedTemporal(connection, new Client({ connection, namespace: options.namespace }), server.address, options.namespace, options.taskQueue, () => server.stop(), server.webUiUrl);
      } catch (error) {
        await server.stop();
        throw error;
      }
    } catch (error) {
      cliFailure = `the Temporal CLI's development server did not start: ${(error as Error).message.split('\n')[0]}`;
      logger.warn({ cli, reason: cliFailure }, 'falling back to the SDK\'s development server');
    }
  }
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await withTimeout(TestWorkflowEnvironment.createLocal(), 60_000, 'the Temporal development server download');
    const address = env.connection.options.address;
    logger.info({ address }, 'started the Temporal development server');
    return new ConnectedTemporal(env.connection, env.client, address, 'default', options.taskQueue, () => env.teardown());
  } catch (error) {
    // The SDK nests the cause several times ("…: error sending request…: dns error: …"); its innermost part says what to fix.
    const cause = (error as Error).message.split('\n')[0].split(': ').slice(-2).join(': ').replace(/\)+$/, '');
    const reason = `TEMPORAL_ADDRESS is not set, ${cliFailure}, and the SDK's development server could not be downloaded or started (${cause})`;
    logger.warn({ reason }, 'Temporal unavailable');
    return new UnavailableTemporal(reason, options.taskQueue, options.namespace);
  }
}
