import { drawsVisibleTo } from '../../prisma/draws/lists';
import { DRAWS_PAGE_MAX } from '../../prisma/draws/store';
import { defineRoute } from '../http/route';
import { Uuid, afterIdOf, listQuery, pageFrom, pageOf, periodWhere } from '../http/schemas';
import { DrawView, drawView } from './schemas';

export const drawListRoutes = [
  defineRoute({
    method: 'get',
    path: '/draws',
    operationId: 'listDraws',
    summary:
      'Draws across every line you are lender or seller on, newest first (a lender finds its pending draws with status=REQUESTED); from/to filter on when the draw was requested',
    tag: 'Draws',
    query: listQuery({ status: DrawView.shape.status.optional(), creditLineId: Uuid.optional() }, DRAWS_PAGE_MAX),
    success: { status: 200, description: 'One page of draws; nextCursor is null on the last', schema: pageOf(DrawView) },
    handler: async ({ db, actor, query }) =>
      pageFrom(
        await drawsVisibleTo(db, actor.organisationId, { status: query.status, creditLineId: query.creditLineId, requested: periodWhere(query), afterId: afterIdOf(query.cursor), limit: query.limit }),
        query.limit,
        drawView,
      ),
  }),
];
