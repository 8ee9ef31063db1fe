import { createHash } from 'node:crypto';
import { ok } from '../../client';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';

let api: TestApi;
let lender: TestOrganisation;
let otherLender: TestOrganisation;

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER', 'Harbour Bank');
  otherLender = await api.organisation('LENDER', 'Other Bank');
});
afterAll(() => api.close());

describe('users and API keys', () => {
  test('an ADMIN creates a user whose key works, is shown once and stored only as a hash', async () => {
    const res = await api.post(lender.admin, '/users', { email: 'Olu@Harbour.Example', name: 'Olu', role: 'APPROVER' });
    expect(res.status).toBe(201);
    const apiKey: string = res.body.apiKey.apiKey;
    expect(apiKey).toMatch(/^gdk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    const me = await api.get({ userId: res.body.userId, organisationId: lender.organisationId, apiKey }, '/me');
    expect(me.body).toEqual({ userId: res.body.userId, organisationId: lender.organisationId, organisationKind: 'LENDER', role: 'APPROVER' });
    // gdk_ + 32 hex + _ ; the secret itself is base64url and may contain '_'.
    const secret = apiKey.slice('gdk_'.length + 32 + 1);
    const stored = await api.db.prisma.apiKey.findUniqueOrThrow({ where: { id: res.body.apiKey.id } });
    expect(stored.secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
    const user = await api.db.prisma.user.findUniqueOrThrow({ where: { id: res.body.userId } });
    expect(user.email).toBe('olu@harbour.example');
    const listed = await api.get(lender.admin, '/api-keys');
    expect(JSON.stringify(listed.body)).not.toContain(secret);
  });

  test('only an ADMIN manages users', async () => {
    const operator = await lender.addUser('OPERATOR');
    const res = await api.post(operator, '/users', { email: 'x@harbour.example', name: 'X', role: 'VIEWER' });
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe('only an ADMIN of your organisation can create users; you are OPERATOR');
    expect((await api.get(operator, '/users')).status).toBe(403);
    expect((await api.get(operator, '/audit')).status).toBe(403);
  });

  test('a revoked key stops working at once, and the key list shows when it was last used and revoked', async () => {
    // An OPERATOR revoking its own key (a VIEWER changes nothing, not even its keys: an ADMIN revokes them).
    const viewer = await lender.addUser('OPERATOR');
    expect((await api.get(viewer, '/me')).status).toBe(200);
    const keys = (await api.get(viewer, '/api-keys')).body.items;
    expect(keys).toHaveLength(1);
    expect(keys[0].lastUsedAt).not.toBeNull();
    expect((await api.post(viewer, `/api-keys/${keys[0].id}/revoke`)).status).toBe(200);
    expect((await api.get(viewer, '/me')).status).toBe(401);
    const adminView = (await api.get(lender.admin, '/api-keys')).body.items.find((k: { id: string }) => k.id === keys[0].id);
    expect(adminView.revokedAt).not.toBeNull();
  });

  test('a deactivated user cannot use any key', async () => {
    const operator = await lender.addUser('OPERATOR');
    expect((await api.post(lender.admin, `/users/${operator.userId}/deactivate`)).status).toBe(200);
    expect((await api.get(operator, '/me')).status).toBe(401);
  });

  test('registering an organisation creates its admin, who claims a key that works; audited on both sides', async () => {
    // Through the typed client: the operations, their fields and their answers as the OpenAPI document types them.
    const registered = await ok(api.client(lender.admin).POST('/organisations', { body: { kind: 'SELLER', name: 'Orchard Co', admin: { email: 'ceo@orchard.example', name: 'Ceo' } } }));
    expect(registered).not.toHaveProperty('adminApiKey');
    expect(registered.invitation.token).toMatch(/^gdi_/);
    const claimed = await ok(api.client().POST('/invitations/claim', { body: { token: registered.invitation.token! } }));
    expect(claimed).toMatchObject({ userId: registered.adminUserId, organisationId: registered.organisationId });
    const seller = api.client({ userId: registered.adminUserId, organisationId: registered.organisationId, apiKey: claimed.apiKey.apiKey });
    expect(await ok(seller.GET('/me'))).toMatchObject({ organisationKind: 'SELLER', role: 'ADMIN' });
    const sellerFeed = (await ok(seller.GET('/audit'))).items;
    expect(sellerFeed.map((record) => [record.action, record.actorUserId])).toEqual([
      ['invitation.claim', registered.adminUserId],
      ['organisation.create', lender.admin.userId],
    ]);
    const again = await api.client().POST('/invitations/claim', { body: { token: registered.invitation.token! } });
    expect({ status: again.response.status, code: again.error?.code }).toEqual({ status: 422, code: 'invitation_already_claimed' });
  });
});

describe('tenant isolation', () => {
  test("an admin cannot touch another organisation's users or keys (404, nothing changes)", async () => {
    const victim = await lender.addUser('APPROVER');
    const victimKey = (await api.get(victim, '/api-keys')).body.items[0];
    expect((await api.post(otherLender.admin, `/users/${victim.userId}/deactivate`)).status).toBe(404);
    expect((await api.post(otherLender.admin, `/users/${victim.userId}/api-keys`, { label: 'stolen' })).status).toBe(404);
    expect((await api.post(otherLender.admin, `/api-keys/${victimKey.id}/revoke`)).status).toBe(404);
    expect((await api.get(victim, '/me')).status).toBe(200);
    const otherUsers = (await api.get(otherLender.admin, '/users')).body.items;
    expect(otherUsers.map((u: { id: string }) => u.id)).not.toContain(victim.userId);
    const otherKeys = (await api.get(otherLender.admin, '/api-keys')).body.items;
    expect(otherKeys.map((k: { id: string }) => k.id)).not.toContain(victimKey.id);
  });

  test("a non-admin cannot revoke a colleague's key", async () => {
    const a = await lender.addUser('OPERATOR');
    const b = await lender.addUser('OPERATOR');
    const bKey = (await api.get(b, '/api-keys')).body.items[0];
    expect((await api.post(a, `/api-keys/${bKey.id}/revoke`)).status).toBe(404);
    expect((await api.post(a, `/users/${b.userId}/api-keys`, { label: 'x' })).status).toBe(403);
  });

  test("the audit feed shows only the organisation's own activity", async () => {
    await api.post(otherLender.admin, '/users', { email: 'only-other@other.example', name: 'Other', role: 'VIEWER' }).expect(201);
    const feed = JSON.stringify((await api.get(lender.admin, '/audit?limit=200')).body);
    expect(feed).not.toContain('only-other@other.example');
  });
});

describe('audit feed', () => {
  test('each mutation is recorded with actor, action, target, before/after and request id, newest first, paged by cursor', async () => {
    const org = await api.organisation('WAREHOUSE');
    const created = await api.post(org.admin, '/users', { email: 'audited@wh.example', name: 'Audited', role: 'OPERATOR' }).set('X-Request-Id', 'req-create-1');
    await api.post(org.admin, `/users/${created.body.userId}/deactivate`).set('X-Request-Id', 'req-deactivate-1').expect(200);
    const page1 = (await api.get(org.admin, '/audit?limit=2')).body;
    expect(page1.items.map((r: { action: string }) => r.action)).toEqual(['user.deactivate', 'user.create']);
    expect(page1.items[0]).toMatchObject({
      actorUserId: org.admin.userId,
      targetType: 'user',
      targetId: created.body.userId,
      before: { deactivatedAt: null },
      requestId: 'req-deactivate-1',
    });
    expect(page1.items[1]).toMatchObject({ after: { email: 'audited@wh.example', name: 'Audited', role: 'OPERATOR' }, requestId: 'req-create-1' });
    const page2 = (await api.get(org.admin, `/audit?limit=2&cursor=${page1.nextCursor}`)).body;
    expect(page2.items.map((r: { action: string }) => r.action)).toEqual(['invitation.claim', 'organisation.create']);
    const page3 = (await api.get(org.admin, `/audit?limit=2&cursor=${page2.nextCursor}`)).body;
    expect(page3).toEqual({ items: [], nextCursor: null });
    expect((await api.get(org.admin, '/audit?cursor=garbage')).body.errors[0].path).toBe('query.cursor');
  });
});

describe('lists', () => {
  test('users are listed a page at a time with a cursor, every user exactly once', async () => {
    const org = await api.organisation('BUYER');
    const added = [await org.addUser('VIEWER'), await org.addUser('OPERATOR'), await org.addUser('APPROVER')];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await api.get(org.admin, `/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((u) => u.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([org.admin.userId, ...added.map((u) => u.userId)].sort());
  });
});
