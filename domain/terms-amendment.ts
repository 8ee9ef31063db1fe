/**
 * Amending a credit line's terms.
 *
 * An amendment is a whole new version of the terms, in force from its
 * effective date. Its life:
 *
 *   propose (lender OPERATOR or ADMIN) ─▶ PENDING_APPROVAL
 *   approve (another lender ADMIN, APPROVER or OPERATOR — never the proposer)
 *       ─▶ AGREED, or PENDING_ACCEPTANCE when it worsens the seller's terms
 *   accept (the seller's ADMIN) ─▶ AGREED
 *   withdraw (lender ADMIN or OPERATOR) / decline (seller ADMIN) ─▶ WITHDRAWN / DECLINED, from either pending status
 *
 * Effective dates are today or later (UTC), never back-dated: accrual runs
 * only for days before today, so no day already accrued ever changes terms.
 * An amendment not agreed by its effective date lapses into refusal of the
 * last step (propose it again with a new date).
 *
 * "Worsens the seller's terms" (`worsenings`) is field by field, and each
 * field in the direction that costs the seller money, borrowing room or time:
 * a lower limit, advance rate (default, or any commodity's, the default
 * applying where a commodity has none) or margin-call, liquidation or target
 * LTV; a higher haircut, fixed rate, spread or floor (a floor added counts as
 * raised), per-draw fee or on-sale fee (days, daily rate or percent; a fee
 * added, or its kind changed); a shorter maximum mark age, cure period,
 * stock-count interval, approval window or grace period; a concentration limit
 * added or lowered; an earlier maturity; a higher default-interest spread;
 * defaulting after fewer days past due; interest billing added, due after fewer
 * days, or billed on another day of the month (domain/interest-billing.ts); lower
 * approval thresholds (more draws wait for people); a warehouse removed from
 * the approved list. Changes that cannot be ordered for every day — a
 * different day count, a change between fixed and floating or of the
 * reference rate, a different waterfall order — always count as worsening,
 * so that the seller decides. Anything else (the opposite directions, a
 * warehouse added) does not.
 */
import { Decimal } from 'decimal.js';
import { advanceRateFor, concentrationLimitsOf, type CreditTerms, type OnSaleFee } from './credit-terms';
import { NO_DELINQUENCY_TERMS, type DelinquencyTerms } from './delinquency';
import { interestBillingWorsenings } from './interest-billing';
import type { LineParty } from './credit-line-status';
import type { UserRole } from './onboarding';

export type AmendmentStatus = 'PENDING_APPROVAL' | 'PENDING_ACCEPTANCE' | 'AGREED' | 'WITHDRAWN' | 'DECLINED';
export type AmendmentAction = 'propose' | 'approve' | 'accept' | 'withdraw' | 'decline';

export interface AmendableTerms extends CreditTerms {
  approvedWarehouseIds: readonly string[];
}

/** The fields (CreditTerms paths) in which `after` is worse for the seller than `before`; empty when it is not worse. */
export function worsenings(before: AmendableTerms, after: AmendableTerms): string[] {
  const worse: string[] = [];
  const lower = (field: string, a: Decimal, b: Decimal) => b.lt(a) && worse.push(field);
  const higher = (field: string, a: Decimal, b: Decimal) => b.gt(a) && worse.push(field);
  const shorter = (field: string, a: number, b: number) => b < a && worse.push(field);

  lower('limit', before.limit.amount, after.limit.amount);
  lower('defaultAdvanceRate', before.defaultAdvanceRate, after.defaultAdvanceRate);
  const commodities = new Set([...Object.keys(before.advanceRatesByCommodity), ...Object.keys(after.advanceRatesByCommodity)]);
  for (const code of [...commodities].sort()) {
    lower(`advanceRatesByCommodity.${code}`, advanceRateFor(before, code), advanceRateFor(after, code));
  }
  higher('haircut', before.haircut, after.haircut);
  rateWorsenings(before, after, worse);
  if (after.dayCount !== before.dayCount) worse.push('dayCount');
  feeWorsenings(before, after, worse);
  shorter('maxMarkAgeHours', before.maxMarkAgeHours, after.maxMarkAgeHours);
  lower('marginCallLtv', before.marginCallLtv, after.marginCallLtv);
  lower('liquidationLtv', before.liquidationLtv, after.liquidationLtv);
  lower('targetLtv', before.targetLtv, after.targetLtv);
  shorter('curePeriodHours', before.curePeriodHours, after.curePeriodHours);
  shorter('stockCountIntervalDays', before.stockCountIntervalDays, after.stockCountIntervalDays);
  if (after.maturityDate < before.maturityDate) worse.push('maturityDate');
  delinquencyWorsenings(before.delinquency ?? NO_DELINQUENCY_TERMS, after.delinquency ?? NO_DELINQUENCY_TERMS, worse);
  worse.push(...interestBillingWorsenings(before.interestBilling ?? null, after.interestBilling ?? null));
  lower('approvalThresholds.autoApproveUpTo', before.approvalThresholds.autoApproveUpTo.amount, after.approvalThresholds.autoApproveUpTo.amount);
  lower('approvalThresholds.singleApproverUpTo', before.approvalThresholds.singleApproverUpTo.amount, after.approvalThresholds.singleApproverUpTo.amount);
  shorter('approvalWindowHours', before.approvalWindowHours, after.approvalWindowHours);
  if (before.waterfallOrder.join() !== after.waterfallOrder.join()) worse.push('waterfallOrder');
  concentrationWorsenings(before, after, worse);
  const kept = new Set(after.approvedWarehouseIds);
  if (before.approvedWarehouseIds.some((id) => !kept.has(id))) worse.push('approvedWarehouseIds');
  return worse;
}

function rateWorsenings(before: CreditTerms, after: CreditTerms, worse: string[]): void {
  const a = before.floatingRate ?? null;
  const b = after.floatingRate ?? null;
  if (a === null && b === null) {
    if (after.annualInterestRate.gt(before.annualInterestRate)) worse.push('annualInterestRate');
    return;
  }
  if (a === null || b === null || a.referenceRateId !== b.referenceRateId) {
    worse.push('floatingRate');
    return;
  }
  if (b.spread.gt(a.spread)) worse.push('floatingRate.spread');
  if (b.floor !== null && (a.floor === null || b.floor.gt(a.floor))) worse.push('floatingRate.floor');
}

/** A shorter grace period, a higher default spread, or defaulting sooner (or at all, where the line never did) is worse. */
function delinquencyWorsenings(before: DelinquencyTerms, after: DelinquencyTerms, worse: string[]): void {
  if (after.gracePeriodDays < before.gracePeriodDays) worse.push('delinquency.gracePeriodDays');
  if (after.defaultInterestSpread.gt(before.defaultInterestSpread)) worse.push('delinquency.defaultInterestSpread');
  const defaultsSooner = after.defaultAfterDaysPastDue !== null && (before.defaultAfterDaysPastDue === null || after.defaultAfterDaysPastDue < before.defaultAfterDaysPastDue);
  if (defaultsSooner) worse.push('delinquency.defaultAfterDaysPastDue');
}

/** A concentration limit added or lowered cuts more of the borrowing base. */
function concentrationWorsenings(before: CreditTerms, after: CreditTerms, worse: string[]): void {
  const a = concentrationLimitsOf(before);
  const b = concentrationLimitsOf(after);
  for (const dimension of ['commodity', 'warehouse', 'lot'] as const) {
    const limitBefore = a[dimension];
    const limitAfter = b[dimension];
    if (limitAfter !== null && (limitBefore === null || limitAfter.lt(limitBefore))) worse.push(`concentrationLimits.${dimension}`);
  }
}

function feeWorsenings(before: CreditTerms, after: CreditTerms, worse: string[]): void {
  const drawBefore = before.feeSchedule.perDraw?.amount ?? new Decimal(0);
  const drawAfter = after.feeSchedule.perDraw?.amount ?? new Decimal(0);
  if (drawAfter.gt(drawBefore)) worse.push('feeSchedule.perDraw');
  if (onSaleFeeWorse(before.feeSchedule.onSale, after.feeSchedule.onSale)) worse.push('feeSchedule.onSale');
}

function onSaleFeeWorse(a: OnSaleFee | null, b: OnSaleFee | null): boolean {
  if (b === null) return false;
  if (a === null || a.kind !== b.kind) return true;
  if (a.kind === 'PERCENT_OF_PROCEEDS' && b.kind === 'PERCENT_OF_PROCEEDS') return b.percent.gt(a.percent);
  if (a.kind === 'STORAGE_DAYS' && b.kind === 'STORAGE_DAYS') {
    // A rate per another unit cannot be compared with the old one: the seller accepts it.
    return b.unit !== a.unit || b.days > a.days || b.dailyStorageRatePerUnit.amount.gt(a.dailyStorageRatePerUnit.amount);
  }
  return true;
}

// ─── Who may do what ─────────────────────────────────────────────────────────

interface ActionRule {
  by: LineParty;
  roles: readonly UserRole[];
  from: readonly AmendmentStatus[];
}

export const AMENDMENT_ACTIONS: Record<Exclude<AmendmentAction, 'propose'>, ActionRule> = {
  approve: { by: 'LENDER', roles: ['ADMIN', 'APPROVER', 'OPERATOR'], from: ['PENDING_APPROVAL'] },
  accept: { by: 'SELLER', roles: ['ADMIN'], from: ['PENDING_ACCEPTANCE'] },
  withdraw: { by: 'LENDER', roles: ['ADMIN', 'OPERATOR'], from: ['PENDING_APPROVAL', 'PENDING_ACCEPTANCE'] },
  decline: { by: 'SELLER', roles: ['ADMIN'], from: ['PENDING_ACCEPTANCE'] },
};

export const PROPOSER_ROLES: readonly UserRole[] = ['ADMIN', 'OPERATOR'];

export type AmendmentDecision =
  | { allowed: true }
  | { allowed: false; refusal: 'forbidden' | 'wrong_status' | 'own_proposal'; reason: string };

export function decideProposal(party: LineParty, role: UserRole): AmendmentDecision {
  if (party === 'LENDER' && PROPOSER_ROLES.includes(role)) return { allowed: true };
  return { allowed: false, refusal: 'forbidden', reason: `only an ${PROPOSER_ROLES.join(' or ')} of the line's lender proposes an amendment; you are ${role} of its ${party.toLowerCase()}` };
}

/** Whether the actor may take `action` on an amendment in `status` proposed by `proposedBy`. */
export function decideAmendmentAction(
  action: Exclude<AmendmentAction, 'propose'>,
  amendment: { status: AmendmentStatus; proposedBy: string | null },
  actor: { party: LineParty; role: UserRole; userId: string },
): AmendmentDecision {
  const rule = AMENDMENT_ACTIONS[action];
  if (actor.party !== rule.by || !rule.roles.includes(actor.role)) {
    return { allowed: false, refusal: 'forbidden', reason: `only ${rule.roles.join(' or ')} of the line's ${rule.by.toLowerCase()} can ${action} an amendment; you are ${actor.role} of its ${actor.party.toLowerCase()}` };
  }
  if (!rule.from.includes(amendment.status)) {
    return { allowed: false, refusal: 'wrong_status', reason: `is ${amendment.status}; only an amendment that is ${rule.from.join(' or ')} can be ${action === 'accept' ? 'accepted' : `${action}${action.endsWith('e') ? 'd' : 'n'}`}` };
  }
  if (action === 'approve' && amendment.proposedBy === actor.userId) {
    return { allowed: false, refusal: 'own_proposal', reason: 'was proposed by you; a second lender user approves it' };
  }
  return { allowed: true };
}

/** Where an approved amendment goes: the seller accepts what worsens its terms. */
export function statusAfterApproval(worsensForSeller: boolean): AmendmentStatus {
  return worsensForSeller ? 'PENDING_ACCEPTANCE' : 'AGREED';
}

/** Null when `effectiveFrom` ('YYYY-MM-DD') may take effect as of `today`, else why not. */
export function effectiveFromProblem(effectiveFrom: string, today: string): string | null {
  return effectiveFrom < today ? `${effectiveFrom} is before today (${today}); an amendment takes effect today or later, never on days already past` : null;
}
