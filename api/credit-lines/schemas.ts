/**
 * Wire shapes of credit lines, and the translation between the wire terms
 * (decimal strings in the line's currency) and the domain's `CreditTerms`.
 *
 * Validation happens in two passes: zod checks the shape (strings not JSON
 * numbers, digits that fit the columns without rounding), then the domain's
 * `validateCreditTerms` checks consistency and every problem is reported at
 * once under the request's own paths (`terms.targetLtv` → `body.terms.targetLtv`).
 */
import { z } from 'zod';
import { WATERFALL_BUCKETS, validateCreditTerms, type CreditTerms, type OnSaleFee } from '../../domain/credit-terms';
import { DAY_COUNTS } from '../../domain/day-count';
import { BILLING_DAY_OF_MONTH_MAX, BILLING_DUE_AFTER_DAYS_MAX } from '../../domain/interest-billing';
import { D, Money, isCurrency } from '../../domain/money';
import { creditTermsAsJson } from '../../prisma/credit-lines/store';
import { HttpProblem } from '../http/problem';
import { CalendarDate, MoneySchema, orNull, Ratio, Timestamp, UnitPrice, Uuid } from '../http/schemas';

/** INTEGER columns (hours, days). */
const WHOLE_NUMBER_MAX = 2_147_483_647;
const COMMODITY_RATES_MAX = 200;

/** A fraction such as "0.5" (50 %), stored without rounding: the Ratio component (NUMERIC(20, 10)). */
const RateString = Ratio;

const WholeNumber = z.int('must be a whole number').max(WHOLE_NUMBER_MAX);

const LineCurrency = z
  .string()
  .refine(isCurrency, 'must be a supported ISO 4217 currency code such as "USD"')
  .meta({ example: 'USD' });

const CommodityCode = z.string().max(64);

const WaterfallBucket = z.enum(['FEES', 'INTEREST', 'PRINCIPAL']);

const OnSaleFeeWire = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('STORAGE_DAYS'),
      days: WholeNumber,
      dailyStorageRatePerUnit: UnitPrice,
    }),
    z.object({
      // In percent: "1.5" means 1.5 % of proceeds.
      kind: z.literal('PERCENT_OF_PROCEEDS'),
      percent: RateString,
    }),
  ])
  .nullable();

/** What happens after maturity (domain/delinquency.ts); amendable like every term. */
const DelinquencyTermsWire = z
  .object({
    gracePeriodDays: z.int('must be a whole number').min(0).max(WHOLE_NUMBER_MAX).meta({ description: 'Days past due before an amount is overdue (0: from the first day past due)' }),
    defaultInterestSpread: RateString,
    defaultAfterDaysPastDue: z
      .int('must be a whole number')
      .min(1)
      .max(WHOLE_NUMBER_MAX)
      .nullable()
      .meta({ description: 'Days past due from which the line is IN_DEFAULT and the lender may liquidate; null: never by itself' }),
  })
  .meta({
    id: 'DelinquencyTerms',
    description:
      'At maturity everything owed is due; unpaid after gracePeriodDays it is overdue, and overdue principal accrues default interest from the first day past due: ' +
      'defaultInterestSpread over the contract rate, a fraction per year ("0.02" = 2.00 % p.a.; "0" for none)',
  });

/** Interest billed monthly (domain/interest-billing.ts); amendable like every term. */
const InterestBillingWire = z
  .object({
    dayOfMonth: z.int('must be a whole number').min(1).max(BILLING_DAY_OF_MONTH_MAX),
    dueAfterDays: z.int('must be a whole number').min(0).max(BILLING_DUE_AFTER_DAYS_MAX),
  })
  .nullable()
  .meta({
    id: 'InterestBilling',
    description:
      `Interest billed on dayOfMonth (1..${BILLING_DAY_OF_MONTH_MAX}) of every month, for the days since the previous bill up to the day before, due dueAfterDays (0..${BILLING_DUE_AFTER_DAYS_MAX}) later; ` +
      'billed interest unpaid after its due date is past due. null (the default): interest is due at maturity',
  });

export const CreditTermsWire = z
  .object({
    currency: LineCurrency,
    limit: MoneySchema,
    defaultAdvanceRate: RateString,
    advanceRatesByCommodity: z
      .record(CommodityCode, RateString)
      .refine((rates) => Object.keys(rates).length <= COMMODITY_RATES_MAX, `must name at most ${COMMODITY_RATES_MAX} commodities`)
      .default({}),
    haircut: RateString,
    annualInterestRate: RateString,
    floatingRate: z
      .object({
        referenceRateId: Uuid,
        spread: RateString,
        floor: orNull(RateString).default(null),
      })
      .nullable()
      .default(null)
      .meta({
        description:
          'Set: each day accrues at max(0, max(fixing in force that day, floor) + spread); null: the fixed annualInterestRate. referenceRateId: a reference rate your organisation registered ' +
          '(POST /reference-rates), with a fixing on or before the day the rate takes effect; spread: added to the reference rate, a fraction per year ("0.0175" = 1.75 %), may be negative; ' +
          'floor: a floor on the reference rate ("0" = a 0 % floor), null for none',
      }),
    dayCount: z.enum(DAY_COUNTS),
    feeSchedule: z.object({ onSale: OnSaleFeeWire.default(null), perDraw: orNull(MoneySchema).default(null) }),
    maxMarkAgeHours: WholeNumber,
    marginCallLtv: RateString,
    liquidationLtv: RateString,
    targetLtv: RateString,
    curePeriodHours: WholeNumber,
    stockCountIntervalDays: WholeNumber,
    maturityDate: CalendarDate,
    approvalThresholds: z.object({ autoApproveUpTo: MoneySchema, singleApproverUpTo: MoneySchema }),
    approvalWindowHours: WholeNumber,
    waterfallOrder: z.array(WaterfallBucket).max(WATERFALL_BUCKETS.length * 2).default(['FEES', 'INTEREST', 'PRINCIPAL']),
    delinquency: DelinquencyTermsWire.default({ gracePeriodDays: 0, defaultInterestSpread: '0', defaultAfterDaysPastDue: null }),
    interestBilling: InterestBillingWire.default(null),
    concentrationLimits: z
      .object({
        commodity: orNull(RateString).default(null),
        warehouse: orNull(RateString).default(null),
        lot: orNull(RateString).default(null),
      })
      .default({ commodity: null, warehouse: null, lot: null })
      .meta({
        description:
          'The largest share of the borrowing base one commodity, one warehouse or one lot may provide ("0.5" = 50 %; null for none), as shares of the base after the cut: ' +
          'what exceeds a limit is ineligible (CONCENTRATION_COMMODITY, CONCENTRATION_WAREHOUSE, CONCENTRATION_LOT on the lot), and the cut is the smallest that keeps every group within its limit. With a limit below 1, one commodity (or warehouse) alone provides all of any base, so at least two are needed for a base above zero',
      }),
  })
  .meta({
    id: 'CreditTerms',
    description:
      'Amounts (limit, perDraw, approval thresholds) are Money in the line currency; feeSchedule.onSale.dailyStorageRatePerUnit is a UnitPrice in the line currency per unit of goods (the lots\' unit) per day, and may be finer than a cent; rates, haircut and LTVs are fractions ("0.5" = 50 %) except feeSchedule.onSale.percent, which is in percent. ' +
      'annualInterestRate is the fixed rate, not used while floatingRate is set',
  });

export type CreditTermsWire = z.infer<typeof CreditTermsWire>;

/** NOT a credit term of the domain's `CreditTerms`: which custodians the lender trusts, stored with the line. */
const APPROVED_WAREHOUSES_MAX = 200;
export const ApprovedWarehouseIds = z
  .array(Uuid)
  .max(APPROVED_WAREHOUSES_MAX)
  .refine((ids) => new Set(ids).size === ids.length, 'must not name a warehouse twice')
  .meta({
    description:
      'Warehouses the lender accepts as collateral managers for this line; each must be operated by one of the lender\'s WAREHOUSE counterparts. Goods anywhere else are ineligible (WAREHOUSE_NOT_APPROVED)',
  });

export const OpenCreditLineBody = z.object({
  sellerOrganisationId: Uuid,
  terms: CreditTermsWire.extend({ approvedWarehouseIds: ApprovedWarehouseIds.default([]) }),
});

export const CreditLineStatus = z
  .enum(['OFFERED', 'DECLINED', 'WITHDRAWN', 'ACTIVE', 'FROZEN', 'IN_DEFAULT', 'CLOSED'])
  .meta({ description: 'OFFERED until the seller accepts (ACTIVE) or declines (DECLINED), or the lender withdraws it (WITHDRAWN)' });

export const CreditLineSummary = z
  .object({
    id: Uuid,
    lenderOrganisationId: Uuid,
    sellerOrganisationId: Uuid,
    status: CreditLineStatus,
    terms: CreditTermsWire.extend({ approvedWarehouseIds: z.array(Uuid) }),
    acceptedAt: orNull(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'CreditLineSummary' });

export const CreditLineOutstanding = z
  .object({ principal: MoneySchema, interestReceivable: MoneySchema, feesReceivable: MoneySchema })
  .meta({ id: 'CreditLineOutstanding', description: "Read from the line's ledger balances" });

export const CreditLineAccrual = z
  .object({
    lastAccruedDate: orNull(CalendarDate).meta({ description: 'Latest day whose interest has accrued (YYYY-MM-DD); null before the first' }),
    failure: z
      .object({
        accrualDate: CalendarDate,
        reason: z.string(),
        since: Timestamp,
        lastAttemptAt: Timestamp,
        attempts: z.number().int(),
      })
      .nullable()
      .meta({ description: 'Why interest is not accruing; null while it accrues. Every accrual run retries; the lender was notified.' }),
  })
  .meta({ id: 'CreditLineAccrual', description: "How far the line's daily interest accrual got, and whether it is stuck" });

export const CreditLineDetail = CreditLineSummary.extend({ outstanding: CreditLineOutstanding, accrual: CreditLineAccrual }).meta({ id: 'CreditLine' });

export const LineIdParams = z.object({ lineId: Uuid });

// ---------------------------------------------------------------------------
// Wire ↔ domain

/** The domain terms a request describes; amounts are in the line currency. */
export function creditTermsFromWire(wire: CreditTermsWire): CreditTerms {
  // Money in another currency than the line's is refused by validateCreditTerms, under the field's own path.
  const money = (value: { amount: string; currency: string }) => Money.of(value.amount, value.currency);
  return {
    currency: wire.currency,
    limit: money(wire.limit),
    defaultAdvanceRate: new D(wire.defaultAdvanceRate),
    advanceRatesByCommodity: Object.fromEntries(Object.entries(wire.advanceRatesByCommodity).map(([code, rate]) => [code, new D(rate)])),
    haircut: new D(wire.haircut),
    annualInterestRate: new D(wire.annualInterestRate),
    floatingRate: wire.floatingRate
      ? { referenceRateId: wire.floatingRate.referenceRateId, spread: new D(wire.floatingRate.spread), floor: wire.floatingRate.floor === null ? null : new D(wire.floatingRate.floor) }
      : null,
    dayCount: wire.dayCount,
    feeSchedule: {
      onSale: onSaleFeeFromWire(wire.feeSchedule.onSale),
      perDraw: wire.feeSchedule.perDraw === null ? null : money(wire.feeSchedule.perDraw),
    },
    maxMarkAgeHours: wire.maxMarkAgeHours,
    marginCallLtv: new D(wire.marginCallLtv),
    liquidationLtv: new D(wire.liquidationLtv),
    targetLtv: new D(wire.targetLtv),
    curePeriodHours: wire.curePeriodHours,
    stockCountIntervalDays: wire.stockCountIntervalDays,
    maturityDate: wire.maturityDate,
    approvalThresholds: {
      autoApproveUpTo: money(wire.approvalThresholds.autoApproveUpTo),
      singleApproverUpTo: money(wire.approvalThresholds.singleApproverUpTo),
    },
    concentrationLimits: {
      commodity: wire.concentrationLimits.commodity === null ? null : new D(wire.concentrationLimits.commodity),
      warehouse: wire.concentrationLimits.warehouse === null ? null : new D(wire.concentrationLimits.warehouse),
      lot: wire.concentrationLimits.lot === null ? null : new D(wire.concentrationLimits.lot),
    },
    approvalWindowHours: wire.approvalWindowHours,
    waterfallOrder: wire.waterfallOrder,
    interestBilling: wire.interestBilling === null ? null : { dayOfMonth: wire.interestBilling.dayOfMonth, dueAfterDays: wire.interestBilling.dueAfterDays },
    delinquency: {
      gracePeriodDays: wire.delinquency.gracePeriodDays,
      defaultInterestSpread: new D(wire.delinquency.defaultInterestSpread),
      defaultAfterDaysPastDue: wire.delinquency.defaultAfterDaysPastDue,
    },
  };
}

/** The terms as the API writes them: the stored terms' JSON with each amount as Money at the currency's scale. */
export function creditTermsToWire(terms: CreditTerms): CreditTermsWire {
  const json = creditTermsAsJson(terms);
  const money = (amount: string) => ({ amount, currency: json.currency });
  return {
    ...json,
    limit: money(json.limit),
    feeSchedule: {
      onSale:
        json.feeSchedule.onSale?.kind === 'STORAGE_DAYS'
          ? { kind: 'STORAGE_DAYS', days: json.feeSchedule.onSale.days, dailyStorageRatePerUnit: { amount: json.feeSchedule.onSale.dailyStorageRatePerUnit, currency: json.currency, unit: json.feeSchedule.onSale.unit } }
          : json.feeSchedule.onSale,
      perDraw: json.feeSchedule.perDraw === null ? null : money(json.feeSchedule.perDraw) },
    approvalThresholds: { autoApproveUpTo: money(json.approvalThresholds.autoApproveUpTo), singleApproverUpTo: money(json.approvalThresholds.singleApproverUpTo) },
  };
}

function onSaleFeeFromWire(fee: CreditTermsWire['feeSchedule']['onSale']): OnSaleFee | null {
  if (fee === null) return null;
  if (fee.kind === 'STORAGE_DAYS') {
    // In another currency than the line's, validateCreditTerms refuses it under the field's own path.
    return { kind: 'STORAGE_DAYS', days: fee.days, dailyStorageRatePerUnit: Money.of(fee.dailyStorageRatePerUnit.amount, fee.dailyStorageRatePerUnit.currency), unit: fee.dailyStorageRatePerUnit.unit };
  }
  return { kind: 'PERCENT_OF_PROCEEDS', percent: new D(fee.percent) };
}

/**
 * Refuses inconsistent terms with one 400 that lists every problem, each under
 * the path the client sent it at (the domain says `terms.x`; the request has it
 * at `body.terms.x`).
 */
export function requireConsistentTerms(terms: CreditTerms): void {
  const problems = validateCreditTerms(terms);
  if (problems.length === 0) return;
  const errors = problems.map((problem) => ({ path: `body.${problem.field}`, reason: problem.reason }));
  throw new HttpProblem(
    400,
    'validation_failed',
    'Invalid request',
    `${errors.length} credit term(s) are inconsistent: ${errors.map((e) => `${e.path}: ${e.reason}`).join('; ')}`,
    errors,
  );
}
