import { Client, Connection } from '@temporalio/client';
import express from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { healthRouter } from '../../api/health/routes';
import type { AppDeps } from '../../api/http/deps';
import { createPrismaClient, type PrismaClient } from '../../prisma/client';
import { ConnectedTemporal, type TemporalAccess, type TemporalStatus } from '../../workflows/connection';
import { createTestApi, type TestApi } from '../support/api';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

/** A Prisma client that fails the test if anything touches it. */
function untouchablePrisma(): PrismaClient {
  return new Proxy({} as PrismaClient, {
    get: (_target, property) => {
      throw new Error(`the database was used (prisma.${String(property)})`);
    },
  });
}

/** A ConnectedTemporal over a fake SDK client whose describeNamespace answers with `answer`. */
function fakeConnectedTemporal(answer: () => Promise<unknown>): TemporalAccess & { described: string[] } {
  const described: string[] = [];
  const client = {
    withDeadline: <R>(_deadline: number | Date, fn: () => Promise<R>) => fn(),
    workflowService: {
      describeNamespace: async ({ namespace }: { namespace: string }) => {
        described.push(namespace);
        return answer();
      },
    },
  };
  const connection = { close: async () => undefined };
  const temporal = new ConnectedTemporal(connection as unknown as Connection, client as unknown as Client, 'temporal.test:7233', 'godown-ns', 'godown-test');
  return Object.assign(temporal, { described });
}

function appWith(overrides: Partial<AppDeps>) {
  return createApp({ ...api.deps, ...overrides });
}

describe('/health (liveness)', () => {
  test('answers 200 {status: ok} without touching the database', async () => {
    const res = await request(appWith({ prisma: untouchablePrisma() })).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('/ready (readiness)', () => {
  test('is 503 when Temporal is unavailable, saying the database is up and why Temporal is not', async () => {
    const res = await request(api.app).get('/ready');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'not_ready',
      database: { available: true, reason: null },
      temporal: { available: false, address: null, namespace: 'default', reason: 'no Temporal server in tests' },
    });
  });

  test('is 200 when the database answers and Temporal describes our namespace', async () => {
    const temporal = fakeConnectedTemporal(async () => ({ namespaceInfo: { name: 'godown-ns' } }));
    const res = await request(appWith({ temporal })).get('/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ready',
      database: { available: true, reason: null },
      temporal: { available: true, address: 'temporal.test:7233', namespace: 'godown-ns', reason: null },
    });
    expect(temporal.described).toEqual(['godown-ns']);
  });

  test('is 503 when the Temporal that was connected no longer answers', async () => {
    const temporal = fakeConnectedTemporal(async () => {
      throw new Error('5 NOT_FOUND: Namespace godown-ns is not found.');
    });
    const res = await request(appWith({ temporal })).get('/ready');
    expect(res.status).toBe(503);
    expect(res.body.database).toEqual({ available: true, reason: null });
    expect(res.body.temporal).toEqual({
      available: false,
      address: 'temporal.test:7233',
      namespace: 'godown-ns',
      reason: 'Temporal at temporal.test:7233 did not describe namespace "godown-ns": 5 NOT_FOUND: Namespace godown-ns is not found.',
    });
  });

  test('is 503 against a real Temporal client whose server is gone (port closed)', async () => {
    // A lazy connection dials on first use, like a server that went away after start-up.
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const temporal = new ConnectedTemporal(connection, new Client({ connection, namespace: 'default' }), '127.0.0.1:1', 'default', 'godown-test');
    try {
      const res = await request(express().use(healthRouter({ ...api.deps, temporal }, { checkTimeoutMs: 500 }))).get('/ready');
      expect(res.status).toBe(503);
      expect(res.body.database.available).toBe(true);
      expect(res.body.temporal.available).toBe(false);
      expect(res.body.temporal.reason).toMatch(/^Temporal at 127\.0\.0\.1:1 did not describe namespace "default": /);
    } finally {
      await connection.close().catch(() => undefined);
    }
  });

  test('is 503 when the database refuses connections, naming the failure', async () => {
    const unreachable = createPrismaClient('postgresql://postgres:none@127.0.0.1:1/godown', { poolMax: 1 });
    try {
      const res = await request(appWith({ prisma: unreachable })).get('/ready');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('not_ready');
      expect(res.body.database.available).toBe(false);
      expect(res.body.database.reason).toBe('the database is unavailable: cannot reach the database server at 127.0.0.1:1');
    } finally {
      await unreachable.$disconnect();
    }
  });

  test('is 503 within the check timeout when the database hangs', async () => {
    const hanging = { $queryRaw: () => new Promise<never>(() => undefined) } as unknown as PrismaClient;
    const app = express().use(healthRouter({ ...api.deps, prisma: hanging }, { checkTimeoutMs: 300 }));
    const startedAt = Date.now();
    const res = await request(app).get('/ready');
    expect(res.status).toBe(503);
    expect(res.body.database).toEqual({ available: false, reason: 'the database query failed: the database did not answer within 300 ms' });
    expect(Date.now() - startedAt).toBeLessThan(3_000);
  });
});
