/**
 * Signing in with email and password. Failures are counted in PostgreSQL per
 * account and per client address, so that the limits hold across processes.
 * The account is the hash of the email given, whether or not a user has it:
 * an unknown email is locked exactly as a known one, and costs the same
 * scrypt work, so neither the answer nor its timing tells which emails exist.
 */
import { createHash } from 'node:crypto';
import { ACCOUNT_LOCKOUT, ADDRESS_LOCKOUT, lockedUntil, lockoutHorizonMinutes } from '../../domain/sign-in';
import type { Db } from '../client';
import { recordAudit } from '../audit/store';
import { hashPassword, verifyPassword } from './passwords';
import { createSession, type IssuedSession } from './sessions';

export function accountKeyOf(email: string): string {
  return createHash('sha256').update(`godown sign-in ${email.trim().toLowerCase()}`).digest('hex');
}

export type SignInOutcome =
  | { kind: 'signed_in'; userId: string; session: IssuedSession }
  | { kind: 'refused' }
  | { kind: 'locked'; until: Date };

async function failuresSince(db: Db, column: 'account' | 'address', value: string, since: Date): Promise<Date[]> {
  const rows =
    column === 'account'
      ? await db.$queryRaw<{ attempted_at: Date }[]>`
          SELECT attempted_at FROM sign_in_failure WHERE account_key = ${value} AND NOT account_cleared AND attempted_at > ${since}`
      : await db.$queryRaw<{ attempted_at: Date }[]>`SELECT attempted_at FROM sign_in_failure WHERE client_address = ${value} AND attempted_at > ${since}`;
  return rows.map((row) => row.attempted_at);
}

function minutesBefore(now: Date, minutes: number): Date {
  return new Date(now.getTime() - minutes * 60_000);
}

interface UserRow {
  id: string;
  organisation_id: string;
  password_hash: string | null;
}

/**
 * One sign-in attempt, in the caller's transaction. The account's and then the
 * address's advisory locks are taken first (always in that order), so that
 * concurrent guesses are counted one after another and never all pass a check
 * that each alone would fail.
 */
export async function signIn(db: Db, input: { email: string; password: string; clientAddress: string; requestId: string | null }, now: Date): Promise<SignInOutcome> {
  const accountKey = accountKeyOf(input.email);
  await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sign-in account ${accountKey}`}, 0))`;
  await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sign-in address ${input.clientAddress}`}, 0))`;
  const [user] = await db.$queryRaw<UserRow[]>`
    SELECT id::text AS id, organisation_id::text AS organisation_id, password_hash
      FROM app_user WHERE email = ${input.email.trim().toLowerCase()} AND deactivated_at IS NULL`;
  const lockEnds = [
    lockedUntil(await failuresSince(db, 'account', accountKey, minutesBefore(now, lockoutHorizonMinutes(ACCOUNT_LOCKOUT))), now, ACCOUNT_LOCKOUT),
    lockedUntil(await failuresSince(db, 'address', input.clientAddress, minutesBefore(now, lockoutHorizonMinutes(ADDRESS_LOCKOUT))), now, ADDRESS_LOCKOUT),
  ].filter((until): until is Date => until !== null);
  if (lockEnds.length > 0) return { kind: 'locked', until: new Date(Math.max(...lockEnds.map((until) => until.getTime()))) };

  const check = await verifyPassword(input.password, user?.password_hash ?? null);
  if (!user || !check.matches) {
    await db.$executeRaw`
      INSERT INTO sign_in_failure (account_key, client_address, attempted_at) VALUES (${accountKey}, ${input.clientAddress}, ${now})`;
    // Failures too old to matter are dropped as new ones come, so the table stays as small as the limits need.
    await db.$executeRaw`
      DELETE FROM sign_in_failure
       WHERE (account_key = ${accountKey} OR client_address = ${input.clientAddress})
         AND attempted_at < ${minutesBefore(now, Math.max(lockoutHorizonMinutes(ACCOUNT_LOCKOUT), lockoutHorizonMinutes(ADDRESS_LOCKOUT)))}`;
    if (user) {
      await recordAudit(db, { userId: user.id, organisationId: user.organisation_id, requestId: input.requestId }, {
        action: 'session.sign_in_failed',
        targetType: 'user',
        targetId: user.id,
        after: { at: now.toISOString(), clientAddress: input.clientAddress, reason: user.password_hash === null ? 'no password set' : 'wrong password' },
      });
    }
    return { kind: 'refused' };
  }
  // A successful sign-in starts the account's count afresh; the address's count goes on (an attacker signing in
  // to an account of its own must not reset the count of its guesses at others).
  await db.$executeRaw`UPDATE sign_in_failure SET account_cleared = true WHERE account_key = ${accountKey} AND NOT account_cleared`;
  const passwordHash = check.needsRehash ? await hashPassword(input.password) : user.password_hash;
  await db.user.update({ where: { id: user.id }, data: { lastSignInAt: now, passwordHash } });
  const session = await createSession(db, user.id, now, input.clientAddress);
  await recordAudit(db, { userId: user.id, organisationId: user.organisation_id, requestId: input.requestId }, {
    action: 'session.sign_in',
    targetType: 'session',
    targetId: session.id,
    after: { at: now.toISOString(), clientAddress: input.clientAddress, expiresAt: session.expiresAt.toISOString(), ...(check.needsRehash ? { passwordRehashed: true } : {}) },
  });
  return { kind: 'signed_in', userId: user.id, session };
}
