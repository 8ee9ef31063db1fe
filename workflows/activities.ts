import type { ActivityDeps } from './deps';
import { createAccrualActivities } from './accrual/activities';
import { createSaleActivities } from './sales/activities';
import { createDrawActivities } from './draws/activities';
import { createMarginActivities } from './margin/activities';

/** Every activity the worker registers, built once with its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return { ...createAccrualActivities(deps), ...createSaleActivities(deps), ...createDrawActivities(deps), ...createMarginActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
