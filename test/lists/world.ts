/**
 * One lender's book, built through the API, with something in every list a role must act on:
 *
 * - lender L onboarded warehouse W (one warehouse), sellers S1 and S2 and buyer B;
 * - line 1 (L → S1) and line 2 (L → S2), each approving W; every draw needs two approvers;
 * - 10 000 kg of S1's goods pledged to line 1, 10 000 kg of S2's pledged to line 2, marked 3.125 USD/kg:
 *   collateral 10 000 × 3.125 × 0.8 = 25 000.00, borrowing base × 0.5 = 12 500.00 per line;
 * - principal 10 000.00 on line 1 and 12 000.00 on line 2 (put through the ledger, standing in for disbursed draws);
 * - S1 asks for 1 000.00 on line 1 and S2 for 400.00 on line 2: both REQUESTED, awaiting approval;
 * - L records S1's direct repayment of 500.00 on line 1 (all principal: nothing else is owed);
 * - S2 sells 1 000 kg of its lot to B for 3 125.00; L records B's payment in full, so the sale's workflow
 *   authorises the release of the 1 000 kg: an OPEN release order in W's queue;
 * - the mark falls to 1.80: line 1 LTV 9 500 / (10 000 × 1.80 × 0.8 = 14 400) = 0.66, line 2
 *   (12 000 − 3 125) / (9 000 kg not sold × 1.80 × 0.8 = 12 960) = 0.68: above the margin-call LTV 0.6 and
 *   below the liquidation LTV 0.75, so both lines get an OPEN margin call.
 */
import { randomUUID } from 'node:crypto';
import { custodyWorld, type CustodyWorld } from '../custody/factories';
import { lineTerms, offerAndAccept } from '../draws/factories';
import { post as postOnLine } from '../margin/support';
import type { TestApi, TestOrganisation, TestUser } from '../support/api';
import type { HarnessTemporal } from '../support/harness-temporal';

export interface TradingWorld extends CustodyWorld {
  seller2: TestOrganisation;
  buyer: TestOrganisation;
  approver: TestUser;
  line1: string;
  line2: string;
  lot1: string;
  lot2: string;
  draw1: string;
  draw2: string;
  repaymentId: string;
  saleId: string;
  salePaymentId: string;
}

const DAY_MS = 86_400_000;
const today = () => new Date().toISOString().slice(0, 10);

async function ok(res: { status: number; body: unknown }, expected: number, what: string) {
  if (res.status !== expected) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown> & { id: string };
}

async function receiveFor(api: TestApi, world: CustodyWorld, seller: TestOrganisation, quantity: string): Promise<string> {
  const res = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/lots`, {
    sellerOrganisationId: seller.organisationId,
    commodityCode: world.commodityCode,
    grade: '80',
    quantity: { amount: quantity, unit: 'kg' },
    locationId: world.roomId,
    receivedAt: '2026-11-20T08:00:00Z',
    receiptNumber: `WR-${randomUUID().slice(0, 8)}`,
  });
  return ((await ok(res, 201, 'receive')) as { id: string }).id;
}

async function mark(api: TestApi, world: CustodyWorld, pricePerUnit: string) {
  await ok(
    await api.post(world.lender.admin, '/price-marks', { commodityCode: world.commodityCode, grade: '80', pricePerUnit: { amount: pricePerUnit, currency: 'USD', unit: 'kg' }, source: 'test', asOf: new Date().toISOString() }),
    201,
    'mark',
  );
}

export async function tradingWorld(api: TestApi, harness: HarnessTemporal): Promise<TradingWorld> {
  const world = await custodyWorld(api);
  const seller2 = await api.counterpart(world.lender, 'SELLER');
  const buyer = await api.counterpart(world.lender, 'BUYER');
  const approver = await world.lender.addUser('APPROVER');
  const terms = lineTerms({ approvedWarehouseIds: [world.warehouseId], autoApproveUpTo: '0.00', singleApproverUpTo: '0.00', perDrawFee: null });
  const line1 = await offerAndAccept(api, world.lender, world.seller, terms);
  const line2 = await offerAndAccept(api, world.lender, seller2, terms);
  await mark(api, world, '3.125');
  const lot1 = await receiveFor(api, world, world.seller, '10000');
  const lot2 = await receiveFor(api, world, seller2, '10000');
  await ok(await api.post(world.seller.admin, `/lots/${lot1}/pledge`, { creditLineId: line1 }), 201, 'pledge 1');
  await ok(await api.post(seller2.admin, `/lots/${lot2}/pledge`, { creditLineId: line2 }), 201, 'pledge 2');
  await postOnLine(api, line1, 'LOAN_PRINCIPAL', 'LENDER_FUNDING', '10000.00');
  await postOnLine(api, line2, 'LOAN_PRINCIPAL', 'LENDER_FUNDING', '12000.00');

  const draw1 = await ok(await api.post(world.seller.admin, `/credit-lines/${line1}/draws`, { amount: { amount: '1000.00', currency: 'USD' } }), 201, 'draw 1');
  const draw2 = await ok(await api.post(seller2.admin, `/credit-lines/${line2}/draws`, { amount: { amount: '400.00', currency: 'USD' } }), 201, 'draw 2');
  const repaid = await ok(await api.post(world.lender.admin, `/credit-lines/${line1}/repayments`, { amount: { amount: '500.00', currency: 'USD' }, receivedOn: today() }), 201, 'repay');

  const sale = await ok(
    await api.post(seller2.admin, `/credit-lines/${line2}/sales`, {
      buyerOrganisationId: buyer.organisationId,
      items: [{ lotId: lot2, quantity: { amount: '1000', unit: 'kg' } }],
      totalPrice: { amount: '3125.00', currency: 'USD' },
      paymentDueDate: new Date(Date.now() + 10 * DAY_MS).toISOString().slice(0, 10),
    }),
    201,
    'sale',
  );
  await harness.settled();
  const paid = await ok(await api.post(world.lender.admin, `/sales/${sale.id}/payments`, { amount: { amount: '3125.00', currency: 'USD' }, receivedOn: today() }), 201, 'sale payment');
  await harness.settled();

  await mark(api, world, '1.80');
  await harness.settled();
  return {
    ...world,
    seller2,
    buyer,
    approver,
    line1,
    line2,
    lot1,
    lot2,
    draw1: draw1.id,
    draw2: draw2.id,
    repaymentId: (repaid.repayment as { id: string }).id,
    saleId: sale.id,
    salePaymentId: (paid.repayment as { id: string }).id,
  };
}
