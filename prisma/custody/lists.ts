/**
 * What a party to custody can find without knowing an id first: the
 * warehouses it deals with and the release orders on lots it is party to (a
 * warehouse's queue of orders to confirm), filtered and paged.
 */
import type { Db, Prisma } from '../client';
import type { ReleaseOrder, ReleaseOrderKind, ReleaseOrderStatus, Warehouse } from '../generated/client';

/** The most rows of one page of these lists. */
export const CUSTODY_LISTS_PAGE_MAX = 200;

interface Page {
  afterId: string | null;
  /** The page size; one more row is read to tell whether a next page exists. */
  limit: number;
}

const paging = (page: Page) => ({
  take: Math.min(page.limit, CUSTODY_LISTS_PAGE_MAX) + 1,
  ...(page.afterId ? { cursor: { id: page.afterId }, skip: 1 } : {}),
});

/**
 * Warehouses an organisation deals with: a warehouse operator its own; a
 * lender those of the warehouse organisations it onboarded and those approved
 * on its lines; a seller those approved on its lines and those holding its goods.
 */
export async function warehousesVisibleTo(db: Db, organisationId: string, filter: Page & { organisationId?: string }): Promise<Warehouse[]> {
  const onboarded = await db.counterpart.findMany({ where: { lenderOrganisationId: organisationId, counterpartKind: 'WAREHOUSE' }, select: { counterpartOrganisationId: true } });
  return db.warehouse.findMany({
    where: {
      AND: [
        {
          OR: [
            { organisationId },
            { organisationId: { in: onboarded.map((row) => row.counterpartOrganisationId) } },
            { approvingLines: { some: { creditLine: { OR: [{ lenderOrganisationId: organisationId }, { sellerOrganisationId: organisationId }] } } } },
            { lots: { some: { sellerOrganisationId: organisationId } } },
          ],
        },
        filter.organisationId ? { organisationId: filter.organisationId } : {},
      ],
    },
    orderBy: { id: 'asc' },
    ...paging(filter),
  });
}

export interface ReleaseOrdersFilter extends Page {
  status?: ReleaseOrderStatus;
  kind?: ReleaseOrderKind;
  lotId?: string;
  warehouseId?: string;
  creditLineId?: string;
  /** When the order was given (created_at). */
  created?: { gte?: Date; lt?: Date };
}

/**
 * Release orders on lots the organisation is party to, oldest first (a queue):
 * the warehouse holding the lot, the lot's seller, the lender whose line the
 * authorisation lifts, and whoever gave the order.
 */
export async function releaseOrdersVisibleTo(db: Db, organisationId: string, filter: ReleaseOrdersFilter): Promise<ReleaseOrder[]> {
  const lenderLines = await db.creditLine.findMany({ where: { lenderOrganisationId: organisationId }, select: { id: true } });
  const visible: Prisma.ReleaseOrderWhereInput = {
    OR: [
      { lot: { warehouse: { organisationId } } },
      { lot: { sellerOrganisationId: organisationId } },
      { creditLineId: { in: lenderLines.map((line) => line.id) } },
      { createdByOrganisationId: organisationId },
    ],
  };
  return db.releaseOrder.findMany({
    where: {
      AND: [
        visible,
        filter.status ? { status: filter.status } : {},
        filter.kind ? { kind: filter.kind } : {},
        filter.lotId ? { lotId: filter.lotId } : {},
        filter.warehouseId ? { lot: { warehouseId: filter.warehouseId } } : {},
        filter.creditLineId ? { creditLineId: filter.creditLineId } : {},
        filter.created ? { createdAt: filter.created } : {},
      ],
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    ...paging(filter),
  });
}

/** The sale whose payment authorised each order (orders given for a sale's items), by order id. */
export async function salesOfReleaseOrders(db: Db, orderIds: readonly string[]): Promise<Map<string, string>> {
  if (orderIds.length === 0) return new Map();
  const items = await db.saleItem.findMany({ where: { releaseOrderId: { in: [...orderIds] } }, select: { releaseOrderId: true, saleId: true } });
  return new Map(items.map((item) => [item.releaseOrderId!, item.saleId]));
}
