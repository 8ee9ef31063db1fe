import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { PrismaClient } from '../../prisma/client';

/**
 * Idempotency records: what a POST answered, kept so that a retry with the same
 * Idempotency-Key replays it instead of acting twice.
 *
 * - Scoped to the caller: a record belongs to the organisation AND the user
 *   who made the request; another user (even of the same organisation) who
 *   sends the same key is refused, never answered with someone else's result.
 * - No secret at rest: a field that carries a credential (API key, token,
 *   secret, password) is removed before the response is stored; a replay
 *   answers the redacted form, with `Idempotency-Replayed: true` and
 *   `Idempotency-Redacted` naming the omitted fields.
 * - Kept for IDEMPOTENCY_RETENTION_HOURS, then deleted by
 *   `deleteExpiredIdempotencyRecords` (run periodically by the API process);
 *   a key older than that is treated as new.
 */
export const IDEMPOTENCY_RETENTION_HOURS = 72;
export const IDEMPOTENCY_CLEANUP_INTERVAL_MS = 15 * 60 * 1000;
/** Rows deleted per statement, so that one clean-up never holds long locks. */
export const IDEMPOTENCY_CLEANUP_BATCH_MAX = 5_000;

/** Field names whose string values are credentials: never stored, never replayed. */
const SECRET_FIELD = /(apikey|token|secret|password)$/i;

/**
 * JSON with object keys sorted, so that equal requests hash equally. Iterative:
 * the edge limits nesting, but hashing must not depend on that to be safe.
 */
export function canonicalJson(root: unknown): string {
  const out: string[] = [];
  // A frame is either a value still to write or a literal piece of text.
  const stack: Array<{ value: unknown } | { text: string }> = [{ value: root }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if ('text' in frame) {
      out.push(frame.text);
      continue;
    }
    const { value } = frame;
    if (Array.isArray(value)) {
      const pieces: Array<{ value: unknown } | { text: string }> = [{ text: '[' }];
      value.forEach((item, index) => {
        if (index > 0) pieces.push({ text: ',' });
        pieces.push({ value: item });
      });
      pieces.push({ text: ']' });
      for (let i = pieces.length - 1; i >= 0; i -= 1) stack.push(pieces[i]);
    } else if (value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const pieces: Array<{ value: unknown } | { text: string }> = [{ text: '{' }];
      entries.forEach(([key, item], index) => {
        pieces.push({ text: `${index > 0 ? ',' : ''}${JSON.stringify(key)}:` });
        pieces.push({ value: item });
      });
      pieces.push({ text: '}' });
      for (let i = pieces.length - 1; i >= 0; i -= 1) stack.push(pieces[i]);
    } else {
      out.push(JSON.stringify(value) ?? 'null');
    }
  }
  return out.join('');
}

const UUID_SEGMENT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The path with every UUID segment in lower case: `/Lots/ABC…` and `/lots/abc…` name the same object. */
export function normalisedPath(path: string): string {
  return path
    .split('/')
    .map((segment) => (UUID_SEGMENT.test(segment) ? segment.toLowerCase() : segment))
    .join('/');
}

export function requestHash(request: { method: string; path: string; query: unknown; body: unknown }): string {
  return createHash('sha256')
    .update(canonicalJson({ method: request.method, path: normalisedPath(request.path), query: request.query, body: request.body ?? null }))
    .digest('hex');
}

/** `body` without credential fields, and the paths of what was removed (e.g. `apiKey.apiKey`). */
export function redactSecrets(body: unknown): { redacted: unknown; removed: string[] } {
  const removed: string[] = [];
  const copy = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((item, index) => copy(item, `${path}[${index}]`));
    if (value && typeof value === 'object') {
      const result: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        const itemPath = path ? `${path}.${key}` : key;
        if (typeof item === 'string' && SECRET_FIELD.test(key)) removed.push(itemPath);
        else result[key] = copy(item, itemPath);
      }
      return result;
    }
    return value;
  };
  // Response bodies are shaped by our own schemas (a few levels deep), so recursion is bounded here.
  return { redacted: copy(body, ''), removed };
}

/** Deletes records older than the retention, in bounded batches; returns how many were deleted. */
export async function deleteExpiredIdempotencyRecords(prisma: PrismaClient, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_HOURS * 3_600_000);
  let deleted = 0;
  for (;;) {
    const batch = await prisma.$executeRaw`
      DELETE FROM idempotency_record WHERE ctid IN (
        SELECT ctid FROM idempotency_record WHERE created_at < ${cutoff} LIMIT ${IDEMPOTENCY_CLEANUP_BATCH_MAX})`;
    deleted += batch;
    if (batch < IDEMPOTENCY_CLEANUP_BATCH_MAX) return deleted;
  }
}

/**
 * Runs the clean-up every IDEMPOTENCY_CLEANUP_INTERVAL_MS (and once at start)
 * for as long as the API process runs; returns the function that stops it.
 * A failed run is logged and the next one tries again.
 */
export function scheduleIdempotencyCleanup(prisma: PrismaClient, logger: Logger, clock: () => Date = () => new Date()): () => void {
  const run = () => {
    deleteExpiredIdempotencyRecords(prisma, clock()).then(
      (deleted) => {
        if (deleted > 0) logger.info({ deleted }, 'expired idempotency records deleted');
      },
      (error: unknown) => logger.warn({ err: error }, 'idempotency clean-up failed; retried at the next interval'),
    );
  };
  run();
  const timer = setInterval(run, IDEMPOTENCY_CLEANUP_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
