import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { z } from 'zod';
import { createApp } from '../../api/app';
import { deleteExpiredIdempotencyRecords, IDEMPOTENCY_RETENTION_HOURS } from '../../api/http/idempotency';
import { defineRoute, TRANSACTION_ATTEMPTS_MAX } from '../../api/http/route';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';

let api: TestApi;
let lender: TestOrganisation;

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER');
});
afterAll(() => api.close());

const newUser = () => ({ email: `u-${randomUUID()}@example.test`, name: 'New admin', role: 'ADMIN' });

async function storedRecord(key: string) {
  const [row] = await api.db.sql<{ response_body: unknown; redacted_fields: string[]; user_id: string; path: string }>(
    'SELECT response_body, redacted_fields, user_id::text AS user_id, path FROM idempotency_record WHERE key = $1',
    [key],
  );
  return row;
}

describe('no secret is stored in a replayable form', () => {
  test('a created user’s API key is answered once, stored redacted, and a replay omits it and says so', async () => {
    const key = randomUUID();
    const body = newUser();
    const first = await api.post(lender.admin, '/users', body, key);
    expect(first.status).toBe(201);
    expect(first.body.apiKey.apiKey).toMatch(/^gdk_/);

    const record = await storedRecord(key);
    expect(JSON.stringify(record.response_body)).not.toContain(first.body.apiKey.apiKey);
    expect(record.response_body).toEqual({ userId: first.body.userId, apiKey: { id: first.body.apiKey.id, label: first.body.apiKey.label } });
    expect(record.redacted_fields).toEqual(['apiKey.apiKey']);

    const replay = await api.post(lender.admin, '/users', body, key);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.headers['idempotency-redacted']).toBe('apiKey.apiKey');
    expect(replay.body).toEqual({ userId: first.body.userId, apiKey: { id: first.body.apiKey.id, label: first.body.apiKey.label } });
  });

  test('an issued key is stored redacted too', async () => {
    const key = randomUUID();
    const issued = await api.post(lender.admin, `/users/${lender.admin.userId}/api-keys`, { label: 'ci' }, key);
    expect(issued.status).toBe(201);
    expect(JSON.stringify((await storedRecord(key)).response_body)).not.toContain('gdk_');
  });

  test('the migration scrubs credentials from rows stored before it, at any depth', async () => {
    const key = randomUUID();
    await api.db.sql(
      `INSERT INTO idempotency_record (organisation_id, key, method, path, request_hash, response_status, response_body)
       VALUES ($1, $2, 'POST', '/organisations', 'h', 201, $3::jsonb)`,
      [lender.organisationId, key, JSON.stringify({ organisationId: 'o1', admin: { userId: 'u1', apiKey: { id: 'k1', apiKey: 'gdk_secret' }, token: 'claim' }, items: [{ secret: 's', n: 1 }] })],
    );
    const migration = readFileSync(join(__dirname, '../../prisma/migrations/20261203000700_idempotency_scope_and_redaction/migration.sql'), 'utf8');
    await api.db.sql(migration.slice(migration.indexOf('CREATE FUNCTION')));
    expect((await storedRecord(key)).response_body).toEqual({ organisationId: 'o1', admin: { userId: 'u1', apiKey: { id: 'k1' } }, items: [{ n: 1 }] });
  });
});

describe('idempotency is scoped to the caller', () => {
  test('another user of the organisation sending the same key and body gets 409, never the stored response', async () => {
    const key = randomUUID();
    const body = newUser();
    const first = await api.post(lender.admin, '/users', body, key);
    expect(first.status).toBe(201);
    const operator = await lender.addUser('OPERATOR');
    const other = await api.post(operator, '/users', body, key);
    expect({ status: other.status, code: other.body.code, replayed: other.headers['idempotency-replayed'] }).toEqual({ status: 409, code: 'idempotency_key_in_use', replayed: undefined });
    expect(JSON.stringify(other.body)).not.toContain(first.body.userId);
  });

  test('a VIEWER is refused before anything is replayed', async () => {
    const key = randomUUID();
    const body = newUser();
    expect((await api.post(lender.admin, '/users', body, key)).status).toBe(201);
    const viewer = await lender.addUser('VIEWER');
    const res = await api.post(viewer, '/users', body, key);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'forbidden' });
  });

  test('a UUID in the path in upper case is the same request', async () => {
    const key = randomUUID();
    const lower = await api.post(lender.admin, `/users/${lender.admin.userId}/api-keys`, { label: 'case' }, key);
    expect(lower.status).toBe(201);
    const upper = await api.post(lender.admin, `/users/${lender.admin.userId.toUpperCase()}/api-keys`, { label: 'case' }, key);
    expect({ status: upper.status, replayed: upper.headers['idempotency-replayed'], id: upper.body.id }).toEqual({ status: 201, replayed: 'true', id: lower.body.id });
    expect((await storedRecord(key)).path).toBe(`/users/${lender.admin.userId}/api-keys`);
  });
});

describe('retention', () => {
  test(`records older than ${IDEMPOTENCY_RETENTION_HOURS} h are deleted by the clean-up, younger ones kept`, async () => {
    const now = new Date('2026-12-03T12:00:00Z');
    const insert = (key: string, hoursAgo: number) =>
      api.db.sql(
        `INSERT INTO idempotency_record (organisation_id, key, method, path, request_hash, response_status, created_at)
         VALUES ($1, $2, 'POST', '/x', 'h', 201, $3)`,
        [lender.organisationId, key, new Date(now.getTime() - hoursAgo * 3_600_000)],
      );
    const [expired, kept] = [randomUUID(), randomUUID()];
    await insert(expired, IDEMPOTENCY_RETENTION_HOURS + 1);
    await insert(kept, IDEMPOTENCY_RETENTION_HOURS - 1);
    expect(await deleteExpiredIdempotencyRecords(api.db.prisma, now)).toBeGreaterThanOrEqual(1);
    expect(await storedRecord(expired)).toBeUndefined();
    expect(await storedRecord(kept)).toBeDefined();
  });

  test('a key past the retention is a new key: the request executes again', async () => {
    const key = randomUUID();
    const first = await api.post(lender.admin, `/users/${lender.admin.userId}/api-keys`, { label: 'old' }, key);
    expect(first.status).toBe(201);
    await api.db.sql(`UPDATE idempotency_record SET created_at = now() - interval '${IDEMPOTENCY_RETENTION_HOURS + 1} hours' WHERE key = $1`, [key]);
    const again = await api.post(lender.admin, `/users/${lender.admin.userId}/api-keys`, { label: 'old' }, key);
    expect({ status: again.status, replayed: again.headers['idempotency-replayed'] }).toEqual({ status: 201, replayed: undefined });
    expect(again.body.id).not.toBe(first.body.id);
  });
});

describe('the request executor retries serialization failures and deadlocks', () => {
  // A route whose transaction writes a row and then is aborted by PostgreSQL itself, `failures` times.
  function conflictingApp(sqlState: string, failures: number) {
    let attempts = 0;
    const route = defineRoute({
      method: 'post',
      path: '/test-conflict',
      operationId: 'testConflict',
      summary: 'test',
      tag: 'test',
      success: { status: 201, description: 'ok', schema: z.object({ attempts: z.number() }) },
      handler: async ({ db }) => {
        attempts += 1;
        await db.$executeRaw`INSERT INTO test_conflict_effect (attempt) VALUES (${attempts})`;
        if (attempts <= failures) await db.$executeRawUnsafe(`DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '${sqlState}'; END $$`);
        return { attempts };
      },
    });
    return { app: createApp(api.deps, [route]), attemptsSoFar: () => attempts };
  }

  const effects = async () => (await api.db.sql<{ attempt: number }>('SELECT attempt FROM test_conflict_effect ORDER BY attempt')).map((r) => r.attempt);

  beforeAll(() => api.db.sql('CREATE TABLE test_conflict_effect (attempt integer NOT NULL)'));
  beforeEach(() => api.db.sql('DELETE FROM test_conflict_effect'));

  test.each(['40P01', '40001'])('%s twice: the whole transaction runs again and the third attempt commits once, idempotency record included', async (sqlState) => {
    const { app } = conflictingApp(sqlState, 2);
    const key = randomUUID();
    const res = await request(app).post('/test-conflict').set('Authorization', `Bearer ${lender.admin.apiKey}`).set('Idempotency-Key', key).send({});
    expect({ status: res.status, body: res.body }).toEqual({ status: 201, body: { attempts: 3 } });
    expect(await effects()).toEqual([3]);
    expect((await storedRecord(key)).response_body).toEqual({ attempts: 3 });
  });

  test('a conflict on every attempt ends in 503 with Retry-After after TRANSACTION_ATTEMPTS_MAX attempts, with nothing written', async () => {
    const { app, attemptsSoFar } = conflictingApp('40P01', Number.MAX_SAFE_INTEGER);
    const key = randomUUID();
    const res = await request(app).post('/test-conflict').set('Authorization', `Bearer ${lender.admin.apiKey}`).set('Idempotency-Key', key).send({});
    expect({ status: res.status, code: res.body.code, retryAfter: res.headers['retry-after'], type: res.headers['content-type'] }).toEqual({
      status: 503,
      code: 'concurrent_update',
      retryAfter: '1',
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(attemptsSoFar()).toBe(TRANSACTION_ATTEMPTS_MAX);
    expect(await effects()).toEqual([]);
    expect(await storedRecord(key)).toBeUndefined();
  });
});
