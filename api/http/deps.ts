import type { Logger } from 'pino';
import type { PrismaClient } from '../../prisma/client';
import type { TemporalAccess } from '../../workflows/connection';

/** Everything a request handler may use; built once at start-up (or per test). */
export interface AppDeps {
  prisma: PrismaClient;
  logger: Logger;
  temporal: TemporalAccess;
}
