/**
 * Issue #11, item 10: terms that validation accepted and the database then
 * refused. targetLtv = 1 was valid terms, but every margin call stores the
 * target and margin_call_target_ltv_range demands 0 < target < 1; periods of up
 * to 2^31 − 1 hours or days were valid, but valuation computes now − period,
 * which leaves PostgreSQL's timestamp range. Whatever validateCreditTerms
 * accepts, every CHECK and every computation on the line must accept too.
 */
import fc from 'fast-check';
import { PERIOD_DAYS_MAX, PERIOD_HOURS_MAX, validateCreditTerms, type CreditTerms } from '../../domain/credit-terms';
import { cureDeadline } from '../../domain/margin';
import { D, Money } from '../../domain/money';
import { createTestApi, type TestApi } from '../support/api';
import { marginWorld, type MarginWorld } from './support';

let api: TestApi;
let world: MarginWorld;
beforeAll(async () => {
  api = await createTestApi();
  world = await marginWorld(api);
});
afterAll(() => api.close());

const usd = (amount: string) => Money.of(amount, 'USD');

function terms(overrides: Partial<CreditTerms>): CreditTerms {
  return {
    currency: 'USD',
    limit: usd('100000.00'),
    defaultAdvanceRate: new D('0.5'),
    advanceRatesByCommodity: {},
    haircut: new D('0.1'),
    annualInterestRate: new D('0.12'),
    dayCount: 'ACT_360',
    feeSchedule: { onSale: null, perDraw: null },
    maxMarkAgeHours: 48,
    marginCallLtv: new D('0.6'),
    liquidationLtv: new D('0.8'),
    targetLtv: new D('0.45'),
    curePeriodHours: 72,
    stockCountIntervalDays: 30,
    maturityDate: '2027-12-31',
    approvalThresholds: { autoApproveUpTo: usd('0.00'), singleApproverUpTo: usd('0.00') },
    approvalWindowHours: 48,
    waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
    ...overrides,
  };
}

const reasonsAt = (candidate: CreditTerms, field: string) => validateCreditTerms(candidate).filter((problem) => problem.field === field).map((problem) => problem.reason);

test('targetLtv = 1 (advance rate 1, thresholds 1.2 and 1.5) is refused on terms.targetLtv', () => {
  const candidate = terms({ targetLtv: new D('1'), defaultAdvanceRate: new D('1'), marginCallLtv: new D('1.2'), liquidationLtv: new D('1.5') });
  expect(reasonsAt(candidate, 'terms.targetLtv')).toEqual(['targetLtv 1 must be below 1 (a fraction: 0.45 means 45 %)']);
  expect(validateCreditTerms(terms({ targetLtv: new D('0.9999999999'), defaultAdvanceRate: new D('1'), marginCallLtv: new D('1.2'), liquidationLtv: new D('1.5') }))).toEqual([]);
});

test('periods longer than 10 years are refused on their field; exactly 10 years is accepted', () => {
  expect(reasonsAt(terms({ stockCountIntervalDays: PERIOD_DAYS_MAX + 1 }), 'terms.stockCountIntervalDays')).toEqual(['3651 must be at most 3650 days (10 years)']);
  expect(reasonsAt(terms({ maxMarkAgeHours: PERIOD_HOURS_MAX + 1 }), 'terms.maxMarkAgeHours')).toEqual(['87601 must be at most 87600 hours (10 years)']);
  expect(reasonsAt(terms({ curePeriodHours: 2_147_483_647 }), 'terms.curePeriodHours')).toEqual(['2147483647 must be at most 87600 hours (10 years)']);
  expect(reasonsAt(terms({ approvalWindowHours: PERIOD_HOURS_MAX + 1 }), 'terms.approvalWindowHours')).toHaveLength(1);
  expect(validateCreditTerms(terms({ stockCountIntervalDays: PERIOD_DAYS_MAX, maxMarkAgeHours: PERIOD_HOURS_MAX, curePeriodHours: PERIOD_HOURS_MAX, approvalWindowHours: PERIOD_HOURS_MAX }))).toEqual([]);
});

test('property: terms that validate are stored, valued and margin-called without any CHECK or range refusing them', async () => {
  const basisPoints = (min: number, max: number) => fc.integer({ min, max }).map((bp) => new D(bp).div(10000));
  const period = fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 2_147_483_647 }));
  // target ≤ advance rate < margin call < liquidation, as validation demands; target may reach 1 and liquidation 1.5 and beyond.
  const thresholds = fc
    .tuple(fc.integer({ min: 1, max: 10000 }), fc.integer({ min: 0, max: 10000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }))
    .map(([target, rateAbove, callAbove, liquidationAbove]) => {
      const rate = Math.min(10000, target + rateAbove);
      return { targetLtv: new D(target).div(10000), defaultAdvanceRate: new D(rate).div(10000), marginCallLtv: new D(rate + callAbove).div(10000), liquidationLtv: new D(rate + callAbove + liquidationAbove).div(10000) };
    });
  let stored = 0;
  await fc.assert(
    fc.asyncProperty(thresholds, basisPoints(0, 9999), period, period, period, period, async (ltv, haircut, maxMarkAgeHours, curePeriodHours, stockCountIntervalDays, approvalWindowHours) => {
      const candidate = terms({ ...ltv, haircut, maxMarkAgeHours, curePeriodHours, stockCountIntervalDays, approvalWindowHours });
      fc.pre(validateCreditTerms(candidate).length === 0);
      stored += 1;
      const line = await api.db.prisma.creditLine.create({
        data: {
          lenderOrganisationId: world.lender.organisationId,
          sellerOrganisationId: world.seller.organisationId,
          status: 'ACTIVE',
          currency: 'USD',
          limitAmount: '100000',
          defaultAdvanceRate: candidate.defaultAdvanceRate.toFixed(),
          haircut: candidate.haircut.toFixed(),
          annualInterestRate: '0.12',
          dayCount: 'ACT_360',
          maxMarkAgeHours,
          marginCallLtv: candidate.marginCallLtv.toFixed(),
          liquidationLtv: candidate.liquidationLtv.toFixed(),
          targetLtv: candidate.targetLtv.toFixed(),
          curePeriodHours,
          stockCountIntervalDays,
          maturityDate: new Date('2027-12-31T00:00:00Z'),
          autoApproveUpTo: '0',
          singleApproverUpTo: '0',
          approvalWindowHours,
          waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
        },
      });
      // What valuation, the stock-count monitor, the cure timer and draw expiry compute from the line's periods.
      await api.db.sql(
        `SELECT now() - cl.max_mark_age_hours * interval '1 hour', now() - cl.stock_count_interval_days * interval '24 hours',
                now() + cl.cure_period_hours * interval '1 hour', now() + cl.approval_window_hours * interval '1 hour'
           FROM credit_line cl WHERE cl.id = $1`,
        [line.id],
      );
      // A call on the line stores its target and its cure deadline.
      const openedAt = new Date();
      await api.db.sql(
        `INSERT INTO margin_call (id, credit_line_id, status, currency, opened_at, cure_deadline, target_ltv, outstanding_principal_at_open,
           collateral_value_at_open, outstanding_principal, collateral_value, required_repayment, required_additional_collateral_value, evaluated_at, workflow_id)
         VALUES (gen_random_uuid(), $1, 'OPEN', 'USD', $2, $3, $4, 1, 1, 1, 1, 0, 0, $2, 'x')`,
        [line.id, openedAt, cureDeadline(openedAt, curePeriodHours), candidate.targetLtv.toFixed()],
      );
    }),
    { numRuns: 60 },
  );
  expect(stored).toBeGreaterThan(10);
});
