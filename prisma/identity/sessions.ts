/**
 * Console sessions. The cookie carries `gds_<secret>`; the table keeps only
 * its SHA-256, so a copy of the database signs nobody in. The CSRF token is
 * an HMAC of the cookie's secret: bound to the session, known to a page of
 * the session (GET /auth/session answers it), unguessable from outside and
 * not stored anywhere.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { sessionExpiry, sessionState } from '../../domain/sign-in';
import type { Db } from '../client';
import type { AuthenticatedUser } from './store';

const SESSION_TOKEN_PATTERN = /^gds_[A-Za-z0-9_-]{43}$/;

function tokenHashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function csrfTokenOf(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('godown csrf token').digest('base64url');
}

export interface IssuedSession {
  id: string;
  /** The cookie's value: shown once (Set-Cookie), never stored. */
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

/** A new session for `userId`, with a new random id: a session id is never carried over from before sign-in. */
export async function createSession(db: Db, userId: string, now: Date, clientAddress: string | null): Promise<IssuedSession> {
  const token = `gds_${randomBytes(32).toString('base64url')}`;
  const id = randomUUID();
  const expiresAt = sessionExpiry(now);
  await db.userSession.create({ data: { id, userId, tokenHash: tokenHashOf(token), createdAt: now, expiresAt, lastSeenAt: now, clientAddress } });
  return { id, token, csrfToken: csrfTokenOf(token), expiresAt };
}

export interface AuthenticatedSession {
  sessionId: string;
  user: AuthenticatedUser;
  csrfToken: string;
  expiresAt: Date;
}

interface SessionRow {
  id: string;
  expires_at: Date;
  last_seen_at: Date;
  user_id: string;
  organisation_id: string;
  organisation_kind: AuthenticatedUser['organisationKind'];
  role: AuthenticatedUser['role'];
}

/**
 * The user of a live session, or null (malformed, unknown, ended, expired,
 * idle, or its user deactivated). An expired or idle session is deleted.
 */
export async function authenticateSession(db: Db, token: string, now: Date): Promise<AuthenticatedSession | null> {
  if (!SESSION_TOKEN_PATTERN.test(token)) return null;
  // Looked up by the hash of the whole token: equality on a hash leaks nothing about the secret through timing.
  const [session] = await db.$queryRaw<SessionRow[]>`
    SELECT s.id::text AS id, s.expires_at, s.last_seen_at,
           u.id::text AS user_id, u.organisation_id::text AS organisation_id, o.kind::text AS organisation_kind, u.role::text AS role
      FROM user_session s
      JOIN app_user u ON u.id = s.user_id AND u.deactivated_at IS NULL
      JOIN organisation o ON o.id = u.organisation_id
     WHERE s.token_hash = ${tokenHashOf(token)}`;
  if (!session) return null;
  const state = sessionState({ expiresAt: session.expires_at, lastSeenAt: session.last_seen_at }, now);
  if (!state.live) {
    await db.$executeRaw`DELETE FROM user_session WHERE id = ${session.id}::uuid`;
    return null;
  }
  if (state.touch) {
    // Guarded by the value read, so that concurrent requests write it once and never move it back.
    await db.$executeRaw`UPDATE user_session SET last_seen_at = ${now} WHERE id = ${session.id}::uuid AND last_seen_at < ${now}`;
  }
  return {
    sessionId: session.id,
    user: { userId: session.user_id, organisationId: session.organisation_id, organisationKind: session.organisation_kind, role: session.role },
    csrfToken: csrfTokenOf(token),
    expiresAt: session.expires_at,
  };
}

/** Ends the session whose cookie is `token`; its id, or null when there was none. */
export async function endSession(db: Db, token: string): Promise<string | null> {
  if (!SESSION_TOKEN_PATTERN.test(token)) return null;
  const [ended] = await db.$queryRaw<{ id: string }[]>`DELETE FROM user_session WHERE token_hash = ${tokenHashOf(token)} RETURNING id::text AS id`;
  return ended?.id ?? null;
}

/** Ends every session of `userId` (its password changed); how many were ended. */
export async function endSessionsOfUser(db: Db, userId: string): Promise<number> {
  return db.$executeRaw`DELETE FROM user_session WHERE user_id = ${userId}::uuid`;
}

export interface SessionUserView {
  id: string;
  email: string;
  displayName: string;
  role: AuthenticatedUser['role'];
  organisation: { id: string; name: string; kind: AuthenticatedUser['organisationKind'] };
}

/** Who is signed in, as the console shows it. */
export async function sessionUserView(db: Db, userId: string): Promise<SessionUserView> {
  const user = await db.user.findUniqueOrThrow({ where: { id: userId }, include: { organisation: true } });
  return {
    id: user.id,
    email: user.email,
    displayName: user.name,
    role: user.role,
    organisation: { id: user.organisation.id, name: user.organisation.name, kind: user.organisation.kind },
  };
}
