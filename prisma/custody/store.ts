/**
 * Custody store: warehouses, locations, commodities, lots and the operations on
 * them. Every operation locks the lot's line and then the lot (the lock order
 * of prisma/locks.ts), applies the pure rule from domain/custody.ts, writes the
 * lot, appends one custody event per lot touched and an audit record, all in
 * the caller's transaction.
 *
 * What is sold or authorised is reserved (prisma/custody/reservations.ts): a
 * split takes only free quantity; a loss beyond it is recorded and makes the
 * claims short. Every change that can reduce a pledged lot's value re-checks
 * the line's coverage (prisma/custody/coverage.ts): a split is refused if it
 * would leave a shortfall; a physical fact (adjustment, count, inspection,
 * move) is recorded and a shortfall it causes is told to lender and seller.
 */
import type { Decimal } from 'decimal.js';
import { adjustQuantity, requireFreeQuantity, splitQuantities, stockCountOutcome, type AdjustmentKind } from '../../domain/custody';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors';
import { D } from '../../domain/money';
import { recordAudit } from '../audit/store';
import { Prisma, type Db } from '../client';
import type { CustodyEventType, LocationKind, Lot } from '../generated/client';
import { lockVisibleLot, requireActingRole, requireWarehouseOf, visibleLot, type CustodyActor, type LotWithParties } from './access';
import { lineCoverage, requireCoverageAfter, tellCoverageShortfall, type LineCoverageAt } from './coverage';
import { lotFreeQuantity, lotReservations, recordShortage } from './reservations';
import { publishCustodyEvent } from './events';

export const LOT_EVENTS_PAGE_MAX = 200;

export function dec(value: Prisma.Decimal | string): Decimal {
  return new D(value.toString());
}

/** Plain decimal text without trailing zeros ("12.5", "0"). */
export function decText(value: Decimal | Prisma.Decimal): string {
  return new D(value.toString()).toFixed();
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

// ─── Warehouses, locations, commodities ──────────────────────────────────────

export async function createWarehouse(db: Db, actor: CustodyActor, input: { name: string }) {
  requireActingRole(actor, 'create warehouses');
  if (actor.organisationKind !== 'WAREHOUSE') throw new ForbiddenError('only a WAREHOUSE organisation operates warehouses');
  const warehouse = await db.warehouse.create({ data: { organisationId: actor.organisationId, name: input.name } });
  await recordAudit(db, actor, { action: 'custody.warehouse.created', targetType: 'warehouse', targetId: warehouse.id, after: { name: input.name } });
  return warehouse;
}

/**
 * Locations one warehouse may have. Every list of them is paged; the cap keeps
 * one warehouse's reference data (and a lot's choice of location) bounded.
 */
export const WAREHOUSE_LOCATIONS_MAX = 10_000;

/** A warehouse is visible only to its own organisation. */
export async function ownWarehouse(db: Db, actor: CustodyActor, warehouseId: string) {
  const warehouse = await db.warehouse.findUnique({ where: { id: warehouseId } });
  if (!warehouse || warehouse.organisationId !== actor.organisationId) throw new NotFoundError('warehouse', warehouseId);
  return warehouse;
}

/** Locations of a warehouse of the actor's organisation, oldest first: at most `limit`, after the location `afterId`. */
export async function locationsOfWarehouse(db: Db, actor: CustodyActor, warehouseId: string, page: { afterId: string | null; limit: number }) {
  await ownWarehouse(db, actor, warehouseId);
  if (page.afterId !== null) {
    const after = await db.warehouseLocation.findUnique({ where: { id: page.afterId }, select: { warehouseId: true } });
    if (after?.warehouseId !== warehouseId) throw new ValidationError('query.cursor', 'is not a position in the locations of this warehouse');
  }
  return db.warehouseLocation.findMany({
    where: { warehouseId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: page.limit,
    ...(page.afterId !== null ? { cursor: { id: page.afterId }, skip: 1 } : {}),
  });
}

export async function addLocation(
  db: Db,
  actor: CustodyActor,
  warehouseId: string,
  input: { name: string; kind: LocationKind; carrier?: string | null; voyage?: string | null },
) {
  await ownWarehouse(db, actor, warehouseId);
  requireActingRole(actor, 'add locations');
  const inTransit = input.kind === 'VESSEL' || input.kind === 'TRUCK';
  if (inTransit && !input.carrier) throw new ValidationError('body.carrier', `is required for a ${input.kind}: goods in transit record their carrier`);
  if (!inTransit && (input.carrier || input.voyage)) throw new ValidationError('body.carrier', `applies only to a VESSEL or TRUCK, not a ${input.kind}`);
  // Serialises additions to one warehouse so that two at once cannot both pass the cap (NO KEY UPDATE: lots received meanwhile are not blocked).
  await db.$queryRaw`SELECT id FROM warehouse WHERE id = ${warehouseId}::uuid FOR NO KEY UPDATE`;
  const existing = await db.warehouseLocation.count({ where: { warehouseId } });
  if (existing >= WAREHOUSE_LOCATIONS_MAX) {
    throw new BusinessRuleError('warehouse_locations_limit', `warehouse ${warehouseId} already has ${existing} locations, the most a warehouse may have (${WAREHOUSE_LOCATIONS_MAX})`);
  }
  try {
    const location = await db.warehouseLocation.create({
      data: { warehouseId, name: input.name, kind: input.kind, carrier: input.carrier ?? null, voyage: input.voyage ?? null },
    });
    await recordAudit(db, actor, { action: 'custody.location.created', targetType: 'warehouse_location', targetId: location.id, after: { warehouseId, ...input } });
    return location;
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`warehouse ${warehouseId} already has a location named "${input.name}"`);
    throw error;
  }
}

export async function createCommodity(db: Db, actor: CustodyActor, input: { code: string; name: string; unit: string; grades: string[] }) {
  requireActingRole(actor, 'define commodities');
  if (actor.organisationKind !== 'WAREHOUSE' && actor.organisationKind !== 'LENDER') {
    throw new ForbiddenError('commodities are defined by a warehouse or a lender');
  }
  if (new Set(input.grades).size !== input.grades.length) throw new ValidationError('body.grades', 'must not repeat a grade');
  try {
    const commodity = await db.commodity.create({ data: input });
    await recordAudit(db, actor, { action: 'custody.commodity.created', targetType: 'commodity', targetId: commodity.code, after: input });
    return commodity;
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`commodity "${input.code}" already exists`);
    throw error;
  }
}

export async function requireCommodityGrade(db: Db, commodityCode: string, grade: string, field = 'body') {
  const commodity = await db.commodity.findUnique({ where: { code: commodityCode } });
  if (!commodity) throw new ValidationError(`${field}.commodityCode`, `"${commodityCode}" is not a known commodity; define it with POST /commodities`);
  if (!commodity.grades.includes(grade)) {
    throw new ValidationError(`${field}.grade`, `"${grade}" is not a grade of ${commodityCode}; known grades: ${commodity.grades.join(', ') || 'none'}`);
  }
  return commodity;
}

// ─── Events ──────────────────────────────────────────────────────────────────

/** Appends one custody event; returns its id. */
async function appendEvent(
  db: Db,
  actor: CustodyActor,
  lotId: string,
  event: { type: CustodyEventType; quantityBefore: Decimal; quantityAfter: Decimal; reason?: string | null; details?: Prisma.InputJsonValue; occurredAt?: Date },
): Promise<string> {
  const created = await db.custodyEvent.create({
    data: {
      lotId,
      type: event.type,
      actorUserId: actor.userId,
      actorOrganisationId: actor.organisationId,
      reason: event.reason ?? null,
      quantityBefore: event.quantityBefore.toFixed(),
      quantityAfter: event.quantityAfter.toFixed(),
      details: event.details ?? Prisma.JsonNull,
      requestId: actor.requestId,
      ...(event.occurredAt ? { occurredAt: event.occurredAt } : {}),
    },
    select: { id: true, occurredAt: true },
  });
  await publishCustodyEvent(db, lotId, { ...event, occurredAt: created.occurredAt }, actor.requestId);
  return created.id;
}

export { appendEvent };

export async function lotEvents(db: Db, actor: CustodyActor, lotId: string, page: { afterSeq: bigint | null; limit: number }) {
  await visibleLot(db, actor, lotId);
  return db.custodyEvent.findMany({
    where: { lotId, ...(page.afterSeq !== null ? { seq: { gt: page.afterSeq } } : {}) },
    orderBy: { seq: 'asc' },
    take: Math.min(page.limit, LOT_EVENTS_PAGE_MAX),
  });
}

// ─── Lots ────────────────────────────────────────────────────────────────────

export interface ReceiveLotInput {
  sellerOrganisationId: string;
  commodityCode: string;
  grade: string;
  quantity: Decimal;
  unit: string;
  locationId: string;
  receivedAt: Date;
  receiptNumber: string;
}

export async function receiveLot(db: Db, actor: CustodyActor, warehouseId: string, input: ReceiveLotInput): Promise<Lot> {
  await ownWarehouse(db, actor, warehouseId);
  requireActingRole(actor, 'receive goods');
  const location = await db.warehouseLocation.findUnique({ where: { id: input.locationId } });
  if (!location || location.warehouseId !== warehouseId) throw new ValidationError('body.locationId', `is not a location of warehouse ${warehouseId}`);
  const commodity = await requireCommodityGrade(db, input.commodityCode, input.grade);
  if (input.unit !== commodity.unit) {
    throw new BusinessRuleError('unit_not_convertible', `${commodity.code} is held in ${commodity.unit}; no conversion from ${input.unit} is defined`, 'body.quantity.unit');
  }
  const seller = await db.organisation.findUnique({ where: { id: input.sellerOrganisationId } });
  if (!seller || seller.kind !== 'SELLER') throw new ValidationError('body.sellerOrganisationId', 'is not a SELLER organisation');
  if (!input.quantity.gt(0)) throw new ValidationError('body.quantity', 'must be greater than zero');
  // ON CONFLICT keeps the transaction usable after a duplicate receipt, so the request can answer 409 cleanly.
  const inserted = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO lot (id, warehouse_id, location_id, seller_organisation_id, commodity_code, grade, quantity, unit, receipt_number, received_at, updated_at)
    VALUES (gen_random_uuid(), ${warehouseId}::uuid, ${input.locationId}::uuid, ${input.sellerOrganisationId}::uuid, ${input.commodityCode},
            ${input.grade}, ${input.quantity.toFixed()}::numeric, ${input.unit}, ${input.receiptNumber}, ${input.receivedAt}, now())
    ON CONFLICT (warehouse_id, receipt_number) DO NOTHING
    RETURNING id::text`;
  if (inserted.length === 0) {
    throw new ConflictError(`warehouse receipt number "${input.receiptNumber}" is already used in warehouse ${warehouseId}; each receipt number is issued once`, 'body.receiptNumber');
  }
  const lot = await db.lot.findUniqueOrThrow({ where: { id: inserted[0].id } });
  await appendEvent(db, actor, lot.id, { type: 'RECEIVED', quantityBefore: new D(0), quantityAfter: input.quantity, occurredAt: input.receivedAt, details: { receiptNumber: input.receiptNumber, locationId: input.locationId } });
  await recordAudit(db, actor, { action: 'custody.lot.received', targetType: 'lot', targetId: lot.id, after: lotAuditView(lot) });
  return lot;
}

function lotAuditView(lot: Lot): Prisma.InputJsonValue {
  return {
    quantity: decText(lot.quantity),
    grade: lot.grade,
    locationId: lot.locationId,
    qualityHold: lot.qualityHold,
    countDifferenceFlag: lot.countDifferenceFlag,
    receiptNumber: lot.receiptNumber,
  };
}

async function auditLotChange(db: Db, actor: CustodyActor, action: string, before: Lot, after: Lot): Promise<void> {
  await recordAudit(db, actor, { action, targetType: 'lot', targetId: after.id, before: lotAuditView(before), after: lotAuditView(after) });
}

export async function inspectLot(db: Db, actor: CustodyActor, lotId: string, input: { grade?: string; qualityHold: boolean; reason: string }, now: Date): Promise<Lot> {
  const { lot } = await lockWarehouseLot(db, actor, lotId, 'inspect a lot');
  if (input.grade !== undefined) await requireCommodityGrade(db, lot.commodityCode, input.grade);
  const before = await coverageOfLot(db, lot, now);
  const updated = await db.lot.update({ where: { id: lotId }, data: { grade: input.grade ?? lot.grade, qualityHold: input.qualityHold } });
  const quantity = dec(lot.quantity);
  const eventId = await appendEvent(db, actor, lotId, {
    type: 'INSPECTED',
    quantityBefore: quantity,
    quantityAfter: quantity,
    reason: input.reason,
    details: { gradeBefore: lot.grade, gradeAfter: updated.grade, qualityHold: input.qualityHold },
  });
  if (before) await tellCoverageShortfall(db, before, 'inspection', { now, lotId, eventId });
  await auditLotChange(db, actor, 'custody.lot.inspected', lot, updated);
  return updated;
}

export async function moveLot(db: Db, actor: CustodyActor, lotId: string, input: { toLocationId: string; reason?: string }, now: Date): Promise<Lot> {
  const { lot } = await lockWarehouseLot(db, actor, lotId, 'move a lot');
  const before = await coverageOfLot(db, lot, now);
  const location = await db.warehouseLocation.findUnique({ where: { id: input.toLocationId } });
  if (!location || location.warehouseId !== lot.warehouseId) {
    throw new ValidationError('body.toLocationId', `is not a location of the lot's warehouse ${lot.warehouseId}`);
  }
  if (location.id === lot.locationId) throw new BusinessRuleError('already_there', `the lot is already at location ${location.name}`, 'body.toLocationId');
  const updated = await db.lot.update({ where: { id: lotId }, data: { locationId: location.id } });
  const quantity = dec(lot.quantity);
  const eventId = await appendEvent(db, actor, lotId, {
    type: 'MOVED',
    quantityBefore: quantity,
    quantityAfter: quantity,
    reason: input.reason ?? null,
    details: { fromLocationId: lot.locationId, toLocationId: location.id, kind: location.kind, carrier: location.carrier, voyage: location.voyage },
  });
  // A move may change eligibility (e.g. a location the line does not accept): the line is re-checked.
  if (before) await tellCoverageShortfall(db, before, 'move', { now, lotId, eventId });
  await auditLotChange(db, actor, 'custody.lot.moved', lot, updated);
  return updated;
}

/** Splits part of a lot into a new lot (new receipt). A pledged lot's part stays pledged to the same line. */
export async function splitLot(
  db: Db,
  actor: CustodyActor,
  lotId: string,
  input: { quantity: Decimal; receiptNumber: string; reason?: string },
  now: Date,
): Promise<{ parent: Lot; child: Lot }> {
  const { lot } = await lockWarehouseLot(db, actor, lotId, 'split a lot');
  const held = dec(lot.quantity);
  const { remaining, splitOff } = splitQuantities(held, input.quantity, lot.unit);
  // Sold and authorised goods stay with the lot their sale or order names.
  requireFreeQuantity({ free: await lotFreeQuantity(db, lot), quantityRequested: splitOff, unit: lot.unit, what: 'a split takes goods out of the lot', field: 'body.quantity' });
  const before = await coverageOfLot(db, lot, now);
  const inserted = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO lot (id, warehouse_id, location_id, seller_organisation_id, commodity_code, grade, quantity, unit, receipt_number,
                     received_at, quality_hold, count_difference_flag, last_counted_at, split_from_lot_id, updated_at)
    SELECT gen_random_uuid(), warehouse_id, location_id, seller_organisation_id, commodity_code, grade, ${splitOff.toFixed()}::numeric, unit,
           ${input.receiptNumber}, received_at, quality_hold, count_difference_flag, last_counted_at, id, now()
      FROM lot WHERE id = ${lotId}::uuid
    ON CONFLICT (warehouse_id, receipt_number) DO NOTHING
    RETURNING id::text`;
  if (inserted.length === 0) {
    throw new ConflictError(`warehouse receipt number "${input.receiptNumber}" is already used in warehouse ${lot.warehouseId}`, 'body.receiptNumber');
  }
  const childId = inserted[0].id;
  const parent = await db.lot.update({ where: { id: lotId }, data: { quantity: remaining.toFixed() } });
  if (lot.activeLien) {
    await db.lien.create({ data: { lotId: childId, creditLineId: lot.activeLien.creditLineId, pledgedByUserId: lot.activeLien.pledgedByUserId, pledgedAt: lot.activeLien.pledgedAt } });
  }
  const child = await db.lot.findUniqueOrThrow({ where: { id: childId } });
  await appendEvent(db, actor, lotId, { type: 'SPLIT_OUT', quantityBefore: held, quantityAfter: remaining, reason: input.reason ?? null, details: { toLotId: childId } });
  await appendEvent(db, actor, childId, { type: 'SPLIT_IN', quantityBefore: new D(0), quantityAfter: splitOff, reason: input.reason ?? null, details: { fromLotId: lotId, creditLineId: lot.activeLien?.creditLineId ?? null } });
  await auditLotChange(db, actor, 'custody.lot.split', lot, parent);
  await recordAudit(db, actor, { action: 'custody.lot.split_in', targetType: 'lot', targetId: childId, after: lotAuditView(child) });
  // The child inherits the lien, grade, holds and counts, so the line's value should not move; checked all the same.
  if (before) await requireCoverageAfter(db, before, 'split', now);
  return { parent, child };
}

export async function adjustLot(
  db: Db,
  actor: CustodyActor,
  lotId: string,
  input: { quantityDelta: Decimal; kind: AdjustmentKind; reason: string },
  now: Date,
): Promise<Lot> {
  const { lot } = await lockWarehouseLot(db, actor, lotId, 'adjust a lot');
  const held = dec(lot.quantity);
  const after = adjustQuantity({ quantityHeld: held, quantityDelta: input.quantityDelta, reason: input.reason, unit: lot.unit });
  const reservations = await lotReservations(db, lotId);
  const before = await coverageOfLot(db, lot, now);
  const updated = await db.lot.update({ where: { id: lotId }, data: { quantity: after.toFixed() } });
  const eventId = await appendEvent(db, actor, lotId, { type: 'ADJUSTED', quantityBefore: held, quantityAfter: after, reason: input.reason, details: { kind: input.kind } });
  await recordShortage(db, reservations, { lot, heldAfter: after, cause: 'adjustment', eventId, now });
  if (before) await tellCoverageShortfall(db, before, 'adjustment', { now, lotId, eventId });
  await auditLotChange(db, actor, 'custody.lot.adjusted', lot, updated);
  return updated;
}

/** A count with a difference adjusts the quantity to what was counted and flags the lot; a matching count clears the flag. */
export async function countLot(
  db: Db,
  actor: CustodyActor,
  lotId: string,
  input: { countedQuantity: Decimal; countedAt: Date; reason?: string },
  now: Date,
): Promise<Lot> {
  const { lot } = await lockWarehouseLot(db, actor, lotId, 'record a stock count');
  const held = dec(lot.quantity);
  const { quantityDelta, flagged } = stockCountOutcome(held, input.countedQuantity);
  const reservations = await lotReservations(db, lotId);
  const before = await coverageOfLot(db, lot, now);
  const updated = await db.lot.update({
    where: { id: lotId },
    data: { quantity: input.countedQuantity.toFixed(), countDifferenceFlag: flagged, lastCountedAt: input.countedAt },
  });
  let eventId = await appendEvent(db, actor, lotId, {
    type: 'COUNTED',
    quantityBefore: held,
    quantityAfter: held,
    reason: input.reason ?? null,
    occurredAt: input.countedAt,
    details: { countedQuantity: input.countedQuantity.toFixed(), difference: quantityDelta.toFixed(), flagged },
  });
  if (flagged) {
    eventId = await appendEvent(db, actor, lotId, {
      type: 'ADJUSTED',
      quantityBefore: held,
      quantityAfter: input.countedQuantity,
      reason: `stock count difference ${quantityDelta.toFixed()} ${lot.unit}`,
      details: { kind: 'COUNT_DIFFERENCE' },
    });
  }
  await recordShortage(db, reservations, { lot, heldAfter: input.countedQuantity, cause: 'stock count', eventId, now });
  if (before) await tellCoverageShortfall(db, before, 'stock count', { now, lotId, eventId });
  await auditLotChange(db, actor, 'custody.lot.counted', lot, updated);
  return updated;
}

/** The coverage of the line the lot is pledged to (whose lock the caller holds), or null for an unpledged lot. */
async function coverageOfLot(db: Db, lot: LotWithParties, now: Date): Promise<LineCoverageAt | null> {
  return lot.activeLien ? lineCoverage(db, lot.activeLien.creditLineId, now) : null;
}

async function lockWarehouseLot(db: Db, actor: CustodyActor, lotId: string, what: string): Promise<{ lot: LotWithParties }> {
  const access = await lockVisibleLot(db, actor, lotId);
  requireWarehouseOf(access, actor, what);
  return { lot: access.lot };
}

export const LOTS_PAGE_MAX = 200;

export interface LotsFilter {
  warehouseId?: string;
  sellerOrganisationId?: string;
  commodityCode?: string;
  /** Lots pledged now to this line. */
  creditLineId?: string;
  /** When received. */
  received?: { gte?: Date; lt?: Date };
}

/**
 * Lots the actor may see (warehouse: in its warehouses; seller: its own; lender: pledged to its lines), by id,
 * narrowed by `filter` (a filter never widens what the actor may see).
 */
export async function listVisibleLots(db: Db, actor: CustodyActor, page: { afterId: string | null; limit: number }, filter: LotsFilter = {}) {
  const visibility: Prisma.LotWhereInput =
    actor.organisationKind === 'WAREHOUSE'
      ? { warehouse: { organisationId: actor.organisationId } }
      : actor.organisationKind === 'SELLER'
        ? { sellerOrganisationId: actor.organisationId }
        : actor.organisationKind === 'LENDER'
          ? { liens: { some: { releasedAt: null, creditLineId: { in: (await db.creditLine.findMany({ where: { lenderOrganisationId: actor.organisationId }, select: { id: true } })).map((line) => line.id) } } } }
          : { id: { in: [] } };
  const narrowing: Prisma.LotWhereInput = {
    ...(filter.warehouseId ? { warehouseId: filter.warehouseId } : {}),
    ...(filter.sellerOrganisationId ? { sellerOrganisationId: filter.sellerOrganisationId } : {}),
    ...(filter.commodityCode ? { commodityCode: filter.commodityCode } : {}),
    ...(filter.creditLineId ? { liens: { some: { releasedAt: null, creditLineId: filter.creditLineId } } } : {}),
    ...(filter.received ? { receivedAt: filter.received } : {}),
  };
  return db.lot.findMany({
    where: { AND: [visibility, narrowing, page.afterId ? { id: { gt: page.afterId } } : {}] },
    orderBy: { id: 'asc' },
    take: Math.min(page.limit, LOTS_PAGE_MAX),
  });
}
