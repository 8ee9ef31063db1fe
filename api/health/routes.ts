import { Router } from 'express';
import type { AppDeps } from '../http/deps';

/** Liveness needs nothing; readiness checks what requests depend on. Both are public. */
export function healthRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const database = await deps.prisma.$queryRaw`SELECT 1`.then(
      () => ({ available: true, reason: null }),
      (error: unknown) => ({ available: false, reason: (error as Error).message }),
    );
    res.json({ status: 'ok', database, temporal: deps.temporal.status() });
  });
  return router;
}
