/**
 * The pure rules behind reserved quantities and coverage (domain/custody.ts),
 * for all inputs: a shortage is allocated in full, newest claim first, never
 * more than a claim expects; what is left reserved always fits what is held.
 */
import fc from 'fast-check';
import { allocateShortage, coverageAfter, freeQuantity, type LotReservation } from '../../domain/custody';
import { D, Money } from '../../domain/money';

const quantity = fc.integer({ min: 0, max: 1_000_000 }).map((thousandths) => new D(thousandths).dividedBy(1000));
const reservation = fc.record({
  kind: fc.constantFrom<'SALE_ITEM' | 'RELEASE_ORDER'>('SALE_ITEM', 'RELEASE_ORDER'),
  id: fc.uuid(),
  outstanding: quantity,
  createdAtMs: fc.integer({ min: 0, max: 10_000 }),
});
const reservations = fc.array(reservation, { maxLength: 8 }).map((rows) =>
  rows.map<LotReservation>((row) => ({ kind: row.kind, id: row.id, saleId: null, releaseOrderId: null, outstanding: row.outstanding, createdAt: new Date(row.createdAtMs) })),
);

describe('free quantity and shortages', () => {
  test('free = held − sold not released − authorised not confirmed (by hand)', () => {
    const at = new Date(0);
    const free = freeQuantity(new D('1000'), [
      { kind: 'SALE_ITEM', id: 'a', saleId: 's', releaseOrderId: null, outstanding: new D('600'), createdAt: at },
      { kind: 'RELEASE_ORDER', id: 'b', saleId: null, releaseOrderId: 'b', outstanding: new D('150.5'), createdAt: at },
    ]);
    expect([free.soldNotReleased.toFixed(), free.authorisedNotConfirmed.toFixed(), free.free.toFixed()]).toEqual(['600', '150.5', '249.5']);
  });

  test('a loss is allocated in full, newest first, never beyond a claim, and what stays reserved fits what is held', () => {
    fc.assert(
      fc.property(reservations, quantity, (claims, heldAfter) => {
        const allocations = allocateShortage(heldAfter, claims);
        const reserved = claims.reduce((sum, claim) => sum.plus(claim.outstanding), new D(0));
        const short = allocations.reduce((sum, allocation) => sum.plus(allocation.quantityShort), new D(0));
        expect(short.toFixed()).toBe(D.max(0, reserved.minus(heldAfter)).toFixed());
        for (const { reservation: claim, quantityShort } of allocations) {
          expect(quantityShort.gt(0) && quantityShort.lte(claim.outstanding)).toBe(true);
        }
        // Newest first: every claim newer than a shortened one is entirely short.
        const shortById = new Map(allocations.map((allocation) => [allocation.reservation.id, allocation.quantityShort]));
        for (const shortened of allocations) {
          for (const claim of claims) {
            if (claim.createdAt.getTime() > shortened.reservation.createdAt.getTime()) {
              expect((shortById.get(claim.id) ?? new D(0)).toFixed()).toBe(claim.outstanding.toFixed());
            }
          }
        }
        expect(reserved.minus(short).lte(D.max(heldAfter, 0))).toBe(true);
      }),
    );
  });
});

describe('coverage', () => {
  const usd = (amount: number) => Money.of(new D(amount).dividedBy(100), 'USD');
  const figures = (availability: number) => ({ availability: usd(availability), outstandingPrincipal: usd(0), reservedDraws: usd(200_000) });

  test('a change is refused exactly when it lowers availability below zero', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: -1_000_000, max: 1_000_000 }), (before, after) => {
        const verdict = coverageAfter({ operation: 'unpledge', before: figures(before), after: figures(after) });
        expect(verdict.kind).toBe(after < 0 && after < before ? 'shortfall' : 'kept');
      }),
    );
  });
});
