/**
 * The Temporal development server (`temporal server start-dev`: frontend,
 * history, matching and worker services, SQLite persistence and the Web UI in
 * one process) run as our child process from the pinned Temporal CLI that
 * scripts/temporal-cli.sh builds into .tools/. Shaped like prisma/embedded.ts:
 * we own the child (its exit is how a crash is noticed), stop it on close and
 * on process exit, and its data lives in one SQLite file, so workflows,
 * timers and schedules survive a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';

/** The CLI version scripts/temporal-cli.sh pins (later tags cannot be built with `go install module@version`). */
export const TEMPORAL_CLI_VERSION = '1.5.1';

const START_TIMEOUT_MS = 60_000;
const STOP_ESCALATION_MS = 15_000;
const OUTPUT_KEPT_CHARS = 4_000;

export class TemporalDevServerError extends Error {}

/** Where scripts/temporal-cli.sh installs the CLI in the project at `projectRoot`; null when it is not there. */
export function installedTemporalCli(projectRoot: string): string | null {
  const binary = path.join(projectRoot, '.tools', 'temporal', `v${TEMPORAL_CLI_VERSION}`, 'temporal');
  return existsSync(binary) ? binary : null;
}

/** The project's root: two levels above this file, whether it runs from workflows/ or dist/workflows/. */
export function projectRoot(): string {
  const up = path.resolve(__dirname, '..');
  return path.basename(up) === 'dist' ? path.dirname(up) : up;
}

export interface DevServerOptions {
  /** The `temporal` binary. */
  executable: string;
  /** The SQLite file that holds everything (created with its folder when missing); null: in memory, gone on stop. */
  dbFilename: string | null;
  /** Frontend (gRPC) port on 127.0.0.1; default a free one. */
  port?: number;
  /** Web UI port; null runs headless (no UI). Default: a free one. */
  uiPort?: number | null;
  namespace?: string;
  /** The server's own log lines (it logs to stderr). */
  onOutput?: (output: string) => void;
}

export interface DevServer {
  /** host:port of the frontend. */
  address: string;
  /** http://host:port of the Web UI, null when headless. */
  webUiUrl: string | null;
  pid(): number | null;
  /** Called on every exit that stop() did not ask for. */
  onUnexpectedExit(listener: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void): void;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Starts `temporal server start-dev` and resolves once its frontend answers for `namespace`. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const port = options.port ?? (await freePort());
  const uiPort = options.uiPort === null ? null : (options.uiPort ?? (await freePort()));
  const httpPort = await freePort();
  const metricsPort = await freePort();
  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(port), '--http-port', String(httpPort), '--metrics-port', String(metricsPort), '--log-level', 'warn'];
  // start-dev always registers `default`; --namespace adds others.
  if (namespace !== 'default') args.push('--namespace', namespace);
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-ip', HOST);
  if (options.dbFilename !== null) {
    mkdirSync(path.dirname(path.resolve(options.dbFilename)), { recursive: true });
    args.push('--db-filename', path.resolve(options.dbFilename));
  }
  const child = spawn(options.executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let recent = '';
  let stopping = false;
  const listeners: Array<(exit: { code: number | null; signal: NodeJS.Signals | null }) => void> = [];
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    recent = (recent + text).slice(-OUTPUT_KEPT_CHARS);
    options.onOutput?.(text);
  };
  // Keep reading both pipes for the server's whole life: a full pipe would block it.
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  void exited.then((exit) => {
    if (!stopping) for (const listener of listeners) listener(exit);
  });
  const stopOnExit = () => void child.kill('SIGKILL');
  process.on('exit', stopOnExit);

  const address = `${HOST}:${port}`;
  try {
    const outcome = await Promise.race([
      waitForNamespace(address, namespace, START_TIMEOUT_MS).then(() => 'ready' as const),
      exited.then((exit) => exit),
      spawnError.then((error) => error),
    ]);
    if (outcome instanceof Error) throw new TemporalDevServerError(`cannot run ${options.executable}: ${outcome.message}`);
    if (outcome !== 'ready') throw new TemporalDevServerError(`the Temporal development server exited while starting (code ${outcome.code}, signal ${outcome.signal}):\n${recent.trim()}`);
  } catch (error) {
    stopping = true;
    await stopChild(child);
    process.removeListener('exit', stopOnExit);
    if (error instanceof TemporalDevServerError) throw error;
    throw new TemporalDevServerError(`the Temporal development server did not become ready: ${(error as Error).message}\n${recent.trim()}`);
  }
  return {
    address,
    webUiUrl: uiPort === null ? null : `http://${HOST}:${uiPort}`,
    pid: () => (child.exitCode === null && child.signalCode === null ? (child.pid ?? null) : null),
    onUnexpectedExit: (listener) => void listeners.push(listener),
    async stop() {
      stopping = true;
      await stopChild(child);
      process.removeListener('exit', stopOnExit);
    },
  };
}

/** Polls the frontend until it describes `namespace` (the server registers it during start-up). */
async function waitForNamespace(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.describeNamespace({ namespace }));
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no answer from ${address} for namespace "${namespace}" within ${timeoutMs / 1000} s (${(lastError as Error | null)?.message ?? 'no error'})`);
}

/** SIGTERM (the server shuts its services down and closes the database); SIGKILL when it does not stop in time. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const late = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), STOP_ESCALATION_MS).unref());
  if ((await Promise.race([exited.then(() => 'done' as const), late])) === 'late') child.kill('SIGKILL');
  await exited;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
