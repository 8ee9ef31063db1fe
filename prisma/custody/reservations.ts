/**
 * What is reserved in a lot (domain/custody.ts freeQuantity): quantities sold
 * in live sales and not yet released, and release orders that no sale stands
 * behind, authorised and not yet confirmed. The caller holds the lot's lock.
 *
 * When a loss leaves the lot holding less than its reservations (physical
 * reality wins), recordShortage allocates the difference to the claims
 * (domain allocateShortage), marks the sales concerned short and tells their
 * lender, seller and buyer:
 *
 *   sale_item.quantity        what is still to be delivered (reduced by the shortage)
 *   sale_item.quantity_short  what was sold and is no longer there
 *   sale.short_at             set when any of its items went short
 *   release_order.quantity_short  what the order will never release; an order
 *                             whose authorised = released + short is COMPLETED
 *
 * so that the valuation (valued_lots: sold and not gone = item quantity −
 * released) never exceeds what the lot holds, and a paid sale's release can be
 * confirmed for what is there.
 */
import type { Decimal } from 'decimal.js';
import { allocateShortage, freeQuantity, type FreeQuantity, type LotReservation, type ShortAllocation } from '../../domain/custody';
import { D } from '../../domain/money';
import type { Db } from '../client';
import { lockReleaseOrders, lockSales } from '../locks';
import { notify } from '../notifications/store';

interface ReservationRow {
  kind: 'SALE_ITEM' | 'RELEASE_ORDER';
  id: string;
  sale_id: string | null;
  release_order_id: string | null;
  outstanding: string;
  created_at: Date;
}

/** The lot's open claims (live sale items, release orders without a sale), each with what it still expects to leave. */
export async function lotReservations(db: Db, lotId: string): Promise<LotReservation[]> {
  const rows = await db.$queryRaw<ReservationRow[]>`
    SELECT 'SALE_ITEM' AS kind, si.id::text AS id, s.id::text AS sale_id, si.release_order_id::text AS release_order_id,
           (si.quantity - coalesce(ro.quantity_released, 0))::text AS outstanding, s.created_at
      FROM sale_item si
      JOIN sale s ON s.id = si.sale_id AND s.status IN ('OPEN', 'PAID', 'RELEASE_AUTHORISED')
      LEFT JOIN release_order ro ON ro.id = si.release_order_id
     WHERE si.lot_id = ${lotId}::uuid
    UNION ALL
    SELECT 'RELEASE_ORDER', ro.id::text, NULL, ro.id::text,
           (ro.quantity_authorised - ro.quantity_released - ro.quantity_short)::text, ro.created_at
      FROM release_order ro
     WHERE ro.lot_id = ${lotId}::uuid AND ro.status = 'OPEN'
       AND NOT EXISTS (SELECT 1 FROM sale_item si WHERE si.release_order_id = ro.id)`;
  return rows
    .map((row) => ({ kind: row.kind, id: row.id, saleId: row.sale_id, releaseOrderId: row.release_order_id, outstanding: new D(row.outstanding), createdAt: row.created_at }))
    .filter((reservation) => reservation.outstanding.gt(0));
}

export async function lotFreeQuantity(db: Db, lot: { id: string; quantity: { toString(): string } }): Promise<FreeQuantity> {
  return freeQuantity(new D(lot.quantity.toString()), await lotReservations(db, lot.id));
}

export interface ShortageContext {
  lot: { id: string; receiptNumber: string; unit: string; sellerOrganisationId: string };
  heldAfter: Decimal;
  /** What happened: 'adjustment', 'stock count'. */
  cause: string;
  /** The custody event that recorded the loss: keys the notifications. */
  eventId: string;
  now: Date;
}

/** Allocates a loss beyond the lot's free quantity to its claims and tells the parties; returns the allocations. */
export async function recordShortage(db: Db, reservations: readonly LotReservation[], context: ShortageContext): Promise<ShortAllocation[]> {
  const allocations = allocateShortage(context.heldAfter, reservations);
  if (allocations.length === 0) return [];
  // Lock order: the caller holds the line and the lot; release orders, then sales.
  await lockReleaseOrders(db, allocations.flatMap((a) => (a.reservation.releaseOrderId ? [a.reservation.releaseOrderId] : [])));
  await lockSales(db, allocations.flatMap((a) => (a.reservation.saleId ? [a.reservation.saleId] : [])));
  for (const { reservation, quantityShort } of allocations) {
    if (reservation.releaseOrderId !== null) await shortenReleaseOrder(db, reservation.releaseOrderId, quantityShort);
    if (reservation.kind === 'SALE_ITEM') {
      await shortenSaleItem(db, reservation, quantityShort, context);
    } else {
      await tellReleaseOrderShort(db, reservation.id, quantityShort, context);
    }
  }
  return allocations;
}

async function shortenReleaseOrder(db: Db, orderId: string, quantityShort: Decimal): Promise<void> {
  await db.$executeRaw`
    UPDATE release_order
       SET quantity_short = quantity_short + ${quantityShort.toFixed()}::numeric,
           status = CASE WHEN quantity_released + quantity_short + ${quantityShort.toFixed()}::numeric = quantity_authorised
                         THEN 'COMPLETED'::"ReleaseOrderStatus" ELSE status END,
           updated_at = now()
     WHERE id = ${orderId}::uuid`;
}

async function shortenSaleItem(db: Db, reservation: LotReservation, quantityShort: Decimal, context: ShortageContext): Promise<void> {
  const item = await db.saleItem.update({
    where: { id: reservation.id },
    data: { quantity: { decrement: quantityShort.toFixed() }, quantityShort: { increment: quantityShort.toFixed() } },
  });
  const sale = await db.sale.findUniqueOrThrow({ where: { id: item.saleId } });
  if (sale.shortAt === null) await db.sale.update({ where: { id: sale.id }, data: { shortAt: context.now } });
  const line = await db.creditLine.findUniqueOrThrow({ where: { id: sale.creditLineId }, select: { lenderOrganisationId: true } });
  const { lot } = context;
  const sold = new D(item.quantity.toString()).plus(item.quantityShort.toString());
  const message =
    `sale ${sale.id} is short ${quantityShort.toFixed()} ${lot.unit} of lot ${lot.receiptNumber}: a ${context.cause} left the lot holding ${context.heldAfter.toFixed()} ${lot.unit}; ` +
    `of the ${sold.toFixed()} ${lot.unit} sold from it, ${new D(item.quantityShort.toString()).toFixed()} ${lot.unit} is short and ${new D(item.quantity.toString()).toFixed()} ${lot.unit} can still be delivered`;
  for (const organisationId of new Set([line.lenderOrganisationId, sale.sellerOrganisationId, sale.buyerOrganisationId])) {
    await notify(db, { organisationId, kind: 'sale.short', message, subjectType: 'sale', subjectId: sale.id, dedupeKey: `sale-short:${context.eventId}:${sale.id}:${organisationId}` });
  }
}

async function tellReleaseOrderShort(db: Db, orderId: string, quantityShort: Decimal, context: ShortageContext): Promise<void> {
  const order = await db.releaseOrder.findUniqueOrThrow({ where: { id: orderId } });
  const line = order.creditLineId ? await db.creditLine.findUniqueOrThrow({ where: { id: order.creditLineId }, select: { lenderOrganisationId: true } }) : null;
  const { lot } = context;
  const message = `release order ${orderId} is short ${quantityShort.toFixed()} ${lot.unit}: a ${context.cause} left lot ${lot.receiptNumber} holding ${context.heldAfter.toFixed()} ${lot.unit}`;
  for (const organisationId of new Set([lot.sellerOrganisationId, order.createdByOrganisationId, ...(line ? [line.lenderOrganisationId] : [])])) {
    await notify(db, { organisationId, kind: 'release_order.short', message, subjectType: 'release_order', subjectId: orderId, dedupeKey: `release-short:${context.eventId}:${orderId}:${organisationId}` });
  }
}
