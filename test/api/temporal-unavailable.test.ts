import request from 'supertest';
import { z } from 'zod';
import { allRoutes, createApp } from '../../api/app';
import { defineRoute } from '../../api/http/route';
import { createTestApi, type TestApi } from '../support/api';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

test('an operation that needs a workflow answers 503 problem+json saying why, and writes nothing', async () => {
  const startsWorkflow = defineRoute({
    method: 'post',
    path: '/test/start-workflow',
    operationId: 'testStartWorkflow',
    summary: 'test-only route that starts a workflow',
    tag: 'Test',
    success: { status: 202, description: 'started', schema: z.object({ workflowId: z.string() }) },
    handler: async ({ deps, db, actor }) => {
      await db.auditRecord.create({ data: { organisationId: actor.organisationId, action: 'test.before-workflow', targetType: 't', targetId: '1' } });
      await deps.temporal.workflows().start('drawWorkflow', { workflowId: 'never-started', args: [] });
      return { workflowId: 'never-started' };
    },
  });
  const app = createApp(api.deps, [...allRoutes(), startsWorkflow]);
  const lender = await api.organisation('LENDER');
  const res = await request(app)
    .post('/test/start-workflow')
    .set('Authorization', `Bearer ${lender.admin.apiKey}`)
    .set('Idempotency-Key', 'wf-1')
    .send({});
  expect(res.status).toBe(503);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['retry-after']).toBe('30');
  expect(res.body.code).toBe('temporal_unavailable');
  expect(res.body.detail).toBe('this operation runs as a Temporal workflow and Temporal is unavailable: no Temporal server in tests');
  expect(await api.db.prisma.auditRecord.count({ where: { action: 'test.before-workflow' } })).toBe(0);
  expect(await api.db.prisma.idempotencyRecord.count({ where: { key: 'wf-1' } })).toBe(0);
});
