/**
 * Amounts reach the console as decimal strings and are shown without passing through a JavaScript
 * number: grouped by the reader's locale, every digit kept. Figures below are written by hand.
 */
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { compareDecimals, formatDecimal, formatMoney, formatRatioAsPercent } from '../../console/src/i18n/format';

describe('formatting decimal strings for the reader', () => {
  test('digits are grouped by the locale and every fraction digit is kept', () => {
    expect(formatDecimal('1234567.891', 'en-US')).toBe('1,234,567.891');
    expect(formatDecimal('1234567.891', 'zh-CN')).toBe('1,234,567.891');
    expect(formatDecimal('0.000000000000000001', 'en-US')).toBe('0.000000000000000001');
    expect(formatDecimal('-42', 'en-US')).toBe('-42');
    // Beyond 2^53: a JavaScript number would have turned this into 12345678901234567000.
    expect(formatDecimal('12345678901234567890.123456789012345678', 'en-US')).toBe('12,345,678,901,234,567,890.123456789012345678');
  });

  test('an amount is shown with its currency, its scale as sent', () => {
    expect(formatMoney('12500.00', 'USD', 'en-US')).toBe('USD 12,500.00');
    expect(formatMoney('12500.00', 'USD', 'zh-CN')).toBe('USD 12,500.00');
    expect(formatMoney('1000', 'JPY', 'en-US')).toBe('JPY 1,000');
    expect(formatMoney('-0.50', 'CNY', 'en-US')).toBe('-CNY 0.50');
    expect(formatMoney('9007199254740993.01', 'USD', 'en-US')).toBe('USD 9,007,199,254,740,993.01');
  });

  test('a ratio becomes a percentage by moving the point, truncated to two places', () => {
    expect(formatRatioAsPercent('0.6234567890', 'en-US')).toBe('62.34%');
    expect(formatRatioAsPercent('0.4', 'zh-CN')).toBe('40%');
    expect(formatRatioAsPercent('1.5', 'en-US')).toBe('150%');
    expect(formatRatioAsPercent('0.0005', 'en-US')).toBe('0.05%');
  });

  test('whatever the decimal, removing the grouping gives back exactly the string sent', () => {
    const decimal = fc
      .tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9]\d{0,24})$/), fc.option(fc.stringMatching(/^\d{1,18}$/), { nil: undefined }))
      .map(([negative, integer, fraction]) => `${negative && integer !== '0' ? '-' : ''}${integer}${fraction === undefined ? '' : `.${fraction}`}`);
    fc.assert(
      fc.property(decimal, fc.constantFrom('en-US' as const, 'zh-CN' as const), (value, locale) => {
        expect(formatDecimal(value, locale).replace(/,/g, '')).toBe(value);
      }),
    );
  });

  test('what is not a decimal is shown as sent, not guessed at', () => {
    expect(formatDecimal('1e5', 'en-US')).toBe('1e5');
    expect(formatMoney('abc', 'USD', 'en-US')).toBe('abc USD');
  });
});

describe('ordering decimal strings for a sorted column', () => {
  test('by value, not by text, every digit counted', () => {
    expect(compareDecimals('9.5', '10.00')).toBe(-1);
    expect(compareDecimals('10.00', '10')).toBe(0);
    expect(compareDecimals('-0.01', '0')).toBe(-1);
    expect(compareDecimals('-2', '-10')).toBe(1);
    // Beyond 2^53 a JavaScript number cannot tell these apart.
    expect(compareDecimals('9007199254740993.01', '9007199254740993.02')).toBe(-1);
    expect(compareDecimals('abc', '1')).toBe(1);
  });

  test('agrees with decimal.js on every pair', () => {
    const decimal = fc
      .tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9]\d{0,24})$/), fc.option(fc.stringMatching(/^\d{1,18}$/), { nil: undefined }))
      .map(([negative, integer, fraction]) => `${negative ? '-' : ''}${integer}${fraction === undefined ? '' : `.${fraction}`}`);
    fc.assert(
      fc.property(decimal, decimal, (left, right) => {
        expect(compareDecimals(left, right)).toBe(new Decimal(left).comparedTo(new Decimal(right)));
      }),
    );
  });
});
