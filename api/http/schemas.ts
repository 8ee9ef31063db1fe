import { z } from 'zod';
import { ValidationError } from '../../domain/errors';

// Shared wire types: the value components (money, unit prices, quantities,
// ratios, timestamps, dates) live in domain/wire-values.ts, shared with the
// event catalogue; they are re-exported here for the routes.
import { CalendarDate, DecimalString } from '../../domain/wire-values';

export {
  CalendarDate,
  CurrencyCode,
  DATE_MAX,
  DATE_MIN,
  DECIMAL_INTEGER_DIGITS_MAX,
  DECIMAL_PLACES_MAX,
  DecimalString,
  ExactMoney,
  Money,
  Quantity,
  Ratio,
  Timestamp,
  UnitPrice,
  moneyOf,
  moneyShown,
  orNull,
} from '../../domain/wire-values';
import { INSTANT_MAX_MS, INSTANT_MIN_MS } from '../../domain/wire-values';

/**
 * Sign rules on the amounts of value components, checked on the body so that each field stays the shared
 * component ($ref) in the document. zod runs a body's refinements even when one of its fields failed its
 * own schema, so these read each path defensively and judge only a decimal string that is there.
 */
type ValuePath = readonly (string | number)[];
function amountAt(body: unknown, path: ValuePath): string | undefined {
  const value = path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), body);
  return typeof value === 'string' ? value : undefined;
}
/** Refuses a negative amount at any of `paths` (a quantity, a price, proceeds). */
export function notNegativeAt(...paths: ValuePath[]) {
  return (body: unknown, ctx: z.RefinementCtx) => {
    for (const path of paths) if (amountAt(body, path)?.startsWith('-')) ctx.addIssue({ code: 'custom', path: [...path], message: 'must not be negative' });
  };
}
/** Refuses an amount at any of `paths` that is not greater than zero (a payment, a draw, a quantity sold). */
export function positiveAt(...paths: ValuePath[]) {
  return (body: unknown, ctx: z.RefinementCtx) => {
    for (const path of paths) {
      const value = amountAt(body, path);
      if (value !== undefined && (value.startsWith('-') || !/[1-9]/.test(value))) ctx.addIssue({ code: 'custom', path: [...path], message: 'must be greater than zero' });
    }
  };
}

/** A non-negative decimal string. */
export const NonNegativeDecimalString = DecimalString.refine((value) => !value.startsWith('-'), 'must not be negative');

/** The Money component, under a name that does not shadow the domain's Money value type in the routes. */
export { Money as MoneySchema } from '../../domain/wire-values';

export const Uuid = z.uuid('must be a UUID');

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
      // The period's first and last UTC day, both inclusive.
      from: CalendarDate.optional(),
      to: CalendarDate.optional(),
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
