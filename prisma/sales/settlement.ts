/**
 * What the sale-settlement workflow does to the database, one transaction per
 * call. Each call is idempotent: it checks the sale's state under a row lock
 * and does nothing the sale already has (release orders are remembered on the
 * sale items, notifications carry a dedupe key), so a retried activity never
 * acts twice.
 */
import type { Decimal } from 'decimal.js';
import { InvariantViolation, NotFoundError, assert } from '../../domain/errors';
import { D, Money } from '../../domain/money';
import { recordEvent } from '../events/store';
import type { Db, Prisma } from '../client';
import { createReleaseOrder } from '../custody/releases';
import type { SaleStatus } from '../generated/client';
import { lockLines, lockLots, lockSales } from '../locks';
import { notify } from '../notifications/store';

const dec = (value: Prisma.Decimal | string): Decimal => new D(value.toString());

export type SaleParty = 'SELLER' | 'LENDER' | 'BUYER' | 'WAREHOUSE';

export interface SaleState {
  saleId: string;
  status: SaleStatus;
  /** 'YYYY-MM-DD' */
  paymentDueDate: string;
}

export async function saleState(db: Db, saleId: string): Promise<SaleState> {
  const sale = await db.sale.findUnique({ where: { id: saleId } });
  if (!sale) throw new NotFoundError('sale', saleId);
  return { saleId, status: sale.status, paymentDueDate: sale.paymentDueDate.toISOString().slice(0, 10) };
}

async function lockSale(db: Db, saleId: string) {
  await lockSales(db, [saleId]);
  const sale = await db.sale.findUnique({ where: { id: saleId }, include: { items: { orderBy: { lotId: 'asc' } } } });
  if (!sale) throw new NotFoundError('sale', saleId);
  return sale;
}

/**
 * A fully paid sale's goods may leave: one lender release authorisation per
 * sold lot, for the quantity sold. The authorisation is given in the name of
 * the lender's user who recorded the payment that completed the sale — that
 * payment is what authorises it. An item that went entirely short (a loss in
 * custody, see prisma/custody/reservations.ts) has nothing to release and no
 * order. Returns the sale's release orders.
 *
 * Locks in the order of prisma/locks.ts: the line, the sold lots, the sale.
 */
export async function authoriseSaleRelease(db: Db, saleId: string): Promise<{ status: SaleStatus; releaseOrderIds: string[] }> {
  const unlocked = await db.sale.findUnique({ where: { id: saleId }, include: { items: true } });
  if (!unlocked) throw new NotFoundError('sale', saleId);
  await lockLines(db, [unlocked.creditLineId]);
  await lockLots(db, unlocked.items.map((item) => item.lotId));
  const sale = await lockSale(db, saleId);
  if (sale.status === 'RELEASE_AUTHORISED' || sale.status === 'CLOSED') {
    return { status: sale.status, releaseOrderIds: sale.items.map((item) => item.releaseOrderId!).filter(Boolean) };
  }
  if (sale.status !== 'PAID') throw new InvariantViolation(`the release of sale ${saleId} is authorised only once it is PAID; it is ${sale.status}`);
  const completing = await db.repayment.findFirst({ where: { saleId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  assert(completing !== null, `a PAID sale ${saleId} has a recorded payment`);
  const user = await db.user.findUniqueOrThrow({ where: { id: completing.recordedByUserId } });
  const actor = { userId: user.id, organisationId: user.organisationId, organisationKind: 'LENDER' as const, role: user.role, requestId: null };
  const releaseOrderIds: string[] = [];
  for (const item of sale.items) {
    if (item.releaseOrderId) {
      releaseOrderIds.push(item.releaseOrderId);
      continue;
    }
    if (dec(item.quantity).isZero()) continue;
    const order = await createReleaseOrder(db, actor, item.lotId, { quantity: dec(item.quantity), reason: `sale ${saleId} paid in full` }, { forSaleItemId: item.id });
    await db.saleItem.update({ where: { id: item.id }, data: { releaseOrderId: order.id } });
    releaseOrderIds.push(order.id);
  }
  await db.sale.update({ where: { id: saleId }, data: { status: 'RELEASE_AUTHORISED', releaseAuthorisedAt: new Date() } });
  return { status: 'RELEASE_AUTHORISED', releaseOrderIds };
}

export interface ReleaseProgress {
  allReleased: boolean;
  /** Quantity still to leave per lot, as decimal strings. */
  outstanding: { lotId: string; releaseOrderId: string; quantityToLeave: string }[];
}

/** How much of the sold goods the warehouse has confirmed leaving. */
export async function releaseProgress(db: Db, saleId: string): Promise<ReleaseProgress> {
  const items = await db.saleItem.findMany({ where: { saleId }, orderBy: { lotId: 'asc' } });
  const outstanding: ReleaseProgress['outstanding'] = [];
  for (const item of items) {
    if (item.releaseOrderId === null) {
      assert(dec(item.quantity).isZero(), `sale item ${item.id} has a release order once its release is authorised, unless all of it went short`);
      continue;
    }
    const order = await db.releaseOrder.findUniqueOrThrow({ where: { id: item.releaseOrderId } });
    // What went short in custody will never leave.
    const toLeave = dec(order.quantityAuthorised).minus(dec(order.quantityReleased)).minus(dec(order.quantityShort));
    if (toLeave.gt(0)) outstanding.push({ lotId: item.lotId, releaseOrderId: order.id, quantityToLeave: toLeave.toFixed() });
  }
  return { allReleased: outstanding.length === 0, outstanding };
}

/** Closes a sale whose goods have all left. */
export async function closeSale(db: Db, saleId: string): Promise<{ status: SaleStatus }> {
  const sale = await lockSale(db, saleId);
  if (sale.status === 'CLOSED') return { status: 'CLOSED' };
  if (sale.status !== 'RELEASE_AUTHORISED') throw new InvariantViolation(`sale ${saleId} is closed only after its release is authorised; it is ${sale.status}`);
  const progress = await releaseProgress(db, saleId);
  if (!progress.allReleased) throw new InvariantViolation(`sale ${saleId} is closed only once all its goods have left; still to leave ${JSON.stringify(progress.outstanding)}`);
  await db.sale.update({ where: { id: saleId }, data: { status: 'CLOSED', closedAt: new Date() } });
  await recordEvent(db, 'sale.closed', { subjectId: saleId, parties: await partiesOfSale(db, sale), data: { saleId, creditLineId: sale.creditLineId } });
  return { status: 'CLOSED' };
}

/**
 * At the due date an OPEN sale lapses (payments so far stay applied; its goods
 * stay pledged). A sale paid meanwhile does not lapse: the caller gets its
 * status and carries on with the release.
 */
export async function lapseSale(db: Db, saleId: string): Promise<{ lapsed: boolean; status: SaleStatus }> {
  const sale = await lockSale(db, saleId);
  if (sale.status === 'LAPSED') return { lapsed: true, status: 'LAPSED' };
  if (sale.status !== 'OPEN') return { lapsed: false, status: sale.status };
  await db.sale.update({ where: { id: saleId }, data: { status: 'LAPSED', lapsedAt: new Date() } });
  await recordEvent(db, 'sale.lapsed', {
    subjectId: saleId,
    parties: await partiesOfSale(db, sale),
    data: {
      saleId,
      creditLineId: sale.creditLineId,
      totalPrice: Money.of(dec(sale.totalPrice), sale.currency).toJSON(),
      amountPaid: Money.of(dec(sale.amountPaid), sale.currency).toJSON(),
      paymentDueDate: sale.paymentDueDate.toISOString().slice(0, 10),
    },
  });
  return { lapsed: true, status: 'LAPSED' };
}

/** A sale concerns its line's lender, its seller and its buyer. */
async function partiesOfSale(db: Db, sale: { creditLineId: string; sellerOrganisationId: string; buyerOrganisationId: string }): Promise<string[]> {
  const line = await db.creditLine.findUniqueOrThrow({ where: { id: sale.creditLineId }, select: { lenderOrganisationId: true } });
  return [line.lenderOrganisationId, sale.sellerOrganisationId, sale.buyerOrganisationId];
}

export interface SaleNotice {
  kind: string;
  message: string;
  parties: readonly SaleParty[];
  /** Unique per telling (workflow + activity identity): a retried call tells nobody twice. */
  dedupeKey: string;
}

/** Stores one notification per organisation told; returns the organisations told. */
export async function notifySaleParties(db: Db, saleId: string, notice: SaleNotice): Promise<string[]> {
  const organisations = await partyOrganisations(db, saleId, notice.parties);
  for (const organisationId of organisations) {
    await notify(db, { organisationId, kind: notice.kind, message: notice.message, subjectType: 'sale', subjectId: saleId, dedupeKey: `${notice.dedupeKey}:${organisationId}` });
  }
  return organisations;
}

async function partyOrganisations(db: Db, saleId: string, parties: readonly SaleParty[]): Promise<string[]> {
  const sale = await db.sale.findUnique({ where: { id: saleId }, include: { items: true } });
  if (!sale) throw new NotFoundError('sale', saleId);
  const line = await db.creditLine.findUniqueOrThrow({ where: { id: sale.creditLineId }, select: { lenderOrganisationId: true } });
  const found: string[] = [];
  for (const party of parties) {
    if (party === 'SELLER') found.push(sale.sellerOrganisationId);
    if (party === 'BUYER') found.push(sale.buyerOrganisationId);
    if (party === 'LENDER') found.push(line.lenderOrganisationId);
    if (party === 'WAREHOUSE') {
      const lots = await db.lot.findMany({ where: { id: { in: sale.items.map((item) => item.lotId) } }, include: { warehouse: true } });
      found.push(...lots.map((lot) => lot.warehouse.organisationId));
    }
  }
  return [...new Set(found)];
}
