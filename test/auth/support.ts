import type { Express } from 'express';
import request from 'supertest';
import type { TestApi, TestOrganisation, TestUser } from '../support/api';

export const PASSWORD = 'correct horse battery staple';

/** A person signed in to the console: their API key (for comparison), email, and the session cookie with its CSRF token. */
export interface SignedIn extends TestUser {
  email: string;
  cookie: string;
  csrfToken: string;
}

/** The `godown_session=…` pair of a response's Set-Cookie, or null. */
export function sessionCookieOf(res: request.Response): string | null {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const session = cookies.find((cookie) => cookie.startsWith('godown_session='));
  return session ? session.split(';')[0] : null;
}

/** A new user of `organisation` with `role`, invited by its admin, who sets `password` and is signed in. */
export async function personOf(api: TestApi, organisation: TestOrganisation, role: Parameters<TestOrganisation['addUser']>[0], password = PASSWORD, app: Express = api.app): Promise<SignedIn> {
  const user = role === 'ADMIN' ? organisation.admin : await organisation.addUser(role);
  const invitation = await api.post(organisation.admin, `/users/${user.userId}/invitations`);
  if (invitation.status !== 201) throw new Error(`invite: ${invitation.status} ${JSON.stringify(invitation.body)}`);
  const accepted = await request(app).post('/invitations/accept').send({ token: invitation.body.token, password });
  if (accepted.status !== 200) throw new Error(`accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const cookie = sessionCookieOf(accepted);
  if (!cookie) throw new Error('accept set no session cookie');
  return { ...user, email: accepted.body.user.email, cookie, csrfToken: accepted.body.csrfToken };
}

export function login(app: Express, email: string, password: string, headers: Record<string, string> = {}): request.Test {
  return request(app).post('/auth/login').set(headers).send({ email, password });
}
