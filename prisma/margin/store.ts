/**
 * Margin calls in the database: evaluating a line (open, keep, cure, liquidate,
 * settle — the rule is domain/margin-call.ts), reading a line's calls, and
 * finding the lines a price mark or the daily check must revalue.
 *
 * Concurrency: an evaluation locks the credit line row FOR UPDATE first (the
 * same lock the credit-line store's status changes take), so two evaluations
 * of one line, or an evaluation and a freeze, never interleave; the partial
 * unique index margin_call_one_live_per_line backs this up.
 */
import { isLineInForce } from '../../domain/credit-line-status';
import { nextMarginStep, type LiveMarginCall, type MarginStep } from '../../domain/margin-call';
import { D, Money } from '../../domain/money';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError, assert } from '../../domain/errors';
import { compareLtv, type CureAmounts } from '../../domain/margin';
import { DEFAULT_WATERFALL, validateWaterfallOrder } from '../../domain/waterfall';
import type { Decimal } from 'decimal.js';
import { Prisma, type Db } from '../client';
import type { CreditLine, MarginCall } from '../generated/client';
import { balances } from '../ledger/store';
import { borrowingBaseTotalsOfLines, LINES_TOTALS_BATCH_MAX } from '../custody/valuation';
import type { CustodyActor } from '../custody/access';
import { tellOrganisations } from './notify';
import { recordEvent } from '../events/store';

export const MARGIN_CALLS_PAGE_MAX = 100;
export const LINES_PAGE_MAX = 500;

export type MarginCallState = 'NONE' | MarginCall['status'];

/** What an evaluation did and where the line's call stands after it. */
export interface MarginEvaluation {
  lineId: string;
  step: MarginStep['kind'];
  callId: string | null;
  /** The call's status after the evaluation; NONE when the line has no live call and none was touched. */
  status: MarginCallState;
  /** ISO time, while the call is OPEN. */
  cureDeadline: string | null;
}

/** Why a line is revalued; kept in logs and notifications. */
export type RevaluationReason = 'PRICE_MARK' | 'PLEDGE' | 'REPAYMENT' | 'STOCK_COUNT' | 'DAILY_CHECK' | 'CURE_DEADLINE' | 'LIQUIDATION_PROCEEDS' | 'INTEREST_POSTED' | 'START' | 'RETRY';

/** The id of the one workflow that looks after a line's margin: its revaluations and its call's cure timer. */
export function lineMarginWorkflowId(lineId: string): string {
  return `line-margin-${lineId}`;
}

/**
 * Revalues the line as of `now` and applies the next step of its margin call,
 * in the caller's transaction. A CLOSED line is left alone.
 */
export async function evaluateLineMargin(db: Db, input: { lineId: string; now: Date; reason: RevaluationReason }): Promise<MarginEvaluation> {
  const { lineId, now } = input;
  await db.$queryRaw`SELECT id FROM credit_line WHERE id = ${lineId}::uuid FOR UPDATE`;
  const line = await db.creditLine.findUnique({ where: { id: lineId } });
  if (!line) throw new NotFoundError('credit line', lineId);
  const live = await db.marginCall.findFirst({ where: { creditLineId: lineId, status: { in: ['OPEN', 'LIQUIDATING'] } } });
  // An offer not (yet) accepted, or a closed line, secures nothing and owes nothing: no margin decision.
  if (!isLineInForce(line.status)) return evaluation(lineId, { kind: 'NONE' }, live);

  const [figures] = await borrowingBaseTotalsOfLines(db, { lineIds: [lineId], now });
  assert(figures !== undefined, `credit line ${lineId} is valued`);
  const owed = await owedOf(db, line);
  const money = (amount: Decimal) => Money.of(amount, line.currency);
  const position = { outstandingPrincipal: money(figures.outstandingPrincipal), collateralValue: money(figures.totals.eligibleCollateralValue) };
  const step = nextMarginStep({
    ...position,
    markedCollateralValue: money(figures.totals.collateralValue),
    unpricedLotCount: figures.unpricedLotCount,
    marginCallLtv: decimal(line.marginCallLtv),
    liquidationLtv: decimal(line.liquidationLtv),
    targetLtv: decimal(line.targetLtv),
    live: liveOf(live),
    interestReceivable: owed.interest,
    feesReceivable: owed.fees,
    waterfallOrder: validateWaterfallOrder(line.waterfallOrder.length > 0 ? line.waterfallOrder : DEFAULT_WATERFALL),
    curePeriodHours: line.curePeriodHours,
    now,
  });
  const after = await applyStep(db, { line, live, step, figures: position, now, reason: input.reason });
  const exposed = figures.outstandingPrincipal.gt(0) || figures.reservedDraws.gt(0);
  if (figures.unpricedLotCount > 0 && exposed) await tellLenderOfUnpricedCollateral(db, line, figures.unpricedLotCount, now);
  return evaluation(lineId, step, after);
}

/**
 * Stale or unpriced collateral lends nothing (so draws against it stop) and is
 * a shortfall the seller has the cure period to make good; the lender, whose
 * price feed it is, hears of it once a day while it lasts on a line that has
 * principal outstanding or draws reserved (on an idle line it changes nothing).
 */
async function tellLenderOfUnpricedCollateral(db: Db, line: CreditLine, unpricedLotCount: number, now: Date): Promise<void> {
  const day = now.toISOString().slice(0, 10);
  await tellOrganisations(db, [
    {
      organisationId: line.lenderOrganisationId,
      kind: 'COLLATERAL_UNPRICED',
      message:
        `${unpricedLotCount} lot(s) pledged to credit line ${line.id} have no fresh price mark in ${line.currency} (none, or older than ${line.maxMarkAgeHours} hours). ` +
        'They lend nothing until a fresh mark arrives, so no new draw is made against them; a shortfall they cause opens a margin call with the normal cure period, never a liquidation.',
      subjectType: 'credit_line',
      subjectId: line.id,
      dedupeKey: `collateral-unpriced:${line.id}:${day}`,
    },
  ]);
}

function evaluation(lineId: string, step: MarginStep, call: MarginCall | null): MarginEvaluation {
  return {
    lineId,
    step: step.kind,
    callId: call?.id ?? null,
    status: call?.status ?? 'NONE',
    cureDeadline: call?.status === 'OPEN' && call.cureDeadline ? call.cureDeadline.toISOString() : null,
  };
}

function liveOf(call: MarginCall | null): LiveMarginCall | null {
  if (!call) return null;
  if (call.status === 'OPEN') {
    assert(call.cureDeadline !== null, `open margin call ${call.id} has a cure deadline`);
    return { status: 'OPEN', cureDeadline: call.cureDeadline, cause: call.cause };
  }
  assert(call.status === 'LIQUIDATING', `live margin call ${call.id} is OPEN or LIQUIDATING; got ${call.status}`);
  return { status: 'LIQUIDATING' };
}

interface Figures {
  outstandingPrincipal: Money;
  collateralValue: Money;
}

async function applyStep(
  db: Db,
  input: { line: CreditLine; live: MarginCall | null; step: MarginStep; figures: Figures; now: Date; reason: RevaluationReason },
): Promise<MarginCall | null> {
  const { line, live, step, figures, now } = input;
  const latest = (cure: CureAmounts) => ({
    outstandingPrincipal: figures.outstandingPrincipal.amount.toFixed(),
    collateralValue: figures.collateralValue.amount.toFixed(),
    requiredRepayment: cure.repayment.amount.toFixed(),
    requiredAdditionalCollateralValue: cure.additionalCollateralValue.amount.toFixed(),
    evaluatedAt: now,
  });
  switch (step.kind) {
    case 'NONE':
    case 'KEEP_LIQUIDATING':
      return live;
    case 'OPEN': {
      const call = await db.marginCall.create({
        data: {
          creditLineId: line.id,
          status: 'OPEN',
          currency: line.currency,
          openedAt: now,
          cureDeadline: step.cureDeadline,
          targetLtv: line.targetLtv,
          outstandingPrincipalAtOpen: figures.outstandingPrincipal.amount.toFixed(),
          collateralValueAtOpen: figures.collateralValue.amount.toFixed(),
          workflowId: lineMarginWorkflowId(line.id),
          cause: step.cause,
          ...latest(step.cure),
        },
      });
      await systemAudit(db, line, 'margin_call.opened', call.id, { ...latest(step.cure), cause: step.cause, cureDeadline: step.cureDeadline.toISOString(), reason: input.reason });
      const why =
        step.cause === 'INELIGIBLE_COLLATERAL'
          ? `LTV ${ltvText(figures)} on eligible collateral is above the margin-call threshold ${decimal(line.marginCallLtv).toFixed()} because some pledged goods do not count now (stale or missing price mark, overdue stock count, quality hold or count difference); making them eligible again also cures this call`
          : `LTV ${ltvText(figures)} is above the margin-call threshold ${decimal(line.marginCallLtv).toFixed()}`;
      const message =
        `Margin call on credit line ${line.id}: ${why}. ` +
        `To restore the target LTV ${decimal(line.targetLtv).toFixed()} by ${step.cureDeadline.toISOString()}, repay ${step.cure.repayment.format()} ` +
        `(through the line's waterfall: ${step.cure.repayment.minus(step.cure.principalReduction).format()} of fees and interest, then ${step.cure.principalReduction.format()} of principal) ` +
        `or pledge goods adding ${step.cure.additionalCollateralValue.format()} of collateral value (after haircut).`;
      await tellParties(db, line, { kind: 'MARGIN_CALL_OPENED', message, callId: call.id, event: 'opened' });
      await recordEvent(db, 'margin_call.opened', { subjectId: call.id, parties: partiesOfLine(line), data: { ...marginCallFacts(call), cause: step.cause } });
      return call;
    }
    case 'KEEP_OPEN': {
      assert(live !== null, 'KEEP_OPEN follows an open call');
      return db.marginCall.update({ where: { id: live.id }, data: { ...latest(step.cure), cause: step.cause } });
    }
    case 'CURE': {
      assert(live !== null, 'CURE follows an open call');
      const zero = Money.zero(line.currency);
      const call = await db.marginCall.update({
        where: { id: live.id },
        data: { ...latest({ repayment: zero, principalReduction: zero, additionalCollateralValue: zero }), status: 'CURED', curedAt: now },
      });
      await systemAudit(db, line, 'margin_call.cured', call.id, { outstandingPrincipal: call.outstandingPrincipal.toFixed(), collateralValue: call.collateralValue.toFixed(), reason: input.reason });
      const atTarget = compareLtv(figures, decimal(line.targetLtv)) <= 0;
      const message = atTarget
        ? `Margin call on credit line ${line.id} is cured: LTV ${ltvText(figures)} is at or below the target ${decimal(line.targetLtv).toFixed()}.`
        : `Margin call on credit line ${line.id} is cured: the pledged goods count again and LTV ${ltvText(figures)} is at or below the margin-call threshold ${decimal(line.marginCallLtv).toFixed()}.`;
      await tellParties(db, line, { kind: 'MARGIN_CALL_CURED', message, callId: call.id, event: 'cured' });
      await recordEvent(db, 'margin_call.cured', { subjectId: call.id, parties: partiesOfLine(line), data: marginCallFacts(call) });
      return call;
    }
    case 'LIQUIDATE': {
      const liquidation = { status: 'LIQUIDATING' as const, liquidationReason: step.reason, liquidationStartedAt: now };
      const call = live
        ? await db.marginCall.update({ where: { id: live.id }, data: { ...latest(step.cure), ...liquidation } })
        : await db.marginCall.create({
            data: {
              creditLineId: line.id,
              currency: line.currency,
              openedAt: now,
              cureDeadline: null,
              targetLtv: line.targetLtv,
              outstandingPrincipalAtOpen: figures.outstandingPrincipal.amount.toFixed(),
              collateralValueAtOpen: figures.collateralValue.amount.toFixed(),
              workflowId: lineMarginWorkflowId(line.id),
              ...latest(step.cure),
              ...liquidation,
            },
          });
      await setLineStatus(db, line, 'IN_DEFAULT', call.id);
      await systemAudit(db, line, 'margin_call.liquidation_started', call.id, { reason: step.reason, ...latest(step.cure) });
      const why =
        step.reason === 'LIQUIDATION_THRESHOLD'
          ? `LTV ${ltvText(figures)} is at or above the liquidation threshold ${decimal(line.liquidationLtv).toFixed()}`
          : `the margin call was not cured by its deadline (LTV ${ltvText(figures)}, target ${decimal(line.targetLtv).toFixed()})`;
      const message = `Credit line ${line.id} is frozen and in liquidation: ${why}. The lender may sell the pledged goods; proceeds pay fees, interest and principal.`;
      await tellParties(db, line, { kind: 'LIQUIDATION_STARTED', message, callId: call.id, event: 'liquidation' });
      await recordEvent(db, 'margin_call.liquidating', { subjectId: call.id, parties: partiesOfLine(line), data: { ...marginCallFacts(call), liquidationReason: step.reason } });
      return call;
    }
    case 'SETTLE': {
      assert(live !== null, 'SETTLE follows a liquidation');
      const call = await db.marginCall.update({
        where: { id: live.id },
        data: { status: 'SETTLED', settledAt: now, outstandingPrincipal: '0', requiredRepayment: '0', requiredAdditionalCollateralValue: '0', evaluatedAt: now },
      });
      // Leaving default does not reopen draws: the line stays FROZEN until its lender unfreezes (or closes) it.
      await setLineStatus(db, line, 'FROZEN', call.id);
      await systemAudit(db, line, 'margin_call.settled', call.id, { reason: input.reason });
      const message = `Credit line ${line.id} has left default: principal, interest and fees are repaid. It stays frozen until its lender unfreezes or closes it.`;
      await tellParties(db, line, { kind: 'LIQUIDATION_SETTLED', message, callId: call.id, event: 'settled' });
      await recordEvent(db, 'margin_call.settled', { subjectId: call.id, parties: partiesOfLine(line), data: marginCallFacts(call) });
      return call;
    }
  }
}

/**
 * The lender starts a liquidation of a line that is IN_DEFAULT because it is past due beyond its default threshold
 * (prisma/credit-lines/delinquency.ts reviewDelinquency): the same path as an uncured margin call — a LIQUIDATING
 * call (reason PAST_DUE) demanding everything owed, liquidation sales through the waterfall, SETTLE once nothing is
 * owed. An open margin call becomes that liquidation; a line already liquidating is refused.
 */
export async function startPastDueLiquidation(db: Db, lineId: string, actor: Pick<CustodyActor, 'organisationId' | 'userId'> & { role: string }, now: Date): Promise<MarginCall> {
  await db.$queryRaw`SELECT id FROM credit_line WHERE id = ${lineId}::uuid FOR UPDATE`;
  const line = await db.creditLine.findUnique({ where: { id: lineId } });
  if (!line || (line.lenderOrganisationId !== actor.organisationId && line.sellerOrganisationId !== actor.organisationId)) throw new NotFoundError('credit line', lineId);
  if (line.lenderOrganisationId !== actor.organisationId || !['ADMIN', 'APPROVER'].includes(actor.role)) {
    throw new ForbiddenError(`only an ADMIN or APPROVER of the line's lender starts a liquidation; you are ${actor.role} of its ${line.lenderOrganisationId === actor.organisationId ? 'lender' : 'seller'}`);
  }
  const defaulted = await db.$queryRaw<{ kind: string }[]>`SELECT kind FROM line_delinquency_event WHERE credit_line_id = ${lineId}::uuid AND kind = 'DEFAULTED' LIMIT 1`;
  if (line.status !== 'IN_DEFAULT' || defaulted.length === 0) {
    throw new BusinessRuleError('line_not_in_default', `credit line ${lineId} is ${line.status}; a liquidation is started on a line IN_DEFAULT by days past due (GET /credit-lines/${lineId}/delinquency)`);
  }
  const live = await db.marginCall.findFirst({ where: { creditLineId: lineId, status: { in: ['OPEN', 'LIQUIDATING'] } } });
  if (live?.status === 'LIQUIDATING') throw new ConflictError(`credit line ${lineId} is already in liquidation (margin call ${live.id})`);
  const [figures] = await borrowingBaseTotalsOfLines(db, { lineIds: [lineId], now });
  assert(figures !== undefined, `credit line ${lineId} is valued`);
  const owed = await owedOf(db, line);
  const principal = Money.of(figures.outstandingPrincipal, line.currency);
  const collateralValue = Money.of(figures.totals.eligibleCollateralValue, line.currency);
  const latest = {
    outstandingPrincipal: principal.amount.toFixed(),
    collateralValue: collateralValue.amount.toFixed(),
    // Everything owed is due: what cures the line is paying all of it.
    requiredRepayment: principal.plus(owed.interest).plus(owed.fees).amount.toFixed(),
    requiredAdditionalCollateralValue: '0',
    evaluatedAt: now,
  };
  const liquidation = { status: 'LIQUIDATING' as const, liquidationReason: 'PAST_DUE' as const, liquidationStartedAt: now };
  const call = live
    ? await db.marginCall.update({ where: { id: live.id }, data: { ...latest, ...liquidation } })
    : await db.marginCall.create({
        data: {
          creditLineId: line.id,
          currency: line.currency,
          openedAt: now,
          cureDeadline: null,
          targetLtv: line.targetLtv,
          outstandingPrincipalAtOpen: latest.outstandingPrincipal,
          collateralValueAtOpen: latest.collateralValue,
          workflowId: lineMarginWorkflowId(line.id),
          ...latest,
          ...liquidation,
        },
      });
  await db.auditRecord.create({
    data: { actorUserId: actor.userId, organisationId: line.lenderOrganisationId, action: 'margin_call.liquidation_started', targetType: 'margin_call', targetId: call.id, before: Prisma.JsonNull, after: { reason: 'PAST_DUE', ...latest, evaluatedAt: now.toISOString() }, requestId: null },
  });
  const message = `Credit line ${line.id} is in liquidation: it is in default, past due. The lender may sell the pledged goods; proceeds pay fees, interest and principal.`;
  await tellParties(db, line, { kind: 'LIQUIDATION_STARTED', message, callId: call.id, event: 'liquidation' });
  await recordEvent(db, 'margin_call.liquidating', { subjectId: call.id, parties: partiesOfLine(line), data: { ...marginCallFacts(call), liquidationReason: 'PAST_DUE' } });
  return call;
}

async function setLineStatus(db: Db, line: CreditLine, status: 'IN_DEFAULT' | 'FROZEN', callId: string): Promise<void> {
  if (line.status === status) return;
  await db.creditLine.update({ where: { id: line.id }, data: { status } });
  await systemAudit(db, line, `credit_line.${status === 'IN_DEFAULT' ? 'default' : 'leave_default'}`, line.id, { status, marginCallId: callId }, { status: line.status }, 'credit_line');
  await recordEvent(db, 'credit_line.status_changed', {
    subjectId: line.id,
    parties: partiesOfLine(line),
    data: { creditLineId: line.id, from: line.status, to: status, change: status === 'IN_DEFAULT' ? 'default' : 'leave_default' },
  });
}

const partiesOfLine = (line: CreditLine) => [line.lenderOrganisationId, line.sellerOrganisationId];

/**
 * A call's figures as events show them: money at the currency's scale. The
 * collateral value and principal are rounded half-even for display; the
 * repayment a call demands is rounded up, so that paying the amount shown cures it.
 * The call itself (GET …/margin-calls) keeps the exact figures.
 */
function marginCallFacts(call: MarginCall) {
  const money = (value: Prisma.Decimal, rounding?: Decimal.Rounding) => Money.of(value.toFixed(), call.currency).roundToScale(rounding).toJSON();
  return {
    marginCallId: call.id,
    creditLineId: call.creditLineId,
    status: call.status,
    outstandingPrincipal: money(call.outstandingPrincipal),
    collateralValue: money(call.collateralValue),
    requiredRepayment: money(call.requiredRepayment, D.ROUND_UP),
    cureDeadline: call.cureDeadline?.toISOString() ?? null,
  };
}

/** Changes made by the margin process itself have no user: the audit names the lender's organisation and no actor. */
async function systemAudit(
  db: Db,
  line: CreditLine,
  action: string,
  targetId: string,
  after: Prisma.InputJsonValue,
  before: Prisma.InputJsonValue | null = null,
  targetType = 'margin_call',
): Promise<void> {
  await db.auditRecord.create({
    data: { actorUserId: null, organisationId: line.lenderOrganisationId, action, targetType, targetId, before: before ?? Prisma.JsonNull, after, requestId: null },
  });
}

async function tellParties(db: Db, line: CreditLine, input: { kind: string; message: string; callId: string; event: string }): Promise<void> {
  await tellOrganisations(
    db,
    [line.lenderOrganisationId, line.sellerOrganisationId].map((organisationId) => ({
      organisationId,
      kind: input.kind,
      message: input.message,
      subjectType: 'margin_call',
      subjectId: input.callId,
      dedupeKey: `margin-call:${input.callId}:${input.event}:${organisationId}`,
    })),
  );
}

function ltvText(figures: Figures): string {
  if (figures.collateralValue.isZero()) return figures.outstandingPrincipal.isZero() ? '0' : 'infinite (no eligible collateral)';
  return figures.outstandingPrincipal.amount.dividedBy(figures.collateralValue.amount).toDecimalPlaces(4, D.ROUND_HALF_EVEN).toFixed();
}

const decimal = (value: Prisma.Decimal) => new D(value.toFixed());

async function owedOf(db: Db, line: CreditLine): Promise<{ interest: Money; fees: Money }> {
  const byCode = new Map((await balances(db, { accountSetId: line.id })).map((account) => [account.code, account.balance]));
  return {
    interest: byCode.get('INTEREST_RECEIVABLE') ?? Money.zero(line.currency),
    fees: byCode.get('FEES_RECEIVABLE') ?? Money.zero(line.currency),
  };
}

// ─── Reading ─────────────────────────────────────────────────────────────────

/** A line's margin calls, newest first, for its lender and seller; anyone else gets 404. */
export async function marginCallsOfLine(
  db: Db,
  actor: Pick<CustodyActor, 'organisationId'>,
  lineId: string,
  page: { beforeId: { openedAt: Date; id: string } | null; limit: number },
): Promise<MarginCall[]> {
  const line = await db.creditLine.findUnique({ where: { id: lineId } });
  if (!line || (line.lenderOrganisationId !== actor.organisationId && line.sellerOrganisationId !== actor.organisationId)) {
    throw new NotFoundError('credit line', lineId);
  }
  return db.marginCall.findMany({
    where: {
      creditLineId: lineId,
      ...(page.beforeId
        ? { OR: [{ openedAt: { lt: page.beforeId.openedAt } }, { openedAt: page.beforeId.openedAt, id: { lt: page.beforeId.id } }] }
        : {}),
    },
    orderBy: [{ openedAt: 'desc' }, { id: 'desc' }],
    take: Math.min(page.limit, MARGIN_CALLS_PAGE_MAX),
  });
}

// ─── Which lines to revalue ──────────────────────────────────────────────────

/**
 * One page (id order, after `afterLineId`) of the lines of the mark's lender,
 * in its currency, with goods of its commodity and grade pledged: the ones a
 * new mark revalues. The caller pages until a short page: every such line is revalued.
 */
export async function linesRevaluedByMark(
  db: Db,
  mark: { lenderOrganisationId: string; commodityCode: string; grade: string; currency: string },
  page: { afterLineId: string | null; limit: number },
): Promise<string[]> {
  // A page is revalued in one statement; taking fewer rows than asked would end the caller's paging early.
  assert(Number.isInteger(page.limit) && page.limit >= 1 && page.limit <= LINES_TOTALS_BATCH_MAX, `a page of lines to revalue holds 1 to ${LINES_TOTALS_BATCH_MAX}; got ${page.limit}`);
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT cl.id::text AS id
      FROM credit_line cl
     WHERE cl.lender_organisation_id = ${mark.lenderOrganisationId}::uuid AND cl.currency = ${mark.currency}
       AND cl.status <> 'CLOSED'
       AND (${page.afterLineId}::uuid IS NULL OR cl.id > ${page.afterLineId}::uuid)
       -- A semi-join stops at a line's first matching lot, instead of joining all of them and then DISTINCT.
       AND EXISTS (SELECT 1 FROM lien li JOIN lot l ON l.id = li.lot_id
                    WHERE li.credit_line_id = cl.id AND li.released_at IS NULL
                      AND l.commodity_code = ${mark.commodityCode} AND l.grade = ${mark.grade})
     ORDER BY cl.id
     LIMIT ${page.limit}`;
  return rows.map((row) => row.id);
}

/** The line a lot is pledged to now, if any. */
export async function lineOfPledgedLot(db: Db, lotId: string): Promise<string | null> {
  const lien = await db.lien.findFirst({ where: { lotId, releasedAt: null } });
  return lien?.creditLineId ?? null;
}

/**
 * One page (id order, after `afterLineId`) of the lines the daily check
 * revalues: every line that is not CLOSED and has goods pledged, a live call,
 * or a recorded margin-check failure (which the check retries).
 */
export async function linesForDailyCheck(db: Db, page: { afterLineId: string | null; limit: number }): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT cl.id::text AS id FROM credit_line cl
     WHERE cl.status <> 'CLOSED'
       AND (${page.afterLineId}::uuid IS NULL OR cl.id > ${page.afterLineId}::uuid)
       AND (EXISTS (SELECT 1 FROM lien li WHERE li.credit_line_id = cl.id AND li.released_at IS NULL)
            OR EXISTS (SELECT 1 FROM margin_call mc WHERE mc.credit_line_id = cl.id AND mc.status IN ('OPEN', 'LIQUIDATING'))
            OR EXISTS (SELECT 1 FROM margin_check_failure f WHERE f.credit_line_id = cl.id))
     ORDER BY cl.id
     LIMIT ${Math.min(page.limit, LINES_PAGE_MAX)}`;
  return rows.map((row) => row.id);
}
