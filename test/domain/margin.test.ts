import fc from 'fast-check';
import { InvariantViolation } from '../../domain/errors';
import { compareLtv, cureAmounts, cureDeadline, marginDecision, type MarginDecision, type OwedBesidesPrincipal, type ShortfallCause } from '../../domain/margin';
import { D, Money } from '../../domain/money';
import { nextMarginStep } from '../../domain/margin-call';
import { applyWaterfall, DEFAULT_WATERFALL, type WaterfallStep } from '../../domain/waterfall';

const d = (value: string) => new D(value);
const usd = (amount: string) => Money.of(amount, 'USD');

/** The canonical apples line: call above 60 %, liquidate at 80 %, cure back to 45 %. */
const appleThresholds = () => ({ marginCallLtv: d('0.6'), liquidationLtv: d('0.8'), targetLtv: d('0.45') });

/** 20 000 kg × 1.20 USD/kg × (1 − 0.10) = 21 600 of collateral. */
const APPLE_COLLATERAL = '21600.00';

/** Nothing owed ahead of principal: every repayment reduces principal. */
const nothingOwed = (currency = 'USD'): OwedBesidesPrincipal => ({ waterfallOrder: DEFAULT_WATERFALL, feesReceivable: Money.zero(currency), interestReceivable: Money.zero(currency) });

const PRICE_CALL = { cause: 'LTV_ABOVE_MARGIN_CALL' as ShortfallCause };

/** Every pledged lot eligible and freshly priced: eligible = marked collateral. */
function decide(outstanding: string, collateral: string, openCall: boolean): MarginDecision {
  return marginDecision({
    outstandingPrincipal: usd(outstanding),
    collateralValue: usd(collateral),
    markedCollateralValue: usd(collateral),
    unpricedLotCount: 0,
    ...appleThresholds(),
    openCall: openCall ? PRICE_CALL : null,
  }).decision;
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
        markedCollateralValue: usd('2'),
        unpricedLotCount: 0,
        marginCallLtv: d('0.6'),
        liquidationLtv: d('0.5'),
        targetLtv: d('0.45'),
        openCall: null,
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
          marginDecision({
            outstandingPrincipal: toUsd(outstanding),
            collateralValue: toUsd(collateral),
            markedCollateralValue: toUsd(collateral),
            unpricedLotCount: 0,
            ...thresholds,
            openCall: openCall ? PRICE_CALL : null,
          }).decision;
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
    const amounts = cureAmounts({ outstandingPrincipal: usd('10800.00'), collateralValue: usd('16200.00'), targetLtv: d('0.45'), owed: nothingOwed() });
    expectMoney(amounts.repayment, '3510.00 USD');
    expectMoney(amounts.additionalCollateralValue, '7800.00 USD');
  });

  test('a line at or below target needs nothing', () => {
    const amounts = cureAmounts({ outstandingPrincipal: usd('9720.00'), collateralValue: usd(APPLE_COLLATERAL), targetLtv: d('0.45'), owed: nothingOwed() });
    expectMoney(amounts.repayment, '0.00 USD');
    expectMoney(amounts.additionalCollateralValue, '0.00 USD');
  });

  test('the repayment is rounded up to the cent: exact 99.984 becomes 99.99, not 99.98', () => {
    // 500.00 − 0.4 × 1 000.04 = 500.00 − 400.016 = 99.984. Repaying 99.98 would leave
    // 400.02 owed against 400.016 allowed; repaying 99.99 leaves 400.01.
    const amounts = cureAmounts({ outstandingPrincipal: usd('500.00'), collateralValue: usd('1000.04'), targetLtv: d('0.4'), owed: nothingOwed() });
    expectMoney(amounts.repayment, '99.99 USD');
    // 500.00 / 0.4 − 1 000.04 = 1 250 − 1 000.04 = 249.96
    expectMoney(amounts.additionalCollateralValue, '249.96 USD');
  });

  test('a top-up with no finite decimal is rounded up: 100 / 0.3 = 333.33… becomes 333.34', () => {
    // 0.3 × 333.33 = 99.999 < 100, so 333.33 would not cure; 0.3 × 333.34 = 100.002 does.
    const amounts = cureAmounts({ outstandingPrincipal: usd('100.00'), collateralValue: usd('0'), targetLtv: d('0.3'), owed: nothingOwed() });
    expectMoney(amounts.repayment, '100.00 USD');
    expectMoney(amounts.additionalCollateralValue, '333.34 USD');
  });

  test('rounds up to the currency scale: whole yen', () => {
    // repay 1 000 − 0.45 × 1 000 = 550; top up 1 000 / 0.45 − 1 000 = 1 222.22… → 1 223
    const jpy = (amount: string) => Money.of(amount, 'JPY');
    const amounts = cureAmounts({ outstandingPrincipal: jpy('1000'), collateralValue: jpy('1000'), targetLtv: d('0.45'), owed: nothingOwed('JPY') });
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
        const { repayment, additionalCollateralValue } = cureAmounts({ outstandingPrincipal, collateralValue, targetLtv, owed: nothingOwed() });

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
        const { repayment } = cureAmounts({ outstandingPrincipal, collateralValue, targetLtv: thresholds.targetLtv, owed: nothingOwed() });
        const after = marginDecision({
          outstandingPrincipal: outstandingPrincipal.minus(repayment),
          collateralValue,
          markedCollateralValue: collateralValue,
          unpricedLotCount: 0,
          ...thresholds,
          openCall: PRICE_CALL,
        });
        expect(after.decision).toBe('CURE');
      }),
    );
  });
});

describe('cureDeadline', () => {
  test('is the cure period after the call opened: 72 hours from 1 March 00:00 UTC is 4 March 00:00 UTC', () => {
    expect(cureDeadline(new Date('2026-03-01T00:00:00Z'), 72).toISOString()).toBe('2026-03-04T00:00:00.000Z');
  });
});

// ─── Issue #11, item 5: ineligible collateral is not a price ─────────────────

describe('stale, unpriced or ineligible collateral opens a call with a cure period and never liquidates by itself', () => {
  /** Apples: 21 600.00 of collateral at the latest mark; `eligible` of it counts now. */
  function decideWith(input: { outstanding: string; eligible: string; marked?: string; unpriced: number; openCall?: ShortfallCause }) {
    return marginDecision({
      outstandingPrincipal: usd(input.outstanding),
      collateralValue: usd(input.eligible),
      markedCollateralValue: usd(input.marked ?? APPLE_COLLATERAL),
      unpricedLotCount: input.unpriced,
      ...appleThresholds(),
      openCall: input.openCall ? { cause: input.openCall } : null,
    });
  }

  test('the mark of the only lot goes stale: eligible collateral 0 opens a call for ineligibility, not a liquidation', () => {
    // LTV at the (stale) mark 10 800 / 21 600 = 0.5: the price is fine, only its age is not.
    expect(decideWith({ outstanding: '10800.00', eligible: '0', unpriced: 1 })).toEqual({ decision: 'OPEN_MARGIN_CALL', cause: 'INELIGIBLE_COLLATERAL' });
  });

  test('even when the stale mark itself says LTV 0.9 ≥ 0.8, a stale price liquidates nothing: it is a price call with a cure period', () => {
    // 19 440 / 21 600 = 0.9
    expect(decideWith({ outstanding: '19440.00', eligible: '0', unpriced: 1 })).toEqual({ decision: 'OPEN_MARGIN_CALL', cause: 'LTV_ABOVE_MARGIN_CALL' });
    expect(decideWith({ outstanding: '19440.00', eligible: '0', unpriced: 1, openCall: 'LTV_ABOVE_MARGIN_CALL' })).toEqual({ decision: 'KEEP_OPEN', cause: 'LTV_ABOVE_MARGIN_CALL' });
  });

  test('a lot with no mark at all and debt on it: a call, not a liquidation', () => {
    expect(decideWith({ outstanding: '10800.00', eligible: '0', marked: '0', unpriced: 1 }).decision).toBe('OPEN_MARGIN_CALL');
  });

  test('a quality hold or an overdue count on freshly priced goods: a call for ineligibility; at a priced LTV ≥ 0.8 liquidation', () => {
    expect(decideWith({ outstanding: '10800.00', eligible: '0', unpriced: 0 })).toEqual({ decision: 'OPEN_MARGIN_CALL', cause: 'INELIGIBLE_COLLATERAL' });
    // 17 280 / 21 600 = 0.8 on fresh marks of every lot: a priced LTV at the liquidation threshold.
    expect(decideWith({ outstanding: '17280.00', eligible: '0', unpriced: 0 })).toEqual({ decision: 'LIQUIDATE', cause: null });
  });

  test('part of the goods stale: LTV 0.8 on the fresh part alone liquidates nothing while the rest has no fresh price', () => {
    // 10 800 of 21 600 is fresh and eligible; 17 280 / 10 800 = 1.6 on it, 0.8 on all marks — but one lot is stale.
    expect(decideWith({ outstanding: '17280.00', eligible: '10800.00', unpriced: 1 }).decision).toBe('OPEN_MARGIN_CALL');
  });

  test('a fresh mark cures a call opened for ineligibility as soon as LTV is back at or below the margin-call threshold', () => {
    // Back to 10 800 / 21 600 = 0.5: above the target 0.45, but the call was never about the price.
    expect(decideWith({ outstanding: '10800.00', eligible: APPLE_COLLATERAL, unpriced: 0, openCall: 'INELIGIBLE_COLLATERAL' })).toEqual({ decision: 'CURE', cause: null });
    // A price call at 0.5 keeps its hysteresis: it cures at the target only.
    expect(decideWith({ outstanding: '10800.00', eligible: APPLE_COLLATERAL, unpriced: 0, openCall: 'LTV_ABOVE_MARGIN_CALL' })).toEqual({ decision: 'KEEP_OPEN', cause: 'LTV_ABOVE_MARGIN_CALL' });
  });

  test('a call opened for ineligibility becomes a price call when the price falls meanwhile (0.6 × 16 200 < 10 800)', () => {
    expect(decideWith({ outstanding: '10800.00', eligible: '0', marked: '16200.00', unpriced: 1, openCall: 'INELIGIBLE_COLLATERAL' })).toEqual({
      decision: 'KEEP_OPEN',
      cause: 'LTV_ABOVE_MARGIN_CALL',
    });
    // …and then a fresh mark at the same price does not cure it: 10 800 / 16 200 = 0.667 > 0.45.
    expect(decideWith({ outstanding: '10800.00', eligible: '16200.00', marked: '16200.00', unpriced: 0, openCall: 'LTV_ABOVE_MARGIN_CALL' }).decision).toBe('KEEP_OPEN');
  });

  const cents = fc.bigInt({ min: 0n, max: 10n ** 12n });
  const toUsd = (c: bigint) => Money.of(new D(c.toString()).div(100), 'USD');

  test('property: whenever some pledged lot is stale or unpriced, the decision is never LIQUIDATE', () => {
    fc.assert(
      fc.property(
        cents,
        cents,
        cents,
        fc.integer({ min: 1, max: 1000 }),
        fc.constantFrom<ShortfallCause | null>(null, 'LTV_ABOVE_MARGIN_CALL', 'INELIGIBLE_COLLATERAL'),
        thresholdsArbitrary(),
        (outstanding, eligible, extraMarked, unpricedLotCount, openCall, thresholds) => {
          const outcome = marginDecision({
            outstandingPrincipal: toUsd(outstanding),
            collateralValue: toUsd(eligible),
            markedCollateralValue: toUsd(eligible + extraMarked),
            unpricedLotCount,
            ...thresholds,
            openCall: openCall ? { cause: openCall } : null,
          });
          expect(outcome.decision).not.toBe('LIQUIDATE');
        },
      ),
    );
  });

  test('property: every lot priced but stale and something owed — a margin call (opened or kept), never NONE or LIQUIDATE', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), cents, fc.integer({ min: 1, max: 1000 }), fc.boolean(), thresholdsArbitrary(), (outstanding, marked, lots, open, thresholds) => {
        const outcome = marginDecision({
          outstandingPrincipal: toUsd(outstanding),
          collateralValue: usd('0'),
          markedCollateralValue: toUsd(marked),
          unpricedLotCount: lots,
          ...thresholds,
          openCall: open ? { cause: 'INELIGIBLE_COLLATERAL' } : null,
        });
        expect(outcome.decision).toBe(open ? 'KEEP_OPEN' : 'OPEN_MARGIN_CALL');
      }),
    );
  });
});

describe('nextMarginStep on stale collateral', () => {
  test('opens a call with the normal cure period (48 h) asking the cure amounts', () => {
    const now = new Date('2026-12-01T10:00:00Z');
    const step = nextMarginStep({
      outstandingPrincipal: usd('10800.00'),
      collateralValue: usd('0'),
      markedCollateralValue: usd(APPLE_COLLATERAL),
      unpricedLotCount: 1,
      ...appleThresholds(),
      ...nothingOwed(),
      live: null,
      curePeriodHours: 48,
      now,
    });
    expect(step.kind).toBe('OPEN');
    if (step.kind !== 'OPEN') return;
    expect([step.cause, step.cureDeadline.toISOString(), step.cure.repayment.toFixedString()]).toEqual(['INELIGIBLE_COLLATERAL', '2026-12-03T10:00:00.000Z', '10800.00']);
  });
});

// ─── Issue #11, item 6: the amount a call demands cures it through the waterfall ─

describe('the repayment a call demands is what cures it through the line waterfall', () => {
  // 10 800.00 owed on 12 000.00 of collateral (LTV 0.9); target 0.4 → principal 10 800 − 0.4 × 12 000 = 6 000.00.
  // Fees 50.00 and interest 70.00 are accrued: a repayment pays them first, so 6 000.00 would leave 120.00 of principal short.
  const owedOf = (order: readonly WaterfallStep[]): OwedBesidesPrincipal => ({ waterfallOrder: order, feesReceivable: usd('50.00'), interestReceivable: usd('70.00') });
  const position = { outstandingPrincipal: usd('10800.00'), collateralValue: usd('12000.00'), targetLtv: d('0.4') };

  test('fees then interest then principal: 50.00 + 70.00 + 6 000.00 = 6 120.00', () => {
    const amounts = cureAmounts({ ...position, owed: owedOf(['FEES', 'INTEREST', 'PRINCIPAL']) });
    expectMoney(amounts.repayment, '6120.00 USD');
    expectMoney(amounts.principalReduction, '6000.00 USD');
    const paid = applyWaterfall({ payment: amounts.repayment, order: ['FEES', 'INTEREST', 'PRINCIPAL'], owed: { fees: usd('50.00'), interest: usd('70.00'), principal: usd('10800.00') } });
    // 10 800 − 6 000 = 4 800 = 0.4 × 12 000: exactly the target.
    expect(compareLtv({ outstandingPrincipal: usd('10800.00').minus(paid.principal), collateralValue: usd('12000.00') }, d('0.4'))).toBe(0);
  });

  test('the line order decides what comes first: interest, principal, fees → 70.00 + 6 000.00; principal first → 6 000.00', () => {
    expectMoney(cureAmounts({ ...position, owed: owedOf(['INTEREST', 'PRINCIPAL', 'FEES']) }).repayment, '6070.00 USD');
    expectMoney(cureAmounts({ ...position, owed: owedOf(['PRINCIPAL', 'FEES', 'INTEREST']) }).repayment, '6000.00 USD');
  });

  test('a line at target needs nothing, whatever it owes in fees and interest', () => {
    expectMoney(cureAmounts({ outstandingPrincipal: usd('4800.00'), collateralValue: usd('12000.00'), targetLtv: d('0.4'), owed: owedOf(DEFAULT_WATERFALL) }).repayment, '0.00 USD');
  });

  test('property: paying exactly the repayment through applyWaterfall brings LTV to target or below; one cent less does not', () => {
    const cents = fc.bigInt({ min: 0n, max: 10n ** 11n });
    const toUsd = (c: bigint) => Money.of(new D(c.toString()).div(100), 'USD');
    const orders = fc.constantFrom<WaterfallStep[]>(
      ['FEES', 'INTEREST', 'PRINCIPAL'],
      ['FEES', 'PRINCIPAL', 'INTEREST'],
      ['INTEREST', 'FEES', 'PRINCIPAL'],
      ['INTEREST', 'PRINCIPAL', 'FEES'],
      ['PRINCIPAL', 'FEES', 'INTEREST'],
      ['PRINCIPAL', 'INTEREST', 'FEES'],
    );
    const collateralAmount = fc.bigInt({ min: 0n, max: 10n ** 13n }).map((micro) => Money.of(new D(micro.toString()).div(10000), 'USD'));
    const target = fc.integer({ min: 1, max: 9999 }).map((bp) => new D(bp).div(10000));
    fc.assert(
      fc.property(cents, cents, cents, collateralAmount, target, orders, (principalCents, feeCents, interestCents, collateralValue, targetLtv, order) => {
        const outstandingPrincipal = toUsd(principalCents);
        const owed = { fees: toUsd(feeCents), interest: toUsd(interestCents), principal: outstandingPrincipal };
        const { repayment } = cureAmounts({ outstandingPrincipal, collateralValue, targetLtv, owed: { waterfallOrder: order, feesReceivable: owed.fees, interestReceivable: owed.interest } });
        const principalAfter = (payment: Money) => outstandingPrincipal.minus(applyWaterfall({ payment, order, owed }).principal);
        expect(compareLtv({ outstandingPrincipal: principalAfter(repayment), collateralValue }, targetLtv)).toBeLessThanOrEqual(0);
        if (repayment.isPositive()) {
          expect(compareLtv({ outstandingPrincipal: principalAfter(repayment.minus(usd('0.01'))), collateralValue }, targetLtv)).toBe(1);
        }
      }),
    );
  });
});
