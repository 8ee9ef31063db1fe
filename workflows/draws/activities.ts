/**
 * Activities of the draw workflow: every read and write of the database it
 * needs. Each is idempotent: state changes move a draw out of one status under
 * a row lock (a retry finds it moved and returns the same answer), and ledger
 * postings and notifications carry keys derived from the draw's workflow id
 * (`draw-<drawId>:disburse`, `…:draw-fee`, `…:draw.expired`).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Prisma } from '../../prisma/client';
import { inTransaction } from '../../prisma/client';
import {
  approveDrawRow,
  decisionTally,
  disburseDrawRow,
  drawForWorkflow,
  expireDrawRow,
  rejectDrawRow,
  type DecisionTally,
  type DisbursementResult,
  type DrawForWorkflow,
} from '../../prisma/draws/store';
import type { DrawStatus } from '../../prisma/generated/client';
import type { ActivityDeps } from '../deps';
import { DRAW_NOT_VISIBLE } from './definitions';

/** `clock` gives the instant a disbursement's coverage is checked at (tests replace it). */
export function createDrawActivities(deps: ActivityDeps, clock: () => Date = () => new Date()) {
  const transaction = <T>(work: (tx: Prisma.TransactionClient) => Promise<T>) => inTransaction(deps.prisma, work);
  return {
    /** The draw as the workflow needs it; retryable DrawNotVisible until its request has committed. */
    async loadDraw(input: { drawId: string }): Promise<DrawForWorkflow> {
      const draw = await drawForWorkflow(deps.prisma, input.drawId);
      if (draw === null) {
        throw ApplicationFailure.retryable(`draw ${input.drawId} is not visible (yet): its request has not committed`, DRAW_NOT_VISIBLE);
      }
      return draw;
    },
    /** Who has approved, and whether anyone rejected: the database is the source of truth. */
    async decisionTally(input: { drawId: string }): Promise<DecisionTally> {
      return decisionTally(deps.prisma, input.drawId);
    },
    async approveDraw(input: { drawId: string }): Promise<DrawStatus> {
      return transaction((tx) => approveDrawRow(tx, input.drawId));
    },
    async rejectDraw(input: { drawId: string }): Promise<DrawStatus> {
      return transaction((tx) => rejectDrawRow(tx, input.drawId));
    },
    async expireDraw(input: { drawId: string }): Promise<DrawStatus> {
      return transaction((tx) => expireDrawRow(tx, input.drawId));
    },
    /** Posts the disbursement (and fee) exactly once, or refuses it when the line no longer allows draws or is no longer covered. */
    async disburseDraw(input: { drawId: string; effectiveDate: string }): Promise<DisbursementResult> {
      const result = await transaction((tx) => disburseDrawRow(tx, input.drawId, input.effectiveDate, clock()));
      deps.logger.info({ drawId: input.drawId, result }, 'draw disbursement settled');
      return result;
    },
  };
}

export type DrawActivities = ReturnType<typeof createDrawActivities>;
