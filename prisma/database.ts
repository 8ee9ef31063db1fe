import path from 'node:path';
import { Client } from 'pg';
import type { Config } from '../api/config';
import { databaseUnavailableReason } from './availability';
import { inspectPostmasterPid, movedDataDir, startEmbeddedPostgres, type EmbeddedDatabase } from './embedded';

/** The database as the watch last saw it. */
export interface DatabaseState {
  available: boolean;
  /** Why it is unavailable, in words an operator can act on; null when available. */
  reason: string | null;
}

export interface OpenDatabase {
  url: string;
  embedded: boolean;
  /** The last state the watch saw (always available for a database nobody watches). */
  state(): DatabaseState;
  close(): Promise<void>;
}

export interface DatabaseWatchOptions {
  /** How often a cheap `SELECT 1` checks the database. */
  checkIntervalMs: number;
  /** Restarts of a crashed embedded server before giving up. */
  restartsMax: number;
  /** Called once the embedded server cannot be brought back: the process should exit non-zero so that a supervisor restarts it. */
  onGiveUp(reason: string): void;
  onStateChange?(state: DatabaseState): void;
}

type DatabaseConfig = Pick<Config, 'DATABASE_URL' | 'GODOWN_DATA_DIR' | 'EMBEDDED_PG_PORT' | 'GODOWN_ROOT_RUN_DIR'> & {
  /** A PostgreSQL installation other than the packaged one (tests: binaries inside a folder the postgres user cannot enter). */
  postgresInstallDir?: string;
};

const EMBEDDED_DATABASE_NAME = 'godown';
const CHECK_TIMEOUT_MS = 2_000;
const RESTART_BACKOFF_MS = [500, 2_000, 5_000, 10_000];

/**
 * DATABASE_URL when given; otherwise the embedded PostgreSQL under
 * GODOWN_DATA_DIR. With `watch` (the service), the database is watched: the
 * embedded server's exit is noticed at once and it is restarted (at most
 * restartsMax times in a row, then onGiveUp), and a periodic check keeps
 * state() current for readiness. Without `watch` (one-off scripts), a server
 * that a running service already started for the same folder is used as is.
 */
export async function openDatabase(config: DatabaseConfig, log: (message: string) => void, watch?: DatabaseWatchOptions): Promise<OpenDatabase> {
  if (config.DATABASE_URL) {
    const url = config.DATABASE_URL;
    return watched(url, false, async () => undefined, watch ?? null, null, log);
  }
  const dataDir = path.resolve(config.GODOWN_DATA_DIR, 'postgres');
  // Under root the data may live in GODOWN_ROOT_RUN_DIR instead (see prisma/embedded.ts).
  const running = inspectPostmasterPid(dataDir) ?? inspectPostmasterPid(movedDataDir(dataDir, config.GODOWN_ROOT_RUN_DIR));
  if (!watch && running?.alive && !running.orphaned) {
    // `npm start` already runs the embedded server (e.g. for `npm run bootstrap`): use it, leave it running.
    const url = embeddedUrl(running.port ?? config.EMBEDDED_PG_PORT, EMBEDDED_DATABASE_NAME);
    if (await canConnect(url)) return watched(url, true, async () => undefined, null, null, log);
  }
  log(`starting embedded PostgreSQL in ${dataDir} on port ${config.EMBEDDED_PG_PORT}`);
  const server: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir, port: config.EMBEDDED_PG_PORT, rootRunDir: config.GODOWN_ROOT_RUN_DIR, installDir: config.postgresInstallDir, onLog: log, onServerOutput: serverLog(log) });
  await server.createDatabaseIfMissing(EMBEDDED_DATABASE_NAME);
  return watched(server.urlFor(EMBEDDED_DATABASE_NAME), true, () => server.stop(), watch ?? null, server, log);
}

/** PostgreSQL's own log lines that say something went wrong; the rest is noise at info level. */
function serverLog(log: (message: string) => void): (message: string) => void {
  return (message) => {
    for (const line of message.split('\n')) if (/\b(FATAL|PANIC|ERROR):/.test(line)) log(`postgres: ${line.trim()}`);
  };
}

function watched(
  url: string,
  embedded: boolean,
  stopServer: () => Promise<void>,
  watch: DatabaseWatchOptions | null,
  server: EmbeddedDatabase | null,
  log: (message: string) => void,
): OpenDatabase {
  let state: DatabaseState = { available: true, reason: null };
  let closed = false;
  let restarting = false;
  const setState = (next: DatabaseState) => {
    if (next.available === state.available && next.reason === state.reason) return;
    state = next;
    watch?.onStateChange?.(next);
  };

  if (watch && server) {
    server.onUnexpectedExit((exit) => {
      if (closed || restarting) return;
      const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
      void restartEmbedded(`the embedded PostgreSQL exited (${how})`);
    });
  }

  const restartEmbedded = async (cause: string) => {
    if (!watch || !server) return;
    restarting = true;
    let lastError = '';
    for (let attempt = 1; attempt <= watch.restartsMax && !closed; attempt += 1) {
      setState({ available: false, reason: `${cause}; restarting it (attempt ${attempt} of ${watch.restartsMax})` });
      log(`${cause}: restarting it (attempt ${attempt} of ${watch.restartsMax})`);
      await sleep(RESTART_BACKOFF_MS[Math.min(attempt - 1, RESTART_BACKOFF_MS.length - 1)]);
      if (closed) break;
      try {
        await server.restart();
        restarting = false;
        setState({ available: true, reason: null });
        log(`the embedded PostgreSQL is running again (pid ${server.pid()})`);
        return;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        log(`restarting the embedded PostgreSQL failed: ${lastError}`);
      }
    }
    restarting = false;
    if (closed) return;
    const reason = `${cause} and ${watch.restartsMax} restarts failed (last: ${lastError.split('\n')[0]})`;
    setState({ available: false, reason });
    watch.onGiveUp(reason);
  };

  let checking = false;
  const timer = watch
    ? setInterval(() => {
        if (checking || restarting || closed) return;
        checking = true;
        void check(url)
          .then((reason) => {
            if (!restarting && !closed) setState(reason === null ? { available: true, reason: null } : { available: false, reason });
          })
          .finally(() => (checking = false));
      }, watch.checkIntervalMs)
    : null;
  timer?.unref();

  return {
    url,
    embedded,
    state: () => state,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      await stopServer();
    },
  };
}

/** null when `SELECT 1` answers; else why not. */
async function check(url: string): Promise<string | null> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CHECK_TIMEOUT_MS, query_timeout: CHECK_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return databaseUnavailableReason(error) ?? (error instanceof Error ? error.message : String(error));
  } finally {
    await client.end().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function embeddedUrl(port: number, databaseName: string): string {
  return `postgresql://postgres:godown@127.0.0.1:${port}/${databaseName}`;
}

async function canConnect(url: string): Promise<boolean> {
  return (await check(url)) === null;
}
