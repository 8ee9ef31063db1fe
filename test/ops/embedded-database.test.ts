// The embedded PostgreSQL as `npm start` runs it (through prisma/database.ts):
// a crash under write load is answered with 503s, never 500s, and the server
// comes back (or the service exits non-zero); a postmaster left by a crashed
// run is stopped or refused.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { allRoutes, createApp } from '../../api/app';
import { loadConfig } from '../../api/config';
import { createHttpServer } from '../../api/server';
import { createPrismaClient, inTransaction } from '../../prisma/client';
import { openDatabase, type DatabaseState } from '../../prisma/database';
import { DEFAULT_ROOT_RUN_DIR, inspectPostmasterPid, startEmbeddedPostgres } from '../../prisma/embedded';
import { claimInvitation, createOrganisationWithAdmin } from '../../prisma/identity/store';
import { applyMigrations } from '../../prisma/migrate';
import { UnavailableTemporal } from '../../workflows/connection';

const ROOT = path.resolve(__dirname, '../..');
const NODE_WITH_TSX = [process.execPath, '--import', 'tsx'] as const;

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh folder the postgres user can enter (PostgreSQL runs as that user under root). */
function dataFolder(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'godown-ops-pg-'));
  chmodSync(folder, 0o755);
  folders.push(folder);
  return folder;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function postmasterPid(godownDataDir: string): number {
  return Number(readFileSync(path.join(godownDataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** Alive and not a zombie (an orphan's parent here may never reap it). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const quietLogger = pino({ level: 'silent' });

interface Answer {
  status: number;
  retryAfter: string | null;
  contentType: string | null;
  code: string | null;
}

describe('a crashed embedded PostgreSQL', () => {
  test('kill -9 under write load: writes answer 503 with Retry-After (never 500), /ready names the database, then the server is restarted and writes succeed again', async () => {
    const godownDataDir = dataFolder();
    const states: DatabaseState[] = [];
    const gaveUp: string[] = [];
    const database = await openDatabase(
      { DATABASE_URL: undefined, GODOWN_DATA_DIR: godownDataDir, EMBEDDED_PG_PORT: await freePort(), GODOWN_ROOT_RUN_DIR: DEFAULT_ROOT_RUN_DIR },
      () => undefined,
      { checkIntervalMs: 200, restartsMax: 3, onGiveUp: (reason) => gaveUp.push(reason), onStateChange: (state) => states.push(state) },
    );
    await applyMigrations(database.url);
    const prisma = createPrismaClient(database.url, { poolMax: 5 });
    const admin = await inTransaction(prisma, async (tx) => {
      const created = await createOrganisationWithAdmin(tx, { kind: 'LENDER', name: 'Crash Lender', admin: { email: 'admin@crash.example', name: 'Admin' } }, null, new Date());
      return claimInvitation(tx, created.invitation.token, new Date());
    });
    const app = createApp({ prisma, logger: quietLogger, temporal: new UnavailableTemporal('no Temporal in this test', 'godown-test') }, allRoutes(), {
      databaseState: database.state,
    });
    const server: Server = createHttpServer(app, loadConfig({}));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    const answers: Answer[] = [];
    let stopLoad = false;
    const writer = async () => {
      while (!stopLoad) {
        const response = await fetch(`${base}/users`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${admin.key.apiKey}`, 'Idempotency-Key': randomUUID(), 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: `user-${randomUUID()}@crash.example`, name: 'Operator', role: 'OPERATOR' }),
        });
        const body = (await response.json()) as { code?: string };
        answers.push({ status: response.status, retryAfter: response.headers.get('retry-after'), contentType: response.headers.get('content-type'), code: body.code ?? null });
      }
    };
    const created = () => answers.filter((answer) => answer.status === 201).length;
    const writers = [writer(), writer(), writer(), writer()];
    try {
      await waitFor('20 users created before the crash', () => (created() >= 20 ? true : undefined));
      const killedPid = postmasterPid(godownDataDir);
      process.kill(killedPid, 'SIGKILL');

      const readiness = await waitFor('/ready to answer 503', async () => {
        const response = await fetch(`${base}/ready`);
        return response.status === 503 ? ((await response.json()) as { database: { available: boolean; reason: string } }) : undefined;
      });
      expect(readiness.database.available).toBe(false);
      // Either the watch's word (the server exited) or the failed query's (refused, or cut by the dying postmaster), whichever came first.
      expect(readiness.database.reason).toMatch(
        /^the database is unavailable: (the embedded PostgreSQL exited \(signal SIGKILL\); restarting it \(attempt 1 of 3\)|cannot reach the database server at 127\.0\.0\.1:\d+|PostgreSQL 57P01: terminating connection due to unexpected postmaster exit)$/,
      );

      await waitFor('the embedded server to be back', () => (database.state().available ? true : undefined));
      const createdAtRecovery = created();
      await waitFor('20 more users created after the restart', () => (created() >= createdAtRecovery + 20 ? true : undefined));
      stopLoad = true;
      await Promise.all(writers);

      expect(postmasterPid(godownDataDir)).not.toBe(killedPid);
      expect(gaveUp).toEqual([]);
      expect(states).toContainEqual({ available: false, reason: 'the embedded PostgreSQL exited (signal SIGKILL); restarting it (attempt 1 of 3)' });
      expect(states[states.length - 1]).toEqual({ available: true, reason: null });
      // Every answer was a success or a 503 that says why and when to retry: not one 500.
      expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([201, 503]));
      const refused = answers.filter((answer) => answer.status === 503);
      for (const answer of refused) {
        expect(answer).toEqual({ status: 503, retryAfter: '5', contentType: 'application/problem+json; charset=utf-8', code: 'database_unavailable' });
      }
      const ready = await fetch(`${base}/ready`);
      expect(((await ready.json()) as { database: unknown }).database).toEqual({ available: true, reason: null });
    } finally {
      stopLoad = true;
      await Promise.allSettled(writers);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await prisma.$disconnect();
      await database.close();
    }
  }, 120_000);

  test('when it cannot be restarted (restartsMax 0), the watch gives up with the reason, for the service to exit non-zero', async () => {
    const godownDataDir = dataFolder();
    const gaveUp: string[] = [];
    const database = await openDatabase(
      { DATABASE_URL: undefined, GODOWN_DATA_DIR: godownDataDir, EMBEDDED_PG_PORT: await freePort(), GODOWN_ROOT_RUN_DIR: DEFAULT_ROOT_RUN_DIR },
      () => undefined,
      { checkIntervalMs: 200, restartsMax: 0, onGiveUp: (reason) => gaveUp.push(reason) },
    );
    try {
      process.kill(postmasterPid(godownDataDir), 'SIGKILL');
      await waitFor('the watch to give up', () => (gaveUp.length > 0 ? true : undefined));
      expect(gaveUp).toEqual(['the embedded PostgreSQL exited (signal SIGKILL) and 0 restarts failed (last: )']);
      expect(database.state()).toEqual({ available: false, reason: gaveUp[0] });
    } finally {
      await database.close();
    }
  }, 60_000);
});

/** `npm start`'s entry point on an embedded database in `godownDataDir`. */
function startService(godownDataDir: string, env: Record<string, string> = {}): { child: ChildProcess; output: () => string; url: Promise<string>; exit: Promise<number | null> } {
  const child = spawn(NODE_WITH_TSX[0], [...NODE_WITH_TSX.slice(1), path.join(ROOT, 'api/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: undefined, GODOWN_DATA_DIR: godownDataDir, PORT: '0', TEMPORAL_ADDRESS: undefined, TEMPORAL_DEV_SERVER: 'off', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, url, exit };
}

describe('the service and its embedded PostgreSQL', () => {
  test('exits non-zero (for its supervisor to restart it) when the embedded server dies and cannot be restarted', async () => {
    const godownDataDir = dataFolder();
    const service = startService(godownDataDir, { EMBEDDED_PG_PORT: String(await freePort()), EMBEDDED_PG_RESTARTS_MAX: '0' });
    await service.url;
    process.kill(postmasterPid(godownDataDir), 'SIGKILL');
    expect(await service.exit).toBe(1);
    expect(service.output()).toContain('the embedded database cannot be brought back: exiting');
  }, 90_000);

  test('after a crash of the service, the next start stops the orphaned PostgreSQL and owns a new one, which SIGTERM stops', async () => {
    const godownDataDir = dataFolder();
    const port = String(await freePort());
    const crashed = startService(godownDataDir, { EMBEDDED_PG_PORT: port });
    await crashed.url;
    const orphanPid = postmasterPid(godownDataDir);
    crashed.child.kill('SIGKILL');
    await crashed.exit;
    await waitFor('the postmaster to be orphaned', () => (inspectPostmasterPid(path.join(godownDataDir, 'postgres'))?.orphaned ? true : undefined));
    expect(isRunning(orphanPid)).toBe(true);

    const next = startService(godownDataDir, { EMBEDDED_PG_PORT: port });
    const url = await next.url;
    expect(next.output()).toContain(`stopping the orphaned PostgreSQL (pid ${orphanPid})`);
    expect(isRunning(orphanPid)).toBe(false);
    const ownPid = postmasterPid(godownDataDir);
    expect((await fetch(`${url}/ready`)).status).toBe(503); // Temporal is off; the database part is checked below
    next.child.kill('SIGTERM');
    expect(await next.exit).toBe(0);
    expect(isRunning(ownPid)).toBe(false);
    expect(existsSync(path.join(godownDataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 150_000);
});

describe('a postmaster.pid in the data folder at start', () => {
  test('one whose pid no longer runs is removed and the server starts', async () => {
    const dataDir = path.join(dataFolder(), 'data');
    const first = await startEmbeddedPostgres({ dataDir });
    const stalePidFile = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
    await first.stop();
    const gone = spawnSync('true');
    writeFileSync(path.join(dataDir, 'postmaster.pid'), stalePidFile.replace(/^\d+/, String(gone.pid)));
    const logged: string[] = [];
    const second = await startEmbeddedPostgres({ dataDir, onLog: (message) => logged.push(message) });
    try {
      expect(logged).toContain(`removing the stale ${path.join(dataDir, 'postmaster.pid')} (pid ${gone.pid} is no longer PostgreSQL)`);
      expect(second.pid()).not.toBeNull();
    } finally {
      await second.stop();
    }
  }, 60_000);

  test('one that a live process still runs is refused with what to do, and that server keeps running', async () => {
    const dataDir = path.join(dataFolder(), 'data');
    const running = await startEmbeddedPostgres({ dataDir });
    try {
      await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(
        new RegExp(`^PostgreSQL \\(pid ${running.pid()}\\) already serves ${dataDir} for process ${process.pid} \\(.*\\): stop that process first, or set GODOWN_DATA_DIR to another folder`),
      );
      expect(isRunning(running.pid()!)).toBe(true);
    } finally {
      await running.stop();
    }
  }, 60_000);
});
