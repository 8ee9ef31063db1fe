// Every list is paged and bounded: no endpoint answers an unbounded array or
// stops silently at a hidden maximum.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { allRoutes } from '../../api/app';
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
