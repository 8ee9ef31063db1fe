/**
 * Custody monitoring: pledged lots must be counted at least every
 * stock-count interval of their line. An overdue lot is already ineligible in
 * the borrowing base (reason STOCK_COUNT_OVERDUE, computed from its last count
 * in prisma/custody/valuation.ts); here the monitor finds such lots and tells
 * the lender and the warehouse, once per overdue period.
 */
import { Prisma, type Db } from '../client';
import { tellOrganisations } from './notify';

export const OVERDUE_LOTS_PAGE_MAX = 500;

export interface OverdueStockCount {
  lienId: string;
  lotId: string;
  receiptNumber: string;
  creditLineId: string;
  lenderOrganisationId: string;
  warehouseOrganisationId: string;
  /** ISO time the count was due: last count (or pledge) + the line's interval. */
  dueAt: string;
}

interface OverdueRow {
  lien_id: string;
  lot_id: string;
  receipt_number: string;
  credit_line_id: string;
  lender_organisation_id: string;
  warehouse_organisation_id: string;
  due_at: Date;
}

/** One page (lien id order, after `afterLienId`) of pledged lots whose count is overdue at `now`. */
export async function overdueStockCounts(db: Db, input: { now: Date; afterLienId: string | null; limit: number }): Promise<OverdueStockCount[]> {
  const rows = await db.$queryRaw<OverdueRow[]>(Prisma.sql`
    SELECT li.id::text AS lien_id, l.id::text AS lot_id, l.receipt_number, cl.id::text AS credit_line_id,
           cl.lender_organisation_id::text AS lender_organisation_id, w.organisation_id::text AS warehouse_organisation_id,
           coalesce(counted.at, li.pledged_at) + cl.stock_count_interval_days * interval '24 hours' AS due_at
      FROM lien li
      JOIN lot l ON l.id = li.lot_id
      JOIN warehouse w ON w.id = l.warehouse_id
      JOIN credit_line cl ON cl.id = li.credit_line_id
      -- A count dated ahead of now beyond the clock skew is no count (as in valued_lots()).
     CROSS JOIN LATERAL (SELECT CASE WHEN l.last_counted_at <= ${input.now}::timestamptz + interval '5 minutes' THEN l.last_counted_at END AS at) counted
     WHERE li.released_at IS NULL AND cl.status <> 'CLOSED'
       AND coalesce(counted.at, li.pledged_at) < ${input.now}::timestamptz - cl.stock_count_interval_days * interval '24 hours'
       AND (${input.afterLienId}::uuid IS NULL OR li.id > ${input.afterLienId}::uuid)
     ORDER BY li.id
     LIMIT ${Math.min(input.limit, OVERDUE_LOTS_PAGE_MAX)}`);
  return rows.map((row) => ({
    lienId: row.lien_id,
    lotId: row.lot_id,
    receiptNumber: row.receipt_number,
    creditLineId: row.credit_line_id,
    lenderOrganisationId: row.lender_organisation_id,
    warehouseOrganisationId: row.warehouse_organisation_id,
    dueAt: row.due_at.toISOString(),
  }));
}

/** Tells the lender and the warehouse that each lot's count is overdue; once per lot and due time. */
export async function tellOverdueStockCounts(db: Db, overdue: readonly OverdueStockCount[]): Promise<void> {
  await tellOrganisations(
    db,
    overdue.flatMap((lot) =>
      [lot.lenderOrganisationId, lot.warehouseOrganisationId].map((organisationId) => ({
        organisationId,
        kind: 'STOCK_COUNT_OVERDUE',
        message:
          `Lot ${lot.receiptNumber} (${lot.lotId}) pledged to credit line ${lot.creditLineId} was due a stock count by ${lot.dueAt}; ` +
          'it is ineligible for borrowing until it is counted.',
        subjectType: 'lot',
        subjectId: lot.lotId,
        dedupeKey: `stock-count-overdue:${lot.lotId}:${lot.dueAt}:${organisationId}`,
      })),
    ),
  );
}
