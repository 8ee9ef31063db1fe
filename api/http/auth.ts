import type { Request } from 'express';
import { authenticateApiKey, type AuthenticatedUser } from '../../prisma/identity/store';
import type { AppDeps } from './deps';
import { ForbiddenError } from '../../domain/errors';
import { HttpProblem } from './problem';

export interface Actor extends AuthenticatedUser {
  requestId: string;
}

export async function authenticate(deps: AppDeps, req: Request): Promise<Actor> {
  const header = req.header('authorization');
  const requestId = String(req.res?.locals.requestId ?? '');
  const challenge = { 'WWW-Authenticate': 'Bearer realm="godown"' };
  // Authentication schemes are case-insensitive (RFC 9110 §11.1): "bearer" and "BEARER" are "Bearer".
  const credentials = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  if (!credentials) {
    throw new HttpProblem(401, 'unauthenticated', 'Authentication required', 'send your API key as "Authorization: Bearer gdk_…"', undefined, challenge);
  }
  const user = await authenticateApiKey(deps.prisma, credentials[1]);
  if (!user) {
    throw new HttpProblem(401, 'unauthenticated', 'Authentication required', 'the API key is unknown, revoked, or belongs to a deactivated user', undefined, challenge);
  }
  return { ...user, requestId };
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
