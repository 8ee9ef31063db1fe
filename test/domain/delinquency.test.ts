/**
 * Maturity, days past due, buckets and default interest (domain/delinquency.ts), with hand-computed figures.
 */
import fc from 'fast-check';
import {
  NO_DELINQUENCY_TERMS,
  chargeDefaultInterest,
  defaultInterestDaysToCharge,
  delinquencyTermsProblems,
  dpdBucket,
  isMatured,
  lineDelinquency,
  oldestUnpaid,
} from '../../domain/delinquency';
import { worsenings } from '../../domain/terms-amendment';
import { D, Money } from '../../domain/money';

const usd = (amount: string) => Money.of(amount, 'USD');
const terms = (gracePeriodDays: number, defaultAfterDaysPastDue: number | null = null) => ({ gracePeriodDays, defaultInterestSpread: new D('0.02'), defaultAfterDaysPastDue });

describe('maturity', () => {
  test('draws stop on the maturity date itself, not the day after', () => {
    expect([isMatured('2026-12-31', '2026-12-30'), isMatured('2026-12-31', '2026-12-31'), isMatured('2026-12-31', '2027-01-01')]).toEqual([false, true, true]);
  });

  test('before maturity nothing is due', () => {
    const owed = { principal: usd('1000.00'), interest: usd('5.00'), fees: usd('0.00') };
    expect(lineDelinquency({ today: '2026-12-30', maturityDate: '2026-12-31', terms: terms(0), owedAtMaturity: owed, chargedSinceMaturity: [], owedNow: owed })).toMatchObject({
      matured: false,
      dueAtMaturity: null,
      amountDue: null,
      daysPastDue: 0,
      bucket: 'CURRENT',
      overdue: false,
    });
  });

  test('on the maturity date principal, interest and fees owed are due, 0 days past due', () => {
    const owed = { principal: usd('1000.00'), interest: usd('5.00'), fees: usd('2.50') };
    const delinquency = lineDelinquency({ today: '2026-12-31', maturityDate: '2026-12-31', terms: terms(0), owedAtMaturity: owed, chargedSinceMaturity: [], owedNow: owed });
    expect(delinquency.dueAtMaturity?.total.toFixedString()).toBe('1007.50');
    expect([delinquency.amountDue?.toFixedString(), delinquency.daysPastDue, delinquency.overdue, delinquency.oldestUnpaidDueDate]).toEqual(['1007.50', 0, false, '2026-12-31']);
  });
});

describe('days past due: payments clear the oldest due amount first', () => {
  // Due at maturity (12-31): 1 007.50. Interest charged 01-01 (0.33) and 01-02 (0.33). On 01-10:
  const atMaturity = { principal: usd('1000.00'), interest: usd('5.00'), fees: usd('2.50') };
  const interestOnly = (dueDate: string, interest: string) => ({ dueDate, principal: usd('0.00'), interest: usd(interest), fees: usd('0.00') });
  const charged = [interestOnly('2027-01-01', '0.33'), interestOnly('2027-01-02', '0.33')];
  const on = (owedNow: { principal: string; interest: string; fees: string }, gracePeriodDays = 5) =>
    lineDelinquency({
      today: '2027-01-10',
      maturityDate: '2026-12-31',
      terms: terms(gracePeriodDays, 30),
      owedAtMaturity: atMaturity,
      chargedSinceMaturity: charged,
      owedNow: { principal: usd(owedNow.principal), interest: usd(owedNow.interest), fees: usd(owedNow.fees) },
    });

  test('nothing paid: the maturity amount is 10 days past due, overdue after a 5-day grace period', () => {
    const delinquency = on({ principal: '1000.00', interest: '5.66', fees: '2.50' });
    expect([delinquency.oldestUnpaidDueDate, delinquency.daysPastDue, delinquency.bucket, delinquency.overdue, delinquency.overduePrincipal.toFixedString(), delinquency.defaultDue]).toEqual([
      '2026-12-31', 10, 'DPD_1_30', true, '1000.00', false,
    ]);
    expect(on({ principal: '1000.00', interest: '5.66', fees: '2.50' }, 10).overdue).toBe(false);
  });

  test('all but 0.50 of interest paid: what is left is the newest interest, 01-02 (0.33) and 0.17 of 01-01', () => {
    expect(oldestUnpaid([{ dueDate: '2026-12-31', amount: atMaturity.interest }, ...charged.map((charge) => ({ dueDate: charge.dueDate, amount: charge.interest }))], usd('0.50'))).toEqual({
      dueDate: '2027-01-01',
      unpaid: usd('0.17'),
    });
    const delinquency = on({ principal: '0.00', interest: '0.50', fees: '0.00' });
    expect([delinquency.oldestUnpaidDueDate, delinquency.daysPastDue, delinquency.overdue]).toEqual(['2027-01-01', 9, true]);
  });

  test('interest paid first by the waterfall, 1.00 of principal left: principal is due since maturity, 10 days', () => {
    expect(on({ principal: '1.00', interest: '0.00', fees: '0.00' })).toMatchObject({ oldestUnpaidDueDate: '2026-12-31', daysPastDue: 10, overdue: true });
  });

  test('nothing owed: current', () => {
    expect(on({ principal: '0.00', interest: '0.00', fees: '0.00' })).toMatchObject({ oldestUnpaidDueDate: null, daysPastDue: 0, bucket: 'CURRENT', overdue: false });
  });

  test('buckets: 0, 1–30, 31–60, 61–90, 90+', () => {
    expect([0, 1, 30, 31, 60, 61, 90, 91, 400].map(dpdBucket)).toEqual(['CURRENT', 'DPD_1_30', 'DPD_1_30', 'DPD_31_60', 'DPD_31_60', 'DPD_61_90', 'DPD_61_90', 'DPD_90_PLUS', 'DPD_90_PLUS']);
  });

  test('the line is due to default from defaultAfterDaysPastDue days past due', () => {
    const at = (today: string) =>
      lineDelinquency({ today, maturityDate: '2026-12-31', terms: terms(5, 30), owedAtMaturity: atMaturity, chargedSinceMaturity: [], owedNow: atMaturity }).defaultDue;
    expect([at('2027-01-29'), at('2027-01-30')]).toEqual([false, true]);
  });

  test('property: the unpaid part of the oldest unpaid charge plus every newer charge is what is owed', () => {
    const cents = fc.integer({ min: 1, max: 1_000_000 }).map((n) => usd(new D(n).dividedBy(100).toFixed(2)));
    fc.assert(
      fc.property(fc.array(cents, { minLength: 1, maxLength: 20 }), fc.double({ min: 0, max: 1, noNaN: true }), (amounts, share) => {
        const charges = amounts.map((amount, index) => ({ dueDate: `2027-01-${String(index + 1).padStart(2, '0')}`, amount }));
        const total = amounts.reduce((sum, amount) => sum.plus(amount), usd('0'));
        const owed = usd(total.amount.times(share).toDecimalPlaces(2, D.ROUND_DOWN).toFixed(2));
        const oldest = oldestUnpaid(charges, owed);
        if (!owed.isPositive()) return oldest === null;
        const index = charges.findIndex((charge) => charge.dueDate === oldest?.dueDate);
        const newer = charges.slice(index + 1).reduce((sum, charge) => sum.plus(charge.amount), usd('0'));
        return oldest !== null && oldest.unpaid.isPositive() && oldest.unpaid.lte(charges[index].amount) && oldest.unpaid.plus(newer).equals(owed);
      }),
    );
  });
});

describe('default interest', () => {
  test('within the grace period nothing is charged; at its end every day from the maturity date is', () => {
    const charge = (date: string, principal = '1000.00', alreadyCharged: string[] = []) =>
      defaultInterestDaysToCharge({ date, maturityDate: '2026-12-31', gracePeriodDays: 3, principalAtEndOfDate: usd(principal), alreadyCharged: new Set(alreadyCharged) });
    expect(charge('2026-12-30')).toEqual([]);
    // Unpaid at the end of 01-02, the maturity amount is 3 days past due on 01-03: still within grace.
    expect(charge('2027-01-02')).toEqual([]);
    expect(charge('2027-01-03')).toEqual(['2026-12-31', '2027-01-01', '2027-01-02', '2027-01-03']);
    expect(charge('2027-01-04', '1000.00', ['2026-12-31', '2027-01-01', '2027-01-02', '2027-01-03'])).toEqual(['2027-01-04']);
    // Paid within the grace period: nothing is ever charged.
    expect(charge('2027-01-03', '0.00')).toEqual([]);
  });

  test('without a grace period the maturity date itself is the first day charged', () => {
    expect(defaultInterestDaysToCharge({ date: '2026-12-31', maturityDate: '2026-12-31', gracePeriodDays: 0, principalAtEndOfDate: usd('1.00'), alreadyCharged: new Set() })).toEqual(['2026-12-31']);
  });

  test('hand computed: 3 days on 100 000.00 at 2 % ACT/360, then on 60 000.00, remainder carried', () => {
    // 100 000 × 0.02 ÷ 360 = 5.555555555555555556 a day (18 places, half-even); 60 000 × 0.02 ÷ 360 = 3.333333333333333333.
    const first = chargeDefaultInterest({
      currency: 'USD',
      carriedRemainder: new D(0),
      days: ['2027-01-01', '2027-01-02', '2027-01-03'].map((date) => ({ date, overduePrincipal: usd('100000.00'), spread: new D('0.02'), dayCount: 'ACT_360' as const })),
    });
    expect([first.exactInterest.toFixed(), first.posted.toFixedString(), first.carriedRemainder.toFixed()]).toEqual(['16.666666666666666668', '16.67', '-0.003333333333333332']);
    const second = chargeDefaultInterest({ currency: 'USD', carriedRemainder: first.carriedRemainder, days: [{ date: '2027-01-04', overduePrincipal: usd('60000.00'), spread: new D('0.02'), dayCount: 'ACT_360' }] });
    expect([second.exactInterest.toFixed(), second.posted.toFixedString(), second.carriedRemainder.toFixed()]).toEqual(['3.333333333333333333', '3.33', '0.000000000000000001']);
  });
});

describe('delinquency terms', () => {
  test('ranges: grace 0 or more, spread 0 to 1, default after more days than the grace period', () => {
    expect(delinquencyTermsProblems(NO_DELINQUENCY_TERMS)).toEqual([]);
    expect(delinquencyTermsProblems({ gracePeriodDays: -1, defaultInterestSpread: new D('1.5'), defaultAfterDaysPastDue: 0 }).map((problem) => problem.field)).toEqual([
      'gracePeriodDays',
      'defaultAfterDaysPastDue',
      'defaultInterestSpread',
    ]);
    expect(delinquencyTermsProblems({ gracePeriodDays: 10, defaultInterestSpread: new D('0.02'), defaultAfterDaysPastDue: 10 })).toEqual([
      { field: 'defaultAfterDaysPastDue', reason: '10 must be more than gracePeriodDays (10): a line defaults only on what is overdue' },
    ]);
  });

  test('a shorter grace period, a higher default spread or defaulting sooner worsens the seller’s terms', () => {
    const before = { ...baseTerms(), delinquency: { gracePeriodDays: 5, defaultInterestSpread: new D('0.02'), defaultAfterDaysPastDue: 90 } };
    expect(worsenings(before, { ...before, delinquency: { gracePeriodDays: 3, defaultInterestSpread: new D('0.03'), defaultAfterDaysPastDue: 60 } })).toEqual([
      'delinquency.gracePeriodDays',
      'delinquency.defaultInterestSpread',
      'delinquency.defaultAfterDaysPastDue',
    ]);
    expect(worsenings(before, { ...before, delinquency: { gracePeriodDays: 10, defaultInterestSpread: new D('0.01'), defaultAfterDaysPastDue: null } })).toEqual([]);
    expect(worsenings({ ...before, delinquency: null }, before)).toEqual(['delinquency.defaultInterestSpread', 'delinquency.defaultAfterDaysPastDue']);
    // A renewal: a later maturity is not worse; an earlier one is.
    expect(worsenings(before, { ...before, maturityDate: '2028-06-30' })).toEqual([]);
    expect(worsenings(before, { ...before, maturityDate: '2027-06-30' })).toEqual(['maturityDate']);
  });
});

function baseTerms() {
  return {
    currency: 'USD',
    limit: usd('100000.00'),
    defaultAdvanceRate: new D('0.5'),
    advanceRatesByCommodity: {},
    haircut: new D('0.1'),
    annualInterestRate: new D('0.12'),
    floatingRate: null,
    dayCount: 'ACT_360' as const,
    feeSchedule: { onSale: null, perDraw: null },
    maxMarkAgeHours: 48,
    marginCallLtv: new D('0.6'),
    liquidationLtv: new D('0.8'),
    targetLtv: new D('0.45'),
    curePeriodHours: 72,
    stockCountIntervalDays: 30,
    maturityDate: '2027-12-31',
    approvalThresholds: { autoApproveUpTo: usd('0.00'), singleApproverUpTo: usd('0.00') },
    approvalWindowHours: 24,
    waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'] as const,
    approvedWarehouseIds: [],
  };
}
