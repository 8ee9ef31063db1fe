/**
 * domain/custody.ts reservationsToRefuse, for all inputs: when a change nobody could refuse leaves
 * a line short, the reservations refused are the newest, and as few as bring availability back to
 * zero or more (all of them only when even that does not cover the principal).
 */
import fc from 'fast-check';
import { reservationsToRefuse, type ReservedDraw } from '../../domain/custody';
import { Money } from '../../domain/money';

const usd = (cents: number) => Money.of((cents / 100).toFixed(2), 'USD');
const reserved = fc
  .array(fc.record({ drawId: fc.uuid(), cents: fc.integer({ min: 1, max: 5_000_000 }), createdAtMs: fc.integer({ min: 0, max: 1_000 }) }), { maxLength: 8 })
  .map((rows) => rows.map<ReservedDraw>((row) => ({ drawId: row.drawId, amount: usd(row.cents), createdAt: new Date(row.createdAtMs) })));
const newer = (a: ReservedDraw, b: ReservedDraw) => a.createdAt.getTime() > b.createdAt.getTime() || (a.createdAt.getTime() === b.createdAt.getTime() && a.drawId > b.drawId);

describe('reservations the line no longer covers', () => {
  test('by hand: −5 000.00 with 4 000.00, 3 000.00 and 2 500.00 reserved (oldest first) refuses 2 500.00 and 3 000.00', () => {
    const draws: ReservedDraw[] = [
      { drawId: 'a', amount: usd(400_000), createdAt: new Date(1) },
      { drawId: 'b', amount: usd(300_000), createdAt: new Date(2) },
      { drawId: 'c', amount: usd(250_000), createdAt: new Date(3) },
    ];
    expect(reservationsToRefuse(usd(-500_000), draws).map((draw) => draw.drawId)).toEqual(['c', 'b']);
    expect(reservationsToRefuse(usd(-250_000), draws).map((draw) => draw.drawId)).toEqual(['c']);
    expect(reservationsToRefuse(usd(-250_001), draws).map((draw) => draw.drawId)).toEqual(['c', 'b']);
    expect(reservationsToRefuse(usd(0), draws)).toEqual([]);
    expect(reservationsToRefuse(usd(-1_000_000), draws).map((draw) => draw.drawId)).toEqual(['c', 'b', 'a']);
  });

  test('newest first, as few as cover the line again, all only when that is not enough', () => {
    fc.assert(
      fc.property(reserved, fc.integer({ min: -20_000_000, max: 1_000_000 }), (draws, availabilityCents) => {
        const availability = usd(availabilityCents);
        const refused = reservationsToRefuse(availability, draws);
        const kept = draws.filter((draw) => !refused.includes(draw));
        // Newest first: every kept reservation is older than every refused one.
        for (const k of kept) for (const r of refused) expect(newer(r, k)).toBe(true);
        const after = refused.reduce((sum, draw) => sum.plus(draw.amount), availability);
        if (availability.isNegative()) {
          if (kept.length > 0) expect(after.isNegative()).toBe(false);
          // As few as needed: without the last one refused the line would still be short.
          if (refused.length > 0) expect(after.minus(refused[refused.length - 1].amount).isNegative()).toBe(true);
        } else {
          expect(refused).toEqual([]);
        }
      }),
    );
  });
});
