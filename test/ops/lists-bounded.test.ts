// Every list is paged and bounded: no endpoint answers an unbounded array or
// stops silently at a hidden maximum.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { allRoutes } from '../../api/app';
import { DRAWS_PAGE_MAX } from '../../prisma/draws/store';
import { LOT_EVENTS_PAGE_MAX, LOTS_PAGE_MAX } from '../../prisma/custody/store';
import { BORROWING_BASE_LOTS_PAGE_MAX, PRICE_MARKS_PAGE_MAX } from '../../prisma/custody/valuation';
import { MARGIN_CALLS_PAGE_MAX } from '../../prisma/margin/store';
import { NOTIFICATIONS_PAGE_MAX } from '../../prisma/notifications/store';
import { SALES_PAGE_MAX } from '../../prisma/sales/store';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';

function shapeOf(schema: unknown): Record<string, z.ZodType> | null {
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : null;
}

describe('every list endpoint', () => {
  test('a GET that answers a list of items or statement lines takes cursor and limit, and says where the next page starts', () => {
    // A list: a GET answering `items` (a detail such as getSale has items of its own), or one of the paged reports.
    const pagedReports = ['getCreditLineStatement', 'getBorrowingBase'];
    const lists = allRoutes().filter((route) => {
      const shape = shapeOf(route.success.schema);
      return route.method === 'get' && shape !== null && (('items' in shape && !route.operationId.startsWith('get')) || pagedReports.includes(route.operationId));
    });
    expect(lists.map((route) => route.operationId)).toEqual(expect.arrayContaining(['listCommodities', 'getCreditLineStatement', 'auditFeed', 'listLots']));
    const unbounded = lists
      .filter((route) => {
        const queryShape = shapeOf(route.query) ?? {};
        return !('cursor' in queryShape && 'limit' in queryShape && 'nextCursor' in shapeOf(route.success.schema)!);
      })
      .map((route) => `${route.method.toUpperCase()} ${route.path}`);
    expect(unbounded).toEqual([]);
  });
});

describe('page sizes', () => {
  // A store that takes fewer rows than the route let the client ask for answers a short page, and the route,
  // seeing fewer than `limit`, says there is no next page: the rest of the list silently disappears.
  test("no store clamps a page below the largest limit its route accepts", () => {
    const storeMaxByOperation: Record<string, number> = {
      listSales: SALES_PAGE_MAX,
      listDrawsOfLine: DRAWS_PAGE_MAX,
      listPendingApprovals: DRAWS_PAGE_MAX,
      listLots: LOTS_PAGE_MAX,
      listLotEvents: LOT_EVENTS_PAGE_MAX,
      listPriceMarks: PRICE_MARKS_PAGE_MAX,
      getBorrowingBase: BORROWING_BASE_LOTS_PAGE_MAX,
      listMarginCalls: MARGIN_CALLS_PAGE_MAX,
      listNotifications: NOTIFICATIONS_PAGE_MAX,
    };
    const routeMax = (operationId: string): number => {
      const route = allRoutes().find((candidate) => candidate.operationId === operationId);
      const limit = shapeOf(route?.query)?.limit as unknown as { unwrap(): { maxValue: number } };
      return limit.unwrap().maxValue;
    };
    const clamped = Object.entries(storeMaxByOperation)
      .filter(([operationId, storeMax]) => storeMax < routeMax(operationId))
      .map(([operationId, storeMax]) => `${operationId}: the route accepts limit=${routeMax(operationId)}, the store takes ${storeMax}`);
    expect(clamped).toEqual([]);
  });
});

describe('GET /commodities', () => {
  let api: TestApi;
  let lender: TestOrganisation;
  beforeAll(async () => {
    api = await createTestApi();
    lender = await api.organisation('LENDER');
  });
  afterAll(() => api.close());

  test('pages by code with a cursor (no silent stop at 1 000); a page larger than 200 is refused naming query.limit', async () => {
    const prefix = `PAGED_${randomUUID().replace(/-/g, '').slice(0, 8).toUpperCase()}`;
    const codes = ['A', 'B', 'C', 'D', 'E'].map((letter) => `${prefix}_${letter}`);
    for (const code of codes) await api.post(lender.admin, '/commodities', { code, name: `Commodity ${code}`, unit: 'kg', grades: ['A'] }).expect(201);

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.get(lender.admin, `/commodities?limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      const items = res.body.items as { code: string }[];
      pageSizes.push(items.length);
      seen.push(...items.map((item) => item.code));
      cursor = res.body.nextCursor as string | null;
    } while (cursor !== null && pageSizes.length < 50);
    expect(seen.filter((code) => code.startsWith(prefix))).toEqual(codes);
    expect([...seen].sort()).toEqual(seen);
    expect(pageSizes.at(-1)).toBeLessThanOrEqual(2);
    expect(pageSizes.slice(0, -1).every((size) => size === 2)).toBe(true);

    const tooLarge = await api.get(lender.admin, '/commodities?limit=201');
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.limit']);
    const forged = await api.get(lender.admin, '/commodities?cursor=forged');
    expect(forged.status).toBe(400);
    expect(forged.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.cursor']);
  });
});
