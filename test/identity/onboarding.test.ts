/**
 * Trust follows real relationships: a lender onboards its sellers, warehouses and buyers; nobody else
 * registers anyone, and nobody registers a lender through the API. A new admin claims their account with
 * a one-time, expiring invitation whose token Godown never stores.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';

let api: TestApi;
let lender: TestOrganisation;

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER', 'Harbour Bank');
});
afterAll(() => api.close());

const claim = (token: unknown) => request(api.app).post('/invitations/claim').send({ token });
const registration = (kind: string) => ({ kind, name: `${kind} ${Math.random().toString(36).slice(2, 8)}`, admin: { email: `admin-${Math.random().toString(36).slice(2)}@example.test`, name: 'Admin' } });
const organisationCount = () => api.db.prisma.organisation.count();

describe('who registers whom', () => {
  test('a seller admin cannot register its own WAREHOUSE (nor anything else): 403 with the reason, nothing created', async () => {
    const seller = await api.counterpart(lender, 'SELLER');
    const before = await organisationCount();
    for (const kind of ['WAREHOUSE', 'SELLER', 'BUYER', 'LENDER']) {
      const res = await api.post(seller.admin, '/organisations', registration(kind));
      expect(res.status).toBe(403);
      expect(res.body.detail).toBe(
        'a SELLER does not register organisations: a lender onboards its sellers, the warehouses it accepts as collateral managers, and buyers',
      );
    }
    expect(await organisationCount()).toBe(before);
  });

  test('a buyer admin cannot register a LENDER, nor a warehouse admin anything: 403, nothing created', async () => {
    const buyer = await api.counterpart(lender, 'BUYER');
    const warehouse = await api.counterpart(lender, 'WAREHOUSE');
    const before = await organisationCount();
    const byBuyer = await api.post(buyer.admin, '/organisations', registration('LENDER'));
    expect(byBuyer.status).toBe(403);
    expect(byBuyer.body.detail).toContain('a BUYER does not register organisations');
    expect((await api.post(warehouse.admin, '/organisations', registration('WAREHOUSE'))).status).toBe(403);
    expect(await organisationCount()).toBe(before);
  });

  test('a lender admin cannot register another LENDER, and a lender approver registers nothing', async () => {
    const res = await api.post(lender.admin, '/organisations', registration('LENDER'));
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe('a LENDER is never registered through the API; the first organisation comes from the bootstrap command');
    const approver = await lender.addUser('APPROVER');
    const byApprover = await api.post(approver, '/organisations', registration('SELLER'));
    expect(byApprover.status).toBe(403);
    expect(byApprover.body.detail).toBe('only an ADMIN of a LENDER registers organisations; you are APPROVER');
  });

  test('a lender admin onboards a seller, a warehouse and a buyer, each recorded as its counterpart', async () => {
    const ids: Record<string, string> = {};
    for (const kind of ['SELLER', 'WAREHOUSE', 'BUYER']) {
      const res = await api.post(lender.admin, '/organisations', registration(kind)).expect(201);
      ids[kind] = res.body.organisationId;
    }
    const relations = await api.db.prisma.counterpart.findMany({ where: { lenderOrganisationId: lender.organisationId, counterpartOrganisationId: { in: Object.values(ids) } } });
    expect(Object.fromEntries(relations.map((r) => [r.counterpartKind, [r.counterpartOrganisationId, r.createdByUserId]]))).toEqual({
      SELLER: [ids.SELLER, lender.admin.userId],
      WAREHOUSE: [ids.WAREHOUSE, lender.admin.userId],
      BUYER: [ids.BUYER, lender.admin.userId],
    });
  });
});

describe('invitations', () => {
  test('the registration answers an invitation, not a key: the admin claims once; a second claim is refused and issues nothing', async () => {
    const res = await api.post(lender.admin, '/organisations', registration('SELLER')).expect(201);
    expect(Object.keys(res.body).sort()).toEqual(['adminUserId', 'invitation', 'organisationId']);
    expect(res.body.invitation.token).toMatch(/^gdi_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(res.body.invitation.expiresAt) - Date.now()).toBeGreaterThan(71 * 3_600_000);
    expect(Date.parse(res.body.invitation.expiresAt) - Date.now()).toBeLessThanOrEqual(72 * 3_600_000);
    expect(await api.db.prisma.apiKey.count({ where: { userId: res.body.adminUserId } })).toBe(0);

    const first = await claim(res.body.invitation.token);
    expect(first.status).toBe(201);
    expect(first.body.apiKey.apiKey).toMatch(/^gdk_/);
    const second = await claim(res.body.invitation.token);
    expect(second.status).toBe(422);
    expect(second.body.code).toBe('invitation_already_claimed');
    expect(await api.db.prisma.apiKey.count({ where: { userId: res.body.adminUserId } })).toBe(1);
  });

  test('two concurrent claims of one token give exactly one key', async () => {
    const res = await api.post(lender.admin, '/organisations', registration('BUYER')).expect(201);
    const answers = await Promise.all([claim(res.body.invitation.token), claim(res.body.invitation.token), claim(res.body.invitation.token)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 422, 422]);
    expect(await api.db.prisma.apiKey.count({ where: { userId: res.body.adminUserId } })).toBe(1);
  });

  test('an expired invitation cannot be claimed', async () => {
    const res = await api.post(lender.admin, '/organisations', registration('WAREHOUSE')).expect(201);
    await api.db.sql(`UPDATE invitation SET expires_at = now() - interval '1 second' WHERE id = $1`, [res.body.invitation.id]);
    const expired = await claim(res.body.invitation.token);
    expect(expired.status).toBe(422);
    expect(expired.body.code).toBe('invitation_expired');
    expect(await api.db.prisma.apiKey.count({ where: { userId: res.body.adminUserId } })).toBe(0);
  });

  test('an unknown, forged or malformed token is a 400 naming body.token; a forged secret for a real invitation issues nothing', async () => {
    const res = await api.post(lender.admin, '/organisations', registration('SELLER')).expect(201);
    const token: string = res.body.invitation.token;
    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [forged, 'gdi_00000000000000000000000000000000_' + 'a'.repeat(43), 'not-a-token', 42]) {
      const answer = await claim(bad);
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0].path).toBe('body.token');
    }
    expect(await api.db.prisma.apiKey.count({ where: { userId: res.body.adminUserId } })).toBe(0);
    expect((await claim(token)).status).toBe(201);
  });

  test('no token at rest: a replayed registration omits it, and neither it nor its secret is anywhere in the database', async () => {
    const body = registration('SELLER');
    const first = await api.post(lender.admin, '/organisations', body, 'register-once');
    const replay = await api.post(lender.admin, '/organisations', body, 'register-once');
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    const token: string = first.body.invitation.token;
    expect(replay.body).toEqual({ ...first.body, invitation: { id: first.body.invitation.id, expiresAt: first.body.invitation.expiresAt } });
    const secret = token.slice('gdi_'.length + 32 + 1);
    const stored = await api.db.prisma.invitation.findUniqueOrThrow({ where: { id: first.body.invitation.id } });
    expect(stored.secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
    for (const needle of [token, secret]) {
      const [found] = await api.db.sql<{ n: number }>(
        `SELECT ((SELECT count(*) FROM idempotency_record WHERE response_body::text LIKE '%' || $1 || '%')
               + (SELECT count(*) FROM audit_record WHERE coalesce(after::text, '') LIKE '%' || $1 || '%')
               + (SELECT count(*) FROM invitation WHERE secret_hash = $1))::int AS n`,
        [needle],
      );
      expect(found.n).toBe(0);
    }
  });

  test('a replayed user creation or key issue does not hand the API key out again, nor store it', async () => {
    const body = { email: `replay-${Date.now()}@harbour.example`, name: 'R', role: 'VIEWER' };
    const first = await api.post(lender.admin, '/users', body, 'create-user-once');
    const replay = await api.post(lender.admin, '/users', body, 'create-user-once');
    expect(first.status).toBe(201);
    expect(first.body.apiKey.apiKey).toMatch(/^gdk_/);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual({ userId: first.body.userId, apiKey: { id: first.body.apiKey.id, label: first.body.apiKey.label } });
    const issued = await api.post(lender.admin, `/users/${first.body.userId}/api-keys`, { label: 'second' }, 'issue-once');
    const issuedAgain = await api.post(lender.admin, `/users/${first.body.userId}/api-keys`, { label: 'second' }, 'issue-once');
    expect(issued.body.apiKey).toMatch(/^gdk_/);
    expect(issuedAgain.headers['idempotency-replayed']).toBe('true');
    expect(issuedAgain.body).toEqual({ id: issued.body.id, label: 'second' });
    for (const key of [first.body.apiKey.apiKey, issued.body.apiKey]) {
      const [found] = await api.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM idempotency_record WHERE response_body::text LIKE '%' || $1 || '%'`, [key]);
      expect(found.n).toBe(0);
    }
  });
});
