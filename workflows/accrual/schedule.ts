/**
 * The Temporal Schedule that runs dailyAccrualWorkflow every day at 00:30 UTC
 * for the day before. Created at worker start-up, or brought up to date when
 * it exists (so a changed spec or task queue takes effect on deploy).
 *
 * Overlap BUFFER_ONE: a run that starts while yesterday's is still going
 * waits for it rather than being dropped. Catch-up window of 3 days: after an
 * outage the missed runs are taken when the server is back; a day that is
 * still missed is accrued by the next run anyway, because a line that fell
 * behind catches up day by day (prisma/accrual/store.ts).
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec } from '@temporalio/client';
import type { dailyAccrualWorkflow } from './workflow';

export const ACCRUAL_SCHEDULE_ID = 'daily-interest-accrual';

const spec: ScheduleSpec = { calendars: [{ hour: 0, minute: 30, comment: 'accrue the day before' }], timezone: 'UTC' };
const policies = { overlap: 'BUFFER_ONE', catchupWindow: '3 days', pauseOnFailure: false } as const;

function action(taskQueue: string): ScheduleOptionsStartWorkflowAction<typeof dailyAccrualWorkflow> {
  return {
    type: 'startWorkflow',
    workflowType: 'dailyAccrualWorkflow',
    // The schedule suffixes each run's id with its scheduled time.
    workflowId: ACCRUAL_SCHEDULE_ID,
    taskQueue,
    args: [{}],
    workflowExecutionTimeout: '1 day',
  };
}

/** Creates the schedule, or updates it to this definition when it exists. Answers what it did. */
export async function ensureAccrualSchedule(client: Client, taskQueue: string): Promise<'created' | 'updated'> {
  try {
    await client.schedule.create({ scheduleId: ACCRUAL_SCHEDULE_ID, spec, action: action(taskQueue), policies });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(ACCRUAL_SCHEDULE_ID).update<typeof dailyAccrualWorkflow>((previous) => ({
    ...previous,
    spec,
    action: action(taskQueue),
    policies,
    state: { paused: previous.state.paused, note: previous.state.note, remainingActions: previous.state.remainingActions },
  }));
  return 'updated';
}
