import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../api/config';
import { createTestDatabase, type TestDatabase } from '../support/db';

const ROOT = path.resolve(__dirname, '../..');
// One node process with tsx's loader (the tsx CLI would wrap it in a second process that relays signals).
const NODE_WITH_TSX = [process.execPath, '--import', 'tsx'] as const;

describe('configuration', () => {
  test('defaults apply when nothing is set', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.TEMPORAL_TASK_QUEUE).toBe('godown');
  });

  test('a bad value stops start-up with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', TEMPORAL_ADDRESS: 'no-port-here' })).toThrow(/PORT:.*\n.*TEMPORAL_ADDRESS: must be host:port/s);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow('DATABASE_URL: must be a postgresql:// connection URL');
  });

  test('the service exits non-zero naming the variable when configuration is invalid', () => {
    const result = spawnSync(NODE_WITH_TSX[0], [...NODE_WITH_TSX.slice(1), path.join(ROOT, 'api/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '-5', DATABASE_URL: undefined },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid configuration');
    expect(result.stderr).toContain('PORT:');
  });
});

describe('start-up and graceful shutdown', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.close());

  test('with DATABASE_URL and no Temporal the API starts, reports Temporal unavailable, and stops cleanly on SIGTERM', async () => {
    const child = spawn(NODE_WITH_TSX[0], [...NODE_WITH_TSX.slice(1), path.join(ROOT, 'api/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url, PORT: '0', TEMPORAL_ADDRESS: undefined, TEMPORAL_DEV_SERVER: 'off', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line within 45 s:\n${output}`)), 45_000);
      child.stdout.on('data', () => {
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    const readiness = await fetch(`${url}/ready`);
    expect(readiness.status).toBe(503);
    const health = (await readiness.json()) as { database: { available: boolean }; temporal: { available: boolean; reason: string } };
    expect(health.database.available).toBe(true);
    expect(health.temporal.available).toBe(false);
    expect(health.temporal.reason).toContain('TEMPORAL_DEV_SERVER=off');
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 60_000);
});
