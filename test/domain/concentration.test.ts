import fc from 'fast-check';
import type { Decimal } from 'decimal.js';
import { D } from '../../domain/money';
import { applyConcentrationLimits, concentrationLimitProblems, type ConcentrationLimits, type LotForConcentration } from '../../domain/concentration';

// Integers from the generators are exact; they become decimals through their text.
const d = (value: string | number) => new D(String(value));
const lot = (lotId: string, commodityCode: string, warehouseId: string, lendingValue: string): LotForConcentration => ({ lotId, commodityCode, warehouseId, lendingValue: d(lendingValue) });
const limits = (partial: Partial<Record<keyof ConcentrationLimits, string>>): ConcentrationLimits => ({
  commodity: partial.commodity === undefined ? null : d(partial.commodity),
  warehouse: partial.warehouse === undefined ? null : d(partial.warehouse),
  lot: partial.lot === undefined ? null : d(partial.lot),
});
const byLot = (result: ReturnType<typeof applyConcentrationLimits>) =>
  Object.fromEntries(result.lots.map((entry) => [entry.lotId, { kept: entry.lendingValue.toFixed(), excess: entry.excess.toFixed(), reasons: entry.reasons }]));

describe('concentration limits: hand-computed cuts', () => {
  test('two commodities of 600 000 and 400 000 under a 50 % commodity limit: apples keep 0.5 × 400 000 ÷ (1 − 0.5) = 400 000, the base is 800 000', () => {
    const result = applyConcentrationLimits([lot('a1', 'APPLE', 'W1', '600000'), lot('p1', 'PEAR', 'W1', '400000')], limits({ commodity: '0.5' }));
    expect(result.borrowingBase.toFixed()).toBe('800000');
    expect(byLot(result)).toEqual({
      a1: { kept: '400000', excess: '200000', reasons: ['CONCENTRATION_COMMODITY'] },
      p1: { kept: '400000', excess: '0', reasons: [] },
    });
  });

  test('the largest lots of a commodity bear its cut: apples 350 000 + 250 000 lose 200 000 from the 350 000 lot', () => {
    const result = applyConcentrationLimits(
      [lot('a1', 'APPLE', 'W1', '350000'), lot('a2', 'APPLE', 'W1', '250000'), lot('p1', 'PEAR', 'W1', '400000')],
      limits({ commodity: '0.5' }),
    );
    expect(result.borrowingBase.toFixed()).toBe('800000');
    expect(byLot(result)).toEqual({
      a1: { kept: '150000', excess: '200000', reasons: ['CONCENTRATION_COMMODITY'] },
      a2: { kept: '250000', excess: '0', reasons: [] },
      p1: { kept: '400000', excess: '0', reasons: [] },
    });
  });

  test('500 000, 300 000 and 200 000 under a 40 % limit: B = 500 000 ÷ 0.6, rounded down at 18 places, and apples keep 0.4 × B', () => {
    const result = applyConcentrationLimits(
      [lot('a', 'APPLE', 'W1', '500000'), lot('p', 'PEAR', 'W1', '300000'), lot('c', 'CORN', 'W1', '200000')],
      limits({ commodity: '0.4' }),
    );
    // B = 833 333.333333333333333333 (18 places, down); apples keep 0.4 × B = 333 333.3333333333333333332.
    expect(byLot(result).a).toEqual({ kept: '333333.3333333333333333332', excess: '166666.6666666666666666668', reasons: ['CONCENTRATION_COMMODITY'] });
    expect(result.borrowingBase.toFixed()).toBe('833333.3333333333333333332');
  });

  test('one commodity alone under any limit below 1 provides all of any base, so the base is zero', () => {
    const result = applyConcentrationLimits([lot('a1', 'APPLE', 'W1', '600000'), lot('a2', 'APPLE', 'W2', '400000')], limits({ commodity: '0.5' }));
    expect(result.borrowingBase.toFixed()).toBe('0');
    expect(result.lots.map((entry) => [entry.excess.toFixed(), entry.reasons])).toEqual([
      ['600000', ['CONCENTRATION_COMMODITY']],
      ['400000', ['CONCENTRATION_COMMODITY']],
    ]);
  });

  test('a lot limit of 50 % on lots of 600 000, 300 000 and 100 000: the first keeps 400 000, the base is 800 000', () => {
    const result = applyConcentrationLimits([lot('l1', 'APPLE', 'W1', '600000'), lot('l2', 'APPLE', 'W1', '300000'), lot('l3', 'PEAR', 'W2', '100000')], limits({ lot: '0.5' }));
    expect(result.borrowingBase.toFixed()).toBe('800000');
    expect(byLot(result).l1).toEqual({ kept: '400000', excess: '200000', reasons: ['CONCENTRATION_LOT'] });
  });

  test('warehouse 50 % and commodity 60 % together: W1 holds 800 000 of 1 000 000 and keeps 200 000, the base is 400 000 with no commodity above 240 000', () => {
    const result = applyConcentrationLimits(
      [lot('a1', 'APPLE', 'W1', '500000'), lot('p1', 'PEAR', 'W1', '300000'), lot('p2', 'PEAR', 'W2', '200000')],
      limits({ commodity: '0.6', warehouse: '0.5' }),
    );
    expect(result.borrowingBase.toFixed()).toBe('400000');
    const kept = byLot(result);
    expect(kept.p2).toEqual({ kept: '200000', excess: '0', reasons: [] });
    expect(d(kept.a1.kept).plus(kept.p1.kept).toFixed()).toBe('200000');
    expect(d(kept.a1.kept).lte(240000) && d(kept.p1.kept).plus(200000).lte(240000)).toBe(true);
    for (const id of ['a1', 'p1']) expect(kept[id].reasons).toContain('CONCENTRATION_WAREHOUSE');
  });

  test('without limits, or within them, nothing is cut', () => {
    const lots = [lot('a1', 'APPLE', 'W1', '500000'), lot('p1', 'PEAR', 'W2', '500000')];
    expect(applyConcentrationLimits(lots, limits({})).borrowingBase.toFixed()).toBe('1000000');
    const within = applyConcentrationLimits(lots, limits({ commodity: '0.5', warehouse: '0.5', lot: '0.5' }));
    expect(within.borrowingBase.toFixed()).toBe('1000000');
    expect(within.lots.every((entry) => entry.excess.isZero() && entry.reasons.length === 0)).toBe(true);
  });

  test('a limit is a fraction in (0, 1]', () => {
    expect(concentrationLimitProblems(limits({ commodity: '0', warehouse: '1.01', lot: '1' }))).toEqual([
      { field: 'concentrationLimits.commodity', reason: expect.stringContaining('must be above 0 and at most 1') },
      { field: 'concentrationLimits.warehouse', reason: expect.stringContaining('must be above 0 and at most 1') },
    ]);
  });
});

// ─── Properties ──────────────────────────────────────────────────────────────

const arbLimit = fc.option(fc.integer({ min: 1, max: 100 }).map((percent) => d(percent).dividedBy(100)), { nil: null });
const arbInstance = fc.record({
  lots: fc.array(
    fc.record({
      commodityCode: fc.constantFrom('APPLE', 'PEAR', 'CORN'),
      warehouseId: fc.constantFrom('W1', 'W2', 'W3'),
      cents: fc.integer({ min: 0, max: 100_000_000 }),
    }),
    { minLength: 1, maxLength: 7 },
  ),
  limits: fc.record({ commodity: arbLimit, warehouse: arbLimit, lot: arbLimit }),
});

interface Instance {
  lots: { commodityCode: string; warehouseId: string; cents: number }[];
  limits: ConcentrationLimits;
}

function lotsOf(instance: Instance): LotForConcentration[] {
  return instance.lots.map((entry, index) => ({ lotId: `lot-${index}`, commodityCode: entry.commodityCode, warehouseId: entry.warehouseId, lendingValue: d(entry.cents).dividedBy(100) }));
}

function subsets<T>(items: T[]): T[][] {
  return items.reduce<T[][]>((all, item) => all.concat(all.map((subset) => [...subset, item])), [[]]);
}

/**
 * Bisection halves its interval 90 times, so its midpoints carry more digits than D's 60 and are
 * rounded; where a bound equals the base over a whole interval (k lots at a limit with k × L = 1),
 * that rounding alone could call a reachable base unreachable. This slack absorbs it; since every
 * limit here is a whole percentage, beyond the optimum the base outgrows its bound by at least 1 % of
 * the distance, so the slack moves the answer by 10^-28 at most.
 */
const BISECTION_SLACK = d('1e-30');

/**
 * Whether some allocation keeps `base` within every limit, by the cut argument
 * alone (not the code under test): for every set of limited commodities and
 * limited warehouses, those groups provide at most their limit × base and the
 * lots outside them at most min(value, lot limit × base) each; `base` is
 * reachable exactly when every such bound reaches it.
 */
function reachable(lots: LotForConcentration[], limits: ConcentrationLimits, base: Decimal): boolean {
  const commodities = limits.commodity === null ? [] : [...new Set(lots.map((entry) => entry.commodityCode))];
  const warehouses = limits.warehouse === null ? [] : [...new Set(lots.map((entry) => entry.warehouseId))];
  for (const cutCommodities of subsets(commodities)) {
    for (const cutWarehouses of subsets(warehouses)) {
      let bound = d(0)
        .plus(limits.commodity?.times(cutCommodities.length).times(base) ?? 0)
        .plus(limits.warehouse?.times(cutWarehouses.length).times(base) ?? 0);
      for (const entry of lots) {
        if (cutCommodities.includes(entry.commodityCode) || cutWarehouses.includes(entry.warehouseId)) continue;
        bound = bound.plus(limits.lot === null ? entry.lendingValue : D.min(entry.lendingValue, limits.lot.times(base)));
      }
      if (bound.lt(base.minus(BISECTION_SLACK))) return false;
    }
  }
  return true;
}

/** The largest reachable base, by bisection on [0, Σ values] (reachability is an interval from 0). */
function largestReachableBase(lots: LotForConcentration[], limits: ConcentrationLimits): Decimal {
  let low = d(0);
  let high = lots.reduce((sum, entry) => sum.plus(entry.lendingValue), d(0));
  if (reachable(lots, limits, high)) return high;
  for (let step = 0; step < 90; step += 1) {
    const middle = low.plus(high).dividedBy(2);
    if (reachable(lots, limits, middle)) low = middle;
    else high = middle;
  }
  return low;
}

describe('concentration limits: properties', () => {
  test('after the cut no commodity, warehouse or lot provides more than its limit of the base, and every lot keeps between 0 and its value', () => {
    fc.assert(
      fc.property(arbInstance, (instance) => {
        const lots = lotsOf(instance);
        const result = applyConcentrationLimits(lots, instance.limits);
        const base = result.borrowingBase;
        expect(result.lots.reduce((sum, entry) => sum.plus(entry.lendingValue), d(0)).equals(base)).toBe(true);
        const sums = new Map<string, Decimal>();
        result.lots.forEach((entry, index) => {
          expect(entry.lendingValue.gte(0) && entry.lendingValue.lte(lots[index].lendingValue)).toBe(true);
          expect(entry.lendingValue.plus(entry.excess).equals(lots[index].lendingValue)).toBe(true);
          expect(entry.excess.gt(0)).toBe(entry.reasons.length > 0);
          for (const key of [`c:${lots[index].commodityCode}`, `w:${lots[index].warehouseId}`, `l:${entry.lotId}`]) sums.set(key, (sums.get(key) ?? d(0)).plus(entry.lendingValue));
        });
        for (const [key, sum] of sums) {
          const limit = { c: instance.limits.commodity, w: instance.limits.warehouse, l: instance.limits.lot }[key[0] as 'c' | 'w' | 'l'];
          if (limit !== null) expect(sum.lte(limit.times(base))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('the cut is the smallest that satisfies every limit: the base equals the largest reachable one within 10^-12', () => {
    fc.assert(
      fc.property(arbInstance, (instance) => {
        const lots = lotsOf(instance);
        const result = applyConcentrationLimits(lots, instance.limits);
        const best = largestReachableBase(lots, instance.limits);
        expect(result.borrowingBase.minus(best).abs().lte(d('1e-12'))).toBe(true);
      }),
      { numRuns: 120 },
    );
  });

  test('for one dimension the base is the closed form: the k largest groups capped, B = others ÷ (1 − k × L)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 100 }), (values, percent) => {
        const limit = d(percent).dividedBy(100);
        const lots = values.map((value, index) => lot(`lot-${index}`, `C${index}`, 'W1', String(value)));
        const result = applyConcentrationLimits(lots, { commodity: limit, warehouse: null, lot: null });
        const sorted = [...values].sort((a, b) => b - a).map((value) => d(value));
        let expected = d(0);
        for (let capped = 0; capped <= sorted.length; capped += 1) {
          const others = sorted.slice(capped).reduce((sum, value) => sum.plus(value), d(0));
          if (!limit.times(capped).lt(1)) break;
          const base = others.dividedBy(d(1).minus(limit.times(capped)));
          const next = sorted[capped];
          if (next === undefined || next.lte(limit.times(base))) {
            expected = base;
            break;
          }
        }
        expect(result.borrowingBase.minus(expected).abs().lte(d('1e-17'))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
