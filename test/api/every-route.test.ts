import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { allRoutes } from '../../api/app';
import { createTestApi, type TestApi } from '../support/api';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

function concretePath(path: string): string {
  return path.replace(/\{\w+\}/g, () => randomUUID());
}

test('every route refuses a request without an API key with 401 problem+json', async () => {
  const routes = allRoutes();
  expect(routes.length).toBeGreaterThan(10);
  for (const route of routes) {
    const res = await request(api.app)[route.method](concretePath(route.path)).set('Idempotency-Key', randomUUID()).send({});
    expect({ route: `${route.method} ${route.path}`, status: res.status, code: res.body.code }).toEqual({
      route: `${route.method} ${route.path}`,
      status: 401,
      code: 'unauthenticated',
    });
  }
});

test('every POST route refuses a request without an Idempotency-Key and writes nothing', async () => {
  const lender = await api.organisation('LENDER');
  const auditBefore = await api.db.prisma.auditRecord.count();
  for (const route of allRoutes().filter((r) => r.method === 'post')) {
    const res = await request(api.app).post(concretePath(route.path)).set('Authorization', `Bearer ${lender.admin.apiKey}`).send({});
    expect({ route: route.path, status: res.status, code: res.body.code }).toEqual({ route: route.path, status: 400, code: 'idempotency_key_required' });
  }
  expect(await api.db.prisma.auditRecord.count()).toBe(auditBefore);
});
