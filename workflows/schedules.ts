import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { ensureAccrualSchedule } from './accrual/schedule';
import { ensureDailyMarginCheckSchedule, ensureStockCountMonitorSchedule } from './margin/schedules';

/** Every Temporal Schedule Godown runs, created or brought up to date when a worker starts. */
const SCHEDULES = {
  'daily interest accrual': ensureAccrualSchedule,
  'daily margin check': ensureDailyMarginCheckSchedule,
  'stock-count monitor': ensureStockCountMonitorSchedule,
} as const;

export async function ensureSchedules(client: Client, taskQueue: string, logger: Logger): Promise<void> {
  for (const [name, ensure] of Object.entries(SCHEDULES)) {
    const outcome = await ensure(client, taskQueue);
    logger.info({ schedule: name, outcome }, 'Temporal schedule ensured');
  }
}
