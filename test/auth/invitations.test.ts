import request from 'supertest';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';
import { login, PASSWORD, personOf, sessionCookieOf } from './support';

let api: TestApi;
let lender: TestOrganisation;
let otherLender: TestOrganisation;

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER', 'Harbour Bank');
  otherLender = await api.organisation('LENDER');
});
afterAll(() => api.close());

const accept = (token: string, password: string) => request(api.app).post('/invitations/accept').send({ token, password });

describe('accepting an invitation sets the first password and signs in', () => {
  test('a counterpart admin invited by POST /organisations sets a password from the token, is signed in, and signs in again with it', async () => {
    const registered = await api.post(lender.admin, '/organisations', { kind: 'SELLER', name: 'Orchard Co', admin: { email: 'ceo@orchard.example', name: 'Cee' } }).expect(201);
    const res = await accept(registered.body.invitation.token, PASSWORD).expect(200);
    expect(res.body.user).toEqual({
      id: registered.body.adminUserId,
      email: 'ceo@orchard.example',
      displayName: 'Cee',
      role: 'ADMIN',
      organisation: { id: registered.body.organisationId, name: 'Orchard Co', kind: 'SELLER' },
    });
    const cookie = sessionCookieOf(res);
    expect((await request(api.app).get('/me').set('Cookie', cookie ?? '')).body).toMatchObject({ userId: registered.body.adminUserId, organisationKind: 'SELLER' });
    expect((await login(api.app, 'ceo@orchard.example', PASSWORD)).status).toBe(200);
    // Used once: neither a second accept nor a claim of an API key works with it.
    const again = await accept(registered.body.invitation.token, 'another long password');
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 422, code: 'invitation_already_claimed' });
    const claim = await request(api.app).post('/invitations/claim').send({ token: registered.body.invitation.token });
    expect(claim.body.code).toBe('invitation_already_claimed');
    const actions = (await api.db.prisma.auditRecord.findMany({ where: { actorUserId: registered.body.adminUserId }, orderBy: { seq: 'asc' } })).map((r) => r.action);
    expect(actions).toEqual(['invitation.accept', 'user.password_set', 'session.sign_in', 'session.sign_in']);
  });

  test("the ADMIN's list of users shows where each stands: not invited, invited until when, invitation expired, signed in when", async () => {
    const user = await lender.addUser('APPROVER');
    const standing = async () => {
      const items: Array<{ id: string; passwordSet: boolean; lastSignInAt: string | null; invitation: unknown }> = [];
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const page: { items: typeof items; nextCursor: string | null } = (await api.get(lender.admin, `/users?limit=100${cursor ? `&cursor=${cursor}` : ''}`).expect(200)).body;
        items.push(...page.items);
        cursor = page.nextCursor;
      }
      const { passwordSet, lastSignInAt, invitation } = items.find((item) => item.id === user.userId)!;
      return { passwordSet, lastSignInAt, invitation };
    };
    expect(await standing()).toEqual({ passwordSet: false, lastSignInAt: null, invitation: null });
    const first = await api.post(lender.admin, `/users/${user.userId}/invitations`).expect(201);
    expect(await standing()).toEqual({ passwordSet: false, lastSignInAt: null, invitation: { state: 'OPEN', expiresAt: first.body.expiresAt } });
    // Its time passes: it shows expired, so the ADMIN knows to issue another.
    await api.db.sql(`UPDATE invitation SET expires_at = now() - interval '1 minute' WHERE user_id = $1`, [user.userId]);
    expect((await standing()).invitation).toEqual({ state: 'EXPIRED', expiresAt: expect.any(String) });
    const second = await api.post(lender.admin, `/users/${user.userId}/invitations`).expect(201);
    expect((await standing()).invitation).toEqual({ state: 'OPEN', expiresAt: second.body.expiresAt });
    await accept(second.body.token, PASSWORD).expect(200);
    const signedIn = await standing();
    expect(signedIn).toEqual({ passwordSet: true, lastSignInAt: expect.any(String), invitation: null });
    expect(Date.now() - Date.parse(signedIn.lastSignInAt!)).toBeLessThan(60_000);
    // Never the hash itself.
    expect(JSON.stringify((await api.get(lender.admin, '/users?limit=100').expect(200)).body)).not.toMatch(/scrypt|passwordHash/);
  });

  test.each([
    ['too short', 'elevenchars', 'must have at least 12 characters; it has 11'],
    ['too long', 'x'.repeat(257), 'must have at most 256 characters; it has 257'],
  ])('a password %s is refused naming body.password, and the invitation stays usable', async (_name, password, reason) => {
    const user = await lender.addUser('VIEWER');
    const invitation = await api.post(lender.admin, `/users/${user.userId}/invitations`).expect(201);
    const res = await accept(invitation.body.token, password).expect(400);
    expect(res.body.errors).toEqual([{ path: 'body.password', reason }]);
    expect((await accept(invitation.body.token, PASSWORD)).status).toBe(200);
  });

  test('twelve Chinese characters are twelve characters', async () => {
    const user = await lender.addUser('VIEWER');
    const invitation = await api.post(lender.admin, `/users/${user.userId}/invitations`).expect(201);
    expect((await accept(invitation.body.token, '仓库里的苹果值多少钱呢朋友')).status).toBe(200);
  });

  test('the email itself is refused as a password, in any case', async () => {
    const user = await lender.addUser('VIEWER');
    const email = (await api.db.prisma.user.findUniqueOrThrow({ where: { id: user.userId } })).email;
    const invitation = await api.post(lender.admin, `/users/${user.userId}/invitations`).expect(201);
    const res = await accept(invitation.body.token, email.toUpperCase()).expect(400);
    expect(res.body.errors).toEqual([{ path: 'body.password', reason: 'must not be your email address' }]);
  });

  test('an unknown or forged token names body.token', async () => {
    const res = await accept(`gdi_${'0'.repeat(32)}_${'A'.repeat(43)}`, PASSWORD).expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.token']);
  });
});

describe('an ADMIN resets a password with a new invitation', () => {
  test("the user's old sessions end when the new password is set, and only the new password signs in", async () => {
    const person = await personOf(api, lender, 'APPROVER', 'the first password');
    const second = await login(api.app, person.email, 'the first password').expect(200);
    const reset = await api.post(lender.admin, `/users/${person.userId}/invitations`).expect(201);
    expect(reset.body).toEqual({ id: expect.any(String), expiresAt: expect.any(String), token: expect.stringMatching(/^gdi_/) });
    // Issuing alone changes nothing yet.
    expect((await request(api.app).get('/me').set('Cookie', person.cookie)).status).toBe(200);
    const accepted = await accept(reset.body.token, 'the second password').expect(200);
    for (const cookie of [person.cookie, sessionCookieOf(second) ?? '']) expect((await request(api.app).get('/me').set('Cookie', cookie)).status).toBe(401);
    expect((await request(api.app).get('/me').set('Cookie', sessionCookieOf(accepted) ?? '')).status).toBe(200);
    expect((await login(api.app, person.email, 'the first password')).status).toBe(401);
    expect((await login(api.app, person.email, 'the second password')).status).toBe(200);
    const passwordSet = await api.db.prisma.auditRecord.findFirstOrThrow({ where: { actorUserId: person.userId, action: 'user.password_set' }, orderBy: { seq: 'desc' } });
    expect(passwordSet.after).toEqual({ passwordChangedAt: expect.any(String), sessionsEnded: 2 });
  });

  test('a newer invitation ends the older open one', async () => {
    const user = await lender.addUser('OPERATOR');
    const older = await api.post(lender.admin, `/users/${user.userId}/invitations`).expect(201);
    const newer = await api.post(lender.admin, `/users/${user.userId}/invitations`).expect(201);
    expect((await accept(older.body.token, PASSWORD)).body.code).toBe('invitation_expired');
    expect((await accept(newer.body.token, PASSWORD)).status).toBe(200);
  });

  test('only an ADMIN issues one, only for its own organisation, and a replay does not show the token again', async () => {
    const operator = await lender.addUser('OPERATOR');
    expect((await api.post(operator, `/users/${operator.userId}/invitations`)).status).toBe(403);
    const foreign = await api.post(otherLender.admin, `/users/${operator.userId}/invitations`);
    expect(foreign.status).toBe(404);
    const first = await api.post(lender.admin, `/users/${operator.userId}/invitations`, {}, 'reset-once').expect(201);
    const replay = await api.post(lender.admin, `/users/${operator.userId}/invitations`, {}, 'reset-once').expect(201);
    expect(first.body.token).toMatch(/^gdi_/);
    expect(replay.body).toEqual({ id: first.body.id, expiresAt: first.body.expiresAt });
    const audit = await api.db.prisma.auditRecord.findFirstOrThrow({ where: { action: 'invitation.issue', targetId: first.body.id } });
    expect(JSON.stringify(audit.after)).not.toContain(first.body.token.slice(4));
  });

  test('a deactivated user gets no invitation', async () => {
    const user = await lender.addUser('VIEWER');
    await api.post(lender.admin, `/users/${user.userId}/deactivate`).expect(200);
    expect((await api.post(lender.admin, `/users/${user.userId}/invitations`)).status).toBe(409);
  });
});
