import fc from 'fast-check';
import { D, Money } from '../../domain/money';
import { portfolioExposure, type ExposureFigures, type LineExposureInput } from '../../domain/exposure';

// Integers from the generators are exact; they become decimals through their text.
const d = (value: string | number) => new D(String(value));
const usd = (amount: string) => Money.of(amount, 'USD');
const cell = (commodityCode: string, warehouseId: string, collateralValue: string, eligibleCollateralValue: string, borrowingBase: string) => ({
  commodityCode,
  warehouseId,
  collateralValue: d(collateralValue),
  eligibleCollateralValue: d(eligibleCollateralValue),
  borrowingBase: d(borrowingBase),
});
const shown = (figures: ExposureFigures) => ({
  outstandingPrincipal: figures.outstandingPrincipal.toFixedString(),
  borrowingBase: figures.borrowingBase.toFixedString(),
  collateralValue: figures.collateralValue.toFixedString(),
  eligibleCollateralValue: figures.eligibleCollateralValue.toFixedString(),
});

test('hand-computed: two sellers, three lines; principal follows the borrowing base, and a line with none is not covered', () => {
  const lines: LineExposureInput[] = [
    // Apples cut by a 50 % limit to 400 000 of lending value; pears 400 000.
    { lineId: 'L1', sellerOrganisationId: 'S1', currency: 'USD', outstandingPrincipal: usd('500000.00'), cells: [cell('APPLE', 'W1', '1200000', '1200000', '400000'), cell('PEAR', 'W2', '800000', '800000', '400000')] },
    // Stale apples: collateral, but nothing eligible and no borrowing base.
    { lineId: 'L2', sellerOrganisationId: 'S2', currency: 'USD', outstandingPrincipal: usd('100000.00'), cells: [cell('APPLE', 'W2', '300000', '0', '0')] },
    // 100 of collateral at an advance rate of 1/3 (as an exact decimal).
    { lineId: 'L3', sellerOrganisationId: 'S2', currency: 'USD', outstandingPrincipal: usd('0.00'), cells: [cell('PEAR', 'W1', '100', '100', '33.333333333333333333')] },
  ];
  const [exposure] = portfolioExposure(lines);
  expect(exposure.currency).toBe('USD');
  expect(exposure.lineCount).toBe(3);
  // Borrowing base 800 033.333333333333333333 → 800 033.33.
  expect(shown(exposure.totals)).toEqual({ outstandingPrincipal: '600000.00', borrowingBase: '800033.33', collateralValue: '2300100.00', eligibleCollateralValue: '2000100.00' });
  expect(exposure.bySeller.map((group) => [group.sellerOrganisationId, group.lineCount, shown(group.figures)])).toEqual([
    ['S1', 1, { outstandingPrincipal: '500000.00', borrowingBase: '800000.00', collateralValue: '2000000.00', eligibleCollateralValue: '2000000.00' }],
    ['S2', 2, { outstandingPrincipal: '100000.00', borrowingBase: '33.33', collateralValue: '300100.00', eligibleCollateralValue: '100.00' }],
  ]);
  // L1's 500 000 splits 400 000 : 400 000 between apples and pears; L2's 100 000 is not covered.
  // 800 033.33 over 400 000 : 400 033.33…: exact 399 999.998… and 400 033.331…, the last cent to the larger remainder.
  expect(exposure.byCommodity.map((group) => [group.commodityCode, shown(group.figures)])).toEqual([
    ['APPLE', { outstandingPrincipal: '250000.00', borrowingBase: '400000.00', collateralValue: '1500000.00', eligibleCollateralValue: '1200000.00' }],
    ['PEAR', { outstandingPrincipal: '250000.00', borrowingBase: '400033.33', collateralValue: '800100.00', eligibleCollateralValue: '800100.00' }],
    [null, { outstandingPrincipal: '100000.00', borrowingBase: '0.00', collateralValue: '0.00', eligibleCollateralValue: '0.00' }],
  ]);
  expect(exposure.byWarehouse.map((group) => [group.warehouseId, shown(group.figures)])).toEqual([
    ['W1', { outstandingPrincipal: '250000.00', borrowingBase: '400033.33', collateralValue: '1200100.00', eligibleCollateralValue: '1200100.00' }],
    ['W2', { outstandingPrincipal: '250000.00', borrowingBase: '400000.00', collateralValue: '1100000.00', eligibleCollateralValue: '800000.00' }],
    [null, { outstandingPrincipal: '100000.00', borrowingBase: '0.00', collateralValue: '0.00', eligibleCollateralValue: '0.00' }],
  ]);
});

test('currencies are never added up: one entry per currency', () => {
  const exposure = portfolioExposure([
    { lineId: 'A', sellerOrganisationId: 'S', currency: 'USD', outstandingPrincipal: usd('10.00'), cells: [cell('APPLE', 'W1', '100', '100', '50')] },
    { lineId: 'B', sellerOrganisationId: 'S', currency: 'JPY', outstandingPrincipal: Money.of('1000', 'JPY'), cells: [cell('APPLE', 'W1', '5000.5', '5000.5', '2500.25')] },
  ]);
  expect(exposure.map((entry) => [entry.currency, shown(entry.totals)])).toEqual([
    ['JPY', { outstandingPrincipal: '1000', borrowingBase: '2500', collateralValue: '5000', eligibleCollateralValue: '5000' }],
    ['USD', { outstandingPrincipal: '10.00', borrowingBase: '50.00', collateralValue: '100.00', eligibleCollateralValue: '100.00' }],
  ]);
});

const arbLines = fc.array(
  fc.record({
    seller: fc.constantFrom('S1', 'S2', 'S3'),
    currency: fc.constantFrom('USD', 'JPY', 'KWD'),
    principalUnits: fc.integer({ min: 0, max: 10_000_000 }),
    cells: fc.array(
      fc.record({
        commodityCode: fc.constantFrom('APPLE', 'PEAR', 'CORN'),
        warehouseId: fc.constantFrom('W1', 'W2'),
        // Collateral to 6 places; eligible a share of it; the base a share of that, to 7 more places.
        collateralMicros: fc.integer({ min: 0, max: 1_000_000_000_000 }),
        eligiblePercent: fc.integer({ min: 0, max: 100 }),
        advanceRateE7: fc.integer({ min: 0, max: 10_000_000 }),
      }),
      { maxLength: 4 },
    ),
  }),
  { maxLength: 8 },
);

test('property: every dimension sums exactly to the totals, which are the exact sums rounded once', () => {
  fc.assert(
    fc.property(arbLines, (generated) => {
      const lines: LineExposureInput[] = generated.map((line, index) => ({
        lineId: `L${index}`,
        sellerOrganisationId: line.seller,
        currency: line.currency,
        outstandingPrincipal: Money.of(d(line.principalUnits), line.currency).times(d(10).pow(-2)).roundToScale(),
        cells: line.cells.map((generatedCell) => {
          const collateral = d(generatedCell.collateralMicros).dividedBy(1_000_000);
          const eligible = collateral.times(generatedCell.eligiblePercent).dividedBy(100);
          return { commodityCode: generatedCell.commodityCode, warehouseId: generatedCell.warehouseId, collateralValue: collateral, eligibleCollateralValue: eligible, borrowingBase: eligible.times(generatedCell.advanceRateE7).dividedBy(10_000_000) };
        }),
      }));
      for (const exposure of portfolioExposure(lines)) {
        const own = lines.filter((line) => line.currency === exposure.currency);
        const exact = (pick: (c: LineExposureInput['cells'][number]) => InstanceType<typeof D>) => own.flatMap((line) => line.cells).reduce((sum, c) => sum.plus(pick(c)), d(0));
        expect(exposure.totals.borrowingBase.equals(Money.of(exact((c) => c.borrowingBase), exposure.currency).roundToScale())).toBe(true);
        expect(exposure.totals.collateralValue.equals(Money.of(exact((c) => c.collateralValue), exposure.currency).roundToScale())).toBe(true);
        expect(exposure.totals.outstandingPrincipal.equals(own.reduce((sum, line) => sum.plus(line.outstandingPrincipal), Money.zero(exposure.currency)))).toBe(true);
        for (const groups of [exposure.bySeller, exposure.byCommodity, exposure.byWarehouse]) {
          for (const figure of ['outstandingPrincipal', 'borrowingBase', 'collateralValue', 'eligibleCollateralValue'] as const) {
            const sum = groups.reduce((total, group) => total.plus(group.figures[figure]), Money.zero(exposure.currency));
            expect(sum.equals(exposure.totals[figure])).toBe(true);
            expect(groups.every((group) => group.figures[figure].isAtScale() && !group.figures[figure].isNegative())).toBe(true);
          }
        }
      }
    }),
    { numRuns: 300 },
  );
});
