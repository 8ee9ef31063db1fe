/**
 * A new price mark revalues every line holding goods of its commodity and
 * grade, however many: the lines are paged (one statement per page), not cut
 * off at a hidden maximum (they stopped silently at 10 000 lines).
 */
import { D } from '../../domain/money';
import { inTransaction } from '../../prisma/client';
import { postPriceMark } from '../../prisma/custody/valuation';
import { LINE_ACCOUNTS } from '../../prisma/credit-lines/store';
import { createAccountSet } from '../../prisma/ledger/store';
import { revalueLinesForMark } from '../../prisma/margin/revaluation';
import { linesRevaluedByMark } from '../../prisma/margin/store';
import { createTestApi, type TestApi } from '../support/api';
import { marginWorld, pledgedLot, type MarginWorld } from './support';

let api: TestApi;
let world: MarginWorld;
let lineIds: string[];

beforeAll(async () => {
  api = await createTestApi();
  world = await marginWorld(api);
  // Two more lines of the same lender and seller on the same terms, each with a lot of the same goods.
  const { id: _id, createdAt: _createdAt, updatedAt: _updatedAt, ...terms } = await api.db.prisma.creditLine.findUniqueOrThrow({ where: { id: world.lineId } });
  const others: string[] = [];
  for (let i = 0; i < 2; i += 1) {
    const line = await api.db.prisma.creditLine.create({ data: { ...terms, approvedWarehouses: { create: [{ warehouseId: world.warehouseId }] } } });
    await inTransaction(api.db.prisma, (tx) => createAccountSet(tx, { accountSetId: line.id, currency: 'USD', accounts: [...LINE_ACCOUNTS] }));
    others.push(line.id);
  }
  await pledgedLot(api, world, '1000');
  for (const lineId of others) await pledgedLot(api, { ...world, lineId }, '1000');
  lineIds = [world.lineId, ...others].sort();
});
afterAll(() => api.close());

const markOf = () => ({ lenderOrganisationId: world.lender.organisationId, commodityCode: world.commodityCode, grade: '80', currency: 'USD' });

test('the lines a mark revalues come in pages by id: 2 + 1 of 3 lines, none twice', async () => {
  const first = await linesRevaluedByMark(api.db.prisma, markOf(), { afterLineId: null, limit: 2 });
  const second = await linesRevaluedByMark(api.db.prisma, markOf(), { afterLineId: first[first.length - 1], limit: 2 });
  expect([first, second]).toEqual([lineIds.slice(0, 2), lineIds.slice(2)]);
});

test.each([1, 2, 3])('with %i line(s) per statement, a mark revalues all 3 lines, each once', async (linesPerStatement) => {
  const lender = { userId: world.lender.admin.userId, organisationId: world.lender.organisationId, organisationKind: 'LENDER' as const, role: 'ADMIN' as const, requestId: null };
  const revalued = await inTransaction(api.db.prisma, async (tx) => {
    const mark = await postPriceMark(tx, lender, { commodityCode: world.commodityCode, grade: '80', currency: 'USD', pricePerUnit: new D('2.00'), source: 'test feed', asOf: new Date() }, new Date());
    return revalueLinesForMark(tx, mark, new Date(), { linesPerStatement });
  });
  expect(revalued.failed).toEqual([]);
  expect(revalued.revalued.map((line) => line.lineId).sort()).toEqual(lineIds);
  // 1 000 kg × 2.00 × (1 − 0.25 haircut) = 1 500.00 of collateral on each line.
  expect(revalued.revalued.map((line) => line.totals.collateralValue.toFixed(2))).toEqual(['1500.00', '1500.00', '1500.00']);
});
