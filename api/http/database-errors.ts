/**
 * SQLSTATEs the HTTP edge must tell apart, whatever layer raised them: the pg
 * driver (`code`), Prisma's driver adapter (`cause.originalCode`, or
 * `meta.driverAdapterError.cause.originalCode`), or Prisma's own codes.
 */
export const SERIALIZATION_FAILURE = '40001';
export const DEADLOCK_DETECTED = '40P01';
export const UNIQUE_VIOLATION = '23505';

const SQLSTATE = /^[0-9A-Z]{5}$/;
const PRISMA_CODES: Record<string, string> = { P2034: SERIALIZATION_FAILURE, P2002: UNIQUE_VIOLATION };
const ADAPTER_KINDS: Record<string, string> = { TransactionWriteConflict: SERIALIZATION_FAILURE, UniqueConstraintViolation: UNIQUE_VIOLATION };

type Shape = { code?: unknown; originalCode?: unknown; kind?: unknown; cause?: unknown; meta?: { code?: unknown; driverAdapterError?: unknown } };

/** The SQLSTATE behind `error`, looking through the causes Prisma and its adapter wrap it in (bounded). */
export function sqlStateOf(error: unknown): string | null {
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 10; seen += 1) {
    const current = queue.shift() as Shape | null | undefined;
    if (!current || typeof current !== 'object') continue;
    if (typeof current.originalCode === 'string' && SQLSTATE.test(current.originalCode)) return current.originalCode;
    if (typeof current.kind === 'string' && ADAPTER_KINDS[current.kind]) return ADAPTER_KINDS[current.kind];
    if (typeof current.code === 'string') {
      if (PRISMA_CODES[current.code]) return PRISMA_CODES[current.code];
      if (SQLSTATE.test(current.code) && !/^P\d{4}$/.test(current.code)) return current.code;
    }
    if (typeof current.meta?.code === 'string' && SQLSTATE.test(current.meta.code)) return current.meta.code;
    queue.push(current.cause, current.meta?.driverAdapterError);
  }
  return null;
}

/** A transaction PostgreSQL aborted only because of a concurrent one: running it again may succeed. */
export function isRetryableConflict(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state === SERIALIZATION_FAILURE || state === DEADLOCK_DETECTED;
}
