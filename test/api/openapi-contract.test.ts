import request from 'supertest';
import { z } from 'zod';
import { allRoutes, createApp } from '../../api/app';
import { defineRoute } from '../../api/http/route';
import { HttpProblem } from '../../api/http/problem';
import { openApiDocument, openApiRegistry } from '../../api/openapi';
import { takeContractViolations } from '../support/contract-violations';
import { createTestApi, type TestApi } from '../support/api';
import {
  checkResponsesAgainstDocument,
  mountedRoutes,
  operationContracts,
  responseViolation,
  routeDocumentGaps,
  UNDOCUMENTED_BY_DESIGN,
} from '../support/openapi-contract';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

describe('routes and the document', () => {
  test('every route Express mounts is documented, and every documented operation is mounted', async () => {
    const served = (await request(api.app).get('/openapi.json').expect(200)).body;
    expect(routeDocumentGaps(api.app, served)).toEqual({ undocumented: [], unmounted: [] });
    // The standalone document (npm run generate, the typed client) is the one the app serves.
    expect(openApiDocument()).toEqual(served);
    const mounted = mountedRoutes(api.app);
    // Each exemption names something the app really serves, so the list cannot go stale unnoticed.
    for (const exempt of Object.keys(UNDOCUMENTED_BY_DESIGN)) expect({ exempt, mounted: mounted.includes(exempt) }).toEqual({ exempt, mounted: true });
    // Every operation of allRoutes(), the invitation claim and the four sign-in operations (api/auth/routes.ts): the walk found them all.
    expect(mounted.length).toBe(allRoutes().length + 1 + 4 + Object.keys(UNDOCUMENTED_BY_DESIGN).length);
  });

  test('a route mounted beside the document, or a documented operation never mounted, is reported', () => {
    const app = createApp(api.deps);
    app.get('/side-door/:lotId', (_req, res) => {
      res.json({});
    });
    const document = openApiDocument();
    document.paths = { ...document.paths, '/ghost/{ghostId}': { post: { responses: {} } } };
    expect(routeDocumentGaps(app, document)).toEqual({ undocumented: ['GET /side-door/{}'], unmounted: ['POST /ghost/{}'] });
  });
});

describe('schemas in the document', () => {
  test('a value that may be null is documented as its component or null (metadata must not pin it to the component alone)', () => {
    const schemas = (openApiDocument().components?.schemas ?? {}) as Record<string, { properties?: Record<string, unknown> }>;
    const nodeAt = (component: string, ...path: string[]) => {
      let node = schemas[component] as { properties?: Record<string, unknown> } | undefined;
      for (const key of path) node = node?.properties?.[key] as typeof node;
      return (node as { anyOf?: unknown } | undefined)?.anyOf;
    };
    const orNull = (component: string) => [{ $ref: `#/components/schemas/${component}` }, { type: 'null' }];
    expect({
      perDraw: nodeAt('CreditLine', 'terms', 'feeSchedule', 'perDraw'),
      lotPricePerUnit: nodeAt('LotValuation', 'pricePerUnit'),
      ltv: nodeAt('BorrowingBase', 'totals', 'ltv'),
      floor: nodeAt('CreditLine', 'terms', 'floatingRate', 'floor'),
    }).toEqual({ perDraw: orNull('Money'), lotPricePerUnit: orNull('UnitPrice'), ltv: orNull('Ratio'), floor: orNull('Ratio') });
  });
});

describe('responses and the document', () => {
  const contracts = operationContracts();

  test('a VIEWER is refused every change with 403, and every POST documents 403', async () => {
    const lender = await api.organisation('LENDER');
    const viewer = await lender.addUser('VIEWER');
    const document = openApiDocument();
    for (const route of allRoutes().filter((candidate) => candidate.method === 'post')) {
      const path = route.path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');
      const res = await api.post(viewer, path, {});
      const documented = Object.keys(document.paths?.[route.path]?.post?.responses ?? {});
      expect({ operation: route.operationId, status: res.status, documents403: documented.includes('403') }).toEqual({ operation: route.operationId, status: 403, documents403: true });
    }
  });

  test('a documented status, content type and body pass', () => {
    const me = { userId: '7d3c0e4c-6a44-4c1d-9a5e-0b0f2f0f7a11', organisationId: '2b8f6c1e-3f0a-4b5e-8c7d-1a2b3c4d5e6f', organisationKind: 'LENDER', role: 'ADMIN' };
    expect(responseViolation(contracts, { method: 'GET', path: '/me', status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(me) })).toBeNull();
  });

  test('an undocumented status names the operation and the documented ones', () => {
    expect(responseViolation(contracts, { method: 'GET', path: '/me', status: 404, contentType: 'application/problem+json', body: '{}' })).toBe(
      'GET /me (getMe) answered 404 to GET /me: status 404 is not documented (documented: 200, 400, 401, 500)',
    );
  });

  test('an undocumented content type is named', () => {
    expect(responseViolation(contracts, { method: 'GET', path: '/me', status: 401, contentType: 'application/json; charset=utf-8', body: '{}' })).toBe(
      'GET /me (getMe) answered 401 to GET /me: content type application/json is not documented for 401 (documented: application/problem+json)',
    );
  });

  test('a body that does not match names the path of each mismatch', () => {
    const body = { userId: 'not-a-uuid', organisationId: '2b8f6c1e-3f0a-4b5e-8c7d-1a2b3c4d5e6f', organisationKind: 'BANK', role: 'ADMIN' };
    const violation = responseViolation(contracts, { method: 'GET', path: '/me', status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    expect(violation).toContain('GET /me (getMe) answered 200 to GET /me: body does not match the application/json schema for 200: ');
    expect(violation).toContain('body.userId: ');
    expect(violation).toContain('body.organisationKind: ');
  });

  test('a refusal must name a field of the request (nested, indexed, through optional and union wrappers) or one the caller sent', () => {
    const refusal = (path: string, sent?: object) =>
      responseViolation(contracts, {
        method: 'POST',
        path: '/credit-lines/2b8f6c1e-3f0a-4b5e-8c7d-1a2b3c4d5e6f/sales',
        status: 422,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Refused', status: 422, detail: 'no', code: 'refused', errors: [{ path, reason: 'no' }] }),
        sent: { body: sent },
      });
    expect(refusal('body.items.0.quantity.unit')).toBeNull();
    expect(refusal('body.items')).toBeNull();
    expect(refusal('params.lineId')).toBeNull();
    expect(refusal('header.Idempotency-Key')).toBeNull();
    expect(refusal('body.items.0.lotIdentifier')).toBe(
      "POST /credit-lines/{lineId}/sales (reportSale) answered 422 to POST /credit-lines/2b8f6c1e-3f0a-4b5e-8c7d-1a2b3c4d5e6f/sales: names body.items.0.lotIdentifier, which is not a field of the operation's body",
    );
    expect(refusal('body.items[0].lotId')).toContain('names body.items[0].lotId, which is not a field');
    expect(refusal('query.limit')).toContain('names query.limit, but the operation documents no query');
    // An unknown field the caller sent may be named: it is where the caller will look.
    expect(refusal('body.extra.deep', { extra: { deep: 1 } })).toBeNull();
  });

  test('a literal path wins over a template, and requests no operation answers are not checked', () => {
    expect(responseViolation(contracts, { method: 'GET', path: '/no-such-route', status: 404, contentType: 'application/problem+json', body: '{}' })).toBeNull();
    expect(responseViolation(contracts, { method: 'GET', path: '/health', status: 200, contentType: 'application/json', body: '{"status":"ok"}' })).toBeNull();
  });

  test('the test app records a response the document does not allow, for the test to fail on', async () => {
    // A route that refuses with 403 without listing 403 among its problems: the document does not allow it.
    const refusing = defineRoute({
      method: 'get',
      path: '/contract-probe/{probeId}',
      operationId: 'contractProbe',
      summary: 'refuses',
      tag: 'Test',
      params: z.object({ probeId: z.string() }),
      success: { status: 200, description: 'never', schema: z.object({ ok: z.boolean() }) },
      handler: async () => {
        throw new HttpProblem(403, 'forbidden', 'Forbidden', 'not for you');
      },
    });
    const routes = [...allRoutes(), refusing];
    const app = createApp(api.deps, routes);
    checkResponsesAgainstDocument(app, operationContracts(openApiRegistry(routes)));
    const lender = await api.organisation('LENDER');
    await request(app).get('/contract-probe/p1').set('Authorization', `Bearer ${lender.admin.apiKey}`).expect(403);
    await request(app).get('/me').set('Authorization', `Bearer ${lender.admin.apiKey}`).expect(200);
    expect(takeContractViolations()).toEqual([
      'GET /contract-probe/{probeId} (contractProbe) answered 403 to GET /contract-probe/p1: status 403 is not documented (documented: 200, 400, 401, 500)',
    ]);
  });
});
