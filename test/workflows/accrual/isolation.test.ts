import pino from 'pino';
import { createAccrualActivities } from '../../../workflows/accrual/activities';
import type { dailyAccrualWorkflow } from '../../../workflows/accrual/workflow';
import { createParties, draw, openLine, repay, type AccruingLine } from '../../accrual/factories';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { startWorkflow } from '../../support/workflow-harness';

const workflowsPath = require.resolve('../../../workflows/accrual/workflow');
const logger = pino({ level: 'silent' });

/**
 * Four healthy lines (36 000.00 at 12 % ACT/360: 12.00 a day) and one poisoned line (a repayment
 * dated before its draw: negative principal on 1 Nov), two lines per activity.
 */
let db: TestDatabase;
let healthy: AccruingLine[];
let poisoned: AccruingLine;

beforeAll(async () => {
  db = await createTestDatabase();
  const parties = await createParties(db.prisma);
  healthy = [];
  for (let i = 0; i < 4; i++) {
    const line = await openLine(db.prisma, parties, { openedOn: '2026-11-01' });
    await draw(db.prisma, line, '2026-11-01', '36000.00');
    healthy.push(line);
  }
  poisoned = await openLine(db.prisma, parties, { openedOn: '2026-11-01' });
  await draw(db.prisma, poisoned, '2026-11-02', '36000.00');
  await repay(db.prisma, poisoned, '2026-11-01', '1000.00');
});
afterAll(() => db.close());

test('the nightly run finishes every other line when one cannot accrue, and reports it', async () => {
  const harness = await startWorkflow<typeof dailyAccrualWorkflow>('dailyAccrualWorkflow', {
    workflowsPath,
    workflowId: 'accrual-poisoned',
    activities: createAccrualActivities({ prisma: db.prisma, logger }),
    startTime: new Date('2026-11-02T00:30:00Z'),
    args: [{ linesPerBatch: 2 }],
  });
  const result = await harness.result();
  expect(result).toEqual({
    accrualDate: '2026-11-01',
    batches: 3,
    linesAccrued: 4,
    linesAlreadyAccrued: 0,
    daysCaughtUp: 0,
    postedByCurrency: { USD: '48.00' },
    linesFailed: 1,
    failures: [{ lineId: poisoned.id, reason: expect.stringContaining('outstanding principal is not negative') }],
  });
  const recorded = await db.sql<{ credit_line_id: string; attempts: number }>(`SELECT credit_line_id::text, attempts FROM accrual_failure`);
  expect(recorded).toEqual([{ credit_line_id: poisoned.id, attempts: 1 }]);
  await harness.dispose();
});

test('the workflow refuses to accrue today or a later day', async () => {
  const harness = await startWorkflow<typeof dailyAccrualWorkflow>('dailyAccrualWorkflow', {
    workflowsPath,
    workflowId: 'accrual-today',
    activities: createAccrualActivities({ prisma: db.prisma, logger }),
    startTime: new Date('2026-11-05T00:30:00Z'),
    args: [{ date: '2026-11-05' }],
  });
  await expect(harness.result()).rejects.toMatchObject({
    cause: { message: expect.stringContaining('date is 2026-11-05; accrual runs only for days that are over'), nonRetryable: true },
  });
  expect(harness.commands().filter((command) => command.scheduleActivity)).toEqual([]);
  await harness.dispose();
});
