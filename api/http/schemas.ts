import { z } from 'zod';
import { ValidationError } from '../../domain/errors';

// Shared wire types. Amounts and quantities travel as decimal strings: a JSON
// number would be parsed into a binary float before we could see it.

/**
 * Amounts and quantities are stored as NUMERIC(38, 18): 20 integer digits and
 * 18 places. A wire decimal accepts exactly what that column holds, so that no
 * figure a client may send is refused (or rounded) by the database later.
 * Rates have their own, narrower schema next to their columns (NUMERIC(20, 10)).
 */
export const DECIMAL_INTEGER_DIGITS_MAX = 20;
export const DECIMAL_PLACES_MAX = 18;
export const DECIMAL_PATTERN = new RegExp(`^-?\\d{1,${DECIMAL_INTEGER_DIGITS_MAX}}(\\.\\d{1,${DECIMAL_PLACES_MAX}})?$`);

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
  .regex(DECIMAL_PATTERN, `must be a plain decimal such as "12.50" (no exponent, no spaces, at most ${DECIMAL_INTEGER_DIGITS_MAX} integer digits and ${DECIMAL_PLACES_MAX} decimal places)`)
  // No `type` in the metadata: zod-to-openapi would copy it over `.nullable()`'s ['string', 'null'].
  .meta({ example: '12500.00' });

/**
 * A computed decimal in a response. Exact values may carry more places than any
 * input accepts (products of prices, haircuts and rates; pro-rata shares).
 */
export const ComputedDecimalString = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, 'must be a plain decimal')
  .meta({ example: '10800.0000' });

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

/**
 * The range of every date and instant the API accepts: 1900-01-01 to
 * 2999-12-31 (UTC). Wider than any real value date, and narrow enough that an
 * offset can never push an instant out of what PostgreSQL and JavaScript both
 * read back (year 0000, or past 9999, would store but break every later read).
 */
export const DATE_MIN = '1900-01-01';
export const DATE_MAX = '2999-12-31';
const INSTANT_MIN_MS = Date.parse(`${DATE_MIN}T00:00:00Z`);
const INSTANT_MAX_MS = Date.parse(`${DATE_MAX}T23:59:59.999Z`);
const DATE_RANGE_REASON = `must be between ${DATE_MIN} and ${DATE_MAX}`;

// Each check stops the next (abort): a malformed date is refused once, for its first fault.
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date YYYY-MM-DD', abort: true })
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), { message: 'is not a real calendar date', abort: true })
  .refine((value) => value >= DATE_MIN && value <= DATE_MAX, DATE_RANGE_REASON)
  .meta({ example: '2026-11-23', description: `A calendar date from ${DATE_MIN} to ${DATE_MAX}` });

export const IsoDateTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with offset' })
  .refine((value) => {
    const instant = Date.parse(value);
    return instant >= INSTANT_MIN_MS && instant <= INSTANT_MAX_MS;
  }, `${DATE_RANGE_REASON} once its offset is applied (UTC)`)
  .meta({ description: `An ISO 8601 instant with offset, from ${DATE_MIN}T00:00:00Z to ${DATE_MAX}T23:59:59.999Z` });

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

const CURSOR_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** BIGINT sequence numbers: at most 18 digits always fit (the column holds 9.2 × 10^18). */
const CURSOR_SEQUENCE = /^\d{1,18}$/;

/**
 * What a position key holds is told by its name, the one convention every
 * list follows: `id` or `…Id` is a UUID, `seq` or `…Seq` a BIGINT sequence,
 * `…At` or `asOf` an instant. A crafted cursor whose values do not fit is
 * refused here, so no list ever sends a malformed position to the database.
 */
function cursorValueFits(key: string, value: string): boolean {
  if (key === 'id' || key.endsWith('Id')) return CURSOR_UUID.test(value);
  if (key === 'seq' || key.endsWith('Seq')) return CURSOR_SEQUENCE.test(value);
  if (key === 'asOf' || key.endsWith('At')) {
    const instant = Date.parse(value);
    return /^\d{4}-\d{2}-\d{2}T/.test(value) && instant >= INSTANT_MIN_MS && instant <= INSTANT_MAX_MS;
  }
  return value.length > 0;
}

export function decodeCursor(cursor: string | undefined, keys: string[]): Record<string, string> | null {
  if (cursor === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const position = parsed as Record<string, unknown>;
      if (keys.every((key) => typeof position[key] === 'string' && cursorValueFits(key, position[key]))) {
        return Object.fromEntries(keys.map((key) => [key, position[key] as string]));
      }
    }
  } catch {
    // fall through to the refusal below
  }
  throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint; pass nextCursor from the previous page');
}

/**
 * The query of a filtered list: the page (cursor, limit up to `limitMax`), a
 * period `from`–`to` (UTC days, both inclusive; each list says which date it
 * filters on) and the list's own filters. Every filter only narrows what the
 * caller's organisation may see; a bad value is refused naming `query.<name>`.
 */
export function listQuery<S extends z.ZodRawShape>(filters: S, limitMax: number = PAGE_SIZE_MAX) {
  return z
    .object({
      cursor: z.string().max(500).optional(),
      limit: z.coerce.number().int().min(1).max(limitMax).default(Math.min(50, limitMax)),
      from: IsoDate.optional().meta({ description: 'First day of the period (UTC), inclusive' }),
      to: IsoDate.optional().meta({ description: 'Last day of the period (UTC), inclusive' }),
      ...filters,
    })
    .refine(
      (query) => {
        const period = query as { from?: string; to?: string };
        return period.from === undefined || period.to === undefined || period.from <= period.to;
      },
      { path: ['to'], message: 'must be on or after from' },
    );
}

/** The instants of a period of UTC days, for a filter on a timestamp or date column (`to` inclusive). */
export function periodWhere(period: { from?: string; to?: string }): { gte?: Date; lt?: Date } | undefined {
  if (period.from === undefined && period.to === undefined) return undefined;
  const dayAfter = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);
  return {
    ...(period.from !== undefined ? { gte: new Date(`${period.from}T00:00:00Z`) } : {}),
    ...(period.to !== undefined ? { lt: dayAfter(period.to) } : {}),
  };
}

/** The id a list's cursor continues after (lists ordered by a column, then id), or null on the first page. */
export function afterIdOf(cursor: string | undefined): string | null {
  return decodeCursor(cursor, ['id'])?.id ?? null;
}

/**
 * A page from rows fetched with `take: limit + 1`: the extra row, if any, only
 * says that a next page exists, so the last page never ends with an empty one.
 */
export function pageFrom<Row extends { id: string }, View>(rows: Row[], limit: number, view: (row: Row) => View): { items: View[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { items: page.map(view), nextCursor: rows.length > limit ? encodeCursor({ id: page[page.length - 1].id }) : null };
}
