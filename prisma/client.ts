import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from './generated/client';

export { Prisma, PrismaClient };

/** A Prisma client or an open transaction: store functions take either. */
export type Db = PrismaClient | Prisma.TransactionClient;

export function createPrismaClient(databaseUrl: string, options: { poolMax?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.poolMax ?? 20 });
  return new PrismaClient({ adapter });
}

/**
 * Runs `work` in one READ COMMITTED transaction. Rows that must not change
 * under us are locked explicitly (SELECT … FOR UPDATE) by the store functions.
 */
export function inTransaction<T>(prisma: PrismaClient, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return prisma.$transaction(work, {
    isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted,
    maxWait: 10_000,
    timeout: 30_000,
  });
}
