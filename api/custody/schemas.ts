import { z } from 'zod';
import { ADJUSTMENT_KINDS } from '../../domain/custody';
import { decText } from '../../prisma/custody/store';
import type { CustodyEvent, Lot, ReleaseOrder, WarehouseLocation } from '../../prisma/generated/client';
import { DecimalString, IsoDateTime, NonNegativeDecimalString, Uuid } from '../http/schemas';

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
    quantity: DecimalString,
    unit: z.string(),
    receiptNumber: z.string(),
    receivedAt: z.string(),
    qualityHold: z.boolean(),
    countDifferenceFlag: z.boolean(),
    lastCountedAt: z.string().nullable(),
    splitFromLotId: Uuid.nullable(),
  })
  .meta({ id: 'Lot' });

export const LotDetailView = LotView.extend({
  pledgedToCreditLineId: Uuid.nullable(),
}).meta({ id: 'LotDetail' });

export const CustodyEventView = z
  .object({
    id: Uuid,
    seq: z.string(),
    lotId: Uuid,
    type: z.string(),
    actorUserId: Uuid,
    actorOrganisationId: Uuid,
    occurredAt: z.string(),
    reason: z.string().nullable(),
    quantityBefore: DecimalString,
    quantityAfter: DecimalString,
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
    quantityAuthorised: DecimalString,
    quantityReleased: DecimalString,
    quantityShort: DecimalString.describe('authorised but lost in custody before it left; never released'),
    status: ReleaseOrderStatus,
    createdAt: z.string(),
  })
  .meta({ id: 'ReleaseOrder' });

export const ReceiveLotBody = z.object({
  sellerOrganisationId: Uuid,
  commodityCode: CommodityCode,
  grade: Grade,
  quantity: NonNegativeDecimalString,
  unit: z.string().min(1).max(20),
  locationId: Uuid,
  receivedAt: IsoDateTime,
  receiptNumber: z.string().trim().min(1).max(100),
});

export const AdjustBody = z.object({
  quantityDelta: DecimalString.meta({ description: 'Signed change in the lot unit; negative for shrinkage, spoilage, damage' }),
  kind: z.enum(ADJUSTMENT_KINDS),
  reason: Reason,
});

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
    quantity: decText(lot.quantity),
    unit: lot.unit,
    receiptNumber: lot.receiptNumber,
    receivedAt: lot.receivedAt.toISOString(),
    qualityHold: lot.qualityHold,
    countDifferenceFlag: lot.countDifferenceFlag,
    lastCountedAt: iso(lot.lastCountedAt),
    splitFromLotId: lot.splitFromLotId,
  };
}

export function eventView(event: CustodyEvent): z.infer<typeof CustodyEventView> {
  return {
    id: event.id,
    seq: event.seq.toString(),
    lotId: event.lotId,
    type: event.type,
    actorUserId: event.actorUserId,
    actorOrganisationId: event.actorOrganisationId,
    occurredAt: event.occurredAt.toISOString(),
    reason: event.reason,
    quantityBefore: decText(event.quantityBefore),
    quantityAfter: decText(event.quantityAfter),
    details: event.details,
  };
}

export function releaseOrderView(order: ReleaseOrder, saleId: string | null): z.infer<typeof ReleaseOrderView> {
  return {
    id: order.id,
    lotId: order.lotId,
    kind: order.kind,
    creditLineId: order.creditLineId,
    saleId,
    quantityAuthorised: decText(order.quantityAuthorised),
    quantityReleased: decText(order.quantityReleased),
    quantityShort: decText(order.quantityShort),
    status: order.status,
    createdAt: order.createdAt.toISOString(),
  };
}
