/**
 * A lender's exposure across its lines in force: outstanding principal,
 * borrowing base, collateral value and eligible collateral value, in total and
 * by seller, by commodity and by warehouse, per currency (lines in different
 * currencies are never added up).
 *
 * Every figure is Money at its currency's scale, and each dimension sums
 * EXACTLY to the totals:
 *   - a valuation total (borrowing base, collateral, eligible collateral) is the
 *     exact sum over the lender's lots, rounded half-even once; each dimension's
 *     groups get that total allocated in proportion to their exact values
 *     (largest remainder, Money.allocate), so rounding never makes the parts
 *     differ from the whole;
 *   - outstanding principal is owed by a line, not by a commodity: by seller it
 *     is each line's balance; by commodity and by warehouse each line's balance
 *     is allocated over its groups in proportion to the borrowing base (after
 *     the concentration cut) they provide. A line with principal and no
 *     borrowing base at all puts it in the group `null` ("not covered").
 */
import { Decimal } from 'decimal.js';
import { assert } from './errors';
import { D, Money } from './money';

export interface ExposureCell {
  commodityCode: string;
  warehouseId: string;
  /** Exact figures of the line's pledged lots of this commodity at this warehouse. */
  collateralValue: Decimal;
  eligibleCollateralValue: Decimal;
  /** After the line's concentration cut. */
  borrowingBase: Decimal;
}

export interface LineExposureInput {
  lineId: string;
  sellerOrganisationId: string;
  currency: string;
  /** The line's LOAN_PRINCIPAL balance, at scale. */
  outstandingPrincipal: Money;
  cells: readonly ExposureCell[];
}

export interface ExposureFigures {
  outstandingPrincipal: Money;
  borrowingBase: Money;
  collateralValue: Money;
  eligibleCollateralValue: Money;
}

export interface CurrencyExposure {
  currency: string;
  lineCount: number;
  totals: ExposureFigures;
  bySeller: { sellerOrganisationId: string; lineCount: number; figures: ExposureFigures }[];
  /** commodityCode null: principal of lines that have no borrowing base. */
  byCommodity: { commodityCode: string | null; figures: ExposureFigures }[];
  byWarehouse: { warehouseId: string | null; figures: ExposureFigures }[];
}

type ValuationFigure = 'borrowingBase' | 'collateralValue' | 'eligibleCollateralValue';
const VALUATION_FIGURES: readonly ValuationFigure[] = ['borrowingBase', 'collateralValue', 'eligibleCollateralValue'];
/** Allocation weights are exact values to this many places: enough to split minor units, few enough for Money.allocate's exact arithmetic. */
const WEIGHT_PLACES = 18;
const ZERO = new D(0);

/** The exposure of `lines` (a lender's lines in force), one entry per currency, in currency order. */
export function portfolioExposure(lines: readonly LineExposureInput[]): CurrencyExposure[] {
  const currencies = [...new Set(lines.map((line) => line.currency))].sort();
  return currencies.map((currency) => currencyExposure(currency, lines.filter((line) => line.currency === currency)));
}

function currencyExposure(currency: string, lines: readonly LineExposureInput[]): CurrencyExposure {
  for (const line of lines) assert(line.outstandingPrincipal.currency === currency && line.outstandingPrincipal.isAtScale(), `line ${line.lineId}'s outstanding principal is at ${currency}'s scale`);
  const cells = lines.flatMap((line) => line.cells.map((cell) => ({ line, cell })));
  const exactTotal = (figure: ValuationFigure) => cells.reduce((sum, { cell }) => sum.plus(cell[figure]), ZERO);
  const totals: ExposureFigures = {
    outstandingPrincipal: lines.reduce((sum, line) => sum.plus(line.outstandingPrincipal), Money.zero(currency)),
    borrowingBase: Money.of(exactTotal('borrowingBase'), currency).roundToScale(),
    collateralValue: Money.of(exactTotal('collateralValue'), currency).roundToScale(),
    eligibleCollateralValue: Money.of(exactTotal('eligibleCollateralValue'), currency).roundToScale(),
  };

  const sellers = sortedKeys(lines.map((line) => line.sellerOrganisationId));
  const sellerValuation = allocateValuation(totals, sellers, cells.map(({ line, cell }) => ({ key: line.sellerOrganisationId, cell })));
  const bySeller = sellers.map((seller, index) => {
    const own = lines.filter((line) => line.sellerOrganisationId === seller);
    return {
      sellerOrganisationId: seller,
      lineCount: own.length,
      figures: { outstandingPrincipal: own.reduce((sum, line) => sum.plus(line.outstandingPrincipal), Money.zero(currency)), ...sellerValuation[index] },
    };
  });

  const byGroup = <K extends 'commodityCode' | 'warehouseId'>(dimension: K) => {
    const principal = principalByGroup(currency, lines, dimension);
    const keys = sortedKeys([...cells.map(({ cell }) => cell[dimension]), ...[...principal.keys()].filter((key): key is string => key !== null)]);
    const valuation = allocateValuation(totals, keys, cells.map(({ cell }) => ({ key: cell[dimension], cell })));
    const groups: { key: string | null; figures: ExposureFigures }[] = keys.map((key, index) => ({
      key,
      figures: { outstandingPrincipal: principal.get(key) ?? Money.zero(currency), ...valuation[index] },
    }));
    const uncovered = principal.get(null);
    if (uncovered) groups.push({ key: null, figures: { outstandingPrincipal: uncovered, borrowingBase: Money.zero(currency), collateralValue: Money.zero(currency), eligibleCollateralValue: Money.zero(currency) } });
    return groups;
  };

  return {
    currency,
    lineCount: lines.length,
    totals,
    bySeller,
    byCommodity: byGroup('commodityCode').map(({ key, figures }) => ({ commodityCode: key, figures })),
    byWarehouse: byGroup('warehouseId').map(({ key, figures }) => ({ warehouseId: key, figures })),
  };
}

function sortedKeys(keys: readonly string[]): string[] {
  return [...new Set(keys)].sort();
}

/** Each rounded valuation total split over `keys` in proportion to the exact values of their cells. */
function allocateValuation(totals: ExposureFigures, keys: readonly string[], cells: readonly { key: string; cell: ExposureCell }[]): Pick<ExposureFigures, ValuationFigure>[] {
  const parts = keys.map(() => ({}) as Pick<ExposureFigures, ValuationFigure>);
  for (const figure of VALUATION_FIGURES) {
    const weights = keys.map((key) => cells.filter((entry) => entry.key === key).reduce((sum, entry) => sum.plus(entry.cell[figure]), ZERO));
    allocate(totals[figure], weights).forEach((share, index) => (parts[index][figure] = share));
  }
  return parts;
}

/** `total` split in proportion to `weights` (zeros when every weight is zero, which only a zero total may be). */
function allocate(total: Money, weights: readonly Decimal[]): Money[] {
  const rounded = weights.map((weight) => weight.toDecimalPlaces(WEIGHT_PLACES, Decimal.ROUND_HALF_EVEN));
  if (rounded.every((weight) => weight.isZero())) {
    assert(total.isZero(), `a total of ${total.format()} is allocated over groups of some value`);
    return weights.map(() => Money.zero(total.currency));
  }
  return total.allocate(rounded);
}

/** Each line's outstanding principal over its groups by borrowing base; `null` for lines with no borrowing base. */
function principalByGroup(currency: string, lines: readonly LineExposureInput[], dimension: 'commodityCode' | 'warehouseId'): Map<string | null, Money> {
  const byGroup = new Map<string | null, Money>();
  const add = (key: string | null, amount: Money) => byGroup.set(key, (byGroup.get(key) ?? Money.zero(currency)).plus(amount));
  for (const line of lines) {
    if (line.outstandingPrincipal.isZero()) continue;
    const keys = sortedKeys(line.cells.map((cell) => cell[dimension]));
    const weights = keys.map((key) => line.cells.filter((cell) => cell[dimension] === key).reduce((sum, cell) => sum.plus(cell.borrowingBase), ZERO));
    const rounded = weights.map((weight) => weight.toDecimalPlaces(WEIGHT_PLACES, Decimal.ROUND_HALF_EVEN));
    if (rounded.every((weight) => weight.isZero())) {
      add(null, line.outstandingPrincipal);
      continue;
    }
    line.outstandingPrincipal.allocate(rounded).forEach((share, index) => add(keys[index], share));
  }
  return byGroup;
}
