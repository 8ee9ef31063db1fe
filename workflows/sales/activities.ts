/**
 * Activities of the sale-settlement workflow: each is one transaction over
 * prisma/sales/settlement.ts, idempotent by the sale's state (and, for
 * notifications, a key made of the workflow id and the notice kind).
 */
import { Context } from '@temporalio/activity';
import { assert } from '../../domain/errors';
import { inTransaction, type PrismaClient } from '../../prisma/client';
import {
  authoriseSaleRelease,
  closeSale,
  lapseSale,
  notifySaleParties,
  releaseProgress,
  saleState,
  type SaleParty,
} from '../../prisma/sales/settlement';
import type { SaleNoticeKind } from './definitions';

export interface SaleActivityDeps {
  prisma: PrismaClient;
}

export function createSaleActivities(deps: SaleActivityDeps) {
  const tx = <T>(work: Parameters<typeof inTransaction<T>>[1]) => inTransaction(deps.prisma, work);
  return {
    saleState: (saleId: string) => saleState(deps.prisma, saleId),
    lapseSale: (saleId: string) => tx((db) => lapseSale(db, saleId)),
    authoriseSaleRelease: (saleId: string) => tx((db) => authoriseSaleRelease(db, saleId)),
    saleReleaseProgress: (saleId: string) => releaseProgress(deps.prisma, saleId),
    closeSale: (saleId: string) => tx((db) => closeSale(db, saleId)),
    /** Tells each party once per sale and kind: the key is the workflow's id and the notice kind. */
    notifySaleParties: (saleId: string, notice: { kind: SaleNoticeKind; message: string; parties: SaleParty[] }) => {
      const workflowId = Context.current().info.workflowExecution?.workflowId;
      assert(workflowId !== undefined, 'notifySaleParties runs as an activity of a workflow, whose id keys the notification');
      return tx((db) => notifySaleParties(db, saleId, { ...notice, dedupeKey: `${workflowId}:${notice.kind}` }));
    },
  };
}

export type SaleActivities = ReturnType<typeof createSaleActivities>;
