/**
 * Amounts and quantities arrive as decimal strings and are shown as such: the
 * integer digits are grouped by Intl.NumberFormat given a BigInt (exact at any
 * size), the fraction digits are copied as they are. No figure passes through a
 * JavaScript number, so nothing is rounded or computed in the browser.
 */
export type Locale = 'en-US' | 'zh-CN';

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

interface Parsed {
  negative: boolean;
  integer: bigint;
  fraction: string;
}

function parse(value: string): Parsed | null {
  const match = DECIMAL.exec(value.trim());
  if (!match) return null;
  return { negative: match[1] === '-', integer: BigInt(match[2]), fraction: match[3] ?? '' };
}

/** The formatted parts of the integer, with the string's own fraction digits after its last integer digit. */
function withExactFraction(parts: Intl.NumberFormatPart[], fraction: string, decimalSeparator: string): string {
  let lastInteger = -1;
  parts.forEach((part, index) => {
    if (part.type === 'integer') lastInteger = index;
  });
  return parts
    .filter((part) => part.type !== 'decimal' && part.type !== 'fraction')
    .map((part) => (parts.indexOf(part) === lastInteger && fraction ? `${part.value}${decimalSeparator}${fraction}` : part.value))
    .join('');
}

function decimalSeparatorOf(locale: Locale): string {
  return new Intl.NumberFormat(locale).formatToParts(1.5).find((part) => part.type === 'decimal')?.value ?? '.';
}

function groupedParts(locale: Locale, parsed: Parsed, options: Intl.NumberFormatOptions): Intl.NumberFormatPart[] {
  const formatter = new Intl.NumberFormat(locale, { ...options, maximumFractionDigits: 0, minimumFractionDigits: 0 });
  // -0n is 0n: the sign of a negative amount below one unit is kept by formatting -1n and swapping the digits.
  if (parsed.negative && parsed.integer === 0n) {
    return formatter.formatToParts(-1n).map((part) => (part.type === 'integer' ? { ...part, value: '0' } : part));
  }
  return formatter.formatToParts(parsed.negative ? -parsed.integer : parsed.integer);
}

/** `1234567.50` → `1,234,567.50` (en-US, zh-CN); the string back unchanged if it is not a decimal. */
export function formatDecimal(value: string, locale: Locale): string {
  const parsed = parse(value);
  if (!parsed) return value;
  const parts = groupedParts(locale, parsed, {});
  return withExactFraction(parts, parsed.fraction, decimalSeparatorOf(locale));
}

/** An amount with its currency, as the locale writes currencies: `1,234.50 USD` becomes `$1,234.50`/`US$1,234.50`. */
export function formatMoney(amount: string, currency: string, locale: Locale): string {
  const parsed = parse(amount);
  if (!parsed) return `${amount} ${currency}`;
  const parts = groupedParts(locale, parsed, { style: 'currency', currency, currencyDisplay: 'code' });
  // currencyDisplay code puts a non-breaking space between code and digits; a plain space reads the same and copies cleanly.
  return withExactFraction(parts, parsed.fraction, decimalSeparatorOf(locale)).replace(/\u00a0/g, ' ');
}

/** A ratio such as an LTV (`0.6234567890`) as a percentage, by moving the decimal point two places in the string. */
export function formatRatioAsPercent(ratio: string, locale: Locale, fractionDigitsMax = 2): string {
  const parsed = parse(ratio);
  if (!parsed) return ratio;
  const digits = parsed.integer.toString() + parsed.fraction.padEnd(2, '0');
  const pointAt = digits.length - (parsed.fraction.length > 2 ? parsed.fraction.length - 2 : 0);
  const integerDigits = digits.slice(0, pointAt).replace(/^0+(?=\d)/, '');
  // Truncated, not rounded: the browser computes nothing; the server's ratio keeps its full precision in the title.
  const fractionDigits = digits.slice(pointAt, pointAt + fractionDigitsMax).replace(/0+$/, '');
  const shown = `${parsed.negative ? '-' : ''}${integerDigits}${fractionDigits ? `.${fractionDigits}` : ''}`;
  return `${formatDecimal(shown, locale)}%`;
}

export function formatDateTime(iso: string, locale: Locale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export function formatDate(isoDate: string, locale: Locale): string {
  // A calendar date (YYYY-MM-DD) is the same day everywhere: formatted in UTC so that no time zone moves it.
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(isoDate) ? `${isoDate}T00:00:00Z` : isoDate);
  if (Number.isNaN(date.getTime())) return isoDate;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: /^\d{4}-\d{2}-\d{2}$/.test(isoDate) ? 'UTC' : undefined }).format(date);
}

/**
 * Orders two decimal strings exactly (−1, 0, 1), for sorting a column: integer parts as BigInt, the
 * fraction digits padded to the same length. What is not a decimal sorts after every decimal, by text.
 */
export function compareDecimals(left: string, right: string): number {
  const a = parse(left);
  const b = parse(right);
  if (!a || !b) return a ? -1 : b ? 1 : left < right ? -1 : left > right ? 1 : 0;
  const width = Math.max(a.fraction.length, b.fraction.length);
  const scaled = (value: Parsed) => {
    const magnitude = value.integer * 10n ** BigInt(width) + BigInt(value.fraction.padEnd(width, '0') || '0');
    return value.negative ? -magnitude : magnitude;
  };
  const difference = scaled(a) - scaled(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
