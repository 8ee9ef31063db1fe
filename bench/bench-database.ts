/**
 * The PostgreSQL a benchmark runs against: a server of its own (embedded, in a
 * temp folder, removed afterwards), or — when DATABASE_URL is given — a fresh
 * database created on that server and dropped afterwards. Either way the
 * project's migrations are applied, so the schema is exactly what production
 * runs.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EMBEDDED_SERVER_FLAGS, startEmbeddedPostgres, type EmbeddedDatabase } from '../prisma/embedded';
import { applyMigrations, MIGRATIONS_DIR } from '../prisma/migrate';

/** The benchmark's own server runs with the project's embedded-server flags (fsync and synchronous_commit on). */
export const BENCH_SERVER_FLAGS = EMBEDDED_SERVER_FLAGS;

export interface BenchDatabase {
  /** URL of the benchmark's database. */
  url: string;
  /** Where the server came from, for the results file. */
  origin: 'embedded' | 'DATABASE_URL';
  serverVersion: string;
  serverFlags: readonly string[];
  /** Total CPU seconds used so far by the server's processes, when the server is local and ours; else null. */
  serverCpuSeconds(): number | null;
  close(): Promise<void>;
}

export async function openBenchDatabase(log: (message: string) => void): Promise<BenchDatabase> {
  const given = process.env.DATABASE_URL;
  const database = given ? await databaseOnGivenServer(given, log) : await embeddedServer(log);
  log('applying migrations');
  const migrationsDir = migrationsToApply(log);
  try {
    await applyMigrations(database.url, { migrationsDir });
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  } finally {
    if (migrationsDir !== MIGRATIONS_DIR) rmSync(migrationsDir, { recursive: true, force: true });
  }
  return database;
}

/**
 * The project's migrations, or — for a before/after comparison — all but the
 * one named by BENCH_WITHOUT_MIGRATION (copied to a temp folder).
 */
function migrationsToApply(log: (message: string) => void): string {
  const left = process.env.BENCH_WITHOUT_MIGRATION;
  if (!left) return MIGRATIONS_DIR;
  if (!existsSync(path.join(MIGRATIONS_DIR, left))) throw new Error(`BENCH_WITHOUT_MIGRATION names ${left}, which is not in ${MIGRATIONS_DIR}`);
  const folder = mkdtempSync(path.join(tmpdir(), 'godown-bench-migrations-'));
  cpSync(MIGRATIONS_DIR, folder, { recursive: true, filter: (source) => path.basename(source) !== left });
  log(`applying every migration but ${left}`);
  return folder;
}

async function embeddedServer(log: (message: string) => void): Promise<BenchDatabase> {
  const parent = mkdtempSync(path.join(tmpdir(), 'godown-bench-pg-'));
  // Under root, PostgreSQL runs as the `postgres` user, which must traverse this folder.
  chmodSync(parent, 0o755);
  const dataDir = path.join(parent, 'data');
  log(`starting embedded PostgreSQL in ${dataDir}`);
  let server: EmbeddedDatabase | undefined;
  const close = async () => {
    await server?.stop();
    rmSync(parent, { recursive: true, force: true });
  };
  try {
    server = await startEmbeddedPostgres({ dataDir });
    await server.createDatabaseIfMissing('godown_bench');
    const url = server.urlFor('godown_bench');
    const postmasterPid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return {
      url,
      origin: 'embedded',
      serverVersion: await serverVersionOf(url),
      serverFlags: BENCH_SERVER_FLAGS,
      serverCpuSeconds: () => processTreeCpuSeconds(postmasterPid),
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

async function databaseOnGivenServer(givenUrl: string, log: (message: string) => void): Promise<BenchDatabase> {
  const name = `godown_bench_${randomBytes(4).toString('hex')}`;
  log(`creating database ${name} on the DATABASE_URL server`);
  await withClient(givenUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(givenUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    origin: 'DATABASE_URL',
    serverVersion: await serverVersionOf(url.toString()),
    serverFlags: [],
    serverCpuSeconds: () => null,
    async close() {
      await withClient(givenUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function serverVersionOf(url: string): Promise<string> {
  return withClient(url, async (client) => (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v);
}

/** utime + stime of the postmaster and its live children, plus what its exited children used (cutime + cstime). */
function processTreeCpuSeconds(postmasterPid: number): number | null {
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmasterPid)], { encoding: 'utf8' })
    .split('\n')
    .map((pid) => pid.trim())
    .filter((pid) => pid.length > 0);
  let ticks = 0;
  for (const pid of [String(postmasterPid), ...children]) {
    try {
      // Fields after the parenthesised command name; utime is field 14 of the whole line.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // A backend that exited between listing and reading: its time is in the postmaster's cutime.
    }
  }
  return ticks / ticksPerSecond;
}
