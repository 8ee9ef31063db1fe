/**
 * Signing in to the console: email and password for a session cookie, the
 * session's own view, signing out, and accepting an invitation by setting a
 * password. Mounted by hand, like POST /invitations/claim: there is no caller
 * yet when one signs in, and these requests are not replayable writes of the
 * API (a repeated sign-in is a new session; a repeated sign-out ends nothing more).
 *
 * The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site
 * sends it), Path=/ and Secure whenever the request arrived over TLS (Express
 * `req.secure`, which follows the app's `trust proxy` setting). Its value is
 * the session's secret; the database keeps only its hash.
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { CookieOptions, NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN, passwordProblem, SESSION_ABSOLUTE_HOURS, SESSION_IDLE_MINUTES } from '../../domain/sign-in';
import { inTransaction } from '../../prisma/client';
import { recordAudit } from '../../prisma/audit/store';
import { acceptInvitation } from '../../prisma/identity/store';
import { authenticateSession, createSession, endSession, sessionUserView, type IssuedSession } from '../../prisma/identity/sessions';
import { signIn } from '../../prisma/identity/sign-in';
import { checkCsrf, checkSameOrigin, cookieOf, CSRF_HEADER, SESSION_COOKIE } from '../http/auth';
import { clockOf, type AppDeps } from '../http/deps';
import { HttpProblem, ProblemSchema, zodIssuesToFieldProblems, type FieldProblem } from '../http/problem';
import { Timestamp, Uuid } from '../http/schemas';

// Bounds on input only: a longer password is refused by the policy, and never equals a stored one.
const PASSWORD_INPUT_MAX = PASSWORD_LENGTH_MAX * 4;

const LoginBody = z.object({
  email: z.string().trim().min(1, 'is required').max(254).meta({ description: 'The email you were invited with' }),
  password: z.string().min(1, 'is required').max(PASSWORD_INPUT_MAX),
});

const AcceptInvitationBody = z.object({
  token: z.string().max(200).meta({ description: 'The invitation token "gdi_…" from the invitation link (after #token=)' }),
  password: z
    .string()
    .max(PASSWORD_INPUT_MAX)
    .meta({ description: `Your new password: ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX} characters, not your email address` }),
});

const OrganisationKind = z.enum(['LENDER', 'WAREHOUSE', 'SELLER', 'BUYER']);
const UserRole = z.enum(['ADMIN', 'OPERATOR', 'APPROVER', 'VIEWER']);

export const SessionBody = z
  .object({
    user: z.object({
      id: Uuid,
      email: z.string(),
      displayName: z.string().optional(),
      role: UserRole,
      organisation: z.object({ id: Uuid, name: z.string(), kind: OrganisationKind }),
    }),
    csrfToken: z.string().meta({ description: `Send it as header ${CSRF_HEADER} on every write (non-GET) made with the session cookie` }),
    expiresAt: Timestamp,
  })
  .meta({ id: 'Session', description: `expiresAt: the session ends at this instant at the latest (${SESSION_ABSOLUTE_HOURS} h after sign-in), and sooner after ${SESSION_IDLE_MINUTES} min without a request` });

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw invalid(zodIssuesToFieldProblems('body', parsed.error));
  return parsed.data;
}

function invalid(errors: FieldProblem[]): HttpProblem {
  return new HttpProblem(400, 'validation_failed', 'Invalid request', `${errors.length} field(s) are invalid: ${errors.map((e) => `${e.path} ${e.reason}`).join('; ')}`, errors);
}

function cookieOptions(req: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure };
}

async function answerSignedIn(deps: AppDeps, req: Request, res: Response, userId: string, session: { token: string; csrfToken: string; expiresAt: Date }): Promise<void> {
  const user = await sessionUserView(deps.prisma, userId);
  res
    .cookie(SESSION_COOKIE, session.token, { ...cookieOptions(req), maxAge: SESSION_ABSOLUTE_HOURS * 60 * 60 * 1000 })
    .set('Cache-Control', 'no-store')
    .status(200)
    .json(SessionBody.parse({ user, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() }));
}

function clientAddressOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

function requestIdOf(res: Response): string | null {
  return res.locals.requestId ? String(res.locals.requestId) : null;
}

async function login(deps: AppDeps, req: Request, res: Response): Promise<void> {
  checkSameOrigin(deps, req);
  const body = parseBody(LoginBody, req.body);
  const now = clockOf(deps)();
  const outcome = await inTransaction(deps.prisma, (tx) =>
    signIn(tx, { email: body.email, password: body.password, clientAddress: clientAddressOf(req), requestId: requestIdOf(res) }, now),
  );
  if (outcome.kind === 'locked') {
    const retryAfterSeconds = Math.max(1, Math.ceil((outcome.until.getTime() - now.getTime()) / 1000));
    throw new HttpProblem(429, 'too_many_attempts', 'Too many sign-in attempts', `too many failed sign-ins; try again after ${outcome.until.toISOString()}`, undefined, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
  if (outcome.kind === 'refused') {
    throw new HttpProblem(401, 'invalid_credentials', 'Sign-in refused', 'the email and password do not match an account that can sign in');
  }
  await answerSignedIn(deps, req, res, outcome.userId, outcome.session);
}

async function currentSession(deps: AppDeps, req: Request, res: Response): Promise<void> {
  const token = cookieOf(req, SESSION_COOKIE);
  const session = token === null ? null : await authenticateSession(deps.prisma, token, clockOf(deps)());
  if (!session || token === null) throw new HttpProblem(401, 'unauthenticated', 'Not signed in', 'no live session: sign in with POST /auth/login');
  const user = await sessionUserView(deps.prisma, session.user.userId);
  res.set('Cache-Control', 'no-store').status(200).json(SessionBody.parse({ user, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() }));
}

async function logout(deps: AppDeps, req: Request, res: Response): Promise<void> {
  const token = cookieOf(req, SESSION_COOKIE);
  const session = token === null ? null : await authenticateSession(deps.prisma, token, clockOf(deps)());
  if (session && token !== null) {
    // Signing out is a write: a page of another site must not end someone's session.
    checkCsrf(deps, req, session.csrfToken);
    await inTransaction(deps.prisma, async (tx) => {
      const ended = await endSession(tx, token);
      if (ended) {
        await recordAudit(tx, { userId: session.user.userId, organisationId: session.user.organisationId, requestId: requestIdOf(res) }, {
          action: 'session.sign_out',
          targetType: 'session',
          targetId: ended,
          after: { at: clockOf(deps)().toISOString() },
        });
      }
    });
  }
  res.clearCookie(SESSION_COOKIE, cookieOptions(req)).set('Cache-Control', 'no-store').status(204).end();
}

async function acceptInvitationAndSignIn(deps: AppDeps, req: Request, res: Response): Promise<void> {
  checkSameOrigin(deps, req);
  const body = parseBody(AcceptInvitationBody, req.body);
  // The length rules need no account: answered with every other field problem before the token is used.
  const lengthProblem = passwordProblem(body.password, '');
  if (lengthProblem) throw invalid([{ path: 'body.password', reason: lengthProblem }]);
  const now = clockOf(deps)();
  const requestId = requestIdOf(res);
  const signedIn = await inTransaction(deps.prisma, async (tx): Promise<{ userId: string; session: IssuedSession }> => {
    const accepted = await acceptInvitation(tx, { token: body.token, password: body.password, requestId }, now);
    const session = await createSession(tx, accepted.userId, now, clientAddressOf(req));
    await tx.user.update({ where: { id: accepted.userId }, data: { lastSignInAt: now } });
    await recordAudit(tx, { userId: accepted.userId, organisationId: accepted.organisationId, requestId }, {
      action: 'session.sign_in',
      targetType: 'session',
      targetId: session.id,
      after: { at: now.toISOString(), clientAddress: clientAddressOf(req), expiresAt: session.expiresAt.toISOString(), via: 'invitation' },
    });
    return { userId: accepted.userId, session };
  });
  await answerSignedIn(deps, req, res, signedIn.userId, signedIn.session);
}

function problems(entries: [number, string][]) {
  return Object.fromEntries(entries.map(([status, description]) => [status, { description, content: { 'application/problem+json': { schema: ProblemSchema } } }]));
}

const SET_COOKIE = {
  'Set-Cookie': {
    schema: { type: 'string' as const },
    description: `${SESSION_COOKIE}=…; HttpOnly; SameSite=Strict; Path=/ (and Secure over TLS): the session; a new one at every sign-in`,
  },
};

/** The sign-in operations in the OpenAPI document (api/openapi.ts), so that the typed client has them. */
export function registerAuthOpenApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/auth/login',
    operationId: 'login',
    summary: 'Sign in to the console with email and password: a session cookie and its CSRF token',
    tags: ['Sign-in'],
    security: [],
    request: { body: { content: { 'application/json': { schema: LoginBody } }, required: true } },
    responses: {
      200: { description: 'Signed in', headers: SET_COOKIE, content: { 'application/json': { schema: SessionBody } } },
      ...problems([
        [400, 'Invalid request (problem+json names each field)'],
        [401, 'invalid_credentials: the email and password do not match (the same answer whether or not the email exists)'],
        [403, 'csrf_failed: the Origin header is not this service'],
        [429, 'too_many_attempts: too many failures for this account or from this address (Retry-After)'],
        [500, 'Unexpected error (logged with the request id)'],
      ]),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/auth/session',
    operationId: 'getSession',
    summary: 'The signed-in user of the session cookie, and its CSRF token',
    tags: ['Sign-in'],
    security: [{ session: [] }],
    responses: {
      200: { description: 'The live session', content: { 'application/json': { schema: SessionBody } } },
      ...problems([
        [401, 'No live session (never signed in, signed out, expired, idle, or the password changed)'],
        [500, 'Unexpected error (logged with the request id)'],
      ]),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/auth/logout',
    operationId: 'logout',
    summary: `Sign out: the session ends on the server and the cookie is cleared (send ${CSRF_HEADER})`,
    tags: ['Sign-in'],
    security: [{ session: [] }],
    responses: {
      204: { description: 'Signed out (also when no session was live)' },
      ...problems([
        [403, `csrf_failed: ${CSRF_HEADER} missing or wrong, or a foreign Origin`],
        [500, 'Unexpected error (logged with the request id)'],
      ]),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/invitations/accept',
    operationId: 'acceptInvitation',
    summary: "Accept an invitation in the console: set the invited user's password (first one, or a reset) and sign in",
    tags: ['Sign-in'],
    security: [],
    request: { body: { content: { 'application/json': { schema: AcceptInvitationBody } }, required: true } },
    responses: {
      200: { description: "Password set, the user's older sessions ended, signed in", headers: SET_COOKIE, content: { 'application/json': { schema: SessionBody } } },
      ...problems([
        [400, 'Invalid request: an unknown token (body.token) or a password the policy refuses (body.password)'],
        [403, 'csrf_failed: the Origin header is not this service'],
        [422, 'The invitation was already used, has expired, or its user was deactivated'],
        [500, 'Unexpected error (logged with the request id)'],
      ]),
    },
  });
}

export function mountAuthRoutes(router: Router, deps: AppDeps): void {
  const handle = (action: (deps: AppDeps, req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      await action(deps, req, res);
    } catch (error) {
      next(error);
    }
  };
  router.post('/auth/login', handle(login));
  router.get('/auth/session', handle(currentSession));
  router.post('/auth/logout', handle(logout));
  router.post('/invitations/accept', handle(acceptInvitationAndSignIn));
}
