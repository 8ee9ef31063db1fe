import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { authenticateApiKey, type AuthenticatedUser } from '../../prisma/identity/store';
import { authenticateSession } from '../../prisma/identity/sessions';
import { clockOf, type AppDeps } from './deps';
import { ForbiddenError } from '../../domain/errors';
import { HttpProblem } from './problem';

export interface Actor extends AuthenticatedUser {
  requestId: string;
  /** How the request proved who it is: an integration's API key, or a person's console session (cookie). */
  via: 'api_key' | 'session';
}

export const SESSION_COOKIE = 'godown_session';
export const CSRF_HEADER = 'X-CSRF-Token';

/** The value of cookie `name` in the request's Cookie header(s), or null. */
export function cookieOf(req: Request, name: string): string | null {
  for (const pair of (req.header('cookie') ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    const value = pair.slice(separator + 1).trim();
    return value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return null;
}

/** Methods that change nothing; every other method is a write and needs the CSRF token when a cookie authenticates it. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function csrfFailed(reason: string, path: string): HttpProblem {
  return new HttpProblem(403, 'csrf_failed', 'Cross-site request refused', `${path} ${reason}`, [{ path, reason }]);
}

/**
 * A present Origin must be this service's own origin (as the request reached it, or the public URL
 * it is configured with): a browser sends Origin on every cross-origin POST, so a page elsewhere is refused.
 */
export function checkSameOrigin(deps: AppDeps, req: Request): void {
  const origin = req.header('origin');
  if (origin === undefined) return;
  const own = new Set([`${req.protocol}://${req.host}`]);
  if (deps.publicUrl) own.add(new URL(deps.publicUrl).origin);
  if (!own.has(origin)) throw csrfFailed(`"${origin}" is not this service's origin; the console signs in and writes from its own pages only`, 'header.Origin');
}

/** A cookie-authenticated write carries the session's CSRF token (synchronizer token) and comes from our own origin. */
export function checkCsrf(deps: AppDeps, req: Request, expected: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  checkSameOrigin(deps, req);
  const given = Buffer.from(req.header(CSRF_HEADER) ?? '');
  const wanted = Buffer.from(expected);
  if (given.length === 0) throw csrfFailed('is required on every write made with the session cookie; send the csrfToken of GET /auth/session', `header.${CSRF_HEADER}`);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw csrfFailed("is not this session's token; send the csrfToken of GET /auth/session", `header.${CSRF_HEADER}`);
  }
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="godown"' };

function unauthenticated(detail: string): HttpProblem {
  return new HttpProblem(401, 'unauthenticated', 'Authentication required', detail, undefined, CHALLENGE);
}

/**
 * Who makes the request: `Authorization: Bearer gdk_…` (integrations), or else the console's session
 * cookie. A present Authorization header decides alone (a cross-site page cannot set it, so it needs no
 * CSRF token); a cookie write must pass checkCsrf.
 */
export async function authenticate(deps: AppDeps, req: Request): Promise<Actor> {
  const header = req.header('authorization');
  const requestId = String(req.res?.locals.requestId ?? '');
  if (header === undefined) {
    const token = cookieOf(req, SESSION_COOKIE);
    if (token === null) throw unauthenticated('send your API key as "Authorization: Bearer gdk_…", or sign in (POST /auth/login) for a session cookie');
    const session = await authenticateSession(deps.prisma, token, clockOf(deps)());
    if (!session) throw unauthenticated('the session has ended (signed out, expired, idle too long, or its password changed); sign in again');
    checkCsrf(deps, req, session.csrfToken);
    return { ...session.user, requestId, via: 'session' };
  }
  // Authentication schemes are case-insensitive (RFC 9110 §11.1): "bearer" and "BEARER" are "Bearer".
  const credentials = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!credentials) throw unauthenticated('send your API key as "Authorization: Bearer gdk_…"');
  const user = await authenticateApiKey(deps.prisma, credentials[1]);
  if (!user) throw unauthenticated('the API key is unknown, revoked, or belongs to a deactivated user');
  return { ...user, requestId, via: 'api_key' };
}

/** VIEWERs change nothing: every POST is refused to them, once, before the request is executed or replayed. */
export function refuseViewerChange(actor: Actor, method: string): void {
  if (method === 'post' && actor.role === 'VIEWER') {
    throw new ForbiddenError('a VIEWER can read but not change anything; ask a user with another role of your organisation');
  }
}

export function requireAdmin(actor: Actor, what: string): void {
  if (actor.role !== 'ADMIN') throw new ForbiddenError(`only an ADMIN of your organisation can ${what}; you are ${actor.role}`);
}
