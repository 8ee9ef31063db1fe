/** Margin calls across the lines an organisation is lender or seller on, filtered and paged. */
import type { Db } from '../client';
import { lineIdsPartyTo } from '../credit-lines/store';
import type { MarginCall, MarginCallStatus } from '../generated/client';
import { MARGIN_CALLS_PAGE_MAX } from './store';

export interface MarginCallsFilter {
  status?: MarginCallStatus;
  creditLineId?: string;
  /** When opened. */
  opened?: { gte?: Date; lt?: Date };
  afterId: string | null;
  limit: number;
}

/** Newest first (by opening); one row more than the page is read to tell whether a next page exists. */
export async function marginCallsVisibleTo(db: Db, organisationId: string, filter: MarginCallsFilter): Promise<MarginCall[]> {
  const lineIds = await lineIdsPartyTo(db, organisationId, filter.creditLineId);
  if (lineIds.length === 0) return [];
  return db.marginCall.findMany({
    where: { creditLineId: { in: lineIds }, ...(filter.status ? { status: filter.status } : {}), ...(filter.opened ? { openedAt: filter.opened } : {}) },
    orderBy: [{ openedAt: 'desc' }, { id: 'desc' }],
    take: Math.min(filter.limit, MARGIN_CALLS_PAGE_MAX) + 1,
    ...(filter.afterId ? { cursor: { id: filter.afterId }, skip: 1 } : {}),
  });
}
