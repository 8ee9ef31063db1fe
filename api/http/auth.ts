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
  if (!header?.startsWith('Bearer ')) {
    throw new HttpProblem(401, 'unauthenticated', 'Authentication required', 'send your API key as "Authorization: Bearer gdk_…"', undefined, challenge);
  }
  const user = await authenticateApiKey(deps.prisma, header.slice('Bearer '.length).trim());
  if (!user) {
    throw new HttpProblem(401, 'unauthenticated', 'Authentication required', 'the API key is unknown, revoked, or belongs to a deactivated user', undefined, challenge);
  }
  return { ...user, requestId };
}

export function requireAdmin(actor: Actor, what: string): void {
  if (actor.role !== 'ADMIN') throw new ForbiddenError(`only an ADMIN of your organisation can ${what}; you are ${actor.role}`);
}
