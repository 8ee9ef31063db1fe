/**
 * Concentration limits: the largest share of a line's borrowing base that one
 * commodity, one warehouse or one lot may provide (each limit optional, a
 * fraction in (0, 1]). What exceeds a limit is ineligible.
 *
 * The share is of the borrowing base AFTER the cut. The cut is the smallest
 * that satisfies every limit at once: with v_i the lending value of eligible
 * lot i and u_i ≤ v_i what it keeps, the base B = Σ u_i is the largest for
 * which some u exists with
 *
 *   Σ_{i in commodity c} u_i ≤ L_commodity × B,  Σ_{i in warehouse w} u_i ≤ L_warehouse × B,  u_i ≤ L_lot × B.
 *
 * For one dimension this is the closed form: with the k largest groups
 * capped, B = (Σ of the other groups) ÷ (1 − k × L) and each capped group
 * keeps L × B (for k = 1: L × others ÷ (1 − L)). For the three dimensions
 * together it is a flow problem: source → commodity (capacity L_c × B) →
 * warehouse (the commodity's lots there, each at most min(v_i, L_lot × B)) →
 * sink (L_w × B). The largest B whose maximum flow F(B) reaches B is found by
 * Newton's method on the concave, piecewise-linear F: at a B that fails, the
 * minimum cut is a line a × B + b lying above F everywhere, and its fixed point
 * b ÷ (1 − a) is the next, smaller, B. Each line is used once, so it ends.
 *
 * Exactness: every figure is an exact decimal except that fixed point, which
 * is rounded DOWN to CONCENTRATION_PLACES places; rounding down only ever
 * cuts more, so no limit is ever exceeded, and the base is within 10^-18 of
 * the exact optimum (test/domain/concentration.test.ts proves both against an
 * independent computation).
 *
 * Which lots bear a cut: within one commodity at one warehouse the largest
 * lots are cut first (smallest lending value kept first, then by lot id), so
 * that the fewest lots show a reason. A lot's reasons are the limits that
 * bind it: its commodity's or warehouse's share is at the limit, or it is
 * itself at the lot limit. A lot with only a reason cut may still lend what
 * it keeps.
 */
import { Decimal } from 'decimal.js';
import { assert } from './errors';
import { D } from './money';

export type ConcentrationReason = 'CONCENTRATION_COMMODITY' | 'CONCENTRATION_WAREHOUSE' | 'CONCENTRATION_LOT';

export interface ConcentrationLimits {
  /** Largest share of the borrowing base one commodity may provide; null: no limit. */
  commodity: Decimal | null;
  warehouse: Decimal | null;
  lot: Decimal | null;
}

export const NO_CONCENTRATION_LIMITS: ConcentrationLimits = Object.freeze({ commodity: null, warehouse: null, lot: null });

export interface LotForConcentration {
  lotId: string;
  commodityCode: string;
  warehouseId: string;
  /** Lending value before the cut: zero for an ineligible lot. */
  lendingValue: Decimal;
}

export interface LotConcentration {
  lotId: string;
  /** What the lot lends after the cut. */
  lendingValue: Decimal;
  /** What the cut removed (lendingValue before − after). */
  excess: Decimal;
  reasons: ConcentrationReason[];
}

export interface ConcentrationResult {
  /** The borrowing base after the cut (Σ lendingValue of `lots`). */
  borrowingBase: Decimal;
  /** In the order given. */
  lots: LotConcentration[];
}

/** Decimal places of the one rounded figure (the base solved for), as NUMERIC(38, 18) holds. */
export const CONCENTRATION_PLACES = 18;
/** Newton steps are bounded by the number of distinct minimum cuts; this only stops a bug from looping. */
const NEWTON_STEPS_MAX = 10_000;
const ZERO = new D(0);
const ONE = new D(1);

export function hasConcentrationLimits(limits: ConcentrationLimits): boolean {
  return limits.commodity !== null || limits.warehouse !== null || limits.lot !== null;
}

/** Problems with the limits as terms (field under `concentrationLimits`, reason); empty when they are valid. */
export function concentrationLimitProblems(limits: ConcentrationLimits): { field: string; reason: string }[] {
  const problems: { field: string; reason: string }[] = [];
  for (const dimension of ['commodity', 'warehouse', 'lot'] as const) {
    const limit = limits[dimension];
    if (limit !== null && (!limit.isFinite() || !limit.gt(ZERO) || limit.gt(ONE))) {
      problems.push({ field: `concentrationLimits.${dimension}`, reason: `${limit.toString()} must be above 0 and at most 1 (a fraction of the borrowing base: 0.5 means 50 %); null for no limit` });
    }
  }
  return problems;
}

/** The cut of `lots` (a line's pledged lots) under `limits`; nothing is cut without limits. */
export function applyConcentrationLimits(lots: readonly LotForConcentration[], limits: ConcentrationLimits): ConcentrationResult {
  for (const lot of lots) assert(lot.lendingValue.isFinite() && lot.lendingValue.gte(0), `a lending value is zero or positive; got ${lot.lendingValue.toString()} for lot ${lot.lotId}`);
  assert(concentrationLimitProblems(limits).length === 0, 'concentration limits are in (0, 1]');
  const total = lots.reduce((sum, lot) => sum.plus(lot.lendingValue), ZERO);
  if (!hasConcentrationLimits(limits) || total.isZero()) {
    return { borrowingBase: total, lots: lots.map((lot) => ({ lotId: lot.lotId, lendingValue: lot.lendingValue, excess: ZERO, reasons: [] })) };
  }
  const network = new Network(lots, limits);
  let base = total;
  let flow = network.maxFlow(base);
  for (let step = 0; flow.value.lt(base); step += 1) {
    assert(step < NEWTON_STEPS_MAX, `the concentration cut converges within ${NEWTON_STEPS_MAX} steps`);
    const { slope, intercept } = network.cutLine(flow, base);
    assert(slope.lt(ONE), `a failing minimum cut has slope below 1; got ${slope.toString()}`);
    const next = intercept.dividedBy(ONE.minus(slope)).toDecimalPlaces(CONCENTRATION_PLACES, Decimal.ROUND_DOWN);
    assert(next.lt(base), `each Newton step lowers the base; ${next.toString()} after ${base.toString()}`);
    base = next;
    flow = network.maxFlow(base);
  }
  return network.allocate(flow, base);
}

// ─── The flow network ────────────────────────────────────────────────────────

interface Cell {
  commodity: number;
  warehouse: number;
  /** Indexes into the lots, smallest lending value first (then lot id): the largest are cut first. */
  lotIndexes: number[];
}

interface Flow {
  value: Decimal;
  /** flow[u][v], antisymmetric. */
  flow: Decimal[][];
  /** Nodes reachable from the source in the residual network (the source side of a minimum cut). */
  sourceSide: boolean[];
  base: Decimal;
}

/** Nodes: 0 source, 1..C commodities, C+1..C+W warehouses, C+W+1 sink. */
class Network {
  private readonly commodities: string[];
  private readonly warehouses: string[];
  private readonly cells: Cell[];
  private readonly nodeCount: number;
  private readonly sink: number;

  constructor(
    private readonly lots: readonly LotForConcentration[],
    private readonly limits: ConcentrationLimits,
  ) {
    this.commodities = [...new Set(lots.map((lot) => lot.commodityCode))].sort();
    this.warehouses = [...new Set(lots.map((lot) => lot.warehouseId))].sort();
    const cells = new Map<string, Cell>();
    lots.forEach((lot, index) => {
      const commodity = 1 + this.commodities.indexOf(lot.commodityCode);
      const warehouse = 1 + this.commodities.length + this.warehouses.indexOf(lot.warehouseId);
      const key = `${commodity}:${warehouse}`;
      const cell = cells.get(key) ?? { commodity, warehouse, lotIndexes: [] };
      cell.lotIndexes.push(index);
      cells.set(key, cell);
    });
    for (const cell of cells.values()) {
      cell.lotIndexes.sort((a, b) => lots[a].lendingValue.comparedTo(lots[b].lendingValue) || (lots[a].lotId < lots[b].lotId ? -1 : lots[a].lotId > lots[b].lotId ? 1 : 0));
    }
    this.cells = [...cells.values()];
    this.nodeCount = 2 + this.commodities.length + this.warehouses.length;
    this.sink = this.nodeCount - 1;
  }

  private lotCap(index: number, base: Decimal): Decimal {
    const value = this.lots[index].lendingValue;
    return this.limits.lot === null ? value : Decimal.min(value, this.limits.lot.times(base));
  }

  /** Capacities at `base`: null is unlimited (a dimension without a limit). */
  private capacities(base: Decimal): (Decimal | null)[][] {
    const cap: (Decimal | null)[][] = Array.from({ length: this.nodeCount }, () => Array<Decimal | null>(this.nodeCount).fill(ZERO));
    for (let c = 1; c <= this.commodities.length; c += 1) cap[0][c] = this.limits.commodity === null ? null : this.limits.commodity.times(base);
    for (let w = 1 + this.commodities.length; w < this.sink; w += 1) cap[w][this.sink] = this.limits.warehouse === null ? null : this.limits.warehouse.times(base);
    for (const cell of this.cells) {
      cap[cell.commodity][cell.warehouse] = cell.lotIndexes.reduce((sum, index) => sum.plus(this.lotCap(index, base)), ZERO);
    }
    return cap;
  }

  /** Edmonds–Karp on exact decimals: every augmenting path crosses a finite commodity → warehouse edge. */
  maxFlow(base: Decimal): Flow {
    const cap = this.capacities(base);
    const flow: Decimal[][] = Array.from({ length: this.nodeCount }, () => Array<Decimal>(this.nodeCount).fill(ZERO));
    const residual = (u: number, v: number): Decimal | null => {
      const capacity = cap[u][v];
      return capacity === null ? null : capacity.minus(flow[u][v]);
    };
    let value = ZERO;
    for (;;) {
      const parent = this.search(residual);
      if (parent[this.sink] === -1) return { value, flow, sourceSide: parent.map((p) => p !== -1), base };
      let bottleneck: Decimal | null = null;
      for (let v = this.sink; v !== 0; v = parent[v]) {
        const r = residual(parent[v], v);
        if (r !== null) bottleneck = bottleneck === null ? r : Decimal.min(bottleneck, r);
      }
      assert(bottleneck !== null && bottleneck.gt(0), 'an augmenting path carries a positive, finite amount');
      for (let v = this.sink; v !== 0; v = parent[v]) {
        flow[parent[v]][v] = flow[parent[v]][v].plus(bottleneck);
        flow[v][parent[v]] = flow[v][parent[v]].minus(bottleneck);
      }
      value = value.plus(bottleneck);
    }
  }

  /** Breadth-first search of the residual network; parent[v] is -1 where v is unreachable (the source is its own parent). */
  private search(residual: (u: number, v: number) => Decimal | null): number[] {
    const parent = Array<number>(this.nodeCount).fill(-1);
    parent[0] = 0;
    const queue = [0];
    while (queue.length > 0) {
      const u = queue.shift() as number;
      for (let v = 0; v < this.nodeCount; v += 1) {
        if (parent[v] !== -1) continue;
        const r = residual(u, v);
        if (r === null || r.gt(0)) {
          parent[v] = u;
          queue.push(v);
        }
      }
    }
    return parent;
  }

  /**
   * The minimum cut of `flow` as a line slope × B + intercept: a commodity cut at
   * the source adds L_c, a warehouse cut at the sink L_w, and each lot of a cut
   * cell its own value if that is below L_lot × B there, else L_lot. Every part
   * is at least what it stands for at any B, so the line lies above F.
   */
  cutLine(flow: Flow, base: Decimal): { slope: Decimal; intercept: Decimal } {
    let slope = ZERO;
    let intercept = ZERO;
    const side = flow.sourceSide;
    for (let c = 1; c <= this.commodities.length; c += 1) {
      if (!side[c]) {
        assert(this.limits.commodity !== null, 'only a limited commodity is cut at the source');
        slope = slope.plus(this.limits.commodity);
      }
    }
    for (let w = 1 + this.commodities.length; w < this.sink; w += 1) {
      if (side[w]) {
        assert(this.limits.warehouse !== null, 'only a limited warehouse is cut at the sink');
        slope = slope.plus(this.limits.warehouse);
      }
    }
    for (const cell of this.cells) {
      if (!side[cell.commodity] || side[cell.warehouse]) continue;
      for (const index of cell.lotIndexes) {
        const value = this.lots[index].lendingValue;
        if (this.limits.lot !== null && value.gt(this.limits.lot.times(base))) slope = slope.plus(this.limits.lot);
        else intercept = intercept.plus(value);
      }
    }
    assert(slope.times(base).plus(intercept).equals(flow.value), `the minimum cut equals the maximum flow at ${base.toString()}`);
    return { slope, intercept };
  }

  /** Each cell's flow to its lots (smallest first), and the limits that bind each lot cut. */
  allocate(result: Flow, base: Decimal): ConcentrationResult {
    const kept = this.lots.map(() => ZERO);
    for (const cell of this.cells) {
      let remaining = result.flow[cell.commodity][cell.warehouse];
      for (const index of cell.lotIndexes) {
        const keep = Decimal.min(this.lotCap(index, base), remaining);
        kept[index] = keep;
        remaining = remaining.minus(keep);
      }
      assert(remaining.isZero(), 'a cell passes all its flow to its lots');
    }
    const atLimit = (limit: Decimal | null, through: Decimal) => limit !== null && through.gte(limit.times(base));
    const commodityFull = this.commodities.map((_, i) => atLimit(this.limits.commodity, result.flow[0][1 + i]));
    const warehouseFull = this.warehouses.map((_, i) => atLimit(this.limits.warehouse, result.flow[1 + this.commodities.length + i][this.sink]));
    const lots = this.lots.map((lot, index): LotConcentration => {
      const excess = lot.lendingValue.minus(kept[index]);
      const reasons: ConcentrationReason[] = [];
      if (excess.gt(0)) {
        if (commodityFull[this.commodities.indexOf(lot.commodityCode)]) reasons.push('CONCENTRATION_COMMODITY');
        if (warehouseFull[this.warehouses.indexOf(lot.warehouseId)]) reasons.push('CONCENTRATION_WAREHOUSE');
        if (this.limits.lot !== null && kept[index].gte(this.limits.lot.times(base))) reasons.push('CONCENTRATION_LOT');
        assert(reasons.length > 0, `a lot cut by the concentration limits is bound by one of them (lot ${lot.lotId})`);
      }
      return { lotId: lot.lotId, lendingValue: kept[index], excess, reasons };
    });
    return { borrowingBase: kept.reduce((sum, value) => sum.plus(value), ZERO), lots };
  }
}
