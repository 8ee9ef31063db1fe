import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { CurrencyMismatchError, DomainError, InvariantViolation, ValidationError } from '../../domain/errors';
import {
  D,
  Money,
  POSTING_ROUNDING,
  currencyScale,
  isCurrency,
  minorUnit,
  parseDecimalString,
  parseMoney,
} from '../../domain/money';

const usd = (amount: string): Money => Money.of(amount, 'USD');

/** Runs `fn` and returns the ValidationError it throws, failing the test otherwise. */
function validationErrorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

/** A decimal string at `scale` built from integer minor units, e.g. (-1234n, 2) → "-12.34". */
function minorUnitsToString(units: bigint, scale: number): string {
  const sign = units < 0n ? '-' : '';
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  if (scale === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const currencyArb = fc.constantFrom('USD', 'JPY', 'KWD', 'CLF', 'UGX', 'EUR');
const scaleOf: Record<string, number> = { USD: 2, JPY: 0, KWD: 3, CLF: 4, UGX: 0, EUR: 2 };
const minorUnitsArb = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n });
const moneyAtScaleArb = fc
  .tuple(currencyArb, minorUnitsArb)
  .map(([currency, units]) => Money.of(minorUnitsToString(units, scaleOf[currency]), currency));

describe('currencies', () => {
  test('currency scales follow ISO 4217 minor units', () => {
    expect(
      ['USD', 'EUR', 'GBP', 'JPY', 'KES', 'INR', 'BRL', 'CHF', 'CNY', 'ZAR', 'NGN', 'UGX', 'KWD', 'BHD', 'TND', 'CLF'].map(
        (code) => [code, currencyScale(code)],
      ),
    ).toEqual([
      ['USD', 2], ['EUR', 2], ['GBP', 2], ['JPY', 0], ['KES', 2], ['INR', 2], ['BRL', 2], ['CHF', 2],
      ['CNY', 2], ['ZAR', 2], ['NGN', 2], ['UGX', 0], ['KWD', 3], ['BHD', 3], ['TND', 3], ['CLF', 4],
    ]);
  });

  test('one minor unit is 0.01 USD, 1 JPY and 0.001 KWD', () => {
    expect(minorUnit('USD').toString()).toBe('0.01');
    expect(minorUnit('JPY').toString()).toBe('1');
    expect(minorUnit('KWD').toString()).toBe('0.001');
  });

  test('unknown or lower-case currency codes are refused with a domain error', () => {
    expect(isCurrency('USD')).toBe(true);
    expect(isCurrency('usd')).toBe(false);
    expect(isCurrency('XYZ')).toBe(false);
    expect(isCurrency('toString')).toBe(false);
    expect(isCurrency(840)).toBe(false);
    const error = validationErrorOf(() => currencyScale('XYZ'));
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('currency');
    expect(error.message).toBe('currency "XYZ" is not a supported ISO 4217 currency code such as "USD"');
    expect(() => Money.of('1', 'XYZ')).toThrow(ValidationError);
    expect(() => Money.zero('usd')).toThrow(ValidationError);
  });
});

describe('Money arithmetic', () => {
  test('adds and subtracts exactly where binary floating point would not', () => {
    // 0.1 + 0.2 is 0.30000000000000004 in JS numbers.
    expect(usd('0.1').plus(usd('0.2')).amount.toString()).toBe('0.3');
    expect(usd('12500.00').minus(usd('15000.00')).toFixedString()).toBe('-2500.00');
  });

  test('multiplies exactly without rounding until asked', () => {
    // 1234.5 kg × 0.0035 USD/kg = 4.32075 USD, hand multiplied.
    expect(usd('0.0035').times('1234.5').amount.toString()).toBe('4.32075');
    expect(usd('100.00').times(new D('0.5')).toFixedString()).toBe('50.00');
  });

  test('combining two currencies throws a currency mismatch error', () => {
    const euros = Money.of('1.00', 'EUR');
    expect(() => usd('1.00').plus(euros)).toThrow(CurrencyMismatchError);
    expect(() => usd('1.00').minus(euros)).toThrow(CurrencyMismatchError);
    expect(() => usd('1.00').gt(euros)).toThrow(CurrencyMismatchError);
    expect(() => Money.min(usd('1.00'), euros)).toThrow(CurrencyMismatchError);
    expect(() => usd('1.00').plus(euros)).toThrow('cannot add EUR with USD; both amounts must be in USD');
    try {
      usd('1.00').plus(euros);
    } catch (error) {
      expect((error as CurrencyMismatchError).code).toBe('currency_mismatch');
    }
  });

  test('sign predicates and comparisons', () => {
    expect(usd('0').isZero()).toBe(true);
    expect(usd('-0.01').isNegative()).toBe(true);
    expect(usd('0.01').isPositive()).toBe(true);
    expect(usd('0').isPositive()).toBe(false);
    expect(usd('2.50').compare(usd('2.5'))).toBe(0);
    expect(usd('2.50').equals(usd('2.5'))).toBe(true);
    expect(usd('2.51').compare(usd('2.5'))).toBe(1);
    expect(usd('2.49').compare(usd('2.5'))).toBe(-1);
    expect(usd('3').gt(usd('2'))).toBe(true);
    expect(usd('2').gte(usd('2'))).toBe(true);
    expect(usd('2').lt(usd('2'))).toBe(false);
    expect(usd('2').lte(usd('2.001'))).toBe(true);
    expect(Money.min(usd('7'), usd('3')).toFixedString()).toBe('3.00');
    expect(Money.max(usd('7'), usd('3')).toFixedString()).toBe('7.00');
  });

  test('zero is never negative zero', () => {
    expect(usd('-0').isNegative()).toBe(false);
    expect(usd('-0.00').format()).toBe('0.00 USD');
    expect(usd('0').negated().format()).toBe('0.00 USD');
    expect(usd('-0.004').roundToScale().format()).toBe('0.00 USD');
    expect(usd('0.004').times('-1').roundToScale().toFixedString()).toBe('0.00');
  });

  test('Money is immutable', () => {
    const amount = usd('5.00');
    amount.plus(usd('1.00'));
    expect(amount.toFixedString()).toBe('5.00');
    expect(Object.isFrozen(amount)).toBe(true);
  });

  test('Money.of refuses non-decimal strings and non-finite decimals as a bug', () => {
    expect(() => usd('1e5')).toThrow(InvariantViolation);
    expect(() => usd('abc')).toThrow(InvariantViolation);
    expect(() => Money.of(new Decimal(NaN), 'USD')).toThrow(InvariantViolation);
    expect(() => Money.of(new Decimal(Infinity), 'USD')).toThrow(InvariantViolation);
  });

  test('an amount made with another Decimal constructor computes at the shared precision', () => {
    // decimal.js defaults to 20 significant digits; D carries 60.
    const divided = Money.of(new Decimal('1'), 'USD').amount.dividedBy(3);
    expect(divided.precision()).toBe(60);
  });
});

describe('rounding to the currency scale', () => {
  test('posting rounding is half-even', () => {
    expect(POSTING_ROUNDING).toBe(Decimal.ROUND_HALF_EVEN);
    expect(usd('2.345').roundToScale().toFixedString()).toBe('2.34');
    expect(usd('2.355').roundToScale().toFixedString()).toBe('2.36');
    expect(usd('2.3451').roundToScale().toFixedString()).toBe('2.35');
    expect(usd('-2.345').roundToScale().toFixedString()).toBe('-2.34');
    expect(Money.of('2.5', 'JPY').roundToScale().toFixedString()).toBe('2');
    expect(Money.of('3.5', 'JPY').roundToScale().toFixedString()).toBe('4');
    expect(Money.of('1.0005', 'KWD').roundToScale().toFixedString()).toBe('1.000');
  });

  test('another rounding mode can be named explicitly', () => {
    expect(usd('2.345').roundToScale(Decimal.ROUND_HALF_UP).toFixedString()).toBe('2.35');
    expect(usd('2.349').roundToScale(Decimal.ROUND_DOWN).toFixedString()).toBe('2.34');
  });

  test('isAtScale tells whether an amount needs rounding before posting', () => {
    expect(usd('2.34').isAtScale()).toBe(true);
    expect(usd('2.340').isAtScale()).toBe(true);
    expect(usd('2.345').isAtScale()).toBe(false);
    expect(Money.of('12', 'JPY').isAtScale()).toBe(true);
    expect(Money.of('12.5', 'JPY').isAtScale()).toBe(false);
  });

  test('rounding lands at scale, within half a minor unit, and is idempotent', () => {
    fc.assert(
      fc.property(currencyArb, fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), fc.integer({ min: 0, max: 8 }), (currency, units, extraPlaces) => {
        const amount = Money.of(minorUnitsToString(units, scaleOf[currency] + extraPlaces), currency);
        const rounded = amount.roundToScale();
        expect(rounded.isAtScale()).toBe(true);
        expect(rounded.minus(amount).amount.abs().lte(minorUnit(currency).dividedBy(2))).toBe(true);
        expect(rounded.roundToScale().equals(rounded)).toBe(true);
      }),
    );
  });
});

describe('Money rendering', () => {
  test('toFixedString pads to the currency scale', () => {
    expect(usd('12500').toFixedString()).toBe('12500.00');
    expect(Money.of('7', 'KWD').toFixedString()).toBe('7.000');
    expect(Money.of('7', 'JPY').toFixedString()).toBe('7');
    expect(Money.of('0.5', 'CLF').toFixedString()).toBe('0.5000');
  });

  test('toFixedString never rounds an amount finer than the scale', () => {
    expect(usd('0.125').toFixedString()).toBe('0.125');
  });

  test('toJSON gives the amount as a string and the currency', () => {
    expect(JSON.stringify({ outstandingPrincipal: usd('12500') })).toBe(
      '{"outstandingPrincipal":{"amount":"12500.00","currency":"USD"}}',
    );
  });

  test('format groups thousands with spaces for messages', () => {
    expect(usd('12500').format()).toBe('12 500.00 USD');
    expect(usd('-1234567.5').format()).toBe('-1 234 567.50 USD');
    expect(usd('999').format()).toBe('999.00 USD');
    expect(Money.of('1000000', 'JPY').format()).toBe('1 000 000 JPY');
    expect(Money.of('1234.5', 'KWD').format()).toBe('1 234.500 KWD');
  });

  test('toFixedString round-trips through Money.of', () => {
    fc.assert(
      fc.property(moneyAtScaleArb, (amount) => {
        expect(Money.of(amount.toFixedString(), amount.currency).equals(amount)).toBe(true);
      }),
    );
  });
});

describe('allocation', () => {
  const parts = (amount: Money, ratios: string[]): string[] => amount.allocate(ratios).map((m) => m.toFixedString());

  test('100.00 USD in three equal parts gives the extra cent to the first part', () => {
    expect(parts(usd('100.00'), ['1', '1', '1'])).toEqual(['33.34', '33.33', '33.33']);
  });

  test('leftover cents go to the largest fractional shares', () => {
    // 10.00 USD = 1000 cents by 1:2:3 (of 6): exact shares 166.67, 333.33, 500 cents.
    // Floors 166 + 333 + 500 = 999; the one leftover cent goes to the largest
    // fraction (.67, the first part).
    expect(parts(usd('10.00'), ['1', '2', '3'])).toEqual(['1.67', '3.33', '5.00']);
    // 0.05 USD = 5 cents by 0.3:0.7: shares 1.5 and 3.5 cents, a tie → first part wins.
    expect(parts(usd('0.05'), ['0.3', '0.7'])).toEqual(['0.02', '0.03']);
  });

  test('negative amounts allocate symmetrically and zero ratios get nothing', () => {
    expect(parts(usd('-0.05'), ['0.3', '0.7', '0'])).toEqual(['-0.02', '-0.03', '0.00']);
  });

  test('allocates in the currency minor unit', () => {
    // 10 JPY by 1:1:1 → 3.33 yen each → floors 3,3,3 and one leftover yen.
    expect(parts(Money.of('10', 'JPY'), ['1', '1', '1'])).toEqual(['4', '3', '3']);
    // 1.000 KWD = 1000 fils by 1:1:1:1:1:1:1 (7 parts): 142.857… fils each,
    // floors sum to 994, six leftover fils go to the first six parts.
    expect(parts(Money.of('1.000', 'KWD'), ['1', '1', '1', '1', '1', '1', '1'])).toEqual([
      '0.143', '0.143', '0.143', '0.143', '0.143', '0.143', '0.142',
    ]);
  });

  test('allocation refuses bad input as a bug', () => {
    expect(() => usd('1.005').allocate(['1', '1'])).toThrow(InvariantViolation);
    expect(() => usd('1.00').allocate([])).toThrow(InvariantViolation);
    expect(() => usd('1.00').allocate(['0', '0'])).toThrow(InvariantViolation);
    expect(() => usd('1.00').allocate(['1', '-1'])).toThrow(InvariantViolation);
  });

  const ratioArb = fc
    .tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 6 }))
    .map(([units, places]) => new D(units).dividedBy(new D(10).pow(places)).toFixed());
  const ratiosArb = fc.array(ratioArb, { minLength: 1, maxLength: 12 }).filter((ratios) => ratios.some((r) => r !== '0'));

  test('allocation parts always sum to the whole', () => {
    fc.assert(
      fc.property(moneyAtScaleArb, ratiosArb, (amount, ratios) => {
        const allocated = amount.allocate(ratios);
        expect(allocated).toHaveLength(ratios.length);
        const total = allocated.reduce((sum, part) => sum.plus(part), Money.zero(amount.currency));
        expect(total.equals(amount)).toBe(true);
      }),
    );
  });

  test('each part is at currency scale, same sign as the whole, and within one minor unit of its exact share', () => {
    fc.assert(
      fc.property(moneyAtScaleArb, ratiosArb, (amount, ratios) => {
        const ratioSum = ratios.reduce((sum, r) => sum.plus(r), new D(0));
        amount.allocate(ratios).forEach((part, index) => {
          const exactShare = amount.amount.times(ratios[index]).dividedBy(ratioSum);
          expect(part.isAtScale()).toBe(true);
          expect(part.amount.minus(exactShare).abs().lt(minorUnit(amount.currency))).toBe(true);
          if (!amount.isNegative()) expect(part.isNegative()).toBe(false);
          if (ratios[index] === '0') expect(part.isZero()).toBe(true);
        });
      }),
    );
  });
});

describe('parseDecimalString', () => {
  const field = 'lines[0].amount';

  test('accepts plain decimal strings exactly', () => {
    expect(parseDecimalString('12.50', { field }).toString()).toBe('12.5');
    expect(parseDecimalString('0', { field }).toString()).toBe('0');
    expect(parseDecimalString('-3.25', { field, allowNegative: true }).toString()).toBe('-3.25');
    expect(parseDecimalString('0.1', { field }).plus(parseDecimalString('0.2', { field })).toString()).toBe('0.3');
    const big = '1234567890123456789012345678.123456789';
    expect(parseDecimalString(big, { field }).toFixed()).toBe(big);
  });

  test('a JSON number is refused with a hint to send a string', () => {
    const error = validationErrorOf(() => parseDecimalString(12.5, { field }));
    expect(error.field).toBe(field);
    expect(error.reason).toBe('must be a decimal string such as "12.50", not a JSON number');
    expect(error.message).toBe('lines[0].amount must be a decimal string such as "12.50", not a JSON number');
  });

  test('non-strings are refused naming what was sent', () => {
    expect(validationErrorOf(() => parseDecimalString(null, { field })).reason).toBe(
      'must be a decimal string such as "12.50", not null',
    );
    expect(validationErrorOf(() => parseDecimalString(undefined, { field })).reason).toBe(
      'must be a decimal string such as "12.50", not undefined',
    );
    expect(validationErrorOf(() => parseDecimalString({ amount: '1' }, { field })).reason).toBe(
      'must be a decimal string such as "12.50", not object',
    );
    expect(validationErrorOf(() => parseDecimalString(10n, { field })).reason).toBe(
      'must be a decimal string such as "12.50", not bigint',
    );
  });

  test.each([
    ['1e5'], ['1E5'], ['NaN'], ['Infinity'], ['-Infinity'], ['0x1A'], ['+1'], [' 1'], ['1 '], [''],
    ['.5'], ['5.'], ['1,000.00'], ['1_000'], ['--1'], ['1.2.3'], ['١٢'], ['0b11'],
  ])('refuses the malformed decimal string %j', (text) => {
    const error = validationErrorOf(() => parseDecimalString(text, { field, allowNegative: true }));
    expect(error.reason).toBe(
      `must be a decimal string such as "12.50" (digits, one optional "." and leading "-"); got "${text}"`,
    );
  });

  test('enforces the maximum scale with the context in the message', () => {
    const error = validationErrorOf(() => parseDecimalString('1.005', { field, maxScale: 2, scaleContext: 'for USD' }));
    expect(error.reason).toBe('has 3 decimal places; at most 2 allowed for USD');
    expect(parseDecimalString('1.00', { field, maxScale: 2 }).toString()).toBe('1');
    expect(validationErrorOf(() => parseDecimalString('1.0', { field, maxScale: 0 })).reason).toBe(
      'has 1 decimal places; at most 0 allowed',
    );
  });

  test('enforces sign rules', () => {
    expect(validationErrorOf(() => parseDecimalString('-1', { field })).reason).toBe('must not be negative; got "-1"');
    expect(validationErrorOf(() => parseDecimalString('-0', { field })).reason).toBe('must not be negative; got "-0"');
    expect(validationErrorOf(() => parseDecimalString('0.00', { field, allowZero: false })).reason).toBe(
      'must be greater than zero',
    );
    expect(
      validationErrorOf(() => parseDecimalString('0', { field, allowZero: false, allowNegative: true })).reason,
    ).toBe('must not be zero');
    expect(parseDecimalString('-0', { field, allowNegative: true }).isNegative()).toBe(false);
  });

  test('allows at most 28 integer digits, not counting leading zeros', () => {
    const digits28 = '1'.repeat(28);
    expect(parseDecimalString(digits28, { field }).toFixed()).toBe(digits28);
    expect(parseDecimalString(`000${digits28}`, { field }).toFixed()).toBe(digits28);
    expect(validationErrorOf(() => parseDecimalString(`${digits28}1`, { field })).reason).toBe(
      'has more than 28 integer digits',
    );
  });

  test('refuses absurdly long strings without echoing all of them', () => {
    const long = `1.${'0'.repeat(200)}`;
    expect(validationErrorOf(() => parseDecimalString(long, { field })).reason).toBe(
      `must be a decimal string such as "12.50" (digits, one optional "." and leading "-"); got "1.${'0'.repeat(38)}…"`,
    );
  });

  test('any canonical decimal string parses back to the same digits', () => {
    const canonicalArb = fc
      .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 12 }))
      .map(([units, scale]) => minorUnitsToString(units, scale))
      .filter((text) => text.replace('-', '').split('.')[0].replace(/^0+(?=\d)/, '').length <= 28);
    fc.assert(
      fc.property(canonicalArb, (text) => {
        const places = text.includes('.') ? text.split('.')[1].length : 0;
        const parsed = parseDecimalString(text, { field, allowNegative: true });
        const expected = /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
        expect(parsed.toFixed(places)).toBe(expected);
      }),
    );
  });

  test('arbitrary strings either are plain decimals or are refused with a validation error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        if (/^-?\d+(\.\d+)?$/.test(text)) {
          expect(parseDecimalString(text, { field, allowNegative: true }).isFinite()).toBe(true);
        } else {
          expect(() => parseDecimalString(text, { field, allowNegative: true })).toThrow(ValidationError);
        }
      }),
    );
  });
});

describe('parseMoney', () => {
  test('parses an amount at the currency scale', () => {
    const parsed = parseMoney('12500.00', 'USD', 'amount');
    expect(parsed.toJSON()).toEqual({ amount: '12500.00', currency: 'USD' });
    expect(parseMoney('1.250', 'KWD', 'amount').toFixedString()).toBe('1.250');
  });

  test('refuses more decimals than the currency has', () => {
    expect(validationErrorOf(() => parseMoney('12.505', 'USD', 'amount')).message).toBe(
      'amount has 3 decimal places; at most 2 allowed for USD',
    );
    expect(validationErrorOf(() => parseMoney('100.5', 'JPY', 'price')).message).toBe(
      'price has 1 decimal places; at most 0 allowed for JPY',
    );
  });

  test('is positive unless told otherwise', () => {
    expect(validationErrorOf(() => parseMoney('0.00', 'USD', 'amount')).reason).toBe('must be greater than zero');
    expect(validationErrorOf(() => parseMoney('-5.00', 'USD', 'amount')).reason).toBe('must not be negative; got "-5.00"');
    expect(parseMoney('0', 'USD', 'amount', { allowZero: true }).isZero()).toBe(true);
    expect(parseMoney('-5.00', 'USD', 'adjustment', { allowNegative: true }).toFixedString()).toBe('-5.00');
  });

  test('refuses an unknown currency and a JSON number', () => {
    expect(() => parseMoney('1.00', 'XXX', 'amount')).toThrow(ValidationError);
    expect(validationErrorOf(() => parseMoney(12.5, 'USD', 'amount')).message).toBe(
      'amount must be a decimal string such as "12.50", not a JSON number',
    );
  });
});
