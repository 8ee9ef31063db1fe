import request from 'supertest';
import { allRoutes, createApp } from '../../api/app';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';
import { login, PASSWORD, personOf, sessionCookieOf } from './support';

let now = new Date('2026-12-03T09:00:00.000Z');
const advance = (minutes: number) => {
  now = new Date(now.getTime() + minutes * 60_000);
};
let api: TestApi;
let lender: TestOrganisation;

beforeAll(async () => {
  api = await createTestApi({ clock: () => now });
  lender = await api.organisation('LENDER', 'Harbour Bank');
});
afterAll(() => api.close());

describe('signing in and out', () => {
  test('a sign-in answers the user with its organisation and a CSRF token, and sets an HttpOnly SameSite=Strict cookie on / without Secure over plain HTTP', async () => {
    const person = await personOf(api, lender, 'APPROVER');
    const res = await login(api.app, person.email.toUpperCase(), PASSWORD).expect(200);
    expect(res.body).toEqual({
      user: { id: person.userId, email: person.email, displayName: 'approver', role: 'APPROVER', organisation: { id: lender.organisationId, name: 'Harbour Bank', kind: 'LENDER' } },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: new Date(now.getTime() + 12 * 3600_000).toISOString(),
    });
    const [cookie] = ([] as string[]).concat(res.headers['set-cookie']);
    expect(cookie).toMatch(/^godown_session=gds_[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test('behind a trusted TLS proxy the cookie is also Secure', async () => {
    const person = await personOf(api, lender, 'OPERATOR');
    const proxied = createApp(api.deps, allRoutes(), { trustProxy: 'loopback' });
    const res = await login(proxied, person.email, PASSWORD, { 'X-Forwarded-Proto': 'https' }).expect(200);
    expect(([] as string[]).concat(res.headers['set-cookie'])[0]).toMatch(/; HttpOnly; Secure; SameSite=Strict$/);
    // Without trusting the proxy, its header is not believed.
    const direct = await login(api.app, person.email, PASSWORD, { 'X-Forwarded-Proto': 'https' }).expect(200);
    expect(([] as string[]).concat(direct.headers['set-cookie'])[0]).not.toContain('Secure');
  });

  test('every sign-in makes a new session id, and an earlier session is not reused or carried over', async () => {
    const person = await personOf(api, lender, 'VIEWER');
    const first = await login(api.app, person.email, PASSWORD, { Cookie: person.cookie }).expect(200);
    const second = await login(api.app, person.email, PASSWORD, { Cookie: sessionCookieOf(first) ?? '' }).expect(200);
    const cookies = [person.cookie, sessionCookieOf(first), sessionCookieOf(second)];
    expect(new Set(cookies).size).toBe(3);
    expect(new Set([person.csrfToken, first.body.csrfToken, second.body.csrfToken]).size).toBe(3);
    expect(await api.db.prisma.userSession.count({ where: { userId: person.userId } })).toBe(3);
  });

  test('GET /auth/session answers the session with the same body as sign-in, and 401 without a live one', async () => {
    const person = await personOf(api, lender, 'APPROVER');
    const res = await request(api.app).get('/auth/session').set('Cookie', person.cookie).expect(200);
    expect(res.body).toMatchObject({ user: { id: person.userId, role: 'APPROVER', organisation: { id: lender.organisationId, kind: 'LENDER' } }, csrfToken: person.csrfToken });
    const none = await request(api.app).get('/auth/session').expect(401);
    expect(none.body.code).toBe('unauthenticated');
    const forged = await request(api.app).get('/auth/session').set('Cookie', `godown_session=gds_${'A'.repeat(43)}`).expect(401);
    expect(forged.body.code).toBe('unauthenticated');
  });

  test('signing out deletes the session on the server and clears the cookie; the old cookie then opens nothing', async () => {
    const person = await personOf(api, lender, 'OPERATOR');
    expect((await request(api.app).get('/me').set('Cookie', person.cookie)).status).toBe(200);
    const out = await request(api.app).post('/auth/logout').set('Cookie', person.cookie).set('X-CSRF-Token', person.csrfToken).expect(204);
    expect(([] as string[]).concat(out.headers['set-cookie'])[0]).toMatch(/^godown_session=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict$/);
    expect(await api.db.prisma.userSession.count({ where: { userId: person.userId } })).toBe(0);
    expect((await request(api.app).get('/me').set('Cookie', person.cookie)).status).toBe(401);
    expect((await request(api.app).get('/auth/session').set('Cookie', person.cookie)).status).toBe(401);
    const audit = await api.db.prisma.auditRecord.findMany({ where: { actorUserId: person.userId, action: { startsWith: 'session.' } }, orderBy: { seq: 'asc' } });
    expect(audit.map((record) => record.action)).toEqual(['session.sign_in', 'session.sign_out']);
  });

  test('a session ends 30 minutes after its last request, however often it was used before', async () => {
    const person = await personOf(api, lender, 'VIEWER');
    advance(29);
    expect((await request(api.app).get('/me').set('Cookie', person.cookie)).status).toBe(200);
    advance(29);
    expect((await request(api.app).get('/me').set('Cookie', person.cookie)).status).toBe(200);
    advance(30);
    const res = await request(api.app).get('/me').set('Cookie', person.cookie);
    expect(res.status).toBe(401);
    expect(await api.db.prisma.userSession.count({ where: { userId: person.userId } })).toBe(0);
  });

  test('a session ends 12 hours after sign-in even when used all along', async () => {
    const person = await personOf(api, lender, 'VIEWER');
    for (let minutes = 20; minutes < 12 * 60; minutes += 20) {
      advance(20);
      expect({ minutes, status: (await request(api.app).get('/auth/session').set('Cookie', person.cookie)).status }).toEqual({ minutes, status: 200 });
    }
    advance(20);
    expect((await request(api.app).get('/auth/session').set('Cookie', person.cookie)).status).toBe(401);
  });

  test('the last sighting of a session is written at most once a minute', async () => {
    const person = await personOf(api, lender, 'VIEWER');
    const signedInAt = now;
    const lastSeen = async () => (await api.db.prisma.userSession.findFirstOrThrow({ where: { userId: person.userId } })).lastSeenAt.toISOString();
    advance(0.5);
    await request(api.app).get('/me').set('Cookie', person.cookie).expect(200);
    expect(await lastSeen()).toBe(signedInAt.toISOString());
    advance(0.5);
    await request(api.app).get('/me').set('Cookie', person.cookie).expect(200);
    expect(await lastSeen()).toBe(now.toISOString());
  });

  test('a wrong password, an unknown email and a user without a password get the same 401, and a known account audits the failure without the password', async () => {
    const person = await personOf(api, lender, 'APPROVER');
    const noPassword = await lender.addUser('OPERATOR');
    const noPasswordEmail = (await api.db.prisma.user.findUniqueOrThrow({ where: { id: noPassword.userId } })).email;
    const answers = [
      await login(api.app, person.email, 'wrong password, long enough'),
      await login(api.app, 'nobody@nowhere.example', 'wrong password, long enough'),
      await login(api.app, noPasswordEmail, 'wrong password, long enough'),
    ];
    for (const res of answers) {
      expect({ status: res.status, code: res.body.code, detail: res.body.detail, cookie: res.headers['set-cookie'] }).toEqual({
        status: 401,
        code: 'invalid_credentials',
        detail: 'the email and password do not match an account that can sign in',
        cookie: undefined,
      });
    }
    const failures = await api.db.prisma.auditRecord.findMany({ where: { actorUserId: person.userId, action: 'session.sign_in_failed' } });
    expect(failures).toHaveLength(1);
    expect(failures[0].after).toEqual({ at: now.toISOString(), clientAddress: expect.any(String), reason: 'wrong password' });
    expect(JSON.stringify(failures.map((failure) => [failure.before, failure.after]))).not.toContain('long enough');
  });

  test('a malformed sign-in names its fields', async () => {
    const res = await request(api.app).post('/auth/login').send({ email: '', password: 42 }).expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.email', 'body.password']);
  });

  test('passwords are stored only as versioned scrypt hashes with a salt of their own', async () => {
    const first = await personOf(api, lender, 'VIEWER', 'the same password twice');
    const second = await personOf(api, lender, 'VIEWER', 'the same password twice');
    const rows = await api.db.sql<{ id: string; password_hash: string }>('SELECT id::text, password_hash FROM app_user WHERE id = ANY($1::uuid[])', [[first.userId, second.userId]]);
    for (const row of rows) expect(row.password_hash).toMatch(/^\$scrypt\$v=1\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(rows[0].password_hash).not.toBe(rows[1].password_hash);
    const clear = await api.db.sql("SELECT 1 FROM app_user WHERE password_hash LIKE '%the same password twice%' OR row_to_json(app_user)::text LIKE '%password twice%'");
    expect(clear).toHaveLength(0);
    const audits = await api.db.sql("SELECT 1 FROM audit_record WHERE coalesce(after::text, '') || coalesce(before::text, '') LIKE '%password twice%'");
    expect(audits).toHaveLength(0);
    // The database refuses anything but a hash there.
    await expect(api.db.sql("UPDATE app_user SET password_hash = 'the same password twice' WHERE id = $1", [first.userId])).rejects.toThrow(/app_user_password_hash_format/);
  });

  test('session ids are stored only as hashes', async () => {
    const person = await personOf(api, lender, 'VIEWER');
    const secret = person.cookie.slice('godown_session='.length);
    const rows = await api.db.sql<{ row: string }>('SELECT row_to_json(user_session)::text AS row FROM user_session WHERE user_id = $1', [person.userId]);
    expect(rows).toHaveLength(1);
    expect(rows[0].row).not.toContain(secret);
    expect(rows[0].row).not.toContain(secret.slice(4));
  });
});
