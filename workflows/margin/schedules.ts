/**
 * Temporal Schedules for the margin checks, created at worker start-up or
 * brought up to date when they exist (like workflows/accrual/schedule.ts).
 *
 * - daily-margin-check, 01:00 UTC: revalues every line with goods pledged or a
 *   live call (marks go stale and counts fall due without any event).
 * - stock-count-monitor, every 6 hours: overdue counts are found within hours.
 * Overlap SKIP: both are idempotent sweeps, a run still going covers the next.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleSpec } from '@temporalio/client';

export const DAILY_MARGIN_CHECK_SCHEDULE_ID = 'daily-margin-check';
export const STOCK_COUNT_MONITOR_SCHEDULE_ID = 'stock-count-monitor';

const policies = { overlap: 'SKIP', catchupWindow: '1 day', pauseOnFailure: false } as const;

async function ensureSchedule(client: Client, scheduleId: string, workflowType: string, spec: ScheduleSpec, taskQueue: string): Promise<'created' | 'updated'> {
  const action = { type: 'startWorkflow' as const, workflowType, workflowId: scheduleId, taskQueue, args: [{}], workflowExecutionTimeout: '1 day' };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    spec,
    action,
    policies,
    state: { paused: previous.state.paused, note: previous.state.note, remainingActions: previous.state.remainingActions },
  }));
  return 'updated';
}

export function ensureDailyMarginCheckSchedule(client: Client, taskQueue: string): Promise<'created' | 'updated'> {
  return ensureSchedule(client, DAILY_MARGIN_CHECK_SCHEDULE_ID, 'dailyMarginCheckWorkflow', { calendars: [{ hour: 1, minute: 0, comment: 'revalue every line' }], timezone: 'UTC' }, taskQueue);
}

export function ensureStockCountMonitorSchedule(client: Client, taskQueue: string): Promise<'created' | 'updated'> {
  return ensureSchedule(client, STOCK_COUNT_MONITOR_SCHEDULE_ID, 'stockCountMonitorWorkflow', { intervals: [{ every: '6 hours' }] }, taskQueue);
}
