/**
 * Revaluing every line a price mark touches at once: one statement for the
 * figures of all of them (borrowingBaseTotalsOfLines), then the margin
 * decision of each in TypeScript with domain/margin.ts's exact comparison.
 *
 * It decides which lines need their margin workflow, it does not replace it:
 * the workflow's evaluation (evaluateLineMargin, under the line's row lock) is
 * still what opens, cures or liquidates a call. A line whose decision is NONE
 * — no live call and LTV at or below its margin-call threshold — has nothing
 * to do, so it is not signalled; with 1 000 lines on one commodity that is
 * the difference between 1 000 workflow evaluations per tick and a handful.
 *
 * Failure isolation: a line whose figures or decision cannot be computed never
 * stops the others nor the mark. Its decision fails alone; if the one
 * statement itself fails, it is rolled back to a savepoint and each line is
 * valued on its own (prisma/margin/failures.ts records the ones that fail).
 */
import { marginDecision, type MarginDecision, type ShortfallCause } from '../../domain/margin';
import { availability, ltv, type LoanToValue } from '../../domain/valuation';
import { D, Money } from '../../domain/money';
import { assert } from '../../domain/errors';
import { Prisma, type Db } from '../client';
import { borrowingBaseTotalsOfLines, LINES_TOTALS_BATCH_MAX, type BorrowingBaseTotals, type LineTotals } from '../custody/valuation';
import { clearMarginCheckFailure, isolated, recordMarginCheckFailure } from './failures';
import { linesRevaluedByMark } from './store';

export interface LineRevaluation {
  lineId: string;
  totals: BorrowingBaseTotals;
  outstandingPrincipal: Money;
  availability: Money;
  loanToValue: LoanToValue;
  /** The line's live call before this revaluation, if any. */
  liveCall: 'OPEN' | 'LIQUIDATING' | null;
  /** marginDecision on the new figures; for a line in liquidation, null (only its repayments end it). */
  decision: MarginDecision | null;
}

/** A line that could not be revalued, and why. */
export interface FailedRevaluation {
  lineId: string;
  error: unknown;
}

export interface Revaluations {
  revalued: LineRevaluation[];
  failed: FailedRevaluation[];
}

interface LineTermsRow {
  id: string;
  currency: string;
  limit_amount: Prisma.Decimal;
  margin_call_ltv: Prisma.Decimal;
  liquidation_ltv: Prisma.Decimal;
  target_ltv: Prisma.Decimal;
  live_call: 'OPEN' | 'LIQUIDATING' | null;
  live_cause: ShortfallCause | null;
}

/** Figures and margin decision of each of `lineIds` as of `now`, in two statements whatever their number. */
export async function revalueLinesAtOnce(db: Db, input: { lineIds: readonly string[]; now: Date }): Promise<Revaluations> {
  if (input.lineIds.length === 0) return { revalued: [], failed: [] };
  assert(input.lineIds.length <= LINES_TOTALS_BATCH_MAX, `at most ${LINES_TOTALS_BATCH_MAX} lines are revalued at once; got ${input.lineIds.length}`);
  const [figures, terms] = [
    await borrowingBaseTotalsOfLines(db, input),
    await db.$queryRaw<LineTermsRow[]>`
      SELECT cl.id::text AS id, cl.currency, cl.limit_amount, cl.margin_call_ltv, cl.liquidation_ltv, cl.target_ltv,
             live.status::text AS live_call, live.cause::text AS live_cause
        FROM credit_line cl
        LEFT JOIN LATERAL (SELECT mc.status, mc.cause FROM margin_call mc
                            WHERE mc.credit_line_id = cl.id AND mc.status IN ('OPEN', 'LIQUIDATING') LIMIT 1) live ON true
       WHERE cl.id = ANY(${[...input.lineIds]}::uuid[])`,
  ];
  const termsOf = new Map(terms.map((row) => [row.id, row]));
  const result: Revaluations = { revalued: [], failed: [] };
  for (const line of figures) {
    try {
      const term = termsOf.get(line.lineId);
      assert(term !== undefined, `credit line ${line.lineId} valued by the set-based statement has terms`);
      result.revalued.push(revalueLine(line, term));
    } catch (error) {
      result.failed.push({ lineId: line.lineId, error });
    }
  }
  return result;
}

function revalueLine(line: LineTotals, term: LineTermsRow): LineRevaluation {
  const currency = term.currency;
  const outstandingPrincipal = Money.of(line.outstandingPrincipal, currency);
  const collateralValue = Money.of(line.totals.eligibleCollateralValue, currency);
  const decision =
    term.live_call === 'LIQUIDATING'
      ? null
      : marginDecision({
          outstandingPrincipal,
          collateralValue,
          markedCollateralValue: Money.of(line.totals.collateralValue, currency),
          unpricedLotCount: line.unpricedLotCount,
          marginCallLtv: decimal(term.margin_call_ltv),
          liquidationLtv: decimal(term.liquidation_ltv),
          targetLtv: decimal(term.target_ltv),
          openCall: term.live_call === 'OPEN' ? { cause: term.live_cause ?? 'LTV_ABOVE_MARGIN_CALL' } : null,
        }).decision;
  return {
    lineId: line.lineId,
    totals: line.totals,
    outstandingPrincipal,
    availability: availability({
      limit: Money.of(decimal(term.limit_amount), currency),
      borrowingBase: Money.of(line.totals.borrowingBase, currency),
      outstandingPrincipal,
      reservedDraws: Money.of(line.reservedDraws, currency),
    }),
    loanToValue: ltv({ outstandingPrincipal, collateralValue }),
    liveCall: term.live_call,
    decision,
  };
}

/** A line needs its margin workflow when it has a live call (its figures or deadline matter) or its decision is not NONE. */
export function needsMarginWorkflow(line: Pick<LineRevaluation, 'liveCall' | 'decision'>): boolean {
  return line.liveCall !== null || line.decision !== 'NONE';
}

/**
 * The lines a new mark revalues, each with its figures and decision, in the
 * caller's transaction (so the mark itself is seen even before it commits).
 * Lines that fail are recorded (stage REVALUATION) and returned in `failed`;
 * a line that revalues again is cleared of an earlier revaluation failure.
 * Answers the lines to hand to their margin workflows: those with something
 * to do, and those that failed (their workflow retries them).
 */
export async function revalueLinesForMark(
  db: Db,
  mark: { lenderOrganisationId: string; commodityCode: string; grade: string; currency: string },
  now: Date,
  options: { linesPerStatement?: number } = {},
): Promise<Revaluations & { lineIdsForWorkflow: string[] }> {
  const linesPerStatement = options.linesPerStatement ?? LINES_TOTALS_BATCH_MAX;
  const revaluations: Revaluations = { revalued: [], failed: [] };
  // Page after page until a short one: however many lines hold these goods, every one is revalued.
  for (let afterLineId: string | null = null; ; ) {
    const lineIds = await linesRevaluedByMark(db, mark, { afterLineId, limit: linesPerStatement });
    if (lineIds.length === 0) break;
    const atOnce = await isolated(db, () => revalueLinesAtOnce(db, { lineIds, now }));
    if (atOnce.ok) {
      revaluations.revalued.push(...atOnce.value.revalued);
      revaluations.failed.push(...atOnce.value.failed);
    } else {
      // The one statement failed: value each line alone, so that only the broken ones fail.
      for (const lineId of lineIds) {
        const alone = await isolated(db, () => revalueLinesAtOnce(db, { lineIds: [lineId], now }));
        if (alone.ok) {
          revaluations.revalued.push(...alone.value.revalued);
          revaluations.failed.push(...alone.value.failed);
        } else {
          revaluations.failed.push({ lineId, error: alone.error });
        }
      }
    }
    if (lineIds.length < linesPerStatement) break;
    afterLineId = lineIds[lineIds.length - 1];
  }
  for (const failure of revaluations.failed) await recordMarginCheckFailure(db, { lineId: failure.lineId, stage: 'REVALUATION', error: failure.error, now });
  const revaluedIds = revaluations.revalued.map((line) => line.lineId);
  const recovered = await db.marginCheckFailure.findMany({ where: { creditLineId: { in: revaluedIds }, stage: 'REVALUATION' }, select: { creditLineId: true } });
  for (const { creditLineId } of recovered) await clearMarginCheckFailure(db, { lineId: creditLineId, stage: 'REVALUATION' });
  const lineIdsForWorkflow = [...revaluations.revalued.filter(needsMarginWorkflow).map((line) => line.lineId), ...revaluations.failed.map((failure) => failure.lineId)];
  return { ...revaluations, lineIdsForWorkflow };
}

const decimal = (value: Prisma.Decimal) => new D(value.toFixed());
