import fc from 'fast-check';
import { InvariantViolation } from '../../domain/errors';
import { D, Money } from '../../domain/money';
import {
  availability,
  noAvailabilityReason,
  borrowingBase,
  effectivePrice,
  eligibleCollateralValue,
  lotEligibility,
  ltv,
  valueLot,
  type LotForValuation,
  type PriceMark,
  type ValuationTerms,
} from '../../domain/valuation';

const d = (value: string) => new D(value);
const usd = (amount: string) => Money.of(amount, 'USD');
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const NOW = new Date('2026-03-15T12:00:00.000Z');
const hoursBefore = (hours: number, extraMs = 0) => new Date(NOW.getTime() - hours * HOUR_MS - extraMs);
const daysBefore = (days: number, extraMs = 0) => new Date(NOW.getTime() - days * DAY_MS - extraMs);

/** The canonical apples line: 10 % haircut, 50 % advance, marks good for 48 h, counts every 30 days. */
function appleLine(overrides: Partial<ValuationTerms> = {}): ValuationTerms {
  return {
    currency: 'USD',
    maxMarkAgeHours: 48,
    stockCountIntervalDays: 30,
    haircut: d('0.10'),
    defaultAdvanceRate: d('0.5'),
    advanceRatesByCommodity: { ONIONS: d('0.55') },
    ...overrides,
  };
}

/** 20 000 kg of apples in the cold store, counted a week ago. */
function appleLot(overrides: Partial<LotForValuation> = {}): LotForValuation {
  return {
    quantity: d('20000'),
    commodityCode: 'APPLES',
    flaggedByCount: false,
    qualityHold: false,
    lastCountedAt: daysBefore(7),
    pledgedAt: daysBefore(20),
    inApprovedWarehouse: true,
    ...overrides,
  };
}

function freshMark(price: string, currency = 'USD'): PriceMark {
  return { pricePerUnit: Money.of(price, currency), asOf: hoursBefore(2) };
}

function expectMoney(actual: Money, expected: string): void {
  expect(`${actual.toFixedString()} ${actual.currency}`).toBe(expected);
}

describe('valueLot', () => {
  test('20 000 kg of apples at 1.20 USD/kg, haircut 0.10, advance 0.5: 24 000 / 21 600 / 10 800', () => {
    // 20 000 × 1.20 = 24 000; 24 000 × 0.9 = 21 600; 21 600 × 0.5 = 10 800
    const valuation = valueLot({ lot: appleLot(), mark: freshMark('1.20'), line: appleLine(), now: NOW });
    expectMoney(valuation.marketValue, '24000.00 USD');
    expectMoney(valuation.collateralValue, '21600.00 USD');
    expectMoney(valuation.lendingValue, '10800.00 USD');
    expect(valuation.eligible).toBe(true);
    expect(valuation.reasons).toEqual([]);
  });

  test('uses the commodity advance rate where the line sets one', () => {
    // 10 000 kg × 0.80 = 8 000; × 0.9 = 7 200; × 0.55 = 3 960
    const valuation = valueLot({
      lot: appleLot({ commodityCode: 'ONIONS', quantity: d('10000') }),
      mark: freshMark('0.80'),
      line: appleLine(),
      now: NOW,
    });
    expectMoney(valuation.lendingValue, '3960.00 USD');
  });

  test('keeps every digit: nothing is rounded inside valuation', () => {
    // 1 234.567 × 0.987 = 1 234.567 − 1 234.567 × 0.013 = 1 234.567 − 16.049371 = 1 218.517629
    // × 0.9 = 1 096.6658661; × 0.5 = 548.33293305
    const valuation = valueLot({ lot: appleLot({ quantity: d('1234.567') }), mark: freshMark('0.987'), line: appleLine(), now: NOW });
    expectMoney(valuation.marketValue, '1218.517629 USD');
    expectMoney(valuation.collateralValue, '1096.6658661 USD');
    expectMoney(valuation.lendingValue, '548.33293305 USD');
  });

  test('an ineligible lot keeps its market and collateral value but lends nothing', () => {
    const valuation = valueLot({ lot: appleLot({ qualityHold: true }), mark: freshMark('1.20'), line: appleLine(), now: NOW });
    expectMoney(valuation.marketValue, '24000.00 USD');
    expectMoney(valuation.collateralValue, '21600.00 USD');
    expectMoney(valuation.lendingValue, '0.00 USD');
    expect(valuation).toMatchObject({ eligible: false, reasons: ['QUALITY_HOLD'] });
  });

  test('goods in a warehouse the lender has not approved for the line lend nothing, with the reason', () => {
    const valuation = valueLot({ lot: appleLot({ inApprovedWarehouse: false }), mark: freshMark('1.20'), line: appleLine(), now: NOW });
    expectMoney(valuation.collateralValue, '21600.00 USD');
    expectMoney(valuation.lendingValue, '0.00 USD');
    expect(valuation).toMatchObject({ eligible: false, reasons: ['WAREHOUSE_NOT_APPROVED'] });
  });

  test('without a mark in the line currency the lot is worth zero in the line currency', () => {
    const valuation = valueLot({ lot: appleLot(), mark: freshMark('1.10', 'EUR'), line: appleLine(), now: NOW });
    expectMoney(valuation.marketValue, '0.00 USD');
    expectMoney(valuation.lendingValue, '0.00 USD');
    expect(valuation).toMatchObject({ pricePerUnit: null, eligible: false, reasons: ['NO_MARK_IN_LINE_CURRENCY'] });
  });

  test('sold but unpaid goods are valued at the sale price when it is below the mark', () => {
    // 20 000 × 1.10 = 22 000; × 0.9 = 19 800; × 0.5 = 9 900
    const valuation = valueLot({
      lot: appleLot(),
      mark: freshMark('1.20'),
      line: appleLine(),
      now: NOW,
      salePricePerUnit: usd('1.10'),
    });
    expectMoney(valuation.marketValue, '22000.00 USD');
    expectMoney(valuation.lendingValue, '9900.00 USD');
  });

  test('sold but unpaid goods are valued at the mark when the sale price is above it', () => {
    const valuation = valueLot({
      lot: appleLot(),
      mark: freshMark('1.20'),
      line: appleLine(),
      now: NOW,
      salePricePerUnit: usd('1.30'),
    });
    expectMoney(valuation.marketValue, '24000.00 USD');
  });

  test('a negative quantity is a bug, not a value', () => {
    expect(() => valueLot({ lot: appleLot({ quantity: d('-1') }), mark: freshMark('1.20'), line: appleLine(), now: NOW })).toThrow(
      InvariantViolation,
    );
  });

  test('lending ≤ collateral ≤ market, and lending = market × (1 − haircut) × advance rate, for all valid inputs', () => {
    const quantity = fc.bigInt({ min: 0n, max: 10n ** 9n }).map((n) => new D(n.toString()).div(1000));
    const price = fc.bigInt({ min: 0n, max: 10n ** 8n }).map((n) => new D(n.toString()).div(10000));
    const haircut = fc.integer({ min: 0, max: 9999 }).map((n) => new D(n).div(10000));
    const advanceRate = fc.integer({ min: 1, max: 10000 }).map((n) => new D(n).div(10000));
    fc.assert(
      fc.property(quantity, price, haircut, advanceRate, (qty, pricePerUnit, hc, rate) => {
        const valuation = valueLot({
          lot: appleLot({ quantity: qty }),
          mark: { pricePerUnit: Money.of(pricePerUnit, 'USD'), asOf: hoursBefore(1) },
          line: appleLine({ haircut: hc, defaultAdvanceRate: rate }),
          now: NOW,
        });
        expect(valuation.lendingValue.lte(valuation.collateralValue)).toBe(true);
        expect(valuation.collateralValue.lte(valuation.marketValue)).toBe(true);
        const expected = qty.times(pricePerUnit).times(new D(1).minus(hc)).times(rate);
        expect(valuation.lendingValue.amount.equals(expected)).toBe(true);
      }),
    );
  });
});

describe('lotEligibility', () => {
  const eligibility = (lot: LotForValuation, mark: PriceMark | null) => lotEligibility({ lot, mark, line: appleLine(), now: NOW });

  test('a counted lot with a fresh mark and no holds is eligible', () => {
    expect(eligibility(appleLot(), freshMark('1.20'))).toEqual({ eligible: true });
  });

  test('no mark at all', () => {
    expect(eligibility(appleLot(), null)).toEqual({ eligible: false, reasons: ['NO_MARK_IN_LINE_CURRENCY'] });
  });

  test('a mark only in another currency', () => {
    expect(eligibility(appleLot(), freshMark('1.20', 'EUR'))).toEqual({ eligible: false, reasons: ['NO_MARK_IN_LINE_CURRENCY'] });
  });

  test('a mark exactly 48 hours old is fresh; one millisecond older is stale', () => {
    const markAt = (asOf: Date): PriceMark => ({ pricePerUnit: usd('1.20'), asOf });
    expect(eligibility(appleLot(), markAt(hoursBefore(48)))).toEqual({ eligible: true });
    expect(eligibility(appleLot(), markAt(hoursBefore(48, 1)))).toEqual({ eligible: false, reasons: ['MARK_STALE'] });
  });

  test('a count difference flag', () => {
    expect(eligibility(appleLot({ flaggedByCount: true }), freshMark('1.20'))).toEqual({
      eligible: false,
      reasons: ['COUNT_DIFFERENCE_FLAG'],
    });
  });

  test('a quality hold', () => {
    expect(eligibility(appleLot({ qualityHold: true }), freshMark('1.20'))).toEqual({ eligible: false, reasons: ['QUALITY_HOLD'] });
  });

  test('a count exactly 30 days ago is on time; one millisecond later it is overdue', () => {
    expect(eligibility(appleLot({ lastCountedAt: daysBefore(30) }), freshMark('1.20'))).toEqual({ eligible: true });
    expect(eligibility(appleLot({ lastCountedAt: daysBefore(30, 1) }), freshMark('1.20'))).toEqual({
      eligible: false,
      reasons: ['STOCK_COUNT_OVERDUE'],
    });
  });

  test('a lot never counted is due one interval after pledging', () => {
    expect(eligibility(appleLot({ lastCountedAt: null, pledgedAt: daysBefore(29) }), freshMark('1.20'))).toEqual({ eligible: true });
    expect(eligibility(appleLot({ lastCountedAt: null, pledgedAt: daysBefore(31) }), freshMark('1.20'))).toEqual({
      eligible: false,
      reasons: ['STOCK_COUNT_OVERDUE'],
    });
  });

  test('a recent count clears an old pledge date', () => {
    expect(eligibility(appleLot({ lastCountedAt: daysBefore(1), pledgedAt: daysBefore(400) }), freshMark('1.20'))).toEqual({
      eligible: true,
    });
  });

  test('every reason that applies is reported, in a fixed order', () => {
    const lot = appleLot({ flaggedByCount: true, qualityHold: true, lastCountedAt: daysBefore(45) });
    expect(eligibility(lot, { pricePerUnit: usd('1.20'), asOf: hoursBefore(72) })).toEqual({
      eligible: false,
      reasons: ['MARK_STALE', 'COUNT_DIFFERENCE_FLAG', 'QUALITY_HOLD', 'STOCK_COUNT_OVERDUE'],
    });
  });
});

describe('effectivePrice', () => {
  test('is the mark when nothing is sold', () => {
    expectMoney(effectivePrice(usd('1.20'), null), '1.20 USD');
  });

  test('is the lower of mark and sale price', () => {
    expectMoney(effectivePrice(usd('1.20'), usd('1.15')), '1.15 USD');
    expectMoney(effectivePrice(usd('1.20'), usd('1.25')), '1.20 USD');
  });

  test('never exceeds either price', () => {
    const price = fc.integer({ min: 0, max: 1_000_000 }).map((cents) => Money.of(new D(cents).div(100), 'USD'));
    fc.assert(
      fc.property(price, price, (mark, sale) => {
        const effective = effectivePrice(mark, sale);
        expect(effective.lte(mark) && effective.lte(sale)).toBe(true);
        expect(effective.equals(mark) || effective.equals(sale)).toBe(true);
      }),
    );
  });
});

describe('borrowingBase and eligibleCollateralValue', () => {
  const line = appleLine();
  const lots = () => [
    // 20 000 kg × 1.20: collateral 21 600, lending 10 800
    valueLot({ lot: appleLot(), mark: freshMark('1.20'), line, now: NOW }),
    // 5 000 kg × 1.20 = 6 000: collateral 5 400, lending 2 700
    valueLot({ lot: appleLot({ quantity: d('5000') }), mark: freshMark('1.20'), line, now: NOW }),
    // stale mark: excluded from both sums
    valueLot({ lot: appleLot({ quantity: d('8000') }), mark: { pricePerUnit: usd('1.20'), asOf: hoursBefore(49) }, line, now: NOW }),
  ];

  test('borrowing base sums the lending value of eligible lots only: 10 800 + 2 700 = 13 500', () => {
    expectMoney(borrowingBase(lots(), 'USD'), '13500.00 USD');
  });

  test('collateral for LTV sums eligible lots only: 21 600 + 5 400 = 27 000', () => {
    expectMoney(eligibleCollateralValue(lots(), 'USD'), '27000.00 USD');
  });

  test('no lots give a zero base in the line currency', () => {
    expectMoney(borrowingBase([], 'USD'), '0.00 USD');
  });
});

describe('availability', () => {
  test('is the borrowing base less outstanding and reserved when the base is below the limit', () => {
    // min(100 000, 13 500) − 8 000 − 2 000 = 3 500
    const available = availability({
      limit: usd('100000.00'),
      borrowingBase: usd('13500.00'),
      outstandingPrincipal: usd('8000.00'),
      reservedDraws: usd('2000.00'),
    });
    expectMoney(available, '3500.00 USD');
  });

  test('is capped by the limit when the base exceeds it', () => {
    // min(12 000, 13 500) − 8 000 − 2 000 = 2 000
    const available = availability({
      limit: usd('12000.00'),
      borrowingBase: usd('13500.00'),
      outstandingPrincipal: usd('8000.00'),
      reservedDraws: usd('2000.00'),
    });
    expectMoney(available, '2000.00 USD');
  });

  test('is reported negative, not clamped, when the line is over-advanced', () => {
    // 13 500 − 12 000 − 2 500 = −1 000
    const available = availability({
      limit: usd('100000.00'),
      borrowingBase: usd('13500.00'),
      outstandingPrincipal: usd('12000.00'),
      reservedDraws: usd('2500.00'),
    });
    expectMoney(available, '-1000.00 USD');
  });

  test('availability + outstanding + reserved = min(limit, base) for all amounts', () => {
    const amount = fc.bigInt({ min: 0n, max: 10n ** 14n }).map((cents) => Money.of(new D(cents.toString()).div(100), 'USD'));
    fc.assert(
      fc.property(amount, amount, amount, amount, (limit, base, outstandingPrincipal, reservedDraws) => {
        const available = availability({ limit, borrowingBase: base, outstandingPrincipal, reservedDraws });
        const cap = limit.lt(base) ? limit : base;
        expect(available.plus(outstandingPrincipal).plus(reservedDraws).equals(cap)).toBe(true);
      }),
    );
  });
});

describe('ltv', () => {
  test('10 800 owed on 21 600 of collateral is 0.5', () => {
    const result = ltv({ outstandingPrincipal: usd('10800.00'), collateralValue: usd('21600.00') });
    expect(result.kind === 'finite' && result.value.toString()).toBe('0.5');
  });

  test('nothing owed on no collateral is 0', () => {
    const result = ltv({ outstandingPrincipal: usd('0'), collateralValue: usd('0') });
    expect(result.kind === 'finite' && result.value.isZero()).toBe(true);
  });

  test('something owed on no collateral is infinite', () => {
    expect(ltv({ outstandingPrincipal: usd('0.01'), collateralValue: usd('0') })).toEqual({ kind: 'infinite' });
  });

  test('mixing currencies is a bug', () => {
    expect(() => ltv({ outstandingPrincipal: usd('1.00'), collateralValue: Money.of('2.00', 'EUR') })).toThrow(InvariantViolation);
  });
});

describe('noAvailabilityReason', () => {
  const usd = (amount: string) => Money.of(amount, 'USD');
  const figures = (limit: string, borrowingBase: string, outstanding: string, reserved = '0.00') =>
    noAvailabilityReason({ limit: usd(limit), borrowingBase: usd(borrowingBase), outstandingPrincipal: usd(outstanding), reservedDraws: usd(reserved) });

  test('a limit cut below outstanding + reserved says so first, then the borrowing base, then fully drawn; null while something can be drawn', () => {
    expect(figures('30000.00', '10000.00', '36000.00')).toBe('LIMIT_BELOW_OUTSTANDING');
    expect(figures('40000.00', '39000.00', '36000.00', '5000.00')).toBe('LIMIT_BELOW_OUTSTANDING');
    expect(figures('100000.00', '30000.00', '36000.00')).toBe('BORROWING_BASE_BELOW_OUTSTANDING');
    expect(figures('100000.00', '36000.00', '30000.00', '6000.00')).toBe('FULLY_DRAWN');
    expect(figures('100000.00', '36000.01', '36000.00')).toBeNull();
  });

  test('a line with nothing drawn and no borrowing base has none to draw on; it is not fully drawn', () => {
    expect(figures('100000.00', '0.00', '0.00')).toBe('NO_BORROWING_BASE');
    // Debt on no base is below outstanding, whatever else.
    expect(figures('100000.00', '0.00', '0.00', '10.00')).toBe('BORROWING_BASE_BELOW_OUTSTANDING');
    expect(figures('100000.00', '0.00', '10.00')).toBe('BORROWING_BASE_BELOW_OUTSTANDING');
  });

  test('for all figures: a reason exactly when availability is not positive, and fully drawn only when something is drawn or reserved', () => {
    const cents = (min: bigint) => fc.bigInt({ min, max: 10_000_000n }).map((value) => `${value / 100n}.${String(value % 100n).padStart(2, '0')}`);
    // A line's limit is positive (terms refuse 0).
    fc.assert(
      // Zero often: an empty line, nothing drawn, nothing reserved are the everyday edges.
      fc.property(cents(1n), fc.oneof(fc.constant('0.00'), cents(0n)), fc.oneof(fc.constant('0.00'), cents(0n)), fc.oneof(fc.constant('0.00'), cents(0n)), (limit, borrowingBase, outstanding, reserved) => {
        const reason = figures(limit, borrowingBase, outstanding, reserved);
        const available = Money.min(usd(limit), usd(borrowingBase)).minus(usd(outstanding)).minus(usd(reserved));
        expect(reason === null).toBe(available.isPositive());
        if (reason === 'FULLY_DRAWN') expect(usd(outstanding).plus(usd(reserved)).isZero()).toBe(false);
        if (reason === 'NO_BORROWING_BASE') expect(usd(outstanding).plus(usd(reserved)).isZero()).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
