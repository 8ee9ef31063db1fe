import { z } from 'zod';
import { ValidationError } from '../../domain/errors';

// Shared wire types. Amounts and quantities travel as decimal strings: a JSON
// number would be parsed into a binary float before we could see it.
const DECIMAL_PATTERN = /^-?\d{1,28}(\.\d{1,18})?$/;

function stringOnly(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined
      ? 'is required'
      : typeof issue.input === 'number'
        ? `must be a ${what} string such as "12.50", not a JSON number (numbers lose precision)`
        : `must be a ${what} string`;
}

export const DecimalString = z
  .string({ error: stringOnly('decimal') })
  .regex(DECIMAL_PATTERN, 'must be a plain decimal such as "12.50" (no exponent, no spaces, at most 18 decimal places)')
  .meta({ type: 'string', pattern: DECIMAL_PATTERN.source, example: '12500.00' });

/**
 * A computed decimal in a response. Exact values may carry more places than any
 * input accepts (products of prices, haircuts and rates; pro-rata shares).
 */
export const ComputedDecimalString = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, 'must be a plain decimal')
  .meta({ type: 'string', example: '10800.0000' });

/** A non-negative decimal string (amounts, quantities, rates). */
export const NonNegativeDecimalString = DecimalString.refine((value) => !value.startsWith('-'), 'must not be negative');

export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"')
  .meta({ example: 'USD' });

export const MoneySchema = z
  .object({ amount: DecimalString, currency: CurrencyCode })
  .meta({ id: 'Money', description: 'An exact amount in a currency; amount is a decimal string at the currency scale' });

export const Uuid = z.uuid('must be a UUID');

export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), 'is not a real calendar date')
  .meta({ example: '2026-11-23' });

export const IsoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with offset' });

// Cursor pagination: stable order, an opaque cursor, and a bounded page size.
export const PAGE_SIZE_MAX = 200;
export const PageQuery = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(PAGE_SIZE_MAX).default(50),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, keys: string[]): Record<string, string> | null {
  if (cursor === undefined) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (keys.every((key) => typeof parsed[key] === 'string')) return parsed as Record<string, string>;
  } catch {
    // fall through to the refusal below
  }
  throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint; pass nextCursor from the previous page');
}
