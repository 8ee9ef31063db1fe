/**
 * The hook every capability calls after a commit that may move a line's LTV
 * (price mark, pledge, repayment or payment, stock count with a shortfall):
 * the line's margin workflow revalues it. Run it from `afterCommit`, so the
 * workflow reads what was committed. A failure is logged, never thrown: the
 * request's effects stand, and the daily margin check revalues every line.
 */
import type { AppDeps } from '../http/deps';
import type { RevaluationReason } from '../../prisma/margin/store';
import { requestLineRevaluations } from '../../workflows/margin/starter';

export async function revalueLines(deps: Pick<AppDeps, 'temporal' | 'logger'>, lineIds: readonly string[], reason: RevaluationReason): Promise<void> {
  if (lineIds.length === 0) return;
  const onError = (lineId: string, error: unknown) => deps.logger.warn({ err: error, lineId, reason }, 'line revaluation not requested; the daily margin check will revalue it');
  let workflows;
  try {
    workflows = deps.temporal.workflows();
  } catch (error) {
    for (const lineId of lineIds) onError(lineId, error);
    return;
  }
  await requestLineRevaluations(workflows, lineIds, reason, onError);
}
