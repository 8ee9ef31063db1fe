import type { Logger } from 'pino';
import type { PrismaClient } from '../prisma/client';
import type { WorkflowGateway } from './connection';

/** What activities may use. Workflows never see this: they only call activities. */
export interface ActivityDeps {
  prisma: PrismaClient;
  logger: Logger;
  /** Temporal, for activities that start or signal other workflows (absent in some tests). */
  workflows?: () => WorkflowGateway;
}
