/**
 * Sales, repayments and seller payouts across the lines an organisation is
 * party to, filtered and paged; and a sale as the warehouse that holds its
 * goods may read it (to confirm the release its payment authorised).
 */
import { NotFoundError } from '../../domain/errors';
import type { Db } from '../client';
import { lineIdsPartyTo } from '../credit-lines/store';
import type { Repayment, RepaymentKind, SaleStatus, SellerPayout } from '../generated/client';
import { saleVisibleTo, type SaleWithItems } from './store';

/** The most rows of one page of these lists. */
export const SALE_LISTS_PAGE_MAX = 200;

type Period = { gte?: Date; lt?: Date };

interface Page {
  afterId: string | null;
  /** The page size; one more row is read to tell whether a next page exists. */
  limit: number;
}

const paging = (page: Page) => ({
  take: Math.min(page.limit, SALE_LISTS_PAGE_MAX) + 1,
  ...(page.afterId ? { cursor: { id: page.afterId }, skip: 1 } : {}),
});

export interface SalesFilter extends Page {
  status?: SaleStatus;
  creditLineId?: string;
  buyerOrganisationId?: string;
  /** When reported (created_at). */
  reported?: Period;
}

/** Newest first: sales on lines the organisation is lender or seller on, and its purchases as a buyer. */
export async function salesVisibleTo(db: Db, organisationId: string, filter: SalesFilter): Promise<SaleWithItems[]> {
  const lineIds = await lineIdsPartyTo(db, organisationId);
  return db.sale.findMany({
    where: {
      AND: [
        { OR: [{ creditLineId: { in: lineIds } }, { buyerOrganisationId: organisationId }] },
        filter.creditLineId ? { creditLineId: filter.creditLineId } : {},
        filter.buyerOrganisationId ? { buyerOrganisationId: filter.buyerOrganisationId } : {},
        filter.status ? { status: filter.status } : {},
        filter.reported ? { createdAt: filter.reported } : {},
      ],
    },
    include: { items: { orderBy: { lotId: 'asc' } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    ...paging(filter),
  });
}

export interface RepaymentsFilter extends Page {
  kind?: RepaymentKind;
  creditLineId?: string;
  saleId?: string;
  /** By value date (received_on). */
  received?: Period;
}

/** Cash received on the organisation's lines (lender and seller), newest value date first. */
export async function repaymentsVisibleTo(db: Db, organisationId: string, filter: RepaymentsFilter): Promise<Repayment[]> {
  const lineIds = await lineIdsPartyTo(db, organisationId, filter.creditLineId);
  if (lineIds.length === 0) return [];
  return db.repayment.findMany({
    where: {
      creditLineId: { in: lineIds },
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.saleId ? { saleId: filter.saleId } : {}),
      ...(filter.received ? { receivedOn: filter.received } : {}),
    },
    orderBy: [{ receivedOn: 'desc' }, { createdAt: 'desc' }, { id: 'desc' }],
    ...paging(filter),
  });
}

export interface PayoutsFilter extends Page {
  creditLineId?: string;
  /** By value date (paid_on). */
  paid?: Period;
}

/** What the lender paid out to the seller on the organisation's lines (lender and seller), newest value date first. */
export async function payoutsVisibleTo(db: Db, organisationId: string, filter: PayoutsFilter): Promise<SellerPayout[]> {
  const lineIds = await lineIdsPartyTo(db, organisationId, filter.creditLineId);
  if (lineIds.length === 0) return [];
  return db.sellerPayout.findMany({
    where: { creditLineId: { in: lineIds }, ...(filter.paid ? { paidOn: filter.paid } : {}) },
    orderBy: [{ paidOn: 'desc' }, { createdAt: 'desc' }, { id: 'desc' }],
    ...paging(filter),
  });
}

export type SaleReader = 'PARTY' | 'WAREHOUSE';

/**
 * The sale, for its lender, seller and buyer (PARTY), or for the warehouse
 * organisation holding any of its goods (WAREHOUSE), which must confirm their
 * release; to anyone else it does not exist.
 */
export async function saleReadableBy(db: Db, organisationId: string, saleId: string): Promise<{ sale: SaleWithItems; reader: SaleReader }> {
  try {
    return { sale: await saleVisibleTo(db, organisationId, saleId), reader: 'PARTY' };
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  const sale = await db.sale.findUnique({ where: { id: saleId }, include: { items: { orderBy: { lotId: 'asc' } } } });
  const heldHere = sale ? await db.lot.count({ where: { id: { in: sale.items.map((item) => item.lotId) }, warehouse: { organisationId } } }) : 0;
  if (!sale || heldHere === 0) throw new NotFoundError('sale', saleId);
  return { sale, reader: 'WAREHOUSE' };
}
