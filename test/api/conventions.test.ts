import request from 'supertest';
import { allRoutes } from '../../api/app';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';
import { lineTerms } from '../draws/factories';

let api: TestApi;
let lender: TestOrganisation;

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER', 'First Lender');
});
afterAll(() => api.close());

describe('problem+json errors', () => {
  test('an unknown route answers 404 problem+json', async () => {
    const res = await request(api.app).get('/no/such/route');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'route_not_found', type: 'urn:godown:problem:route_not_found' });
    expect(res.body.detail).toContain('GET /no/such/route');
  });

  test('a request without an API key is refused with 401 and a challenge', async () => {
    const res = await request(api.app).get('/me');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="godown"');
    expect(res.body.code).toBe('unauthenticated');
  });

  test('a malformed or unknown API key is refused', async () => {
    expect((await request(api.app).get('/me').set('Authorization', 'Bearer nonsense')).status).toBe(401);
    const forged = lender.admin.apiKey.slice(0, -4) + 'AAAA';
    expect((await request(api.app).get('/me').set('Authorization', `Bearer ${forged}`)).status).toBe(401);
  });

  test('validation errors list every field path with its reason', async () => {
    const res = await api.post(lender.admin, '/users', { email: 'not-an-email', role: 'KING' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    const paths = res.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['body.email', 'body.name', 'body.role']);
    expect(res.body.errors.find((e: { path: string }) => e.path === 'body.email').reason).toBe('must be an email address');
  });

  test('a body that is not JSON is a 400 problem naming the body', async () => {
    const res = await request(api.app)
      .post('/users')
      .set('Authorization', `Bearer ${lender.admin.apiKey}`)
      .set('Idempotency-Key', 'k-malformed')
      .set('Content-Type', 'application/json')
      .send('{"email": ');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('malformed_body');
    expect(res.body.errors[0].path).toBe('body');
  });

  test('a path parameter whose percent-encoding is not UTF-8 is a 400 naming the path, on every kind of parameter', async () => {
    const lineId = '0b5f4f68-3dca-474b-aa7c-8562377dbbb7';
    for (const [method, path] of [
      ['post', `/credit-lines/${lineId}/terms/%ED%BF%BF/approve`],
      ['get', '/credit-lines/%ED%BF%BF'],
      ['get', '/reference-rates/%C0/fixings'],
    ] as const) {
      const res = await request(api.app)[method](path).set('Authorization', `Bearer ${lender.admin.apiKey}`).set('Idempotency-Key', `k-${path}`).send({});
      expect([path, res.status, res.headers['content-type']]).toEqual([path, 400, expect.stringMatching(/^application\/problem\+json/)]);
      expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'path', reason: 'holds a percent-encoding that is not valid UTF-8' }] });
    }
  });

  test('a decimal field with a range rule refuses a value that is not a decimal with 400 naming it, not 500', async () => {
    const rate = await api.post(lender.admin, '/reference-rates', { code: `SOFR_${Date.now()}`, name: 'SOFR', maxFixingAgeDays: 5 });
    expect(rate.status).toBe(201);
    for (const value of ["'; DROP TABLE lot; --", '1e-3', '\u{10ffff}', '']) {
      const res = await api.post(lender.admin, `/reference-rates/${rate.body.id}/fixings`, { effectiveDate: '2025-01-01', rate: value });
      expect([value, res.status]).toEqual([value, 400]);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('body.rate');
    }
  });

  test('a body whose nested value is malformed is a 400 naming it on every route with a sign rule, never a 500', async () => {
    const lineId = '00000000-0000-4000-8000-000000000001';
    for (const [path, body, named] of [
      [`/credit-lines/${lineId}/draws`, { amount: 'abc' }, 'body.amount'],
      [`/credit-lines/${lineId}/draws`, { amount: { amount: 'x', currency: 'USD' } }, 'body.amount.amount'],
      ['/price-marks', { commodityCode: 'X', grade: 'A', pricePerUnit: 7, source: 's', asOf: '2026-12-01T00:00:00Z' }, 'body.pricePerUnit'],
      [`/credit-lines/${lineId}/liquidation-sales`, { lotId: lineId, quantity: { amount: '-', unit: 'kg' }, proceeds: null, receivedOn: '2026-12-01' }, 'body.quantity.amount'],
      [`/credit-lines/${lineId}/sales`, { buyerOrganisationId: lineId, items: 'all of it', pricePerUnit: { amount: '1', currency: 'USD', unit: 'kg' }, paymentDueDate: '2026-12-31' }, 'body.items'],
      [`/credit-lines/${lineId}/repayments`, { amount: { amount: '1e3', currency: 'USD' }, receivedOn: '2026-12-01' }, 'body.amount.amount'],
    ] as const) {
      const res = await api.post(lender.admin, path, body);
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(named);
    }
  });

  test('a business rule that refuses a value of the request names that field', async () => {
    const rate = await api.post(lender.admin, '/reference-rates', { code: `EURIBOR_${Date.now()}`, name: 'EURIBOR 3M', maxFixingAgeDays: 5 }).expect(201);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const ahead = await api.post(lender.admin, `/reference-rates/${rate.body.id}/fixings`, { effectiveDate: tomorrow, rate: '0.03' });
    expect({ status: ahead.status, code: ahead.body.code, paths: ahead.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ status: 422, code: 'fixing_dated_ahead', paths: ['body.effectiveDate'] });
    const stranger = await api.organisation('SELLER');
    const offer = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: stranger.organisationId, terms: lineTerms() });
    expect({ status: offer.status, code: offer.body.code, paths: offer.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ status: 422, code: 'seller_not_counterpart', paths: ['body.sellerOrganisationId'] });
  });

  test('every response carries a request id, echoed when the client sends a valid one', async () => {
    const res = await request(api.app).get('/me').set('X-Request-Id', 'client-req-42');
    expect(res.headers['x-request-id']).toBe('client-req-42');
    expect(res.body.requestId).toBe('client-req-42');
  });
});

describe('Idempotency-Key', () => {
  test('a POST without Idempotency-Key is refused and changes nothing', async () => {
    const before = await api.db.prisma.user.count();
    const res = await request(api.app)
      .post('/users')
      .set('Authorization', `Bearer ${lender.admin.apiKey}`)
      .send({ email: 'nokey@example.test', name: 'No Key', role: 'VIEWER' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('idempotency_key_required');
    expect(res.body.errors[0].path).toBe('header.Idempotency-Key');
    expect(await api.db.prisma.user.count()).toBe(before);
  });

  test('same key and same body replays the stored response without acting twice', async () => {
    const body = { email: 'replay@example.test', name: 'Replay', role: 'VIEWER' };
    const first = await api.post(lender.admin, '/users', body, 'key-replay');
    const second = await api.post(lender.admin, '/users', body, 'key-replay');
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers['idempotency-replayed']).toBe('true');
    expect(first.headers['idempotency-replayed']).toBeUndefined();
    // The issued key is a secret: answered once, never stored, so the replay omits it and says so.
    expect(first.body.apiKey.apiKey).toMatch(/^gdk_/);
    expect(second.headers['idempotency-redacted']).toBe('apiKey.apiKey');
    expect(second.body).toEqual({ userId: first.body.userId, apiKey: { id: first.body.apiKey.id, label: first.body.apiKey.label } });
    expect(await api.db.prisma.user.count({ where: { email: 'replay@example.test' } })).toBe(1);
  });

  test('same key with a different body is refused with 422', async () => {
    await api.post(lender.admin, '/users', { email: 'k1@example.test', name: 'K1', role: 'VIEWER' }, 'key-mismatch').expect(201);
    const res = await api.post(lender.admin, '/users', { email: 'k2@example.test', name: 'K2', role: 'VIEWER' }, 'key-mismatch');
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('idempotency_key_reused');
    expect(await api.db.prisma.user.count({ where: { email: 'k2@example.test' } })).toBe(0);
  });

  test('concurrent requests with one key execute exactly once', async () => {
    const body = { email: 'race@example.test', name: 'Race', role: 'OPERATOR' };
    const responses = await Promise.all(Array.from({ length: 8 }, () => api.post(lender.admin, '/users', body, 'key-race')));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(responses.map((r) => r.body.userId)).size).toBe(1);
    expect(responses.filter((r) => r.headers['idempotency-replayed'] === 'true')).toHaveLength(7);
    expect(await api.db.prisma.user.count({ where: { email: 'race@example.test' } })).toBe(1);
  });

  test('keys are scoped to the organisation', async () => {
    const other = await api.organisation('SELLER');
    await api.post(lender.admin, '/users', { email: 'scope-a@example.test', name: 'A', role: 'VIEWER' }, 'shared-key').expect(201);
    const res = await api.post(other.admin, '/users', { email: 'scope-b@example.test', name: 'B', role: 'VIEWER' }, 'shared-key');
    expect(res.status).toBe(201);
    expect(res.headers['idempotency-replayed']).toBeUndefined();
  });

  test('a refused request stores nothing, so the key can be used again once the request is right', async () => {
    await api.post(lender.admin, '/users', { email: 'dup@example.test', name: 'Dup', role: 'VIEWER' }).expect(201);
    const refused = await api.post(lender.admin, '/users', { email: 'dup@example.test', name: 'Dup', role: 'VIEWER' }, 'key-after-refusal');
    expect(refused.status).toBe(409);
    const auditCount = await api.db.prisma.auditRecord.count({ where: { action: 'user.create', organisationId: lender.organisationId } });
    const retried = await api.post(lender.admin, '/users', { email: 'dup@example.test', name: 'Dup', role: 'VIEWER' }, 'key-after-refusal');
    expect(retried.status).toBe(409);
    expect(await api.db.prisma.auditRecord.count({ where: { action: 'user.create', organisationId: lender.organisationId } })).toBe(auditCount);
  });
});

describe('OpenAPI', () => {
  test('the OpenAPI 3.1 document is generated from the route schemas', async () => {
    const res = await request(api.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const createUser = res.body.paths['/users'].post;
    expect(createUser.operationId).toBe('createUser');
    expect(createUser.requestBody.content['application/json'].schema.properties.role.enum).toEqual(['ADMIN', 'OPERATOR', 'APPROVER', 'VIEWER']);
    expect(createUser.parameters.some((p: { name: string; in: string }) => p.name === 'Idempotency-Key' && p.in === 'header')).toBe(true);
    expect(createUser.responses['400'].content['application/problem+json']).toBeDefined();
  });

  test('every route in the app is documented', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body;
    for (const route of allRoutes()) {
      expect(doc.paths[route.path]?.[route.method]?.operationId).toBe(route.operationId);
    }
  });

  test('a human-readable docs page is served', async () => {
    const res = await request(api.app).get('/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });
});

describe('health', () => {
  test('/health is liveness only: 200 {status: ok}, public', async () => {
    const res = await request(api.app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  test('/ready reports the database up and Temporal unavailable with the reason, so it is not ready (503)', async () => {
    const res = await request(api.app).get('/ready');
    expect(res.status).toBe(503);
    expect(res.body.database).toEqual({ available: true, reason: null });
    expect(res.body.temporal).toEqual({ available: false, address: null, namespace: 'default', reason: 'no Temporal server in tests' });
  });
});
