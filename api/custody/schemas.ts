import { z } from 'zod';
import { ADJUSTMENT_KINDS } from '../../domain/custody';
import { decText } from '../../prisma/custody/store';
import type { CustodyEvent, Lot, ReleaseOrder, WarehouseLocation } from '../../prisma/generated/client';
import { notNegativeAt, orNull, Quantity, Timestamp, Uuid } from '../http/schemas';
import { ValidationError } from '../../domain/errors';
import type { Db } from '../../prisma/client';

export const Name = z.string().trim().min(1, 'must not be blank').max(200);
export const Reason = z.string().trim().min(1, 'is required: say why').max(1000);
export const LocationKind = z.enum(['STORE_ROOM', 'COLD_ROOM', 'VESSEL', 'TRUCK']);
export const CommodityCode = z.string().regex(/^[A-Z0-9_]{1,40}$/, 'must be upper-case letters, digits and _ such as "APPLE_FUJI"');
export const Grade = z.string().trim().min(1).max(100);

export const LocationView = z
  .object({ id: Uuid, warehouseId: Uuid, name: z.string(), kind: LocationKind, carrier: z.string().nullable(), voyage: z.string().nullable() })
  .meta({ id: 'WarehouseLocation' });

export const WarehouseView = z
  .object({ id: Uuid, organisationId: Uuid, name: z.string(), locations: z.array(LocationView) })
  .meta({ id: 'Warehouse' });

export const CommodityView = z
  .object({ code: CommodityCode, name: z.string(), unit: z.string(), grades: z.array(z.string()) })
  .meta({ id: 'Commodity' });

export const LotView = z
  .object({
    id: Uuid,
    warehouseId: Uuid,
    locationId: Uuid,
    sellerOrganisationId: Uuid,
    commodityCode: z.string(),
    grade: z.string(),
    quantity: Quantity,
    receiptNumber: z.string(),
    receivedAt: Timestamp,
    qualityHold: z.boolean(),
    countDifferenceFlag: z.boolean(),
    lastCountedAt: orNull(Timestamp),
    splitFromLotId: Uuid.nullable(),
  })
  .meta({ id: 'Lot' });

export const LotDetailView = LotView.extend({
  pledgedToCreditLineId: Uuid.nullable(),
  reserved: z
    .object({
      soldNotReleased: Quantity,
      authorisedNotConfirmed: Quantity,
      free: Quantity,
    })
    .meta({
      id: 'LotReservedQuantities',
      description:
        'What of the quantity held is promised: soldNotReleased (sold in a live sale, not yet released), authorisedNotConfirmed (authorised for release, not yet confirmed as gone), and free = quantity − both, what a split, an unpledge, a new sale or a new release order may take',
    }),
}).meta({ id: 'LotDetail' });

export const CustodyEventView = z
  .object({
    id: Uuid,
    seq: z.string(),
    lotId: Uuid,
    type: z.string(),
    actorUserId: Uuid,
    actorOrganisationId: Uuid,
    occurredAt: Timestamp,
    reason: z.string().nullable(),
    quantityBefore: Quantity,
    quantityAfter: Quantity,
    details: z.unknown(),
  })
  .meta({ id: 'CustodyEvent' });

export const ReleaseOrderKind = z.enum(['SELLER_INSTRUCTION', 'LENDER_AUTHORISATION']);
export const ReleaseOrderStatus = z.enum(['OPEN', 'COMPLETED']);

export const ReleaseOrderView = z
  .object({
    id: Uuid,
    lotId: Uuid,
    kind: ReleaseOrderKind,
    creditLineId: Uuid.nullable(),
    saleId: Uuid.nullable().meta({ description: "The sale whose payment authorised this order (GET /sales/{saleId}, readable by the warehouse holding its goods); null for any other order" }),
    quantityAuthorised: Quantity,
    quantityReleased: Quantity,
    quantityShort: Quantity,
    status: ReleaseOrderStatus,
    createdAt: Timestamp,
  })
  .meta({ id: 'ReleaseOrder', description: 'quantityShort: authorised but lost in custody before it left; never released' });

export const ReceiveLotBody = z.object({
  sellerOrganisationId: Uuid,
  commodityCode: CommodityCode,
  grade: Grade,
  quantity: Quantity,
  locationId: Uuid,
  receivedAt: Timestamp,
  receiptNumber: z.string().trim().min(1).max(100),
}).superRefine(notNegativeAt(['quantity', 'amount']));

export const AdjustBody = z
  .object({ quantityDelta: Quantity, kind: z.enum(ADJUSTMENT_KINDS), reason: Reason })
  .meta({ description: "quantityDelta: the signed change, in the lot's unit; negative for shrinkage, spoilage, damage" });

/** A quantity sent for a lot must be in the lot's unit; checked once the lot is known (the request's transaction then rolls back). */
export function requireLotUnit(field: string, sent: string, lot: { id: string; unit: string }): void {
  if (sent !== lot.unit) throw new ValidationError(field, `is ${sent}; lot ${lot.id} is held in ${lot.unit}`);
}

/** The unit of each lot, for views of records that name a lot but not its unit. */
export async function unitsOfLots(db: Db, lotIds: readonly string[]): Promise<Map<string, string>> {
  const lots = await db.lot.findMany({ where: { id: { in: [...new Set(lotIds)] } }, select: { id: true, unit: true } });
  return new Map(lots.map((lot) => [lot.id, lot.unit]));
}

export const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function locationView(location: WarehouseLocation): z.infer<typeof LocationView> {
  return { id: location.id, warehouseId: location.warehouseId, name: location.name, kind: location.kind, carrier: location.carrier, voyage: location.voyage };
}

export function lotView(lot: Lot): z.infer<typeof LotView> {
  return {
    id: lot.id,
    warehouseId: lot.warehouseId,
    locationId: lot.locationId,
    sellerOrganisationId: lot.sellerOrganisationId,
    commodityCode: lot.commodityCode,
    grade: lot.grade,
    quantity: { amount: decText(lot.quantity), unit: lot.unit },
    receiptNumber: lot.receiptNumber,
    receivedAt: lot.receivedAt.toISOString(),
    qualityHold: lot.qualityHold,
    countDifferenceFlag: lot.countDifferenceFlag,
    lastCountedAt: iso(lot.lastCountedAt),
    splitFromLotId: lot.splitFromLotId,
  };
}

export function eventView(event: CustodyEvent, unit: string): z.infer<typeof CustodyEventView> {
  return {
    id: event.id,
    seq: event.seq.toString(),
    lotId: event.lotId,
    type: event.type,
    actorUserId: event.actorUserId,
    actorOrganisationId: event.actorOrganisationId,
    occurredAt: event.occurredAt.toISOString(),
    reason: event.reason,
    quantityBefore: { amount: decText(event.quantityBefore), unit },
    quantityAfter: { amount: decText(event.quantityAfter), unit },
    details: event.details,
  };
}

export function releaseOrderView(order: ReleaseOrder, saleId: string | null, unit: string): z.infer<typeof ReleaseOrderView> {
  return {
    id: order.id,
    lotId: order.lotId,
    kind: order.kind,
    creditLineId: order.creditLineId,
    saleId,
    quantityAuthorised: { amount: decText(order.quantityAuthorised), unit },
    quantityReleased: { amount: decText(order.quantityReleased), unit },
    quantityShort: { amount: decText(order.quantityShort), unit },
    status: order.status,
    createdAt: order.createdAt.toISOString(),
  };
}
