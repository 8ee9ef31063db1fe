import { z } from 'zod';
import { D } from '../../domain/money';
import { requireObservedByNow } from '../../domain/observation-time';
import { visibleLot } from '../../prisma/custody/access';
import { lotFreeQuantity } from '../../prisma/custody/reservations';
import { decText } from '../../prisma/custody/store';
import { consentToUnpledge, pledgeLot, unpledgeLot } from '../../prisma/custody/liens';
import { confirmRelease, createReleaseOrder, visibleReleaseOrder } from '../../prisma/custody/releases';
import { salesOfReleaseOrders } from '../../prisma/custody/lists';
import { saleWorkflowOfReleaseOrder } from '../../prisma/sales/store';
import { custodyChangedSignal } from '../../workflows/sales/definitions';
import {
  addLocation,
  adjustLot,
  countLot,
  createCommodity,
  createWarehouse,
  inspectLot,
  listVisibleLots,
  locationsOfWarehouse,
  lotEvents,
  moveLot,
  ownWarehouse,
  receiveLot,
  splitLot,
  WAREHOUSE_LOCATIONS_MAX,
} from '../../prisma/custody/store';
import type { Db } from '../../prisma/client';
import type { WorkflowOutbox } from '../../workflows/outbox/transaction-outbox';
import { defineRoute } from '../http/route';
import { revalueLines } from '../margin/revaluation';
import { lineOfPledgedLot } from '../../prisma/margin/store';
import { PageQuery, Quantity, notNegativeAt, Timestamp, Uuid, decodeCursor, encodeCursor, listQuery, pageOf, periodWhere } from '../http/schemas';
import {
  AdjustBody,
  CommodityCode,
  CommodityView,
  CustodyEventView,
  Grade,
  LocationKind,
  LocationView,
  LotDetailView,
  LotView,
  Name,
  Reason,
  ReceiveLotBody,
  ReleaseOrderView,
  WarehouseView,
  eventView,
  locationView,
  lotView,
  releaseOrderView,
  requireLotUnit,
  unitsOfLots,
} from './schemas';

const TAG = 'Custody';
const LotParams = z.object({ lotId: Uuid });
const WarehouseParams = z.object({ warehouseId: Uuid });

/** Locations embedded in GET /warehouses/{id}; the rest are paged from GET /warehouses/{id}/locations. */
export const WAREHOUSE_LOCATIONS_EMBEDDED_MAX = 100;
const WarehouseDetail = WarehouseView.extend({
  locations: z.array(LocationView).meta({ description: `The first ${WAREHOUSE_LOCATIONS_EMBEDDED_MAX} locations, oldest first` }),
  locationsTruncated: z.boolean().meta({ description: `True when the warehouse has more than ${WAREHOUSE_LOCATIONS_EMBEDDED_MAX} locations: the rest are at locationsNext` }),
  locationsNext: z
    .string()
    .nullable()
    .meta({ description: 'When truncated, the link to the next page of GET /warehouses/{warehouseId}/locations (after the embedded ones); null when every location is embedded' }),
}).meta({ id: 'WarehouseDetail' });

export const custodyRoutes = [
  defineRoute({
    method: 'post',
    path: '/warehouses',
    operationId: 'createWarehouse',
    summary: 'Create a warehouse operated by your WAREHOUSE organisation',
    tag: TAG,
    problems: [403],
    body: z.object({ name: Name }),
    success: { status: 201, description: 'The warehouse', schema: WarehouseView },
    handler: async ({ db, actor, body }) => {
      const warehouse = await createWarehouse(db, actor, body);
      return { id: warehouse.id, organisationId: warehouse.organisationId, name: warehouse.name, locations: [] };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/warehouses/{warehouseId}',
    operationId: 'getWarehouse',
    summary: 'A warehouse of your organisation with its locations',
    tag: TAG,
    problems: [404],
    params: WarehouseParams,
    success: { status: 200, description: 'The warehouse', schema: WarehouseDetail },
    handler: async ({ db, actor, params }) => {
      const warehouse = await ownWarehouse(db, actor, params.warehouseId);
      const locations = await locationsOfWarehouse(db, actor, warehouse.id, { afterId: null, limit: WAREHOUSE_LOCATIONS_EMBEDDED_MAX + 1 });
      const embedded = locations.slice(0, WAREHOUSE_LOCATIONS_EMBEDDED_MAX);
      const truncated = locations.length > WAREHOUSE_LOCATIONS_EMBEDDED_MAX;
      return {
        id: warehouse.id,
        organisationId: warehouse.organisationId,
        name: warehouse.name,
        locations: embedded.map(locationView),
        locationsTruncated: truncated,
        locationsNext: truncated ? `/warehouses/${warehouse.id}/locations?cursor=${encodeCursor({ afterId: embedded[embedded.length - 1].id })}` : null,
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/warehouses/{warehouseId}/locations',
    operationId: 'listWarehouseLocations',
    summary: 'Locations of a warehouse of your organisation, oldest first, paged',
    tag: TAG,
    problems: [404],
    params: WarehouseParams,
    query: PageQuery,
    success: { status: 200, description: 'One page of locations; nextCursor is null on the last', schema: pageOf(LocationView) },
    handler: async ({ db, actor, params, query }) => {
      const cursor = decodeCursor(query.cursor, ['afterId']);
      const locations = await locationsOfWarehouse(db, actor, params.warehouseId, { afterId: cursor?.afterId ?? null, limit: query.limit + 1 });
      const page = locations.slice(0, query.limit);
      return { items: page.map(locationView), nextCursor: locations.length > query.limit ? encodeCursor({ afterId: page[page.length - 1].id }) : null };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/warehouses/{warehouseId}/locations',
    operationId: 'addWarehouseLocation',
    summary: `Add a location: a store room, a cold room, or a vessel/truck in transit (carrier required, voyage optional); at most ${WAREHOUSE_LOCATIONS_MAX} per warehouse (422)`,
    tag: TAG,
    problems: [403, 404, 409, 422],
    params: WarehouseParams,
    body: z.object({ name: Name, kind: LocationKind, carrier: Name.optional(), voyage: Name.optional() }),
    success: { status: 201, description: 'The location', schema: LocationView },
    handler: async ({ db, actor, params, body }) => locationView(await addLocation(db, actor, params.warehouseId, body)),
  }),
  defineRoute({
    method: 'post',
    path: '/commodities',
    operationId: 'createCommodity',
    summary: 'Define a commodity with its unit of measure and grades (warehouse or lender)',
    tag: TAG,
    problems: [403, 409],
    body: z.object({ code: CommodityCode, name: Name, unit: z.string().trim().min(1).max(20), grades: z.array(Grade).min(1).max(100) }),
    success: { status: 201, description: 'The commodity', schema: CommodityView },
    handler: async ({ db, actor, body }) => {
      const commodity = await createCommodity(db, actor, body);
      return { code: commodity.code, name: commodity.name, unit: commodity.unit, grades: commodity.grades };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/commodities',
    operationId: 'listCommodities',
    summary: 'Commodities (reference data), by code, paged',
    tag: TAG,
    query: PageQuery,
    success: { status: 200, description: 'One page of commodities by code; nextCursor is null on the last', schema: pageOf(CommodityView) },
    handler: async ({ db, query }) => {
      const after = decodeCursor(query.cursor, ['code']);
      const commodities = await db.commodity.findMany({ where: after ? { code: { gt: after.code } } : {}, orderBy: { code: 'asc' }, take: query.limit + 1 });
      const page = commodities.slice(0, query.limit);
      return {
        items: page.map((c) => ({ code: c.code, name: c.name, unit: c.unit, grades: c.grades })),
        nextCursor: commodities.length > query.limit ? encodeCursor({ code: page[page.length - 1].code }) : null,
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/warehouses/{warehouseId}/lots',
    operationId: 'receiveLot',
    summary: 'Receive goods: creates a lot with a warehouse receipt number unique within the warehouse (a duplicate is 409)',
    tag: TAG,
    problems: [403, 404, 409],
    params: WarehouseParams,
    body: ReceiveLotBody,
    success: { status: 201, description: 'The lot', schema: LotView },
    handler: async ({ db, actor, params, body }) =>
      lotView(await receiveLot(db, actor, params.warehouseId, { ...body, quantity: new D(body.quantity.amount), unit: body.quantity.unit, receivedAt: new Date(body.receivedAt) })),
  }),
  defineRoute({
    method: 'get',
    path: '/lots',
    operationId: 'listLots',
    summary: "Lots visible to you, by id: a warehouse its warehouses' lots, a seller its own, a lender those pledged to its lines; from/to filter on when the goods were received",
    tag: TAG,
    query: listQuery({
      warehouseId: Uuid.optional(),
      sellerOrganisationId: Uuid.optional(),
      commodityCode: CommodityCode.optional(),
      creditLineId: Uuid.optional().meta({ description: 'Only lots pledged now to this line' }),
    }),
    success: { status: 200, description: 'One page of lots by id', schema: pageOf(LotView) },
    handler: async ({ db, actor, query }) => {
      const cursor = decodeCursor(query.cursor, ['afterId']);
      const { warehouseId, sellerOrganisationId, commodityCode, creditLineId } = query;
      const lots = await listVisibleLots(db, actor, { afterId: cursor?.afterId ?? null, limit: query.limit }, { warehouseId, sellerOrganisationId, commodityCode, creditLineId, received: periodWhere(query) });
      return { items: lots.map(lotView), nextCursor: lots.length === query.limit ? encodeCursor({ afterId: lots[lots.length - 1].id }) : null };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/lots/{lotId}',
    operationId: 'getLot',
    summary: 'A lot, if you are a party to it',
    tag: TAG,
    problems: [404],
    params: LotParams,
    success: { status: 200, description: 'The lot', schema: LotDetailView },
    handler: async ({ db, actor, params }) => {
      const { lot } = await visibleLot(db, actor, params.lotId);
      const { soldNotReleased, authorisedNotConfirmed, free } = await lotFreeQuantity(db, lot);
      const quantity = (amount: typeof free) => ({ amount: decText(amount), unit: lot.unit });
      return {
        ...lotView(lot),
        pledgedToCreditLineId: lot.activeLien?.creditLineId ?? null,
        reserved: { soldNotReleased: quantity(soldNotReleased), authorisedNotConfirmed: quantity(authorisedNotConfirmed), free: quantity(free) },
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/lots/{lotId}/events',
    operationId: 'listLotEvents',
    summary: "A lot's full custody history (append-only events), oldest first",
    tag: TAG,
    problems: [404],
    params: LotParams,
    query: PageQuery,
    success: { status: 200, description: 'One page of events', schema: pageOf(CustodyEventView) },
    handler: async ({ db, actor, params, query }) => {
      const cursor = decodeCursor(query.cursor, ['afterSeq']);
      const events = await lotEvents(db, actor, params.lotId, { afterSeq: cursor ? BigInt(cursor.afterSeq) : null, limit: query.limit });
      const unit = (await unitsOfLots(db, [params.lotId])).get(params.lotId)!;
      return {
        items: events.map((event) => eventView(event, unit)),
        nextCursor: events.length === query.limit ? encodeCursor({ afterSeq: events[events.length - 1].seq.toString() }) : null,
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/lots/{lotId}/inspections',
    operationId: 'inspectLot',
    summary: 'Inspect a lot: set its grade and quality hold (warehouse)',
    tag: TAG,
    problems: [403, 404],
    params: LotParams,
    body: z.object({ grade: Grade.optional(), qualityHold: z.boolean(), reason: Reason }),
    success: { status: 201, description: 'The lot after inspection', schema: LotView },
    handler: async ({ db, actor, params, body, outbox, now }) => {
      const lot = lotView(await inspectLot(db, actor, params.lotId, body, now));
      await revalueLineOfLot(db, outbox, params.lotId);
      return lot;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/lots/{lotId}/moves',
    operationId: 'moveLot',
    summary: 'Move a lot to another location of its warehouse (warehouse)',
    tag: TAG,
    problems: [403, 404],
    params: LotParams,
    body: z.object({ toLocationId: Uuid, reason: Reason.optional() }),
    success: { status: 201, description: 'The lot after the move', schema: LotView },
    handler: async ({ db, actor, params, body, now }) => lotView(await moveLot(db, actor, params.lotId, body, now)),
  }),
  defineRoute({
    method: 'post',
    path: '/lots/{lotId}/splits',
    operationId: 'splitLot',
    summary: 'Split part of a lot into a new lot with its own receipt number; a pledged part stays pledged (warehouse)',
    tag: TAG,
    problems: [403, 404, 409],
    params: LotParams,
    body: z.object({ quantity: Quantity, receiptNumber: z.string().trim().min(1).max(100), reason: Reason.optional() }).superRefine(notNegativeAt(['quantity', 'amount'])),
    success: { status: 201, description: 'Both lots', schema: z.object({ parent: LotView, child: LotView }).meta({ id: 'LotSplit' }) },
    handler: async ({ db, actor, params, body, now }) => {
      const { parent, child } = await splitLot(db, actor, params.lotId, { ...body, quantity: new D(body.quantity.amount) }, now);
      requireLotUnit('body.quantity.unit', body.quantity.unit, parent);
      return { parent: lotView(parent), child: lotView(child) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/lots/{lotId}/adjustments',
    operationId: 'adjustLot',
    summary: 'Adjust a quantity (shrinkage, spoilage, damage…) with a reason (warehouse)',
    tag: TAG,
    problems: [403, 404],
    params: LotParams,
    body: AdjustBody,
    success: { status: 201, description: 'The lot after the adjustment', schema: LotView },
    handler: async ({ db, actor, params, body, outbox, now }) => {
      const adjusted = await adjustLot(db, actor, params.lotId, { ...body, quantityDelta: new D(body.quantityDelta.amount) }, now);
      requireLotUnit('body.quantityDelta.unit', body.quantityDelta.unit, adjusted);
      const lot = lotView(adjusted);
      // A loss changes the lot's value: its line is revalued, as after a count.
      await revalueLineOfLot(db, outbox, params.lotId);
      return lot;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/lots/{lotId}/stock-counts',
    operationId: 'countLot',
    summary: 'Record a stock count; a difference becomes an adjustment and flags the lot, a matching count clears the flag (warehouse)',
    tag: TAG,
    problems: [403, 404],
    params: LotParams,
    body: z.object({ countedQuantity: Quantity, countedAt: Timestamp, reason: Reason.optional() }).superRefine(notNegativeAt(['countedQuantity', 'amount'])),
    success: { status: 201, description: 'The lot after the count', schema: LotView },
    handler: async ({ db, actor, params, body, outbox, now }) => {
      // A count dated ahead of now would keep the lot "counted" for ever (domain/observation-time.ts).
      requireObservedByNow('body.countedAt', new Date(body.countedAt), now);
      const lot = await countLot(db, actor, params.lotId, { countedQuantity: new D(body.countedQuantity.amount), countedAt: new Date(body.countedAt), reason: body.reason }, now);
      requireLotUnit('body.countedQuantity.unit', body.countedQuantity.unit, lot);
      // A count changes the lot's value (a difference reduces the quantity and flags the lot): its line is revalued.
      const lineId = await lineOfPledgedLot(db, params.lotId);
      if (lineId !== null) await revalueLines(outbox, [lineId], 'STOCK_COUNT');
      return lotView(lot);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/lots/{lotId}/release-orders',
    operationId: 'orderRelease',
    summary: "Order a release: the seller's instruction for an unpledged lot, or the lender's authorisation for a lot pledged to its line",
    tag: TAG,
    problems: [403, 404],
    params: LotParams,
    body: z.object({ quantity: Quantity, reason: Reason.optional() }).superRefine(notNegativeAt(['quantity', 'amount'])),
    success: { status: 201, description: 'The release order', schema: ReleaseOrderView },
    // An order given through this route is never a sale's: those are given by the sale's settlement.
    handler: async ({ db, actor, params, body }) => {
      const order = await createReleaseOrder(db, actor, params.lotId, { quantity: new D(body.quantity.amount), reason: body.reason });
      const unit = (await unitsOfLots(db, [order.lotId])).get(order.lotId)!;
      requireLotUnit('body.quantity.unit', body.quantity.unit, { id: order.lotId, unit });
      return releaseOrderView(order, null, unit);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/release-orders/{orderId}',
    operationId: 'getReleaseOrder',
    summary: 'A release order, if you are a party to its lot',
    tag: TAG,
    problems: [404],
    params: z.object({ orderId: Uuid }),
    success: { status: 200, description: 'The release order', schema: ReleaseOrderView },
    handler: async ({ db, actor, params }) => {
      const order = await visibleReleaseOrder(db, actor, params.orderId);
      const unit = (await unitsOfLots(db, [order.lotId])).get(order.lotId)!;
      return releaseOrderView(order, (await salesOfReleaseOrders(db, [order.id])).get(order.id) ?? null, unit);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/release-orders/{orderId}/confirmations',
    operationId: 'confirmRelease',
    summary: 'The warehouse confirms the quantity that actually left; never more than held or still authorised',
    tag: TAG,
    problems: [403, 404],
    params: z.object({ orderId: Uuid }),
    body: z.object({ quantity: Quantity, releasedAt: Timestamp }).superRefine(notNegativeAt(['quantity', 'amount'])),
    success: {
      status: 201,
      description: 'The order after the release and the quantity left in the lot',
      schema: z.object({ order: ReleaseOrderView, lotQuantityAfter: Quantity }).meta({ id: 'ReleaseConfirmation' }),
    },
    handler: async ({ db, actor, params, body, outbox, now }) => {
      const { order, lotQuantityAfter } = await confirmRelease(db, actor, params.orderId, { quantity: new D(body.quantity.amount), releasedAt: new Date(body.releasedAt) }, now);
      const unit = (await unitsOfLots(db, [order.lotId])).get(order.lotId)!;
      requireLotUnit('body.quantity.unit', body.quantity.unit, { id: order.lotId, unit });
      // A sale's release: wake its settlement workflow now rather than at its next (hourly) poll.
      const saleWorkflowId = await saleWorkflowOfReleaseOrder(db, order.id);
      if (saleWorkflowId !== null) await outbox.signal(saleWorkflowId, custodyChangedSignal.name);
      return { order: releaseOrderView(order, (await salesOfReleaseOrders(db, [order.id])).get(order.id) ?? null, unit), lotQuantityAfter: { amount: lotQuantityAfter.toFixed(), unit } };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/lots/{lotId}/pledge',
    operationId: 'pledgeLot',
    summary: 'The seller pledges its lot to a credit line on which it is the borrower (one line at a time: 409 if pledged)',
    tag: TAG,
    problems: [403, 404, 409],
    params: LotParams,
    body: z.object({ creditLineId: Uuid }),
    success: { status: 201, description: 'The lien', schema: z.object({ lienId: Uuid, lotId: Uuid, creditLineId: Uuid, pledgedAt: Timestamp }).meta({ id: 'Lien' }) },
    handler: async ({ db, actor, params, body, outbox }) => {
      const lien = await pledgeLot(db, actor, params.lotId, body);
      await revalueLines(outbox, [lien.creditLineId], 'PLEDGE');
      return { lienId: lien.id, lotId: lien.lotId, creditLineId: lien.creditLineId, pledgedAt: lien.pledgedAt.toISOString() };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/lots/{lotId}/unpledge-consent',
    operationId: 'consentToUnpledge',
    summary: 'The lender consents to the seller unpledging the lot',
    tag: TAG,
    problems: [403, 404],
    params: LotParams,
    success: { status: 201, description: 'Consent recorded', schema: z.object({ lienId: Uuid, lenderConsentAt: Timestamp }) },
    handler: async ({ db, actor, params, now }) => {
      const lien = await consentToUnpledge(db, actor, params.lotId, now);
      return { lienId: lien.id, lenderConsentAt: lien.lenderConsentAt!.toISOString() };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/lots/{lotId}/unpledge',
    operationId: 'unpledgeLot',
    summary:
      "End a lot's lien; with principal outstanding or a draw reserved it needs the lender's consent and must not leave availability negative; never while part of the lot is sold or authorised to leave",
    tag: TAG,
    problems: [403, 404, 409],
    params: LotParams,
    success: { status: 201, description: 'The ended lien', schema: z.object({ lienId: Uuid, releasedAt: Timestamp }) },
    handler: async ({ db, actor, params, now }) => {
      const lien = await unpledgeLot(db, actor, params.lotId, now);
      return { lienId: lien.id, releasedAt: lien.releasedAt!.toISOString() };
    },
  }),
];

/** After a change to a pledged lot's value, its line is revalued (margin) once the change has committed. */
async function revalueLineOfLot(db: Db, outbox: WorkflowOutbox, lotId: string): Promise<void> {
  const lineId = await lineOfPledgedLot(db, lotId);
  if (lineId !== null) await revalueLines(outbox, [lineId], 'STOCK_COUNT');
}
