/**
 * Releases: goods leave custody only through a release order — a seller's
 * instruction for an unpledged lot, or a lender's authorisation for a lot
 * pledged to its line — and the warehouse's confirmation of what actually left.
 *
 * Concurrency: every path locks the lot's line, then the lot, then the order
 * (prisma/locks.ts), so confirmations of one lot are serialised and each checks
 * against the quantity the previous one left; CHECK constraints back this up.
 *
 * An order reserves its quantity until it is confirmed (or goes short): a new
 * order takes only the lot's free quantity (sold goods leave only through
 * their sale's own order). Goods that leave a pledged lot reduce the line's
 * coverage, so a confirmation that would leave the line short of what it owes
 * and has reserved is refused (prisma/custody/coverage.ts) — except in a
 * liquidation, where the lender realises its collateral and the proceeds were
 * applied when it sold: there the reservations the line no longer covers are
 * refused instead (prisma/draws/store.ts refuseUncoveredReservations). Which
 * orders those are, each order records itself (liquidationOfMarginCallId): the
 * line being in liquidation exempts no other release the lender authorises.
 */
import type { Decimal } from 'decimal.js';
import { checkRelease, checkReleaseOrderQuantity, requireFreeQuantity } from '../../domain/custody';
import { BusinessRuleError, ForbiddenError, NotFoundError } from '../../domain/errors';
import { recordAudit } from '../audit/store';
import type { Db } from '../client';
import type { ReleaseOrder } from '../generated/client';
import { accessOf, loadLot, lockVisibleLot, requireActingRole, requireWarehouseOf, type CustodyActor } from './access';
import { lockReleaseOrders } from '../locks';
import { refuseUncoveredReservations } from '../draws/store';
import { lineCoverage, requireCoverageAfter } from './coverage';
import { lotFreeQuantity } from './reservations';
import { appendEvent, dec, decText } from './store';

export async function createReleaseOrder(
  db: Db,
  actor: CustodyActor,
  lotId: string,
  input: { quantity: Decimal; reason?: string },
  options: { forSaleItemId?: string; forLiquidationOfMarginCallId?: string } = {},
): Promise<ReleaseOrder> {
  const access = await lockVisibleLot(db, actor, lotId);
  const { lot } = access;
  requireActingRole(actor, 'order a release');
  let kind: ReleaseOrder['kind'];
  let creditLineId: string | null = null;
  if (access.isLender && lot.activeLien) {
    kind = 'LENDER_AUTHORISATION';
    creditLineId = lot.activeLien.creditLineId;
  } else if (access.isSeller) {
    if (lot.activeLien) {
      throw new BusinessRuleError(
        'lot_pledged',
        `the lot is pledged to credit line ${lot.activeLien.creditLineId}; it is released only against the lender's release authorisation`,
      );
    }
    kind = 'SELLER_INSTRUCTION';
  } else {
    throw new ForbiddenError("a release is ordered by the lot's seller (unpledged lot) or by the lender it is pledged to");
  }
  const held = dec(lot.quantity);
  checkReleaseOrderQuantity({ quantityHeld: held, quantityRequested: input.quantity, unit: lot.unit });
  // A sale's own order releases what the sale reserved (its caller checks the item); any other takes free goods only.
  if (options.forSaleItemId === undefined) {
    requireFreeQuantity({ free: await lotFreeQuantity(db, lot), quantityRequested: input.quantity, unit: lot.unit, what: 'a release order reserves what it authorises', field: 'body.quantity' });
  }
  const order = await db.releaseOrder.create({
    data: {
      lotId,
      kind,
      creditLineId,
      quantityAuthorised: input.quantity.toFixed(),
      createdByUserId: actor.userId,
      createdByOrganisationId: actor.organisationId,
      liquidationOfMarginCallId: options.forLiquidationOfMarginCallId ?? null,
    },
  });
  await appendEvent(db, actor, lotId, {
    type: 'RELEASE_ORDERED',
    quantityBefore: held,
    quantityAfter: held,
    reason: input.reason ?? null,
    details: { releaseOrderId: order.id, kind, quantityAuthorised: input.quantity.toFixed(), creditLineId },
  });
  await recordAudit(db, actor, { action: 'custody.release.ordered', targetType: 'release_order', targetId: order.id, after: { lotId, kind, creditLineId, quantityAuthorised: input.quantity.toFixed() } });
  return order;
}

/**
 * A release order is visible to whoever can see its lot, to whoever gave it, and to the lender whose
 * line it lifts the lien of (also once the lot has left that line): the parties GET /release-orders lists it to.
 */
export async function visibleReleaseOrder(db: Db, actor: CustodyActor, orderId: string): Promise<ReleaseOrder> {
  const order = await db.releaseOrder.findUnique({ where: { id: orderId } });
  if (!order) throw new NotFoundError('release order', orderId);
  const lot = await loadLot(db, order.lotId);
  const access = lot && accessOf(actor, lot);
  const isIssuer = order.createdByOrganisationId === actor.organisationId;
  const isLenderOfLine =
    order.creditLineId !== null &&
    (await db.creditLine.count({ where: { id: order.creditLineId, lenderOrganisationId: actor.organisationId } })) > 0;
  if (!access || (!access.isWarehouse && !access.isSeller && !access.isLender && !isIssuer && !isLenderOfLine)) throw new NotFoundError('release order', orderId);
  return order;
}

/** The warehouse confirms what actually left, at most what the order still allows and the lot holds. */
export async function confirmRelease(
  db: Db,
  actor: CustodyActor,
  orderId: string,
  input: { quantity: Decimal; releasedAt: Date },
  now: Date,
): Promise<{ order: ReleaseOrder; lotQuantityAfter: Decimal }> {
  const unlocked = await db.releaseOrder.findUnique({ where: { id: orderId }, select: { lotId: true } });
  if (!unlocked) throw new NotFoundError('release order', orderId);
  const access = await lockVisibleLot(db, actor, unlocked.lotId).catch((error: unknown) => {
    throw error instanceof NotFoundError ? new NotFoundError('release order', orderId) : error;
  });
  requireWarehouseOf(access, actor, 'confirm a release');
  const { lot } = access;
  await lockReleaseOrders(db, [orderId]);
  const order = await db.releaseOrder.findUniqueOrThrow({ where: { id: orderId } });
  if (order.status !== 'OPEN') throw new BusinessRuleError('release_order_completed', `release order ${orderId} is fully released`);
  if (order.kind === 'SELLER_INSTRUCTION' && lot.activeLien) {
    throw new BusinessRuleError('lot_pledged', "the lot was pledged after the seller's instruction; a pledged lot leaves only against the lender's authorisation");
  }
  if (order.kind === 'LENDER_AUTHORISATION' && lot.activeLien?.creditLineId !== order.creditLineId) {
    throw new BusinessRuleError('authorisation_no_longer_valid', `the authorisation was given under credit line ${order.creditLineId}, to which the lot is no longer pledged`);
  }
  const held = dec(lot.quantity);
  const released = dec(order.quantityReleased);
  const short = dec(order.quantityShort);
  const { quantityAfter, orderRemainingAfter } = checkRelease({
    quantityHeld: held,
    // What went short will never leave: the order allows only the rest.
    quantityAuthorised: dec(order.quantityAuthorised).minus(short),
    quantityAlreadyReleased: released,
    quantityRequested: input.quantity,
    unit: lot.unit,
  });
  // This order's own reservation is what it may take; everything else reserved in the lot stays.
  const free = await lotFreeQuantity(db, lot);
  requireFreeQuantity({
    free: { ...free, free: free.free.plus(dec(order.quantityAuthorised).minus(short).minus(released)) },
    quantityRequested: input.quantity,
    unit: lot.unit,
    what: `release order ${orderId} may take what it reserved and free goods`,
    field: 'body.quantity',
  });
  const checked = lot.activeLien !== null && (await coverageCheckedOnRelease(db, order));
  const before = lot.activeLien ? await lineCoverage(db, lot.activeLien.creditLineId, now) : null;
  await db.lot.update({ where: { id: lot.id }, data: { quantity: quantityAfter.toFixed() } });
  const updated = await db.releaseOrder.update({
    where: { id: orderId },
    data: { quantityReleased: released.plus(input.quantity).toFixed(), status: orderRemainingAfter.isZero() ? 'COMPLETED' : 'OPEN' },
  });
  if (before && checked) await requireCoverageAfter(db, before, 'release', now);
  else if (before) {
    // Goods that leave in a liquidation cannot be kept back: reservations they leave uncovered are refused.
    await refuseUncoveredReservations(db, {
      before,
      now,
      cause: `the release of ${input.quantity.toFixed()} ${lot.unit} from lot ${lot.receiptNumber} under release order ${orderId} took them out of the borrowing base`,
      actor,
    });
  }
  await appendEvent(db, actor, lot.id, {
    type: 'RELEASED',
    quantityBefore: held,
    quantityAfter,
    occurredAt: input.releasedAt,
    details: { releaseOrderId: orderId, kind: order.kind, creditLineId: order.creditLineId, quantity: input.quantity.toFixed() },
  });
  await recordAudit(db, actor, {
    action: 'custody.release.confirmed',
    targetType: 'release_order',
    targetId: orderId,
    before: { quantityReleased: decText(order.quantityReleased), lotQuantity: held.toFixed() },
    after: { quantityReleased: decText(updated.quantityReleased), lotQuantity: quantityAfter.toFixed() },
  });
  return { order: updated, lotQuantityAfter: quantityAfter };
}

/**
 * Goods of a sale leave through the sale's own order: once paid they no longer
 * secure the line, so their release cannot reduce coverage. Goods sold in a
 * liquidation were paid for when the lender recorded the sale — the order says
 * so itself. Any other authorised release of pledged goods is checked, whatever
 * state the line is in: a line in liquidation is no licence to release goods
 * for nothing (whole-system simulation, seed 86400).
 */
async function coverageCheckedOnRelease(db: Db, order: ReleaseOrder): Promise<boolean> {
  if (order.kind !== 'LENDER_AUTHORISATION') return false;
  if (order.liquidationOfMarginCallId !== null) return false;
  return (await db.saleItem.count({ where: { releaseOrderId: order.id } })) === 0;
}
