/**
 * Who may sign in to the console, and for how long: the password policy, the
 * lockout after repeated failures, and when a session ends. Pure rules over
 * plain values; the stores (prisma/identity/) read the facts and the clock.
 */

export const PASSWORD_LENGTH_MIN = 12;
export const PASSWORD_LENGTH_MAX = 256;

/** Why a password is refused, as a reason for `body.password`; null when it is acceptable. */
export function passwordProblem(password: string, email: string): string | null {
  // Length in code points, so that a password in Chinese counts its characters, not its UTF-16 units.
  const length = [...password].length;
  if (length < PASSWORD_LENGTH_MIN) return `must have at least ${PASSWORD_LENGTH_MIN} characters; it has ${length}`;
  if (length > PASSWORD_LENGTH_MAX) return `must have at most ${PASSWORD_LENGTH_MAX} characters; it has ${length}`;
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) return 'must not be your email address';
  return null;
}

export interface LockoutPolicy {
  /** Failures within `windowMinutes` that lock. */
  failuresMax: number;
  windowMinutes: number;
  /** How long the lock lasts from the failure that reached `failuresMax`. */
  lockMinutes: number;
}

/** Per account: 5 failures within 15 minutes lock the account (known email or not) for 15 minutes. */
export const ACCOUNT_LOCKOUT: LockoutPolicy = { failuresMax: 5, windowMinutes: 15, lockMinutes: 15 };
/** Per client address: 50 failures within 15 minutes, whatever the accounts tried, lock the address for 15 minutes. */
export const ADDRESS_LOCKOUT: LockoutPolicy = { failuresMax: 50, windowMinutes: 15, lockMinutes: 15 };

/** How far back failures matter to `lockedUntil`: a window and the lock that may follow it. */
export function lockoutHorizonMinutes(policy: LockoutPolicy): number {
  return policy.windowMinutes + policy.lockMinutes;
}

const MINUTE_MS = 60_000;

/**
 * Until when sign-in is refused after `failures` (any order), or null when it is not.
 * A lock starts at the failure that makes `failuresMax` within the window and lasts
 * `lockMinutes`; attempts during a lock are refused unchecked, so they are never failures.
 */
export function lockedUntil(failures: readonly Date[], now: Date, policy: LockoutPolicy): Date | null {
  const times = failures.map((failure) => failure.getTime()).sort((a, b) => a - b);
  let until: number | null = null;
  for (let index = policy.failuresMax - 1; index < times.length; index += 1) {
    const reached = times[index];
    if (until !== null && reached < until) continue;
    if (reached - times[index - policy.failuresMax + 1] < policy.windowMinutes * MINUTE_MS) until = reached + policy.lockMinutes * MINUTE_MS;
  }
  return until !== null && now.getTime() < until ? new Date(until) : null;
}

/** A console session lasts at most `absoluteHours` from sign-in, and ends after `idleMinutes` without a request. */
export const SESSION_ABSOLUTE_HOURS = 12;
export const SESSION_IDLE_MINUTES = 30;
/** A session's last sighting is written at most once per this many seconds, so that reads stay reads. */
export const SESSION_LAST_SEEN_RESOLUTION_SECONDS = 60;

export type SessionState = { live: true; touch: boolean } | { live: false; why: 'expired' | 'idle' };

/**
 * Whether a session still holds at `now`. Idle time is measured from the last
 * sighting written, which lags the last request by under a minute
 * (SESSION_LAST_SEEN_RESOLUTION_SECONDS): a session may end that much early, never late.
 */
export function sessionState(session: { expiresAt: Date; lastSeenAt: Date }, now: Date): SessionState {
  if (now.getTime() >= session.expiresAt.getTime()) return { live: false, why: 'expired' };
  const idleMs = now.getTime() - session.lastSeenAt.getTime();
  if (idleMs >= SESSION_IDLE_MINUTES * MINUTE_MS) return { live: false, why: 'idle' };
  return { live: true, touch: idleMs >= SESSION_LAST_SEEN_RESOLUTION_SECONDS * 1000 };
}

export function sessionExpiry(signedInAt: Date): Date {
  return new Date(signedInAt.getTime() + SESSION_ABSOLUTE_HOURS * 60 * MINUTE_MS);
}
