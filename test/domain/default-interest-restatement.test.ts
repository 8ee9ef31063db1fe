/**
 * Default interest restated (prisma/accrual/default-interest.ts): each night first restates the days already
 * charged whose overdue principal changed since (domain/interest.ts restateDays, at the spread they were charged
 * at), carrying its remainder into the night's own charge (domain/delinquency.ts chargeDefaultInterest). For any
 * principal, spread, day count and back-dated repayments, Σ posted + the remainder carried = Σ exact default
 * interest on the real overdue principal history, exactly, and the two differ by at most half a minor unit.
 */
import type { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { addDays, chargeDefaultInterest } from '../../domain/delinquency';
import { dayInterest, restateDays, type DayCount } from '../../domain/interest';
import { D, Money } from '../../domain/money';

const SCALE: Record<string, number> = { USD: 2, JPY: 0, KWD: 3 };

test('hand-computed: a repayment dated three days back is restated by the next night, its remainder carried into the night', () => {
  // 36 000.00 at 3 % ACT/360 is 3.00 a day, charged 09-13 … 09-15; 20 000.00 is 1.666666666666666667.
  const days = ['2026-09-13', '2026-09-14', '2026-09-15'].map((date) => ({
    date,
    principalCharged: Money.of('36000.00', 'USD'),
    principalActual: Money.of('20000.00', 'USD'),
    annualRate: new D('0.03'),
    dayCount: 'ACT_360' as const,
  }));
  const restated = restateDays({ days, carriedRemainder: new D(0), currency: 'USD' });
  expect(restated.days.map((day) => day.interestDifference.toFixed())).toEqual(['-1.333333333333333333', '-1.333333333333333333', '-1.333333333333333333']);
  expect([restated.restatedInterest.toFixed(), restated.posted.toFixedString(), restated.carriedRemainder.toFixed()]).toEqual(['-3.999999999999999999', '-4.00', '0.000000000000000001']);
  const night = chargeDefaultInterest({
    days: [{ date: '2026-09-16', overduePrincipal: Money.of('20000.00', 'USD'), spread: new D('0.03'), dayCount: 'ACT_360' }],
    carriedRemainder: restated.carriedRemainder,
    currency: 'USD',
  });
  expect([night.exactInterest.toFixed(), night.posted.toFixedString(), night.carriedRemainder.toFixed()]).toEqual(['1.666666666666666667', '1.67', '-0.003333333333333332']);
});

test('property: with repayments dated back into charged days, Σ default interest posted = exact on the real overdue principal history within half a minor unit', () => {
  const scenario = fc.record({
    currency: fc.constantFrom('USD', 'JPY', 'KWD'),
    // Across 29 February and a year end under every convention.
    start: fc.constantFrom('2028-02-20', '2027-12-25', '2026-10-28'),
    dayCount: fc.constantFrom<DayCount>('ACT_360', 'ACT_365', 'ACT_ACT_ISDA', 'THIRTY_E_360'),
    spreadMillionths: fc.integer({ min: 1, max: 200_000 }),
    principalMinorUnits: fc.bigInt({ min: 1n, max: 10n ** 13n }),
    nights: fc.integer({ min: 1, max: 25 }),
    // Before night `night`, a repayment of `share` of what is outstanding from its value date, dated `back` days back.
    repayments: fc.array(fc.record({ night: fc.nat({ max: 24 }), back: fc.nat({ max: 6 }), share: fc.constantFrom(0.1, 0.25, 0.5, 1) }), { maxLength: 8 }),
  });
  fc.assert(
    fc.property(scenario, ({ currency, start, dayCount, spreadMillionths, principalMinorUnits, nights, repayments }) => {
      const scale = SCALE[currency];
      const spread = new D(spreadMillionths).dividedBy(1_000_000);
      const dates = Array.from({ length: nights }, (_, index) => addDays(start, index));
      const actual = dates.map(() => new D(principalMinorUnits.toString()).dividedBy(new D(10).pow(scale)));
      const charged: Decimal[] = [];
      let carried = new D(0);
      let posted = new D(0);
      for (let night = 0; night < nights; night++) {
        for (const repayment of repayments.filter((r) => r.night === night)) {
          const from = Math.max(0, night - repayment.back);
          // Principal is non-increasing here, so the last day bounds what can be repaid from `from` on.
          const amount = actual[nights - 1].times(repayment.share).toDecimalPlaces(scale, D.ROUND_DOWN);
          for (let day = from; day < nights; day++) actual[day] = actual[day].minus(amount);
        }
        const changed = dates.slice(0, night).flatMap((date, day) =>
          charged[day].eq(actual[day])
            ? []
            : [{ date, principalCharged: Money.of(charged[day], currency), principalActual: Money.of(actual[day], currency), annualRate: spread, dayCount, day }],
        );
        if (changed.length > 0) {
          const restatement = restateDays({ days: changed, carriedRemainder: carried, currency });
          posted = posted.plus(restatement.posted.amount);
          carried = restatement.carriedRemainder;
          for (const day of changed) charged[day.day] = actual[day.day];
        }
        const charge = chargeDefaultInterest({ days: [{ date: dates[night], overduePrincipal: Money.of(actual[night], currency), spread, dayCount }], carriedRemainder: carried, currency });
        charged[night] = actual[night];
        posted = posted.plus(charge.posted.amount);
        carried = charge.carriedRemainder;
        expect(carried.abs().lte(new D(1).dividedBy(new D(10).pow(scale)).dividedBy(2))).toBe(true);
      }
      const exact = dates.reduce((sum, date, day) => sum.plus(dayInterest(actual[day], spread, dayCount, date)), new D(0));
      expect(posted.plus(carried).toFixed()).toBe(exact.toFixed());
      expect(posted.minus(exact).abs().lte(new D(1).dividedBy(new D(10).pow(scale)).dividedBy(2))).toBe(true);
    }),
    { numRuns: 300 },
  );
});
