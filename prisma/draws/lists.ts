/**
 * Draws across the lines an organisation is party to (a lender's pending
 * draws over all its lines, a seller's over all of its own), filtered and paged.
 */
import type { Db } from '../client';
import { lineIdsPartyTo } from '../credit-lines/store';
import type { DrawStatus } from '../generated/client';
import { DRAWS_PAGE_MAX, type DrawRecord } from './store';

export interface DrawsFilter {
  status?: DrawStatus;
  creditLineId?: string;
  /** When requested (created_at). */
  requested?: { gte?: Date; lt?: Date };
  afterId: string | null;
  /** The page size; one more row is read to tell whether a next page exists. */
  limit: number;
}

/** Newest first; only draws on lines `organisationId` is lender or seller on. */
export async function drawsVisibleTo(db: Db, organisationId: string, filter: DrawsFilter): Promise<DrawRecord[]> {
  const lineIds = await lineIdsPartyTo(db, organisationId, filter.creditLineId);
  if (lineIds.length === 0) return [];
  return db.draw.findMany({
    where: { creditLineId: { in: lineIds }, ...(filter.status ? { status: filter.status } : {}), ...(filter.requested ? { createdAt: filter.requested } : {}) },
    include: { decisions: { orderBy: { decidedAt: 'asc' } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(filter.limit, DRAWS_PAGE_MAX) + 1,
    ...(filter.afterId ? { cursor: { id: filter.afterId }, skip: 1 } : {}),
  });
}
