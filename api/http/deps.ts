import type { Logger } from 'pino';
import type { PrismaClient } from '../../prisma/client';
import type { TemporalAccess } from '../../workflows/connection';
import type { Metrics } from '../metrics';

/** Everything a request handler may use; built once at start-up (or per test). */
export interface AppDeps {
  prisma: PrismaClient;
  logger: Logger;
  temporal: TemporalAccess;
  /** Prometheus metrics; createApp makes a registry of its own when none is given. */
  metrics?: Metrics;
}
