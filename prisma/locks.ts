/**
 * THE LOCK ORDER. Every transaction that locks rows of these tables locks them
 * in this order (the custody, sales and draws stores through these helpers;
 * the stores that lock only a line — credit lines, margin, liquidation,
 * accrual — take level 1 first and go down from there):
 *
 *   1. credit_line    — the line(s) concerned, in id order
 *   2. lot            — the lot(s) concerned, in id order
 *   3. release_order  — in id order
 *   4. sale           — in id order
 *   5. draw           — in id order
 *
 * A transaction may skip a level but never goes back up: once it holds a lot it
 * locks no line, once it holds a sale it locks no lot. Two transactions that
 * both follow the order wait for each other at most; they cannot deadlock
 * (PostgreSQL 40P01), which before this order aborted e.g. a sale being
 * reported (line → lot) against an unpledge of its lot (lot → line).
 *
 * Why the line comes first: it is the row that serialises everything that
 * depends on a line's coverage (availability = min(limit, borrowing base) −
 * outstanding principal − reserved draws). A writer that can change a lot's
 * value or a line's exposure holds the line, so a concurrent draw, disbursement,
 * unpledge or loss sees the figures the other one left.
 *
 * A custody operation starts from a lot whose line is known only through its
 * active lien: lockLotWithItsLine (prisma/custody/access.ts) reads the lien,
 * locks that line, then the lot, and checks the lien did not move meanwhile.
 * Foreign keys take KEY SHARE locks on the rows they reference (e.g. a new lien
 * or draw on its credit_line); they are taken after the explicit locks above
 * and conflict only with FOR UPDATE of rows already held in this order.
 */
import type { Db } from './client';

const sorted = (ids: readonly string[]): string[] => [...new Set(ids)].sort();

/** Locks credit lines (level 1) in id order; returns the ids that exist. */
export async function lockLines(db: Db, lineIds: readonly string[]): Promise<string[]> {
  return lockRows(db, 'credit_line', lineIds);
}

/** Locks lots (level 2) in id order; returns the ids that exist. */
export async function lockLots(db: Db, lotIds: readonly string[]): Promise<string[]> {
  return lockRows(db, 'lot', lotIds);
}

/** Locks release orders (level 3) in id order; returns the ids that exist. */
export async function lockReleaseOrders(db: Db, orderIds: readonly string[]): Promise<string[]> {
  return lockRows(db, 'release_order', orderIds);
}

/** Locks sales (level 4) in id order; returns the ids that exist. */
export async function lockSales(db: Db, saleIds: readonly string[]): Promise<string[]> {
  return lockRows(db, 'sale', saleIds);
}

/** Locks draws (level 5) in id order; returns the ids that exist. */
export async function lockDraws(db: Db, drawIds: readonly string[]): Promise<string[]> {
  return lockRows(db, 'draw', drawIds);
}

type LockedTable = 'credit_line' | 'lot' | 'release_order' | 'sale' | 'draw';

async function lockRows(db: Db, table: LockedTable, ids: readonly string[]): Promise<string[]> {
  const ordered = sorted(ids);
  if (ordered.length === 0) return [];
  // One statement; ORDER BY makes PostgreSQL take the row locks in id order.
  const rows = await db.$queryRawUnsafe<{ id: string }[]>(`SELECT id::text FROM ${table} WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, ordered);
  return rows.map((row) => row.id);
}
