import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { custodyWorld, receiveLot, type CustodyWorld } from '../custody/factories';
import { lineTerms, offerAndAccept } from '../draws/factories';
import { deeplyNested, HOSTILE_CURSORS, operationsOf, type OpenApiDocument } from './openapi-fuzz';

// Fixed regression cases: each input below answered 500 before the edge was fixed.

let api: TestApi;
let world: CustodyWorld;
let lot: { id: string };
let lineId: string;

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => new HarnessTemporal({ databaseUrl }) });
  world = await custodyWorld(api);
  lot = await receiveLot(api, world, { quantity: '100' });
  lineId = await offerAndAccept(api, world.lender, world.seller, lineTerms({ approvedWarehouseIds: [world.warehouseId] }));
});
afterAll(() => api.close());

function rawPost(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const req = request(api.app)
    .post(path)
    .set('Authorization', `Bearer ${world.warehouse.admin.apiKey}`)
    .set('Idempotency-Key', randomUUID())
    .set('Content-Type', 'application/json');
  for (const [name, value] of Object.entries(headers)) req.set(name, value);
  // Bytes go out as they are (superagent would otherwise JSON-encode a Buffer).
  return req.serialize((bytes: string | Buffer) => bytes as string).send(body as string);
}

function expectProblem(res: request.Response, status: number, code: string, path: string) {
  expect({ status: res.status, contentType: res.headers['content-type'], code: res.body.code, paths: res.body.errors?.map((e: { path: string }) => e.path) }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
    code,
    paths: [path],
  });
}

describe('structure and encoding are refused before any processing', () => {
  test('deeply nested JSON, even in a field no schema knows, is a 400 naming where it is too deep', async () => {
    const res = await rawPost('/warehouses', `{"name":"North","ignored":${deeplyNested(10_000)}}`);
    expectProblem(res, 400, 'validation_failed', `body.ignored${'.a'.repeat(31)}`);
    expect(res.body.errors[0].reason).toBe('is nested more than 32 levels deep; flatten the request');
  });

  test('an unsupported charset is 415 naming the Content-Type header', async () => {
    const res = await rawPost('/warehouses', '{"name":"North"}', { 'Content-Type': 'application/json; charset=latin1' });
    expectProblem(res, 415, 'unsupported_media_type', 'header.Content-Type');
  });

  test('a body that is not JSON is 415, not read as an empty body', async () => {
    const res = await rawPost('/warehouses', 'name=North', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expectProblem(res, 415, 'unsupported_media_type', 'header.Content-Type');
  });

  test('an unknown Content-Encoding is 415 naming the header', async () => {
    const res = await rawPost('/warehouses', '{"name":"North"}', { 'Content-Encoding': 'x-unknown' });
    expectProblem(res, 415, 'unsupported_content_encoding', 'header.Content-Encoding');
  });

  test('a body declared gzip, deflate or br that is not is 400 naming the Content-Encoding', async () => {
    const invalid = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('{"name":"North"}')]);
    expectProblem(await rawPost('/warehouses', invalid, { 'Content-Encoding': 'gzip' }), 400, 'malformed_body', 'header.Content-Encoding');
    expectProblem(await rawPost('/warehouses', Buffer.from('{"name":"North"}'), { 'Content-Encoding': 'deflate' }), 400, 'malformed_body', 'header.Content-Encoding');
    expectProblem(await rawPost('/warehouses', Buffer.from('{"name":"North"}'), { 'Content-Encoding': 'br' }), 400, 'malformed_body', 'header.Content-Encoding');
  });

  test('a valid gzip body is accepted', async () => {
    const res = await rawPost('/warehouses', gzipSync(Buffer.from('{"name":"Gzip store"}')), { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(201);
  });
});

describe('text fields refuse what PostgreSQL cannot store', () => {
  test.each([
    ['a NUL character', 'North\u0000store', 'contains a NUL character (U+0000) at position 5; text must not contain NUL'],
    ['a lone high surrogate', 'North\ud800', 'contains a lone UTF-16 surrogate at position 5; text must be valid Unicode'],
    ['a lone low surrogate', '\udfffNorth', 'contains a lone UTF-16 surrogate at position 0; text must be valid Unicode'],
  ])('a name with %s is a 400 naming body.name', async (_what, name, reason) => {
    const res = await rawPost('/warehouses', JSON.stringify({ name }));
    expectProblem(res, 400, 'validation_failed', 'body.name');
    expect(res.body.errors[0].reason).toBe(reason);
  });

  test('a well-formed surrogate pair (an emoji) is accepted', async () => {
    expect((await rawPost('/warehouses', JSON.stringify({ name: 'North 🍎' }))).status).toBe(201);
  });

  test('a string longer than 10 000 characters is refused before any schema runs', async () => {
    const res = await rawPost('/warehouses', JSON.stringify({ name: 'x'.repeat(10_001) }));
    expectProblem(res, 400, 'validation_failed', 'body.name');
    expect(res.body.errors[0].reason).toBe('is 10001 characters long; at most 10000 are accepted');
  });
});

describe('decimals and instants are bounded by their columns', () => {
  const lotBody = (overrides: Record<string, unknown>) => ({
    sellerOrganisationId: world.seller.organisationId,
    commodityCode: world.commodityCode,
    grade: '80',
    quantity: { amount: '10', unit: 'kg' },
    locationId: world.roomId,
    receivedAt: '2026-11-20T08:00:00Z',
    receiptNumber: `WR-${randomUUID().slice(0, 8)}`,
    ...overrides,
  });

  test.each(['1'.repeat(21), '9'.repeat(28), `${'9'.repeat(21)}.5`])('a quantity of %s (more than 20 integer digits) is a 400 naming body.quantity.amount', async (quantity) => {
    const res = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/lots`, lotBody({ quantity: { amount: quantity, unit: 'kg' } }));
    expectProblem(res, 400, 'validation_failed', 'body.quantity.amount');
  });

  test('20 integer digits and 18 places, the column exactly, is accepted', async () => {
    const quantity = `${'9'.repeat(20)}.${'9'.repeat(18)}`;
    const res = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/lots`, lotBody({ quantity: { amount: quantity, unit: 'kg' } }));
    expect(res.status).toBe(201);
    expect(res.body.quantity).toEqual({ amount: quantity, unit: 'kg' });
  });

  test.each(['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-23:59', '1899-12-31T23:59:59Z', '2999-12-31T23:59:59-00:01'])('an instant %s outside 1900–2999 UTC is a 400 naming the field', async (receivedAt) => {
    const res = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/lots`, lotBody({ receivedAt }));
    expectProblem(res, 400, 'validation_failed', 'body.receivedAt');
  });

  test('a release confirmation dated 9999-12-31T23:59:59-23:59 is refused, and the lot history stays readable', async () => {
    const order = await api.post(world.seller.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '1', unit: 'kg' } });
    expect(order.status).toBe(201);
    const res = await api.post(world.warehouse.admin, `/release-orders/${order.body.id}/confirmations`, { quantity: { amount: '1', unit: 'kg' }, releasedAt: '9999-12-31T23:59:59-23:59' });
    expectProblem(res, 400, 'validation_failed', 'body.releasedAt');
    expect((await api.get(world.warehouse.admin, `/lots/${lot.id}/events`)).status).toBe(200);
  });

  test.each(['0000-01-01', '9999-12-31'])('a value date %s is a 400 naming body.receivedOn', async (receivedOn) => {
    const res = await api.post(world.lender.admin, `/credit-lines/${lineId}/repayments`, { amount: { amount: '10.00', currency: 'USD' }, receivedOn });
    expectProblem(res, 400, 'validation_failed', 'body.receivedOn');
  });
});

/** Valid values for the query parameters a list requires besides its cursor (the statement's period). */
const REQUIRED_QUERY_VALUES: Record<string, string> = { from: '2026-11-01', to: '2026-11-30' };

describe('crafted cursors', () => {
  test('every list with a cursor answers a crafted cursor with 400 naming query.cursor', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body as OpenApiDocument;
    const lists = operationsOf(doc).filter((op) => op.method === 'get' && op.parameters.some((p) => p.name === 'cursor'));
    expect(lists.length).toBeGreaterThanOrEqual(10);
    // The cursor is judged before the sale, the webhook endpoint or the reference rate is looked up: any well-formed id will do.
    const ids: Record<string, string> = { lineId, lotId: lot.id, warehouseId: world.warehouseId, saleId: randomUUID(), endpointId: randomUUID(), referenceRateId: randomUUID() };
    const answers: string[] = [];
    for (const op of lists) {
      const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name]);
      const caller = op.path.startsWith('/lots') || op.path.startsWith('/warehouses') ? world.warehouse.admin : world.lender.admin;
      // The list's other required parameters are valid, so that the cursor is what is judged.
      const required = op.parameters.filter((p) => p.in === 'query' && p.required && p.name !== 'cursor').map((p) => `&${p.name}=${REQUIRED_QUERY_VALUES[p.name]}`);
      // A crafted cursor whose `id` is a real UUID is a valid position for a list keyed by id alone.
      for (const cursor of HOSTILE_CURSORS.filter((c) => !/"id":"[0-9a-f-]{36}"/.test(Buffer.from(c, 'base64url').toString('utf8')))) {
        const res = await api.get(caller, `${path}?cursor=${encodeURIComponent(cursor)}${required.join('')}`);
        answers.push(`${op.operationId} ${res.status} ${res.body.errors?.[0]?.path}`);
      }
    }
    expect(answers.filter((answer) => !answer.endsWith(' 400 query.cursor'))).toEqual([]);
  });
});

describe('uniqueness races', () => {
  test('two concurrent requests creating users with one email: one 201, the other 409, never 500', async () => {
    const outcomes: number[][] = [];
    for (let round = 0; round < 6; round += 1) {
      const email = `race-${randomUUID()}@example.test`;
      const answers = await Promise.all([0, 1].map(() => api.post(world.lender.admin, '/users', { email, name: 'Racer', role: 'OPERATOR' })));
      outcomes.push(answers.map((a) => a.status).sort());
    }
    expect(outcomes).toEqual(Array.from({ length: 6 }, () => [201, 409]));
  });
});

describe('authentication and roles', () => {
  test.each(['bearer', 'BEARER', 'BeArEr'])('the %s scheme is accepted: schemes are case-insensitive', async (scheme) => {
    const res = await request(api.app).get('/me').set('Authorization', `${scheme} ${world.lender.admin.apiKey}`);
    expect(res.status).toBe(200);
  });

  test('a VIEWER of each organisation kind is refused every POST of the OpenAPI document with 403, and nothing is written', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body as OpenApiDocument;
    // Claiming or accepting an invitation and signing in are made without an API key: they act by a token or a
    // password, not a role; signing out ends the caller's own session, which a VIEWER may do.
    const unauthenticated = ['claimInvitation', 'acceptInvitation', 'login', 'logout'];
    const posts = operationsOf(doc).filter((op) => op.method === 'post' && !unauthenticated.includes(op.operationId));
    expect(posts.length).toBeGreaterThanOrEqual(30);
    const buyer = await api.organisation('BUYER');
    const viewers = await Promise.all([world.lender, world.seller, world.warehouse, buyer].map((org) => org.addUser('VIEWER')));
    const notification = await api.db.prisma.notification.findFirst({ select: { id: true } });
    const ids: Record<string, string> = { lineId, lotId: lot.id, warehouseId: world.warehouseId, notificationId: notification?.id ?? randomUUID() };
    const auditBefore = await api.db.prisma.auditRecord.count();
    const answers: string[] = [];
    for (const viewer of viewers) {
      for (const op of posts) {
        const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? viewer.userId);
        const res = await api.post(viewer, path, {});
        answers.push(`${op.operationId} ${res.status} ${res.body.code}`);
      }
    }
    expect(answers.filter((answer) => !answer.endsWith(' 403 forbidden'))).toEqual([]);
    expect(await api.db.prisma.auditRecord.count()).toBe(auditBefore);
  });
});

describe('field names as the client sent them', () => {
  test('a statement whose from is after its to names query.from', async () => {
    const res = await api.get(world.lender.admin, `/credit-lines/${lineId}/statement?from=2026-12-31&to=2026-01-01`);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path.split(/[.[]/)[0])).toEqual(['query']);
  });

  test.each(['2026-02-30', '0000-01-01', 'yesterday'])('balances as of %s name query.asOf', async (asOf) => {
    const res = await api.get(world.lender.admin, `/credit-lines/${lineId}/ledger/balances?asOf=${asOf}`);
    expect({ status: res.status, paths: [...new Set(res.body.errors?.map((e: { path: string }) => e.path))] }).toEqual({ status: 400, paths: ['query.asOf'] });
  });
});

describe('derived totals are checked against what the database holds', () => {
  test('a per-unit price whose total rounds to 0.00, or whose total exceeds 20 integer digits, is a 4xx naming the field', async () => {
    const saleLot = await receiveLot(api, world, { quantity: '50000000000' });
    await api.post(world.seller.admin, `/lots/${saleLot.id}/pledge`, { creditLineId: lineId }).expect(201);
    const buyer = await api.organisation('BUYER');
    const sale = (quantity: string, pricePerUnit: string) =>
      api.post(world.seller.admin, `/credit-lines/${lineId}/sales`, {
        buyerOrganisationId: buyer.organisationId,
        items: [{ lotId: saleLot.id, quantity: { amount: quantity, unit: 'kg' } }],
        pricePerUnit: { amount: pricePerUnit, currency: 'USD', unit: 'kg' },
        paymentDueDate: '2027-06-30',
      });
    const tiny = await sale('1', '0.001');
    const huge = await sale('50000000000', '99999999999999999999');
    expect([tiny, huge].map((res) => ({ status: res.status, code: res.body.code, path: res.body.errors?.[0]?.path }))).toEqual([
      { status: 400, code: 'validation_failed', path: 'body.pricePerUnit' },
      { status: 400, code: 'validation_failed', path: 'body.pricePerUnit' },
    ]);
  });
});
