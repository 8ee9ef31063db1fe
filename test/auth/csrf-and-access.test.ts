import request from 'supertest';
import { createApp } from '../../api/app';
import { lineTerms, offerAndAccept } from '../draws/factories';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';
import { personOf, type SignedIn } from './support';

let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;
let otherSeller: TestOrganisation;
let admin: SignedIn;

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER');
  seller = await api.counterpart(lender, 'SELLER');
  otherSeller = await api.counterpart(lender, 'SELLER');
  admin = await personOf(api, lender, 'ADMIN');
});
afterAll(() => api.close());

const newUser = () => ({ email: `clerk-${Math.random().toString(36).slice(2)}@harbour.example`, name: 'Clerk', role: 'VIEWER' });
const cookiePost = (person: SignedIn, path: string, body: object, headers: Record<string, string>) =>
  request(api.app).post(path).set('Cookie', person.cookie).set('Idempotency-Key', `k-${Math.random()}`).set(headers).send(body);

describe('CSRF: a write made with the session cookie', () => {
  test('is refused without X-CSRF-Token, and nothing is written', async () => {
    const before = await api.db.prisma.user.count();
    const res = await cookiePost(admin, '/users', newUser(), {});
    expect({ status: res.status, code: res.body.code, errors: res.body.errors }).toEqual({
      status: 403,
      code: 'csrf_failed',
      errors: [{ path: 'header.X-CSRF-Token', reason: 'is required on every write made with the session cookie; send the csrfToken of GET /auth/session' }],
    });
    expect(await api.db.prisma.user.count()).toBe(before);
  });

  test("is refused with another session's token or a wrong one", async () => {
    const other = await personOf(api, lender, 'OPERATOR');
    for (const token of [other.csrfToken, `${admin.csrfToken.slice(0, -1)}x`, 'short']) {
      const res = await cookiePost(admin, '/users', newUser(), { 'X-CSRF-Token': token });
      expect({ status: res.status, code: res.body.code, path: res.body.errors[0].path }).toEqual({ status: 403, code: 'csrf_failed', path: 'header.X-CSRF-Token' });
    }
  });

  test('is refused from a foreign Origin even with the right token', async () => {
    const res = await cookiePost(admin, '/users', newUser(), { 'X-CSRF-Token': admin.csrfToken, Origin: 'https://evil.example' });
    expect({ status: res.status, code: res.body.code, path: res.body.errors[0].path }).toEqual({ status: 403, code: 'csrf_failed', path: 'header.Origin' });
    const nullOrigin = await cookiePost(admin, '/users', newUser(), { 'X-CSRF-Token': admin.csrfToken, Origin: 'null' });
    expect(nullOrigin.status).toBe(403);
  });

  test('passes with the token and no Origin or our own Origin, and is audited as the same user as with a key', async () => {
    const plain = await cookiePost(admin, '/users', newUser(), { 'X-CSRF-Token': admin.csrfToken });
    expect(plain.status).toBe(201);
    const sameOrigin = await cookiePost(admin, '/users', newUser(), { 'X-CSRF-Token': admin.csrfToken, Host: 'console.example:8080', Origin: 'http://console.example:8080' });
    expect(sameOrigin.status).toBe(201);
    const otherPort = await cookiePost(admin, '/users', newUser(), { 'X-CSRF-Token': admin.csrfToken, Host: 'console.example:8080', Origin: 'http://console.example:8081' });
    expect(otherPort.status).toBe(403);
    // Behind a proxy that rewrites Host, the configured public URL is our origin too.
    const proxied = createApp({ ...api.deps, publicUrl: 'https://godown.example.com' });
    const viaProxy = await request(proxied)
      .post('/users')
      .set({ Cookie: admin.cookie, 'Idempotency-Key': 'via-proxy', 'X-CSRF-Token': admin.csrfToken, Host: 'internal:3000', Origin: 'https://godown.example.com' })
      .send(newUser());
    expect(viaProxy.status).toBe(201);
    const audit = await api.db.prisma.auditRecord.findFirstOrThrow({ where: { action: 'user.create', targetId: plain.body.userId } });
    expect({ actor: audit.actorUserId, organisation: audit.organisationId }).toEqual({ actor: admin.userId, organisation: lender.organisationId });
  });

  test('still needs an Idempotency-Key, and a retry with the same key replays the first answer', async () => {
    const missing = await request(api.app).post('/users').set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrfToken).send(newUser());
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 400, code: 'idempotency_key_required' });
    const body = newUser();
    const first = await cookiePost(admin, '/users', body, { 'X-CSRF-Token': admin.csrfToken, 'Idempotency-Key': 'cookie-retry' });
    const again = await cookiePost(admin, '/users', body, { 'X-CSRF-Token': admin.csrfToken, 'Idempotency-Key': 'cookie-retry' });
    expect([first.status, again.status, again.headers['idempotency-replayed']]).toEqual([201, 201, 'true']);
    expect(again.body.userId).toBe(first.body.userId);
    // The key is the user's, whichever way they authenticate: the same key with their API key replays too.
    const withKey = await api.post(admin, '/users', body, 'cookie-retry');
    expect([withKey.status, withKey.headers['idempotency-replayed'], withKey.body.userId]).toEqual([201, 'true', first.body.userId]);
  });

  test('signing out without the token is refused and the session lives on', async () => {
    const person = await personOf(api, lender, 'VIEWER');
    const res = await request(api.app).post('/auth/logout').set('Cookie', person.cookie);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'csrf_failed' });
    expect((await request(api.app).get('/auth/session').set('Cookie', person.cookie)).status).toBe(200);
  });

  test('a sign-in posted from a foreign Origin is refused before any password is checked', async () => {
    const res = await request(api.app).post('/auth/login').set('Origin', 'https://evil.example').send({ email: admin.email, password: 'whatever it may be' });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'csrf_failed' });
  });
});

describe('API keys alongside sessions', () => {
  test('a bearer write needs no CSRF token, and reads work with either', async () => {
    expect((await api.post(admin, '/users', newUser())).status).toBe(201);
    expect((await request(api.app).get('/me').set('Cookie', admin.cookie)).body).toEqual((await api.get(admin, '/me')).body);
  });

  test('a present Authorization header decides alone: a bad key is 401 even with a live cookie', async () => {
    const res = await request(api.app).get('/me').set('Cookie', admin.cookie).set('Authorization', 'Bearer gdk_nope');
    expect(res.status).toBe(401);
  });

  test('a VIEWER signed in changes nothing, as with a key', async () => {
    const viewer = await personOf(api, lender, 'VIEWER');
    const res = await cookiePost(viewer, '/users', newUser(), { 'X-CSRF-Token': viewer.csrfToken });
    expect(res.status).toBe(403);
  });
});

describe('tenant isolation with a session', () => {
  test("a seller's session cannot read a lender's line of another seller: the same 404 as with its key", async () => {
    const lineId = await offerAndAccept(api, lender, otherSeller, lineTerms());
    const sellerPerson = await personOf(api, seller, 'ADMIN');
    const byCookie = await request(api.app).get(`/credit-lines/${lineId}`).set('Cookie', sellerPerson.cookie);
    const byKey = await api.get(seller.admin, `/credit-lines/${lineId}`);
    expect({ status: byCookie.status, code: byCookie.body.code, detail: byCookie.body.detail }).toEqual({ status: byKey.status, code: byKey.body.code, detail: byKey.body.detail });
    expect(byCookie.status).toBe(404);
    const list = await request(api.app).get('/credit-lines').set('Cookie', sellerPerson.cookie).expect(200);
    expect(list.body.items).toEqual([]);
    // The line's own seller reads it with a session.
    const owner = await personOf(api, otherSeller, 'VIEWER');
    expect((await request(api.app).get(`/credit-lines/${lineId}`).set('Cookie', owner.cookie)).status).toBe(200);
  });
});
