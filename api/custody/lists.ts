import { z } from 'zod';
import { CUSTODY_LISTS_PAGE_MAX, releaseOrdersVisibleTo, salesOfReleaseOrders, warehousesVisibleTo } from '../../prisma/custody/lists';
import { defineRoute } from '../http/route';
import { afterIdOf, listQuery, pageFrom, pageOf, PageQuery, periodWhere, Timestamp, Uuid } from '../http/schemas';
import { ReleaseOrderStatus, ReleaseOrderKind, ReleaseOrderView, releaseOrderView, unitsOfLots } from './schemas';

const TAG = 'Custody';

const WarehouseSummary = z
  .object({ id: Uuid, organisationId: Uuid, name: z.string(), createdAt: Timestamp })
  .meta({ id: 'WarehouseSummary', description: 'A warehouse; its locations are read from the warehouse itself' });

export const custodyListRoutes = [
  defineRoute({
    method: 'get',
    path: '/warehouses',
    operationId: 'listWarehouses',
    summary:
      "Warehouses you deal with, by id: a warehouse operator its own; a lender those of the warehouse organisations it onboarded and those approved on its lines; a seller those approved on its lines or holding its goods",
    tag: TAG,
    query: PageQuery.extend({ organisationId: Uuid.optional().meta({ description: 'Only warehouses operated by this organisation' }) }),
    success: { status: 200, description: 'One page of warehouses; nextCursor is null on the last', schema: pageOf(WarehouseSummary) },
    handler: async ({ db, actor, query }) =>
      pageFrom(await warehousesVisibleTo(db, actor.organisationId, { organisationId: query.organisationId, afterId: afterIdOf(query.cursor), limit: query.limit }), query.limit, (warehouse) => ({
        id: warehouse.id,
        organisationId: warehouse.organisationId,
        name: warehouse.name,
        createdAt: warehouse.createdAt.toISOString(),
      })),
  }),
  defineRoute({
    method: 'get',
    path: '/release-orders',
    operationId: 'listReleaseOrders',
    summary:
      "Release orders on lots you are party to, oldest first: a warehouse's queue of orders to confirm (status=OPEN), a seller's and a lender's orders; from/to filter on when the order was given",
    tag: TAG,
    query: listQuery(
      {
        status: ReleaseOrderStatus.optional(),
        kind: ReleaseOrderKind.optional(),
        lotId: Uuid.optional(),
        warehouseId: Uuid.optional(),
        creditLineId: Uuid.optional(),
      },
      CUSTODY_LISTS_PAGE_MAX,
    ),
    success: { status: 200, description: 'One page of release orders; nextCursor is null on the last', schema: pageOf(ReleaseOrderView) },
    handler: async ({ db, actor, query }) => {
      const orders = await releaseOrdersVisibleTo(db, actor.organisationId, { ...query, created: periodWhere(query), afterId: afterIdOf(query.cursor) });
      const saleOf = await salesOfReleaseOrders(db, orders.map((order) => order.id));
      const unitOf = await unitsOfLots(db, orders.map((order) => order.lotId));
      return pageFrom(orders, query.limit, (order) => releaseOrderView(order, saleOf.get(order.id) ?? null, unitOf.get(order.lotId)!));
    },
  }),
];
