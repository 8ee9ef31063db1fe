import fc from 'fast-check';
import type { Decimal } from 'decimal.js';
import { CurrencyMismatchError, InvariantViolation } from '../../domain/errors';
import { dayFraction } from '../../domain/day-count';
import { accrueDay, accrueRange, INTEREST_SCALE, quantizeInterest, restateDays, type DayCount } from '../../domain/interest';
import { D, Money } from '../../domain/money';

const usd = (amount: string): Money => Money.of(amount, 'USD');
const repeatPrincipal = (principal: Money, days: number): Money[] => Array.from({ length: days }, () => principal);
const postedStrings = (days: { posted: Money }[]): string[] => days.map((day) => day.posted.toFixedString());

describe('day count', () => {
  test('ACT/360 divides the annual rate by 360 and ACT/365 by 365', () => {
    expect(dayFraction('ACT_360', '2028-02-29')).toEqual({ days: 1, basis: 360 });
    expect(dayFraction('ACT_365', '2028-02-29')).toEqual({ days: 1, basis: 365 });
  });

  test('an unknown day count is a bug', () => {
    expect(() => dayFraction('30_360' as DayCount, '2026-11-02')).toThrow(InvariantViolation);
  });
});

describe('accrueDay', () => {
  test('one day on 1,000,000.00 USD at 12% ACT/360 posts 333.33 and carries a third of a cent', () => {
    // 1,000,000 × 0.12 / 360 = 120,000 / 360 = 333.333… USD.
    const day = accrueDay({
      date: '2026-11-02',
      outstandingPrincipal: usd('1000000.00'),
      annualRate: new D('0.12'),
      dayCount: 'ACT_360',
      carriedRemainder: new D(0),
    });
    expect(day.exactInterest.toFixed(10)).toBe('333.3333333333');
    expect(day.posted.toFixedString()).toBe('333.33');
    expect(day.carriedRemainder.toFixed(10)).toBe('0.0033333333');
  });

  test('a carried remainder is added before rounding', () => {
    // 333.3333… + 0.004 = 333.3373… → posts 333.34; carry 333.3373… − 333.34 = −0.002666…
    const day = accrueDay({
      date: '2026-11-02',
      outstandingPrincipal: usd('1000000.00'),
      annualRate: new D('0.12'),
      dayCount: 'ACT_360',
      carriedRemainder: new D('0.004'),
    });
    expect(day.posted.toFixedString()).toBe('333.34');
    expect(day.carriedRemainder.toFixed(10)).toBe('-0.0026666667');
  });

  test('an exact half cent rounds to even and the half cent is carried', () => {
    // 18.00 × 0.10 / 360 = 1.8 / 360 = 0.005 exactly: half-even posts 0.00, carries 0.005;
    // the next day 0.005 + 0.005 = 0.010 posts 0.01 and carries nothing.
    const first = accrueDay({ date: '2026-11-02', outstandingPrincipal: usd('18.00'), annualRate: new D('0.10'), dayCount: 'ACT_360', carriedRemainder: new D(0) });
    expect(first.exactInterest.toString()).toBe('0.005');
    expect(first.posted.toFixedString()).toBe('0.00');
    expect(first.carriedRemainder.toString()).toBe('0.005');
    const second = accrueDay({ date: '2026-11-02', outstandingPrincipal: usd('18.00'), annualRate: new D('0.10'), dayCount: 'ACT_360', carriedRemainder: first.carriedRemainder });
    expect(second.posted.toFixedString()).toBe('0.01');
    expect(second.carriedRemainder.isZero()).toBe(true);
  });

  test('no principal, no interest; a carried remainder under half a cent stays carried', () => {
    const day = accrueDay({ date: '2026-11-02', outstandingPrincipal: usd('0'), annualRate: new D('0.12'), dayCount: 'ACT_365', carriedRemainder: new D('0.004') });
    expect(day.exactInterest.isZero()).toBe(true);
    expect(day.posted.toFixedString()).toBe('0.00');
    expect(day.carriedRemainder.toString()).toBe('0.004');
  });

  test('posts in the principal currency at its scale', () => {
    // 1,000,000 JPY × 0.015 / 365 = 15,000 / 365 = 41.0958… JPY → posts 41 yen.
    const yen = accrueDay({ date: '2026-11-02', outstandingPrincipal: Money.of('1000000', 'JPY'), annualRate: new D('0.015'), dayCount: 'ACT_365', carriedRemainder: new D(0) });
    expect(yen.posted.format()).toBe('41 JPY');
    expect(yen.carriedRemainder.toFixed(4)).toBe('0.0959');
    // 1,000.000 KWD × 0.07 / 360 = 70 / 360 = 0.194444… KWD → posts 0.194 KWD.
    const dinar = accrueDay({ date: '2026-11-02', outstandingPrincipal: Money.of('1000.000', 'KWD'), annualRate: new D('0.07'), dayCount: 'ACT_360', carriedRemainder: new D(0) });
    expect(dinar.posted.format()).toBe('0.194 KWD');
  });

  test('refuses negative principal, negative rate and an oversized carry as bugs', () => {
    const base = { date: '2026-11-02', outstandingPrincipal: usd('100.00'), annualRate: new D('0.12'), dayCount: 'ACT_360' as const, carriedRemainder: new D(0) };
    expect(() => accrueDay({ ...base, outstandingPrincipal: usd('-1.00') })).toThrow(InvariantViolation);
    expect(() => accrueDay({ ...base, annualRate: new D('-0.01') })).toThrow(InvariantViolation);
    expect(() => accrueDay({ ...base, carriedRemainder: new D('0.0051') })).toThrow(InvariantViolation);
    expect(() => accrueDay({ ...base, carriedRemainder: new D('-0.0051') })).toThrow(InvariantViolation);
  });
});

describe('accrueRange', () => {
  test('30 days on 1,000,000.00 USD at 12% ACT/360 post exactly 10,000.00', () => {
    // Daily exact interest is 333.333… (a third of a cent over 333.33). With the
    // carry the postings cycle 333.33, 333.34, 333.33 (carry +1/3, −1/3, 0 cent),
    // i.e. 1,000.00 every three days; 30 days = 10 × 1,000.00 = 10,000.00
    // = 1,000,000 × 0.12 × 30 / 360.
    const range = accrueRange({
      firstDate: '2026-11-02',
      dailyOutstandingPrincipal: repeatPrincipal(usd('1000000.00'), 30),
      annualRate: new D('0.12'),
      dayCount: 'ACT_360',
      carriedRemainder: new D(0),
    });
    expect(postedStrings(range.days).slice(0, 6)).toEqual(['333.33', '333.34', '333.33', '333.33', '333.34', '333.33']);
    expect(range.totalPosted.toFixedString()).toBe('10000.00');
    // The true remainder after every third day is 0; each day's interest is quantized to 18 places
    // (333.333333333333333333, ⅓·10⁻¹⁸ short), so 30 days leave exactly −10⁻¹⁷.
    expect(range.carriedRemainder.toFixed()).toBe('-0.00000000000000001');
  });

  test('30 days on 1,000,000.00 USD at 12% ACT/365 post 9,863.01 where per-day rounding would drift to 9,863.10', () => {
    // Daily exact interest is 120,000 / 365 = 24,000 / 73 = 328.76712328… (period 76712328).
    // With no exact half-cent ties, cumulative postings after n days equal
    // n × 24,000 / 73 rounded to the cent, so each day posts the difference:
    //   n  n × 24000/73       cumulative  posted
    //   1    328.767123…       328.77     328.77
    //   2    657.534246…       657.53     328.76
    //   3    986.301369…       986.30     328.77
    //   4  1,315.068493…     1,315.07     328.77
    //   5  1,643.835616…     1,643.84     328.77
    //   6  1,972.602739…     1,972.60     328.76
    //  10  3,287.671232…     3,287.67
    //  30  9,863.013698…     9,863.01   (720,000 / 73)
    // 9,863.01 − 30 × 328.76 = 0.21, so 21 days post 328.77 and 9 post 328.76.
    // Rounding each day alone would post 328.77 × 30 = 9,863.10: 9 cents too much.
    const range = accrueRange({
      firstDate: '2026-11-02',
      dailyOutstandingPrincipal: repeatPrincipal(usd('1000000.00'), 30),
      annualRate: new D('0.12'),
      dayCount: 'ACT_365',
      carriedRemainder: new D(0),
    });
    const posted = postedStrings(range.days);
    expect(posted.slice(0, 6)).toEqual(['328.77', '328.76', '328.77', '328.77', '328.77', '328.76']);
    expect(posted.filter((p) => p === '328.77')).toHaveLength(21);
    expect(posted.filter((p) => p === '328.76')).toHaveLength(9);
    const firstTenDays = range.days.slice(0, 10).reduce((sum, day) => sum.plus(day.posted), usd('0'));
    expect(firstTenDays.toFixedString()).toBe('3287.67');
    expect(range.totalPosted.toFixedString()).toBe('9863.01');
    // 9,863.013698… − 9,863.01 = 0.003698… stays carried for day 31.
    expect(range.carriedRemainder.toFixed(6)).toBe('0.003699');
  });

  test('a small loan whose daily interest is under half a cent still accrues', () => {
    // 10.00 USD × 12% / 360 = 0.00333… a day. Alone, every day would round to 0.00;
    // with the carry: 0.00, 0.01, 0.00 every three days. 30 days = 0.10 = 10 × 0.12 × 30 / 360.
    const range = accrueRange({
      firstDate: '2026-11-02',
      dailyOutstandingPrincipal: repeatPrincipal(usd('10.00'), 30),
      annualRate: new D('0.12'),
      dayCount: 'ACT_360',
      carriedRemainder: new D(0),
    });
    expect(postedStrings(range.days).slice(0, 3)).toEqual(['0.00', '0.01', '0.00']);
    expect(range.totalPosted.toFixedString()).toBe('0.10');
  });

  test('principal that changes mid-month accrues on each day\'s balance', () => {
    // 10 days on 36,000.00 at 10% ACT/360 = 10.00 a day → 100.00;
    // then a 18,000.00 repayment: 10 days on 18,000.00 = 5.00 a day → 50.00. Total 150.00.
    const range = accrueRange({
      firstDate: '2026-11-02',
      dailyOutstandingPrincipal: [...repeatPrincipal(usd('36000.00'), 10), ...repeatPrincipal(usd('18000.00'), 10)],
      annualRate: new D('0.10'),
      dayCount: 'ACT_360',
      carriedRemainder: new D(0),
    });
    expect(postedStrings(range.days)).toEqual([...Array(10).fill('10.00'), ...Array(10).fill('5.00')]);
    expect(range.totalPosted.toFixedString()).toBe('150.00');
  });

  test('mixing currencies across days throws', () => {
    expect(() =>
      accrueRange({
      firstDate: '2026-11-02',
        dailyOutstandingPrincipal: [usd('100.00'), Money.of('100.00', 'EUR')],
        annualRate: new D('0.12'),
        dayCount: 'ACT_360',
        carriedRemainder: new D(0),
      }),
    ).toThrow(CurrencyMismatchError);
  });

  test('an empty range is a bug', () => {
    expect(() => accrueRange({ firstDate: '2026-11-02', dailyOutstandingPrincipal: [], annualRate: new D('0.12'), dayCount: 'ACT_360', carriedRemainder: new D(0) })).toThrow(InvariantViolation);
  });
});

describe('accrual properties', () => {
  const scaleOf: Record<string, number> = { USD: 2, JPY: 0, KWD: 3 };
  const scenarioArb = fc.record({
    currency: fc.constantFrom('USD', 'JPY', 'KWD'),
    // Principal in minor units, up to 10^15 (ten trillion dollars).
    principalMinorUnits: fc.array(fc.bigInt({ min: 0n, max: 10n ** 15n }), { minLength: 1, maxLength: 120 }),
    // Annual rate in millionths, 0% to 50%.
    rateMillionths: fc.integer({ min: 0, max: 500_000 }),
    dayCount: fc.constantFrom<DayCount>('ACT_360', 'ACT_365'),
  });
  const principalOf = (units: bigint, currency: string): Money =>
    Money.of(new D(units.toString()).dividedBy(new D(10).pow(scaleOf[currency])), currency);
  const halfMinorUnitOf = (currency: string): Decimal => new D(10).pow(-scaleOf[currency]).dividedBy(2);

  test('total posted interest is within half a minor unit of the exact total, and the carry stays bounded', () => {
    fc.assert(
      fc.property(scenarioArb, ({ currency, principalMinorUnits, rateMillionths, dayCount }) => {
        const annualRate = new D(rateMillionths).dividedBy(1_000_000);
        const principals = principalMinorUnits.map((units) => principalOf(units, currency));
        const range = accrueRange({ firstDate: '2026-11-02', dailyOutstandingPrincipal: principals, annualRate, dayCount, carriedRemainder: new D(0) });
        const halfMinorUnit = halfMinorUnitOf(currency);
        // Independent oracle: Σ interest = (Σ principal) × rate / basis, one division.
        const basis = dayCount === 'ACT_360' ? 360 : 365;
        const principalSum = principals.reduce((sum, p) => sum.plus(p.amount), new D(0));
        const exactTotal = principalSum.times(annualRate).dividedBy(basis);
        const postedSum = range.days.reduce((sum, day) => sum.plus(day.posted.amount), new D(0));
        // 60-digit arithmetic may differ from the exact rational in the ~50th decimal.
        expect(postedSum.minus(exactTotal).abs().lte(halfMinorUnit.plus('1e-40'))).toBe(true);
        expect(range.totalPosted.amount.equals(postedSum)).toBe(true);
        for (const day of range.days) {
          expect(day.posted.isAtScale()).toBe(true);
          expect(day.posted.isNegative()).toBe(false);
          expect(day.carriedRemainder.abs().lte(halfMinorUnit)).toBe(true);
        }
      }),
    );
  });

  test('posted plus the final carry accounts for every bit of exact interest and the opening carry', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: -5, max: 5 }), ({ currency, principalMinorUnits, rateMillionths, dayCount }, openingTenths) => {
        const annualRate = new D(rateMillionths).dividedBy(1_000_000);
        // Opening carry between −0.5 and +0.5 minor units, in tenths of the half unit.
        const openingCarry = halfMinorUnitOf(currency).times(openingTenths).dividedBy(5);
        const principals = principalMinorUnits.map((units) => principalOf(units, currency));
        const range = accrueRange({ firstDate: '2026-11-02', dailyOutstandingPrincipal: principals, annualRate, dayCount, carriedRemainder: openingCarry });
        const exactSum = range.days.reduce((sum, day) => sum.plus(day.exactInterest), new D(0));
        const accountedFor = range.totalPosted.amount.plus(range.carriedRemainder);
        expect(accountedFor.minus(exactSum.plus(openingCarry)).abs().lt(new D('1e-40'))).toBe(true);
      }),
    );
  });

  test('accruing day by day gives the same postings as accruing the range', () => {
    fc.assert(
      fc.property(scenarioArb, ({ currency, principalMinorUnits, rateMillionths, dayCount }) => {
        const annualRate = new D(rateMillionths).dividedBy(1_000_000);
        const principals = principalMinorUnits.map((units) => principalOf(units, currency));
        const range = accrueRange({ firstDate: '2026-11-02', dailyOutstandingPrincipal: principals, annualRate, dayCount, carriedRemainder: new D(0) });
        let carriedRemainder = new D(0);
        principals.forEach((outstandingPrincipal, index) => {
          const day = accrueDay({ date: '2026-11-02', outstandingPrincipal, annualRate, dayCount, carriedRemainder });
          expect(day.posted.equals(range.days[index].posted)).toBe(true);
          carriedRemainder = day.carriedRemainder;
        });
      }),
    );
  });
});

describe('precision policy', () => {
  test('a day\'s exact interest is quantized once, to 18 places half-even', () => {
    expect(INTEREST_SCALE).toBe(18);
    // 29 000 × 0.12 ÷ 360 = 9.666…, 31 000 × 0.12 ÷ 360 = 10.333…: the digit gained does not change the scale.
    const before = accrueDay({ date: '2026-11-02', outstandingPrincipal: usd('29000.00'), annualRate: new D('0.12'), dayCount: 'ACT_360', carriedRemainder: new D(0) });
    const after = accrueDay({ date: '2026-11-02', outstandingPrincipal: usd('31000.00'), annualRate: new D('0.12'), dayCount: 'ACT_360', carriedRemainder: before.carriedRemainder });
    expect(before.exactInterest.toFixed()).toBe('9.666666666666666667');
    expect(after.exactInterest.toFixed()).toBe('10.333333333333333333');
    // 10.333333333333333333 + the carried −0.003333333333333333 = 10.33 exactly: posted, nothing carried.
    expect(before.carriedRemainder.toFixed()).toBe('-0.003333333333333333');
    expect(after.posted.toFixedString()).toBe('10.33');
    expect(after.carriedRemainder.toFixed()).toBe('0');
  });

  test('half-even at the 19th place', () => {
    expect(quantizeInterest(new D('0.0000000000000000025')).toFixed()).toBe('0.000000000000000002');
    expect(quantizeInterest(new D('0.0000000000000000035')).toFixed()).toBe('0.000000000000000004');
  });

  test('property: every figure is at 18 places and exact + carried in = posted + carried out, exactly', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 28n - 1n }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom<DayCount>('ACT_360', 'ACT_365'),
        fc.integer({ min: -5_000, max: 5_000 }),
        (cents, rateMillionths, dayCount, carryTenthsOfMil) => {
          const day = accrueDay({
      date: '2026-11-02',
            outstandingPrincipal: usd(new D(cents.toString()).dividedBy(100).toFixed(2)),
            annualRate: new D(rateMillionths).dividedBy(1_000_000),
            dayCount,
            carriedRemainder: new D(carryTenthsOfMil).dividedBy(1_000_000),
          });
          for (const figure of [day.exactInterest, day.carriedRemainder]) expect(figure.decimalPlaces()).toBeLessThanOrEqual(18);
          const inDigits = (d: Decimal) => BigInt(d.times(new D(10).pow(18)).toFixed(0));
          expect(inDigits(day.exactInterest) + BigInt(carryTenthsOfMil) * 10n ** 12n).toBe(inDigits(day.posted.amount) + inDigits(day.carriedRemainder));
        },
      ),
    );
  });
});

describe('restateDays', () => {
  test('two days charged on 36 000.00 that really had 18 000.00 at 12 % ACT/360: −6.00 each, −12.00 posted', () => {
    const restated = restateDays({
      currency: 'USD',
      carriedRemainder: new D('0.003333333333333333'),
      days: ['2026-11-02', '2026-11-03'].map((date) => ({ date, principalCharged: usd('36000.00'), principalActual: usd('18000.00'), annualRate: new D('0.12'), dayCount: 'ACT_360' as const })),
    });
    expect(restated.days.map((day) => day.interestDifference.toFixed())).toEqual(['-6', '-6']);
    expect(restated.restatedInterest.toFixed()).toBe('-12');
    expect(restated.posted.toFixedString()).toBe('-12.00');
    expect(restated.carriedRemainder.toFixed()).toBe('0.003333333333333333');
  });

  test('an under-charged day posts the difference and carries the sub-cent part: 1 000.00 more for one day at 10 % ACT/365', () => {
    // Each day quantized, then subtracted: 6 000 × 0.10 ÷ 365 = 1.643835616438356164|38… → …164, and
    // 5 000 × 0.10 ÷ 365 = 1.369863013698630136|98… → …137: difference 0.273972602739726027.
    // Plus a carry of −0.004 → 0.269972602739726027 → posts 0.27, carries −0.000027397260273973.
    const restated = restateDays({
      currency: 'USD',
      carriedRemainder: new D('-0.004'),
      days: [{ date: '2026-11-02', principalCharged: usd('5000.00'), principalActual: usd('6000.00'), annualRate: new D('0.10'), dayCount: 'ACT_365' }],
    });
    expect(restated.days[0].interestDifference.toFixed()).toBe('0.273972602739726027');
    expect(restated.posted.toFixedString()).toBe('0.27');
    expect(restated.carriedRemainder.toFixed()).toBe('-0.000027397260273973');
  });
});
