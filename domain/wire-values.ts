/**
 * The one shape of each kind of value on the wire, in requests, responses and
 * events (docs/money-and-value-dates.md, "Conventions of the API"). Each is a
 * named OpenAPI component; test/api/value-shapes.test.ts fails on any field
 * that carries such a value in another shape.
 *
 * Pure schemas: the event catalogue (domain/events.ts) and the HTTP edge
 * (api/http/schemas.ts) share them, so a payload and a response never differ.
 */
import { z } from 'zod';
import { InvariantViolation } from './errors';
import { D, Money as MoneyValue, currencyScale, isCurrency } from './money';
import type { Decimal } from 'decimal.js';

/** NUMERIC(38, 18): what an amount, a price or a quantity column holds. */
export const DECIMAL_INTEGER_DIGITS_MAX = 20;
export const DECIMAL_PLACES_MAX = 18;
/** NUMERIC(20, 10): what a rate, haircut, advance rate or LTV column holds. */
export const RATIO_INTEGER_DIGITS_MAX = 10;
export const RATIO_PLACES_MAX = 10;

const DECIMAL_PATTERN = new RegExp(`^-?\\d{1,${DECIMAL_INTEGER_DIGITS_MAX}}(\\.\\d{1,${DECIMAL_PLACES_MAX}})?$`);
const RATIO_PATTERN = new RegExp(`^-?\\d{1,${RATIO_INTEGER_DIGITS_MAX}}(\\.\\d{1,${RATIO_PLACES_MAX}})?$`);

function stringOnly(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined
      ? 'is required'
      : typeof issue.input === 'number'
        ? `must be a ${what} string such as "12.50", not a JSON number (numbers lose precision)`
        : `must be a ${what} string`;
}

/** A decimal string that fits NUMERIC(38, 18); the amount of every component below. */
export const DecimalString = z
  .string({ error: stringOnly('decimal') })
  .regex(DECIMAL_PATTERN, `must be a plain decimal such as "12.50" (no exponent, no spaces, at most ${DECIMAL_INTEGER_DIGITS_MAX} integer digits and ${DECIMAL_PLACES_MAX} decimal places)`)
  // No `type` in the metadata: it would be copied over `.nullable()`'s ['string', 'null'] in the document.
  .meta({ pattern: DECIMAL_PATTERN.source, example: '12500.00' });

const places = (value: string) => value.split('.')[1]?.length ?? 0;

export const CurrencyCode = z
  .string({ error: stringOnly('currency code') })
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"')
  .refine(isCurrency, 'is not a supported ISO 4217 currency code')
  .meta({ type: 'string', pattern: '^[A-Z]{3}$', example: 'CNY' });

export const Money = z
  .object({ amount: DecimalString, currency: CurrencyCode })
  .refine((money) => !isCurrency(money.currency) || places(money.amount) <= currencyScale(money.currency), {
    path: ['amount'],
    message: "has more decimal places than its currency's ISO 4217 scale (CNY and USD 2, JPY 0, KWD 3)",
  })
  .meta({
    id: 'Money',
    description:
      "An exact amount in an ISO 4217 currency, e.g. { \"amount\": \"400000.00\", \"currency\": \"CNY\" }. Responses always write the amount at the currency's scale " +
      '(exactly 2 places for CNY and USD, 0 for JPY, 3 for KWD); requests may send fewer places, never more.',
    example: { amount: '400000.00', currency: 'CNY' },
  });
export type Money = z.infer<typeof Money>;

export const ExactMoney = z
  .object({ amount: DecimalString, currency: CurrencyCode })
  .meta({
    id: 'ExactMoney',
    description:
      "An exact figure finer than money that moves: a day's exact interest and the sub-unit remainders carried between days, at 18 decimal places " +
      "(the interest accrual's trace, docs/money-and-value-dates.md). What is posted from it is Money, at the currency's scale.",
    example: { amount: '0.266666666666666667', currency: 'USD' },
  });
export type ExactMoney = z.infer<typeof ExactMoney>;

export const UnitPrice = z
  .object({ amount: DecimalString, currency: CurrencyCode, unit: z.string().trim().min(1).max(20) })
  .meta({
    id: 'UnitPrice',
    description:
      'A price per unit of goods, e.g. { "amount": "9.5", "currency": "CNY", "unit": "KG" }. Exact: up to 18 decimal places, finer than the currency\'s scale ' +
      '(a price per kilogram can need it); what it multiplies into is rounded once, where it is posted. Responses write the stored price as it is, without trailing zeros.',
    example: { amount: '9.5', currency: 'CNY', unit: 'KG' },
  });
export type UnitPrice = z.infer<typeof UnitPrice>;

export const Quantity = z
  .object({ amount: DecimalString, unit: z.string().trim().min(1).max(20) })
  .meta({
    id: 'Quantity',
    description:
      'An exact quantity of goods in its unit, e.g. { "amount": "10000", "unit": "KG" }. Every unit has the same precision: up to 18 decimal places; ' +
      'responses write the stored quantity as it is, without trailing zeros.',
    example: { amount: '10000', unit: 'KG' },
  });
export type Quantity = z.infer<typeof Quantity>;

export const Ratio = z
  .string({ error: stringOnly('decimal') })
  .regex(RATIO_PATTERN, `must be a plain decimal fraction such as "0.65" (at most ${RATIO_INTEGER_DIGITS_MAX} integer digits and ${RATIO_PLACES_MAX} decimal places)`)
  .meta({
    id: 'Ratio',
    type: 'string',
    pattern: RATIO_PATTERN.source,
    example: '0.65',
    description:
      `A rate, haircut, advance rate, LTV or threshold as a decimal string with at most ${RATIO_PLACES_MAX} decimal places ("0.65" = 65 %), ` +
      'a fraction unless its field says it is in percent. Exact as stored; a computed ratio (an LTV) is rounded half-even to 10 places. No trailing zeros.',
  });

/**
 * The range of every date and instant the API accepts: 1900-01-01 to
 * 2999-12-31 (UTC). Wider than any real value date, and narrow enough that an
 * offset can never push an instant out of what PostgreSQL and JavaScript both
 * read back (year 0000, or past 9999, would store but break every later read).
 */
export const DATE_MIN = '1900-01-01';
export const DATE_MAX = '2999-12-31';
export const INSTANT_MIN_MS = Date.parse(`${DATE_MIN}T00:00:00Z`);
export const INSTANT_MAX_MS = Date.parse(`${DATE_MAX}T23:59:59.999Z`);
const DATE_RANGE_REASON = `must be between ${DATE_MIN} and ${DATE_MAX}`;

// Each check stops the next (abort): a malformed date is refused once, for its first fault.
export const CalendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date YYYY-MM-DD', abort: true })
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), { message: 'is not a real calendar date', abort: true })
  .refine((value) => value >= DATE_MIN && value <= DATE_MAX, DATE_RANGE_REASON)
  .meta({ id: 'CalendarDate', example: '2026-11-23', description: `A calendar date YYYY-MM-DD (a UTC day), from ${DATE_MIN} to ${DATE_MAX}` });

export const Timestamp = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with offset' })
  .refine((value) => {
    const instant = Date.parse(value);
    return instant >= INSTANT_MIN_MS && instant <= INSTANT_MAX_MS;
  }, `${DATE_RANGE_REASON} once its offset is applied (UTC)`)
  .meta({
    id: 'Timestamp',
    example: '2026-11-23T08:00:00.000Z',
    description: `An ISO 8601 instant. Responses always write it in UTC with Z; a request may give an offset, which is applied. From ${DATE_MIN}T00:00:00Z to ${DATE_MAX}T23:59:59.999Z`,
  });

/**
 * A stored amount as Money, written at its currency's scale. Stored amounts
 * are at scale, so this never rounds; one finer than the scale is a bug (a
 * computed figure is rounded where it is computed, with Money.roundToScale).
 */
export function moneyOf(amount: { toFixed(places: number): string; decimalPlaces(): number }, currency: string): Money {
  const scale = currencyScale(currency);
  if (amount.decimalPlaces() > scale) throw new InvariantViolation(`an amount written as Money is at its currency's scale (${scale} places for ${currency}); got ${amount.toFixed(amount.decimalPlaces())}`);
  return { amount: amount.toFixed(scale), currency };
}

/** A value component or null: `anyOf [$ref, null]` in the document, without making the component itself nullable. */
export function orNull<T extends z.ZodType>(schema: T) {
  return z.union([schema, z.null()]);
}

/**
 * A figure computed exactly (a valuation, a margin call's requirement) shown
 * as Money at its currency's scale: rounded here, for display only, half-even
 * unless told; decisions are taken on the exact figure. A requirement is
 * shown rounded up (`D.ROUND_UP`), so that paying what is shown always meets it.
 */
export function moneyShown(amount: Decimal | { toFixed(): string }, currency: string, mode: Decimal.Rounding = D.ROUND_HALF_EVEN): Money {
  return MoneyValue.of(new D(amount.toFixed()), currency).roundToScale(mode).toJSON();
}
