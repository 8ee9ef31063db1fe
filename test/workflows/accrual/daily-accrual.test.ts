import { Context } from '@temporalio/activity';
import pino from 'pino';
import { createAccrualActivities } from '../../../workflows/accrual/activities';
import type { dailyAccrualWorkflow } from '../../../workflows/accrual/workflow';
import { createParties, draw, ledgerSnapshot, openLine, type AccruingLine } from '../../accrual/factories';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { startWorkflow } from '../../support/workflow-harness';

const workflowsPath = require.resolve('../../../workflows/accrual/workflow');
const logger = pino({ level: 'silent' });

/**
 * Five lines at 12 % ACT/360 opened 1 Nov 2026 with 36 000.00, 72 000.00 … 180 000.00
 * outstanding: 36 000 × 0.12 ÷ 360 = 12.00 a day, so 12.00 + 24.00 + 36.00 + 48.00 + 60.00
 * = 180.00 posted for 1 Nov, exactly (no remainders).
 */
let db: TestDatabase;
let lines: AccruingLine[];

beforeAll(async () => {
  db = await createTestDatabase();
  const parties = await createParties(db.prisma);
  lines = [];
  for (let i = 1; i <= 5; i++) {
    const line = await openLine(db.prisma, parties, { openedOn: '2026-11-01' });
    await draw(db.prisma, line, '2026-11-01', `${36000 * i}.00`);
    lines.push(line);
  }
});
afterAll(() => db.close());

const snapshot = () => ledgerSnapshot((text) => db.sql(text));

async function interestReceivable(): Promise<string[]> {
  const rows = await db.sql<{ amount: string }>(
    `SELECT balance::text AS amount FROM ledger_account WHERE code = 'INTEREST_RECEIVABLE' AND account_set_id = ANY($1::uuid[]) ORDER BY balance`,
    [lines.map((line) => line.id)],
  );
  return rows.map((row) => row.amount);
}

test('started at 00:30 on 2 Nov, it accrues 1 Nov for every line, two lines per activity, with explicit timeouts and retries', async () => {
  const harness = await startWorkflow<typeof dailyAccrualWorkflow>('dailyAccrualWorkflow', {
    workflowsPath,
    activities: createAccrualActivities({ prisma: db.prisma, logger }),
    startTime: new Date('2026-11-02T00:30:00Z'),
    args: [{ linesPerBatch: 2 }],
  });
  expect(await harness.result()).toEqual({
    accrualDate: '2026-11-01',
    batches: 3,
    linesAccrued: 5,
    linesAlreadyAccrued: 0,
    daysCaughtUp: 0,
    postedByCurrency: { USD: '180.00' },
    linesFailed: 0,
    failures: [],
  });
  expect(await interestReceivable()).toEqual(['12.000000000000000000', '24.000000000000000000', '36.000000000000000000', '48.000000000000000000', '60.000000000000000000']);

  const scheduled = harness.commands().flatMap((command) => (command.scheduleActivity ? [command.scheduleActivity] : []));
  // list, accrue × 3 pages, and the final empty list
  expect(scheduled.map((activity) => activity.activityType)).toEqual(['listLinesToAccrue', 'accrueLines', 'listLinesToAccrue', 'accrueLines', 'listLinesToAccrue', 'accrueLines', 'listLinesToAccrue']);
  for (const activity of scheduled) {
    expect(activity.startToCloseTimeout).toBeTruthy();
    expect(activity.retryPolicy?.maximumAttempts).toBe(10);
    expect(activity.retryPolicy?.nonRetryableErrorTypes).toContain('BusinessRuleError');
  }
  await harness.dispose();
});

test('running the same date again posts nothing and counts every line as already accrued', async () => {
  const before = await snapshot();
  const harness = await startWorkflow<typeof dailyAccrualWorkflow>('dailyAccrualWorkflow', {
    workflowsPath,
    workflowId: 'accrual-rerun',
    activities: createAccrualActivities({ prisma: db.prisma, logger }),
    startTime: new Date('2026-11-03T00:30:00Z'),
    args: [{ date: '2026-11-01' }],
  });
  expect(await harness.result()).toMatchObject({ accrualDate: '2026-11-01', batches: 1, linesAccrued: 0, linesAlreadyAccrued: 5, postedByCurrency: {}, linesFailed: 0, failures: [] });
  expect(await snapshot()).toEqual(before);
  await harness.dispose();
});

test('an accrueLines attempt that crashes after its commit is retried and posts nothing twice', async () => {
  const real = createAccrualActivities({ prisma: db.prisma, logger });
  const attempts: number[] = [];
  const crashingAfterCommit = {
    ...real,
    async accrueLines(date: string, lineIds: string[], nowIso: string) {
      const counts = await real.accrueLines(date, lineIds, nowIso);
      const { attempt } = Context.current().info;
      attempts.push(attempt);
      if (attempt === 1) throw new Error('connection reset after the transaction committed');
      return counts;
    },
  };
  const before = await snapshot();
  const harness = await startWorkflow<typeof dailyAccrualWorkflow>('dailyAccrualWorkflow', {
    workflowsPath,
    workflowId: 'accrual-crash',
    activities: crashingAfterCommit,
    startTime: new Date('2026-11-03T00:30:00Z'),
    args: [{ linesPerBatch: 5 }],
  });
  const result = await harness.result();
  expect(attempts).toEqual([1, 2]);
  // Attempt 1 accrued all five lines for 2 Nov and crashed; attempt 2 found them accrued.
  expect(result).toEqual({ accrualDate: '2026-11-02', batches: 1, linesAccrued: 0, linesAlreadyAccrued: 5, daysCaughtUp: 0, postedByCurrency: {}, linesFailed: 0, failures: [] });
  const after = await snapshot();
  expect(after.entries - before.entries).toBe(5);
  expect(after.accruals - before.accruals).toBe(5);
  // Two days each: 24.00, 48.00, 72.00, 96.00, 120.00.
  expect(await interestReceivable()).toEqual(['24.000000000000000000', '48.000000000000000000', '72.000000000000000000', '96.000000000000000000', '120.000000000000000000']);
  // The retry waited the policy's initial interval on the virtual clock.
  expect(harness.nowMs).toBeGreaterThanOrEqual(Date.parse('2026-11-03T00:30:05Z'));
  await harness.dispose();
});
