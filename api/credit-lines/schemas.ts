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
import { D, Money, isCurrency } from '../../domain/money';
import { HttpProblem } from '../http/problem';
import { DecimalString, IsoDate, MoneySchema, Uuid } from '../http/schemas';

/** NUMERIC(20, 10) for rates: more than 10 places would be rounded by PostgreSQL, so they are refused. */
const RATE_DECIMAL_PLACES_MAX = 10;
const RATE_INTEGER_DIGITS_MAX = 10;
/** NUMERIC(38, 18) for amounts: 20 integer digits. */
const AMOUNT_INTEGER_DIGITS_MAX = 20;
/** INTEGER columns (hours, days). */
const WHOLE_NUMBER_MAX = 2_147_483_647;
const COMMODITY_RATES_MAX = 200;

function integerDigits(value: string): number {
  return value.replace('-', '').split('.')[0].replace(/^0+(?=\d)/, '').length;
}

function decimalPlaces(value: string): number {
  return value.split('.')[1]?.length ?? 0;
}

/** A fraction such as "0.5" (50 %), stored without rounding. */
const RateString = DecimalString.refine(
  (value) => decimalPlaces(value) <= RATE_DECIMAL_PLACES_MAX && integerDigits(value) <= RATE_INTEGER_DIGITS_MAX,
  `must have at most ${RATE_INTEGER_DIGITS_MAX} integer digits and ${RATE_DECIMAL_PLACES_MAX} decimal places`,
);

/** An amount in the line's currency, e.g. "250000.00". */
const AmountString = DecimalString.refine(
  (value) => integerDigits(value) <= AMOUNT_INTEGER_DIGITS_MAX,
  `must have at most ${AMOUNT_INTEGER_DIGITS_MAX} integer digits`,
);

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
      dailyStorageRatePerUnit: AmountString.meta({ description: 'Storage charge per unit of goods per day, in the line currency; may be finer than a cent' }),
    }),
    z.object({
      kind: z.literal('PERCENT_OF_PROCEEDS'),
      percent: RateString.meta({ description: 'In percent: "1.5" means 1.5 % of proceeds' }),
    }),
  ])
  .nullable();

export const CreditTermsWire = z
  .object({
    currency: LineCurrency,
    limit: AmountString,
    defaultAdvanceRate: RateString,
    advanceRatesByCommodity: z
      .record(CommodityCode, RateString)
      .refine((rates) => Object.keys(rates).length <= COMMODITY_RATES_MAX, `must name at most ${COMMODITY_RATES_MAX} commodities`)
      .default({}),
    haircut: RateString,
    annualInterestRate: RateString.meta({ description: 'The fixed rate; not used while floatingRate is set' }),
    floatingRate: z
      .object({
        referenceRateId: Uuid.meta({ description: 'A reference rate your organisation registered (POST /reference-rates), with a fixing on or before the day the rate takes effect' }),
        spread: RateString.meta({ description: 'Added to the reference rate, a fraction per year ("0.0175" = 1.75 %); may be negative' }),
        floor: RateString.nullable().default(null).meta({ description: 'A floor on the reference rate ("0" = a 0 % floor); null for none' }),
      })
      .nullable()
      .default(null)
      .meta({ description: 'Set: each day accrues at max(0, max(fixing in force that day, floor) + spread); null: the fixed annualInterestRate' }),
    dayCount: z.enum(DAY_COUNTS),
    feeSchedule: z.object({ onSale: OnSaleFeeWire.default(null), perDraw: AmountString.nullable().default(null) }),
    maxMarkAgeHours: WholeNumber,
    marginCallLtv: RateString,
    liquidationLtv: RateString,
    targetLtv: RateString,
    curePeriodHours: WholeNumber,
    stockCountIntervalDays: WholeNumber,
    maturityDate: IsoDate,
    approvalThresholds: z.object({ autoApproveUpTo: AmountString, singleApproverUpTo: AmountString }),
    approvalWindowHours: WholeNumber,
    waterfallOrder: z.array(WaterfallBucket).max(WATERFALL_BUCKETS.length * 2).default(['FEES', 'INTEREST', 'PRINCIPAL']),
    concentrationLimits: z
      .object({
        commodity: RateString.nullable().default(null).meta({ description: 'Largest share of the borrowing base one commodity may provide ("0.5" = 50 %); null for none' }),
        warehouse: RateString.nullable().default(null).meta({ description: 'Largest share of the borrowing base one warehouse may provide; null for none' }),
        lot: RateString.nullable().default(null).meta({ description: 'Largest share of the borrowing base one lot may provide; null for none' }),
      })
      .default({ commodity: null, warehouse: null, lot: null })
      .meta({
        description:
          'Shares of the borrowing base after the cut: what exceeds a limit is ineligible (CONCENTRATION_COMMODITY, CONCENTRATION_WAREHOUSE, CONCENTRATION_LOT on the lot), and the cut is the smallest that keeps every group within its limit. With a limit below 1, one commodity (or warehouse) alone provides all of any base, so at least two are needed for a base above zero',
      }),
  })
  .meta({
    id: 'CreditTerms',
    description:
      'Amounts are decimal strings in the line currency; rates, haircut and LTVs are fractions ("0.5" = 50 %) except feeSchedule.onSale.percent, which is in percent',
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
    acceptedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'CreditLineSummary' });

export const CreditLineOutstanding = z
  .object({ principal: MoneySchema, interestReceivable: MoneySchema, feesReceivable: MoneySchema })
  .meta({ id: 'CreditLineOutstanding', description: "Read from the line's ledger balances" });

export const CreditLineAccrual = z
  .object({
    lastAccruedDate: z.string().nullable().meta({ description: 'Latest day whose interest has accrued (YYYY-MM-DD); null before the first' }),
    failure: z
      .object({
        accrualDate: z.string().meta({ description: 'The day the failing run tried to accrue up to (YYYY-MM-DD)' }),
        reason: z.string(),
        since: z.string().meta({ description: 'When accrual first failed (RFC 3339)' }),
        lastAttemptAt: z.string(),
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
  const inLineCurrency = (amount: string) => Money.of(amount, wire.currency);
  return {
    currency: wire.currency,
    limit: inLineCurrency(wire.limit),
    defaultAdvanceRate: new D(wire.defaultAdvanceRate),
    advanceRatesByCommodity: Object.fromEntries(Object.entries(wire.advanceRatesByCommodity).map(([code, rate]) => [code, new D(rate)])),
    haircut: new D(wire.haircut),
    annualInterestRate: new D(wire.annualInterestRate),
    floatingRate: wire.floatingRate
      ? { referenceRateId: wire.floatingRate.referenceRateId, spread: new D(wire.floatingRate.spread), floor: wire.floatingRate.floor === null ? null : new D(wire.floatingRate.floor) }
      : null,
    dayCount: wire.dayCount,
    feeSchedule: {
      onSale: onSaleFeeFromWire(wire.feeSchedule.onSale, wire.currency),
      perDraw: wire.feeSchedule.perDraw === null ? null : inLineCurrency(wire.feeSchedule.perDraw),
    },
    maxMarkAgeHours: wire.maxMarkAgeHours,
    marginCallLtv: new D(wire.marginCallLtv),
    liquidationLtv: new D(wire.liquidationLtv),
    targetLtv: new D(wire.targetLtv),
    curePeriodHours: wire.curePeriodHours,
    stockCountIntervalDays: wire.stockCountIntervalDays,
    maturityDate: wire.maturityDate,
    approvalThresholds: {
      autoApproveUpTo: inLineCurrency(wire.approvalThresholds.autoApproveUpTo),
      singleApproverUpTo: inLineCurrency(wire.approvalThresholds.singleApproverUpTo),
    },
    concentrationLimits: {
      commodity: wire.concentrationLimits.commodity === null ? null : new D(wire.concentrationLimits.commodity),
      warehouse: wire.concentrationLimits.warehouse === null ? null : new D(wire.concentrationLimits.warehouse),
      lot: wire.concentrationLimits.lot === null ? null : new D(wire.concentrationLimits.lot),
    },
    approvalWindowHours: wire.approvalWindowHours,
    waterfallOrder: wire.waterfallOrder,
  };
}

function onSaleFeeFromWire(fee: CreditTermsWire['feeSchedule']['onSale'], currency: string): OnSaleFee | null {
  if (fee === null) return null;
  if (fee.kind === 'STORAGE_DAYS') {
    return { kind: 'STORAGE_DAYS', days: fee.days, dailyStorageRatePerUnit: Money.of(fee.dailyStorageRatePerUnit, currency) };
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
