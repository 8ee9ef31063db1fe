import { Router } from 'express';
import type { AppDeps } from '../http/deps';
import { withTimeout } from '../../workflows/with-timeout';
import { databaseUnavailableReason } from '../../prisma/availability';
import type { DatabaseState } from '../../prisma/database';

/**
 * How long a readiness probe waits for one dependency before calling it
 * unavailable. Generous because a process's first Prisma query compiles the
 * query engine (about 2 s on our machines); probes should allow more.
 */
export const READINESS_CHECK_TIMEOUT_MS = 5_000;

export interface DependencyState {
  available: boolean;
  /** Why the dependency is unavailable, in words an operator can act on; null when available. */
  reason: string | null;
}

/** The informative line of an error message (Prisma's start with a blank line and end with the cause). */
function lastLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return lines[lines.length - 1] ?? (error instanceof Error ? error.name : 'unknown error');
}

async function databaseState(deps: AppDeps, timeoutMs: number, watched: (() => DatabaseState) | undefined): Promise<DependencyState> {
  // The watch already knows (e.g. the embedded server crashed and is restarting): say so without waiting on a query.
  const seen = watched?.();
  if (seen && !seen.available) return { available: false, reason: `the database is unavailable: ${seen.reason}` };
  try {
    await withTimeout(deps.prisma.$queryRaw`SELECT 1`, timeoutMs, 'the database');
    return { available: true, reason: null };
  } catch (error) {
    const unavailable = databaseUnavailableReason(error);
    return { available: false, reason: unavailable ? `the database is unavailable: ${unavailable}` : `the database query failed: ${lastLine(error)}` };
  }
}

/**
 * `/health` is liveness: the process is up and serving; it touches nothing, so
 * a slow database never gets a healthy process restarted. `/ready` is
 * readiness: 200 only when the database answers and Temporal is reachable,
 * else 503; the body gives each dependency's state and reason. Both are public.
 */
export function healthRouter(deps: AppDeps, options: { checkTimeoutMs?: number; databaseState?: () => DatabaseState } = {}): Router {
  const timeoutMs = options.checkTimeoutMs ?? READINESS_CHECK_TIMEOUT_MS;
  const router = Router();
  router.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const [database, temporal] = await Promise.all([databaseState(deps, timeoutMs, options.databaseState), deps.temporal.probe(timeoutMs)]);
    const ready = database.available && temporal.available;
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'not_ready', database, temporal });
  });
  return router;
}
