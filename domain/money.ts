/**
 * Money: an exact decimal amount in one ISO 4217 currency.
 *
 * Amounts are exact (decimal.js through the shared clone `D`); a Money may
 * hold more decimals than its currency's scale (e.g. an exact interest
 * figure). Rounding happens in exactly one place, `Money.roundToScale`, with
 * the named mode `POSTING_ROUNDING`, at the moment an amount is posted.
 */
import { Decimal } from 'decimal.js';
import { CurrencyMismatchError, InvariantViolation, ValidationError, assert } from './errors';

/**
 * The one Decimal constructor the project uses. 60 significant digits leave
 * room for 28 integer digits times rates and the repeating quotients of
 * day-count divisions without losing anything that matters at minor-unit scale.
 */
export const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN });

/** Banker's rounding: unbiased over many postings, so no systematic drift. */
export const POSTING_ROUNDING = Decimal.ROUND_HALF_EVEN;

export type CurrencyCode = string;

/** ISO 4217 minor-unit exponents. */
const CURRENCY_SCALE: Readonly<Record<CurrencyCode, number>> = Object.freeze({
  AED: 2, ARS: 2, AUD: 2, BDT: 2, BGN: 2, BHD: 3, BRL: 2, BWP: 2, CAD: 2,
  CHF: 2, CLF: 4, CLP: 0, CNY: 2, COP: 2, CZK: 2, DKK: 2, EGP: 2, ETB: 2,
  EUR: 2, GBP: 2, GHS: 2, HKD: 2, HUF: 2, IDR: 2, ILS: 2, INR: 2, IQD: 3,
  ISK: 0, JOD: 3, JPY: 0, KES: 2, KRW: 0, KWD: 3, LYD: 3, MAD: 2, MXN: 2,
  MYR: 2, MZN: 2, NGN: 2, NOK: 2, NZD: 2, OMR: 3, PEN: 2, PHP: 2, PKR: 2,
  PLN: 2, PYG: 0, QAR: 2, RON: 2, RWF: 0, SAR: 2, SEK: 2, SGD: 2, THB: 2,
  TND: 3, TRY: 2, TWD: 2, TZS: 2, UAH: 2, UGX: 0, USD: 2, UYU: 2, VND: 0,
  XAF: 0, XOF: 0, ZAR: 2, ZMW: 2,
});

export function isCurrency(code: unknown): code is CurrencyCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(CURRENCY_SCALE, code);
}

/** Number of decimal places of the currency's minor unit (USD 2, JPY 0, KWD 3). */
export function currencyScale(code: CurrencyCode): number {
  if (!isCurrency(code)) {
    throw new ValidationError('currency', `"${String(code)}" is not a supported ISO 4217 currency code such as "USD"`);
  }
  return CURRENCY_SCALE[code];
}

/** One minor unit of the currency as a decimal (USD 0.01, JPY 1, KWD 0.001). */
export function minorUnit(code: CurrencyCode): Decimal {
  return new D(10).pow(-currencyScale(code));
}

const DECIMAL_STRING = /^-?\d+(\.\d+)?$/;
const INTEGER_DIGITS_MAX = 28;
/** Bounds the work done on hostile input before the regex and Decimal see it. */
const DECIMAL_STRING_LENGTH_MAX = 100;

export class Money {
  private constructor(
    readonly amount: Decimal,
    readonly currency: CurrencyCode,
  ) {
    Object.freeze(this);
  }

  /** `amount` is a plain decimal string ("12.50") or a Decimal; never a JS number. */
  static of(amount: string | Decimal, currency: CurrencyCode): Money {
    currencyScale(currency);
    return new Money(toFiniteDecimal(amount), currency);
  }

  static zero(currency: CurrencyCode): Money {
    return Money.of(new D(0), currency);
  }

  static min(a: Money, b: Money): Money {
    return a.lte(b) ? a : b;
  }

  static max(a: Money, b: Money): Money {
    return a.gte(b) ? a : b;
  }

  plus(other: Money): Money {
    this.requireSameCurrency(other, 'add');
    return new Money(normalizeZero(this.amount.plus(other.amount)), this.currency);
  }

  minus(other: Money): Money {
    this.requireSameCurrency(other, 'subtract');
    return new Money(normalizeZero(this.amount.minus(other.amount)), this.currency);
  }

  /** Exact product; round with `roundToScale` when the result is posted. */
  times(factor: Decimal | string): Money {
    return new Money(normalizeZero(this.amount.times(toFiniteDecimal(factor))), this.currency);
  }

  negated(): Money {
    return new Money(normalizeZero(this.amount.negated()), this.currency);
  }

  isZero(): boolean {
    return this.amount.isZero();
  }

  isNegative(): boolean {
    return this.amount.lt(0);
  }

  isPositive(): boolean {
    return this.amount.gt(0);
  }

  compare(other: Money): -1 | 0 | 1 {
    this.requireSameCurrency(other, 'compare');
    return this.amount.comparedTo(other.amount) as -1 | 0 | 1;
  }

  equals(other: Money): boolean {
    return this.compare(other) === 0;
  }

  gt(other: Money): boolean {
    return this.compare(other) > 0;
  }

  gte(other: Money): boolean {
    return this.compare(other) >= 0;
  }

  lt(other: Money): boolean {
    return this.compare(other) < 0;
  }

  lte(other: Money): boolean {
    return this.compare(other) <= 0;
  }

  /** The one place amounts are rounded: to the currency's minor unit, half-even unless told. */
  roundToScale(mode: Decimal.Rounding = POSTING_ROUNDING): Money {
    const rounded = this.amount.toDecimalPlaces(currencyScale(this.currency), mode);
    return new Money(normalizeZero(rounded), this.currency);
  }

  isAtScale(): boolean {
    return this.amount.decimalPlaces() <= currencyScale(this.currency);
  }

  /**
   * Plain decimal string padded to the currency scale ("12500.00"). Never
   * rounds: an amount finer than the scale shows all its digits, because a
   * silent rounding here would be a second rounding place.
   */
  toFixedString(): string {
    const places = Math.max(currencyScale(this.currency), this.amount.decimalPlaces());
    return this.amount.toFixed(places);
  }

  toJSON(): { amount: string; currency: CurrencyCode } {
    return { amount: this.toFixedString(), currency: this.currency };
  }

  /** Human form for messages: "12 500.00 USD". */
  format(): string {
    const fixed = this.toFixedString();
    const sign = fixed.startsWith('-') ? '-' : '';
    const [integerPart, fractionPart] = fixed.replace('-', '').split('.');
    const grouped = integerPart.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
    return `${sign}${grouped}${fractionPart === undefined ? '' : `.${fractionPart}`} ${this.currency}`;
  }

  toString(): string {
    return this.format();
  }

  /**
   * Splits this amount into parts proportional to `ratios`, each at currency
   * scale, that always sum exactly to the whole. Largest remainder method:
   * every part gets the floor of its exact share in minor units, and the
   * leftover minor units go one each to the largest fractional shares
   * (earlier parts win ties), so the result is deterministic.
   */
  allocate(ratios: readonly (Decimal | string)[]): Money[] {
    assert(this.isAtScale(), `only an amount at currency scale can be allocated; got ${this.format()}`);
    const weights = integerWeights(ratios);
    const scale = currencyScale(this.currency);
    const totalMinorUnits = this.amount.abs().times(new D(10).pow(scale));
    const minorUnitShares = largestRemainderShares(totalMinorUnits, weights);
    const sign = this.isNegative() ? -1 : 1;
    return minorUnitShares.map(
      (share) => new Money(normalizeZero(share.times(sign).dividedBy(new D(10).pow(scale))), this.currency),
    );
  }

  private requireSameCurrency(other: Money, operation: string): void {
    if (other.currency !== this.currency) {
      throw new CurrencyMismatchError(this.currency, other.currency, operation);
    }
  }
}

/** Converts trusted code-side input; user input goes through `parseDecimalString`. */
function toFiniteDecimal(value: string | Decimal): Decimal {
  if (typeof value === 'string') {
    if (!DECIMAL_STRING.test(value)) {
      throw new InvariantViolation(`an amount given as a string is a plain decimal such as "12.50"; got "${value}"`);
    }
    return normalizeZero(new D(value));
  }
  if (!Decimal.isDecimal(value) || !value.isFinite()) {
    throw new InvariantViolation(`an amount is a finite Decimal or a decimal string; got ${String(value)}`);
  }
  // Re-wrap so that arithmetic on the result uses the shared precision of D.
  return normalizeZero(new D(value));
}

/** decimal.js distinguishes -0 from 0; money must not ("-0.00 USD" is a bug report waiting). */
function normalizeZero(value: Decimal): Decimal {
  return value.isZero() ? new D(0) : value;
}

/** Scales decimal ratios to integers by a common power of ten, so shares are computed exactly. */
function integerWeights(ratios: readonly (Decimal | string)[]): Decimal[] {
  assert(ratios.length > 0, 'allocation needs at least one ratio');
  const decimals = ratios.map(toFiniteDecimal);
  assert(decimals.every((r) => r.gte(0)), 'allocation ratios are all zero or positive');
  assert(decimals.some((r) => r.gt(0)), 'at least one allocation ratio is positive');
  const placesMax = Math.max(...decimals.map((r) => r.decimalPlaces()));
  const toInteger = new D(10).pow(placesMax);
  return decimals.map((r) => r.times(toInteger));
}

function largestRemainderShares(totalUnits: Decimal, weights: readonly Decimal[]): Decimal[] {
  const weightSum = weights.reduce((sum, w) => sum.plus(w), new D(0));
  const products = weights.map((w) => totalUnits.times(w));
  assert(
    products.every((p) => p.isInteger() && p.precision(true) < D.precision),
    'allocation products fit in the shared precision; use ratios with fewer digits',
  );
  const floors = products.map((p) => p.dividedToIntegerBy(weightSum));
  const remainders = products.map((p) => p.modulo(weightSum));
  let leftover = totalUnits.minus(floors.reduce((sum, f) => sum.plus(f), new D(0))).toNumber();
  const order = remainders
    .map((remainder, index) => ({ remainder, index }))
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.index - b.index);
  const shares = [...floors];
  for (const { index } of order) {
    if (leftover === 0) break;
    shares[index] = shares[index].plus(1);
    leftover -= 1;
  }
  assert(leftover === 0, 'largest-remainder allocation distributed every minor unit');
  return shares;
}

export interface ParseDecimalOptions {
  /** Path of the value in the request, used in the error ("lines[0].amount"). */
  field: string;
  /** Most decimal places allowed, e.g. the currency scale. */
  maxScale?: number;
  /** Appended to the scale message, e.g. "for USD". */
  scaleContext?: string;
  /** Defaults to false. */
  allowNegative?: boolean;
  /** Defaults to true. */
  allowZero?: boolean;
}

/**
 * Parses a decimal that arrived on the wire. Only plain decimal strings are
 * accepted: JSON numbers have already lost exactness, and exponents, NaN,
 * Infinity, hex, "+", whitespace and empty strings are ambiguous or unsafe.
 */
export function parseDecimalString(value: unknown, opts: ParseDecimalOptions): Decimal {
  const { field } = opts;
  const text = requireDecimalText(value, field);
  const [integerDigits, fractionDigits = ''] = text.replace('-', '').split('.');
  if (integerDigits.replace(/^0+(?=\d)/, '').length > INTEGER_DIGITS_MAX) {
    throw new ValidationError(field, `has more than ${INTEGER_DIGITS_MAX} integer digits`);
  }
  if (opts.maxScale !== undefined && fractionDigits.length > opts.maxScale) {
    const context = opts.scaleContext ? ` ${opts.scaleContext}` : '';
    throw new ValidationError(
      field,
      `has ${fractionDigits.length} decimal places; at most ${opts.maxScale} allowed${context}`,
    );
  }
  const parsed = normalizeZero(new D(text));
  checkSign(parsed, text, opts);
  return parsed;
}

function requireDecimalText(value: unknown, field: string): string {
  const expected = 'must be a decimal string such as "12.50"';
  if (typeof value === 'number') throw new ValidationError(field, `${expected}, not a JSON number`);
  if (typeof value !== 'string') {
    throw new ValidationError(field, `${expected}, not ${value === null ? 'null' : typeof value}`);
  }
  if (value.length > DECIMAL_STRING_LENGTH_MAX || !DECIMAL_STRING.test(value)) {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    throw new ValidationError(field, `${expected} (digits, one optional "." and leading "-"); got "${shown}"`);
  }
  return value;
}

function checkSign(parsed: Decimal, text: string, opts: ParseDecimalOptions): void {
  const allowNegative = opts.allowNegative ?? false;
  const allowZero = opts.allowZero ?? true;
  if (!allowNegative && text.startsWith('-')) {
    throw new ValidationError(opts.field, `must not be negative; got "${text}"`);
  }
  if (!allowZero && parsed.isZero()) {
    throw new ValidationError(opts.field, allowNegative ? 'must not be zero' : 'must be greater than zero');
  }
}

export interface ParseMoneyOptions {
  /** Defaults to false: amounts on the wire are positive unless the caller says otherwise. */
  allowZero?: boolean;
  /** Defaults to false. */
  allowNegative?: boolean;
}

/** Parses a wire amount in `currency`: a decimal string at most at the currency's scale. */
export function parseMoney(
  amount: unknown,
  currency: CurrencyCode,
  field: string,
  opts: ParseMoneyOptions = {},
): Money {
  const scale = currencyScale(currency);
  const parsed = parseDecimalString(amount, {
    field,
    maxScale: scale,
    scaleContext: `for ${currency}`,
    allowZero: opts.allowZero ?? false,
    allowNegative: opts.allowNegative ?? false,
  });
  return Money.of(parsed, currency);
}
