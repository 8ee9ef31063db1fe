import fc from 'fast-check';
import { InvariantViolation } from '../../domain/errors';
import { compareLtv, cureAmounts, cureDeadline, marginDecision, type MarginDecision } from '../../domain/margin';
import { D, Money } from '../../domain/money';

const d = (value: string) => new D(value);
const usd = (amount: string) => Money.of(amount, 'USD');

/** The canonical apples line: call above 60 %, liquidate at 80 %, cure back to 45 %. */
const appleThresholds = () => ({ marginCallLtv: d('0.6'), liquidationLtv: d('0.8'), targetLtv: d('0.45') });

/** 20 000 kg × 1.20 USD/kg × (1 − 0.10) = 21 600 of collateral. */
const APPLE_COLLATERAL = '21600.00';

function decide(outstanding: string, collateral: string, openCall: boolean): MarginDecision {
  return marginDecision({
    outstandingPrincipal: usd(outstanding),
    collateralValue: usd(collateral),
    ...appleThresholds(),
    openCall,
  });
}

function expectMoney(actual: Money, expected: string): void {
  expect(`${actual.toFixedString()} ${actual.currency}`).toBe(expected);
}

describe('marginDecision', () => {
  test('the fully drawn apples line (LTV 10 800 / 21 600 = 0.5) needs nothing', () => {
    expect(decide('10800.00', APPLE_COLLATERAL, false)).toBe('NONE');
  });

  test('apples falling to 0.90 USD/kg push LTV to 10 800 / 16 200 ≈ 0.667 and open a call', () => {
    // 20 000 × 0.90 × 0.9 = 16 200
    expect(decide('10800.00', '16200.00', false)).toBe('OPEN_MARGIN_CALL');
  });

  test('exactly at marginCallLtv no call opens (0.6 × 21 600 = 12 960); one cent more opens one', () => {
    expect(decide('12960.00', APPLE_COLLATERAL, false)).toBe('NONE');
    expect(decide('12960.01', APPLE_COLLATERAL, false)).toBe('OPEN_MARGIN_CALL');
  });

  test('an open call stays open between target and margin-call LTV (hysteresis)', () => {
    expect(decide('12960.00', APPLE_COLLATERAL, true)).toBe('KEEP_OPEN'); // 0.6
    expect(decide('10800.00', APPLE_COLLATERAL, true)).toBe('KEEP_OPEN'); // 0.5
    expect(decide('9720.01', APPLE_COLLATERAL, true)).toBe('KEEP_OPEN'); // a hair above 0.45
  });

  test('an open call is cured exactly at targetLtv (0.45 × 21 600 = 9 720)', () => {
    expect(decide('9720.00', APPLE_COLLATERAL, true)).toBe('CURE');
    expect(decide('0', APPLE_COLLATERAL, true)).toBe('CURE');
  });

  test('at liquidationLtv (0.8 × 21 600 = 17 280) liquidation starts whether or not a call is open', () => {
    expect(decide('17279.99', APPLE_COLLATERAL, false)).toBe('OPEN_MARGIN_CALL');
    expect(decide('17279.99', APPLE_COLLATERAL, true)).toBe('KEEP_OPEN');
    expect(decide('17280.00', APPLE_COLLATERAL, false)).toBe('LIQUIDATE');
    expect(decide('17280.00', APPLE_COLLATERAL, true)).toBe('LIQUIDATE');
  });

  test('principal owed on no collateral at all liquidates', () => {
    expect(decide('0.01', '0', false)).toBe('LIQUIDATE');
  });

  test('nothing owed on no collateral is LTV 0', () => {
    expect(decide('0', '0', false)).toBe('NONE');
    expect(decide('0', '0', true)).toBe('CURE');
  });

  test('LTVs with no finite decimal are compared exactly: 2 / 3 is above 0.6666…', () => {
    const position = { outstandingPrincipal: usd('2'), collateralValue: usd('3') };
    expect(compareLtv(position, d('0.6666666667'))).toBe(-1);
    expect(compareLtv(position, d('0.6666666666'))).toBe(1);
  });

  test('thresholds out of order are a bug', () => {
    expect(() =>
      marginDecision({
        outstandingPrincipal: usd('1'),
        collateralValue: usd('2'),
        marginCallLtv: d('0.6'),
        liquidationLtv: d('0.5'),
        targetLtv: d('0.45'),
        openCall: false,
      }),
    ).toThrow(InvariantViolation);
  });

  test('is monotone in LTV: more principal on the same collateral never means a milder decision', () => {
    const severity: Record<MarginDecision, number> = { NONE: 0, CURE: 0, OPEN_MARGIN_CALL: 1, KEEP_OPEN: 1, LIQUIDATE: 2 };
    const cents = fc.bigInt({ min: 0n, max: 10n ** 12n });
    const toUsd = (c: bigint) => Money.of(new D(c.toString()).div(100), 'USD');
    fc.assert(
      fc.property(cents, cents, cents, fc.boolean(), thresholdsArbitrary(), (a, b, collateral, openCall, thresholds) => {
        const [lower, higher] = a <= b ? [a, b] : [b, a];
        const decisionAt = (outstanding: bigint) =>
          marginDecision({ outstandingPrincipal: toUsd(outstanding), collateralValue: toUsd(collateral), ...thresholds, openCall });
        expect(severity[decisionAt(lower)]).toBeLessThanOrEqual(severity[decisionAt(higher)]);
      }),
    );
  });
});

/** 0 < target < margin call < liquidation ≤ 1.5, in basis points. */
function thresholdsArbitrary() {
  return fc
    .uniqueArray(fc.integer({ min: 1, max: 15000 }), { minLength: 3, maxLength: 3 })
    .map((points) => [...points].sort((x, y) => x - y).map((bp) => new D(bp).div(10000)))
    .map(([targetLtv, marginCallLtv, liquidationLtv]) => ({ targetLtv, marginCallLtv, liquidationLtv }));
}

describe('cureAmounts', () => {
  test('apples at 0.90: repay 10 800 − 0.45 × 16 200 = 3 510, or add 10 800 / 0.45 − 16 200 = 7 800 of collateral', () => {
    const amounts = cureAmounts({ outstandingPrincipal: usd('10800.00'), collateralValue: usd('16200.00'), targetLtv: d('0.45') });
    expectMoney(amounts.repayment, '3510.00 USD');
    expectMoney(amounts.additionalCollateralValue, '7800.00 USD');
  });

  test('a line at or below target needs nothing', () => {
    const amounts = cureAmounts({ outstandingPrincipal: usd('9720.00'), collateralValue: usd(APPLE_COLLATERAL), targetLtv: d('0.45') });
    expectMoney(amounts.repayment, '0.00 USD');
    expectMoney(amounts.additionalCollateralValue, '0.00 USD');
  });

  test('the repayment is rounded up to the cent: exact 99.984 becomes 99.99, not 99.98', () => {
    // 500.00 − 0.4 × 1 000.04 = 500.00 − 400.016 = 99.984. Repaying 99.98 would leave
    // 400.02 owed against 400.016 allowed; repaying 99.99 leaves 400.01.
    const amounts = cureAmounts({ outstandingPrincipal: usd('500.00'), collateralValue: usd('1000.04'), targetLtv: d('0.4') });
    expectMoney(amounts.repayment, '99.99 USD');
    // 500.00 / 0.4 − 1 000.04 = 1 250 − 1 000.04 = 249.96
    expectMoney(amounts.additionalCollateralValue, '249.96 USD');
  });

  test('a top-up with no finite decimal is rounded up: 100 / 0.3 = 333.33… becomes 333.34', () => {
    // 0.3 × 333.33 = 99.999 < 100, so 333.33 would not cure; 0.3 × 333.34 = 100.002 does.
    const amounts = cureAmounts({ outstandingPrincipal: usd('100.00'), collateralValue: usd('0'), targetLtv: d('0.3') });
    expectMoney(amounts.repayment, '100.00 USD');
    expectMoney(amounts.additionalCollateralValue, '333.34 USD');
  });

  test('rounds up to the currency scale: whole yen', () => {
    // repay 1 000 − 0.45 × 1 000 = 550; top up 1 000 / 0.45 − 1 000 = 1 222.22… → 1 223
    const jpy = (amount: string) => Money.of(amount, 'JPY');
    const amounts = cureAmounts({ outstandingPrincipal: jpy('1000'), collateralValue: jpy('1000'), targetLtv: d('0.45') });
    expectMoney(amounts.repayment, '550 JPY');
    expectMoney(amounts.additionalCollateralValue, '1223 JPY');
  });

  test('paying the cure amount always brings LTV to target or below, and one cent less would not', () => {
    const cents = fc.bigInt({ min: 0n, max: 10n ** 12n });
    const collateralAmount = fc.bigInt({ min: 0n, max: 10n ** 14n }).map((micro) => new D(micro.toString()).div(10000));
    const target = fc.integer({ min: 1, max: 15000 }).map((bp) => new D(bp).div(10000));
    const toUsd = (c: bigint) => Money.of(new D(c.toString()).div(100), 'USD');
    const cent = usd('0.01');
    fc.assert(
      fc.property(cents, collateralAmount, target, (outstandingCents, collateral, targetLtv) => {
        const outstandingPrincipal = toUsd(outstandingCents);
        const collateralValue = Money.of(collateral, 'USD');
        const { repayment, additionalCollateralValue } = cureAmounts({ outstandingPrincipal, collateralValue, targetLtv });

        expect(repayment.isNegative() || additionalCollateralValue.isNegative()).toBe(false);
        expect(repayment.lte(outstandingPrincipal)).toBe(true);
        expect(compareLtv({ outstandingPrincipal: outstandingPrincipal.minus(repayment), collateralValue }, targetLtv)).toBeLessThanOrEqual(0);
        expect(compareLtv({ outstandingPrincipal, collateralValue: collateralValue.plus(additionalCollateralValue) }, targetLtv)).toBeLessThanOrEqual(0);
        if (repayment.isPositive()) {
          const shortPayment = repayment.minus(cent);
          expect(compareLtv({ outstandingPrincipal: outstandingPrincipal.minus(shortPayment), collateralValue }, targetLtv)).toBe(1);
        }
        if (additionalCollateralValue.isPositive()) {
          const shortTopUp = collateralValue.plus(additionalCollateralValue.minus(cent));
          expect(compareLtv({ outstandingPrincipal, collateralValue: shortTopUp }, targetLtv)).toBe(1);
        }
      }),
    );
  });

  test('an open call is cured by paying the repayment it asked for', () => {
    const cents = fc.bigInt({ min: 1n, max: 10n ** 12n });
    const toUsd = (c: bigint) => Money.of(new D(c.toString()).div(100), 'USD');
    fc.assert(
      fc.property(cents, cents, thresholdsArbitrary(), (outstandingCents, collateralCents, thresholds) => {
        const outstandingPrincipal = toUsd(outstandingCents);
        const collateralValue = toUsd(collateralCents);
        const { repayment } = cureAmounts({ outstandingPrincipal, collateralValue, targetLtv: thresholds.targetLtv });
        const after = marginDecision({
          outstandingPrincipal: outstandingPrincipal.minus(repayment),
          collateralValue,
          ...thresholds,
          openCall: true,
        });
        expect(after).toBe('CURE');
      }),
    );
  });
});

describe('cureDeadline', () => {
  test('is the cure period after the call opened: 72 hours from 1 March 00:00 UTC is 4 March 00:00 UTC', () => {
    expect(cureDeadline(new Date('2026-03-01T00:00:00Z'), 72).toISOString()).toBe('2026-03-04T00:00:00.000Z');
  });
});
