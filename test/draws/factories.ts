/**
 * A line with real availability: a lender, a seller, a warehouse lot pledged to
 * the line and a fresh price mark, all through the API. With the defaults:
 *
 *   10 000 kg × 3.125 USD/kg = 31 250.00 market value
 *   × (1 − 0.2 haircut)      = 25 000.00 collateral value
 *   × 0.5 advance rate       = 12 500.00 borrowing base   (limit 250 000.00)
 *
 * so availability is 12 500.00 USD before any draw. Approval thresholds:
 * up to 1 000.00 automatic, up to 5 000.00 one approver, above that two.
 */
import { custodyWorld, receiveLot, type CustodyWorld } from '../custody/factories';
import type { TestApi, TestOrganisation, TestUser } from '../support/api';
import type { HarnessTemporal } from '../support/harness-temporal';

export interface DrawLineOptions {
  perDrawFee?: string | null;
  autoApproveUpTo?: string;
  singleApproverUpTo?: string;
  approvalWindowHours?: number;
  quantity?: string;
  pricePerUnit?: string;
}

export interface DrawLine {
  world: CustodyWorld;
  lineId: string;
  lotId: string;
  sellerOperator: TestUser;
  sellerViewer: TestUser;
  approverA: TestUser;
  approverB: TestUser;
  lenderViewer: TestUser;
}

const MS_PER_DAY = 24 * 60 * 60 * 1000;

/** Terms of an offer; `approvedWarehouseIds` (none by default) are the warehouses whose goods lend. */
export function lineTerms(options: DrawLineOptions & { approvedWarehouseIds?: string[] } = {}) {
  return {
    currency: 'USD',
    limit: { amount: '250000.00', currency: 'USD' },
    defaultAdvanceRate: '0.5',
    haircut: '0.2',
    annualInterestRate: '0.12',
    dayCount: 'ACT_360',
    feeSchedule: { onSale: null, perDraw: options.perDrawFee === null ? null : { amount: options.perDrawFee ?? '25.00', currency: 'USD' } },
    maxMarkAgeHours: 48,
    marginCallLtv: '0.6',
    liquidationLtv: '0.75',
    targetLtv: '0.4',
    curePeriodHours: 72,
    stockCountIntervalDays: 30,
    maturityDate: new Date(Date.now() + 365 * MS_PER_DAY).toISOString().slice(0, 10),
    approvalThresholds: {
      autoApproveUpTo: { amount: options.autoApproveUpTo ?? '1000.00', currency: 'USD' },
      singleApproverUpTo: { amount: options.singleApproverUpTo ?? '5000.00', currency: 'USD' },
    },
    approvalWindowHours: options.approvalWindowHours ?? 24,
    approvedWarehouseIds: options.approvedWarehouseIds ?? [],
  };
}

/**
 * The lender offers a line on `terms` to its seller counterpart and the seller's ADMIN accepts it,
 * both through the API: the line id of an ACTIVE line.
 */
export async function offerAndAccept(api: TestApi, lender: TestOrganisation, seller: TestOrganisation, terms: object): Promise<string> {
  const offered = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: seller.organisationId, terms });
  if (offered.status !== 201) throw new Error(`offer line: ${offered.status} ${JSON.stringify(offered.body)}`);
  const lineId = offered.body.id as string;
  const accepted = await api.post(seller.admin, `/credit-lines/${lineId}/accept`);
  if (accepted.status !== 200) throw new Error(`accept line: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return lineId;
}

export async function drawLine(api: TestApi, options: DrawLineOptions = {}): Promise<DrawLine> {
  const world = await custodyWorld(api);
  const lineId = await offerAndAccept(api, world.lender, world.seller, lineTerms({ ...options, approvedWarehouseIds: [world.warehouseId] }));
  const lot = await receiveLot(api, world, { quantity: options.quantity ?? '10000' });
  await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: lineId }).expect(201);
  const mark = await api.post(world.lender.admin, '/price-marks', {
    commodityCode: world.commodityCode,
    grade: '80',
    pricePerUnit: { amount: options.pricePerUnit ?? '3.125', currency: 'USD', unit: 'kg' },
    source: 'test',
    asOf: new Date().toISOString(),
  });
  if (mark.status !== 201) throw new Error(`price mark: ${mark.status} ${JSON.stringify(mark.body)}`);
  return {
    world,
    lineId,
    lotId: lot.id,
    sellerOperator: await world.seller.addUser('OPERATOR'),
    sellerViewer: await world.seller.addUser('VIEWER'),
    approverA: await world.lender.addUser('APPROVER', 'Approver A'),
    approverB: await world.lender.addUser('APPROVER', 'Approver B'),
    lenderViewer: await world.lender.addUser('VIEWER'),
  };
}

export const usd = (amount: string) => ({ amount, currency: 'USD' });

/** The line's ledger balances by account code, as decimal strings at scale. */
export async function lineBalances(api: TestApi, lineId: string): Promise<Record<string, string>> {
  const accounts = await api.db.prisma.ledgerAccount.findMany({ where: { accountSetId: lineId } });
  return Object.fromEntries(accounts.map((account) => [account.code, account.balance.toFixed(2)]));
}

/** How long a draw workflow's first load may wait for its request to commit (loadDraw's first retry). */
const LOAD_RETRY_MS = 1_000;

/** The seller's operator requests a draw through the API; its workflow (offline harness) loads it and waits. */
export async function requestDrawThroughApi(api: TestApi, temporal: HarnessTemporal, line: DrawLine, amount: string): Promise<{ id: string; workflowId: string }> {
  const res = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd(amount), purpose: 'working capital' });
  if (res.status !== 201) throw new Error(`request draw: ${res.status} ${JSON.stringify(res.body)}`);
  await temporal.handle(res.body.workflowId).advanceTime(LOAD_RETRY_MS);
  return res.body as { id: string; workflowId: string };
}

/** The line's availability as its lender reads it (GET …/borrowing-base). */
export async function availabilityOf(api: TestApi, line: DrawLine): Promise<string> {
  const res = await api.get(line.world.lender.admin, `/credit-lines/${line.lineId}/borrowing-base?view=totals`);
  if (res.status !== 200) throw new Error(`borrowing base: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.totals.availability.amount;
}
