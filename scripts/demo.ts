// `npm run demo`: the canonical story (docs/domain.md, "The canonical story") against a running Godown
// (`npm start`, embedded database by default). A cold store holds a seller's
// apples; the seller draws 50% of their value; the apples are sold, the buyer
// pays, the waterfall repays the lender and the goods leave the warehouse.
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../api/config';
import { Money } from '../domain/money';
import { createPrismaClient, inTransaction } from '../prisma/client';
import { createOrganisationWithAdmin } from '../prisma/identity/store';
import { createGodownClient, GodownProblemError, ok } from '../client';

export interface DemoOptions {
  baseUrl: string;
  /** Creates the first organisation (the lender) and returns its admin's API key. */
  /** Creates the lender as `npm run bootstrap` does; resolves to its admin's invitation token. */
  bootstrapLender(name: string, email: string): Promise<string>;
  print(line: string): void;
  /** Waits between polls of a workflow's progress. */
  pause(ms: number): Promise<void>;
  pollsMax?: number;
}

export class DemoStopped extends Error {}

/** What the demo reads of GET /ready (api/health/routes.ts). */
interface Readiness {
  temporal?: { available?: boolean; reason?: string };
}

const APPLES_KG = '20000';
const MARK_USD_PER_KG = '1.20';
const SALE_USD_PER_KG = '1.30';

/** Shown at the currency's scale, rounded half-even (valuations are exact and may carry more places). */
function money(amount: string, currency = 'USD'): string {
  return Money.of(amount, currency).roundToScale().format();
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const { print } = options;
  const clientOf = (apiKey?: string) => createGodownClient({ baseUrl: options.baseUrl, apiKey });
  /** The answer's data; a 503 because Temporal is unavailable stops the story plainly. */
  const call = async <Data>(pending: Promise<{ data?: Data; error?: unknown; response: Response }>): Promise<Data> => {
    try {
      return await ok(pending);
    } catch (error) {
      if (error instanceof GodownProblemError && error.status === 503 && error.problem.code === 'temporal_unavailable') {
        throw new DemoStopped(`Stopped: ${error.problem.detail}\nStart Temporal (see README) and run the demo again to see the rest.`);
      }
      throw error;
    }
  };
  const waitFor = async <Value>(what: string, read: () => Promise<Value>, done: (value: Value) => boolean): Promise<Value> => {
    for (let poll = 0; poll < (options.pollsMax ?? 120); poll++) {
      const value = await read();
      if (done(value)) return value;
      await options.pause(500);
    }
    throw new DemoStopped(`Stopped: ${what} did not happen in time; is a worker running (npm start runs one when Temporal is reachable)?`);
  };

  // /ready is the platform's probe, outside the API and its document, so it is read without the client.
  const readiness = (await (await fetch(`${options.baseUrl}/ready`)).json()) as Readiness;
  print(`Godown at ${options.baseUrl}: Temporal ${readiness.temporal?.available ? 'available' : `unavailable (${readiness.temporal?.reason ?? 'unknown'})`}.`);

  // Each admin claims their own account with the one-time invitation: nobody else ever holds their key.
  const claim = async (token: string) => (await call(clientOf().POST('/invitations/claim', { body: { token } }))).apiKey.apiKey;
  const lender = clientOf(await claim(await options.bootstrapLender('Harbour Bank (demo)', `lender-${randomUUID().slice(0, 8)}@demo.example`)));
  const register = async (kind: 'WAREHOUSE' | 'SELLER' | 'BUYER', name: string) => {
    const created = await call(
      lender.POST('/organisations', { body: { kind, name, admin: { email: `${kind.toLowerCase()}-${randomUUID().slice(0, 8)}@demo.example`, name: `${name} admin` } } }),
    );
    if (!created.invitation.token) throw new Error(`registering ${name} answered no invitation token`);
    return { organisationId: created.organisationId, client: clientOf(await claim(created.invitation.token)) };
  };
  const warehouse = await register('WAREHOUSE', 'Polar Cold Store');
  const seller = await register('SELLER', 'Orchard Growers');
  const buyer = await register('BUYER', 'FreshMart');
  print('1. Harbour Bank (lender) onboarded Polar Cold Store (warehouse), Orchard Growers (seller) and FreshMart (buyer); each admin claimed their invitation.');

  const store = await call(warehouse.client.POST('/warehouses', { body: { name: 'Polar Cold Store, Wenatchee' } }));
  const offer = await call(
    lender.POST('/credit-lines', {
      body: {
        sellerOrganisationId: seller.organisationId,
        terms: {
          currency: 'USD',
          limit: { amount: '100000.00', currency: 'USD' },
          defaultAdvanceRate: '0.5',
          haircut: '0',
          annualInterestRate: '0.12',
          dayCount: 'ACT_360',
          feeSchedule: { onSale: { kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: { amount: '0.002', currency: 'USD', unit: 'kg' } }, perDraw: null },
          maxMarkAgeHours: 48,
          marginCallLtv: '0.6',
          liquidationLtv: '0.75',
          targetLtv: '0.45',
          curePeriodHours: 72,
          stockCountIntervalDays: 30,
          maturityDate: `${new Date().getUTCFullYear() + 1}-12-31`,
          approvalThresholds: { autoApproveUpTo: { amount: '15000.00', currency: 'USD' }, singleApproverUpTo: { amount: '50000.00', currency: 'USD' } },
          approvalWindowHours: 24,
          waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
          approvedWarehouseIds: [store.id],
        },
      },
    }),
  );
  const line = await call(seller.client.POST('/credit-lines/{lineId}/accept', { params: { path: { lineId: offer.id } } }));
  print(`2. Credit line offered and accepted by the seller: limit ${money('100000.00')}, 50% advance, fee on sale = 30 days of storage at 0.002 USD/kg/day, goods at Polar Cold Store.`);

  const room = await call(
    warehouse.client.POST('/warehouses/{warehouseId}/locations', { params: { path: { warehouseId: store.id } }, body: { name: 'Cold room 3', kind: 'COLD_ROOM' } }),
  );
  const commodityCode = `APPLES_${randomUUID().slice(0, 6).toUpperCase().replace(/-/g, '')}`;
  await call(warehouse.client.POST('/commodities', { body: { code: commodityCode, name: 'Apples, Fuji', unit: 'kg', grades: ['80'] } }));
  const lot = await call(
    warehouse.client.POST('/warehouses/{warehouseId}/lots', {
      params: { path: { warehouseId: store.id } },
      body: {
        sellerOrganisationId: seller.organisationId,
        commodityCode,
        grade: '80',
        quantity: { amount: APPLES_KG, unit: 'kg' },
        locationId: room.id,
        receivedAt: new Date().toISOString(),
        receiptNumber: `WR-${randomUUID().slice(0, 8)}`,
      },
    }),
  );
  print(`3. Polar Cold Store received ${APPLES_KG} kg of Fuji apples (grade 80), receipt ${lot.receiptNumber}.`);

  await call(seller.client.POST('/lots/{lotId}/pledge', { params: { path: { lotId: lot.id } }, body: { creditLineId: line.id } }));
  await call(
    lender.POST('/price-marks', {
      body: { commodityCode, grade: '80', pricePerUnit: { amount: MARK_USD_PER_KG, currency: 'USD', unit: 'kg' }, source: 'demo market close', asOf: new Date().toISOString() },
    }),
  );
  const base = await call(lender.GET('/credit-lines/{lineId}/borrowing-base', { params: { path: { lineId: line.id }, query: { view: 'totals' } } }));
  print(`4. Orchard Growers pledged the lot; the lender marked apples at ${MARK_USD_PER_KG} USD/kg.`);
  print(`   Market value ${money(base.totals.marketValue.amount)}; borrowing base ${money(base.totals.borrowingBase.amount)}; availability ${money(base.totals.availability.amount)}.`);

  const drawAmount = base.totals.borrowingBase.amount;
  const draw = await call(
    seller.client.POST('/credit-lines/{lineId}/draws', { params: { path: { lineId: line.id } }, body: { amount: { amount: drawAmount, currency: 'USD' }, purpose: 'harvest working capital' } }),
  );
  print(`5. Orchard Growers asked to draw ${money(draw.amount.amount)} (50% of the apples' value); it is reserved at once.`);
  const disbursed = await waitFor(
    'the disbursement',
    () => call(seller.client.GET('/draws/{drawId}', { params: { path: { drawId: draw.id } } })),
    (d) => d.status !== 'REQUESTED' && d.status !== 'APPROVED',
  );
  if (disbursed.status !== 'DISBURSED') throw new DemoStopped(`Stopped: the draw ended ${disbursed.status} (${disbursed.refusalReason ?? ''}).`);
  print(`   Auto-approved (up to ${money('15000.00')} needs no approver) and disbursed: loan principal ${money(drawAmount)}.`);

  const dueDate = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  const sale = await call(
    seller.client.POST('/credit-lines/{lineId}/sales', {
      params: { path: { lineId: line.id } },
      body: {
        buyerOrganisationId: buyer.organisationId,
        items: [{ lotId: lot.id, quantity: { amount: APPLES_KG, unit: 'kg' } }],
        pricePerUnit: { amount: SALE_USD_PER_KG, currency: 'USD', unit: 'kg' },
        paymentDueDate: dueDate,
      },
    }),
  );
  print(`6. Orchard Growers sold all ${APPLES_KG} kg to FreshMart at ${SALE_USD_PER_KG} USD/kg = ${money(sale.totalPrice.amount)}, due ${dueDate}.`);

  const paid = await call(
    lender.POST('/sales/{saleId}/payments', {
      params: { path: { saleId: sale.id } },
      body: { amount: { amount: '26000.00', currency: 'USD' }, receivedOn: new Date().toISOString().slice(0, 10), reference: 'FreshMart wire' },
    }),
  );
  const split = paid.allocation;
  print(`7. FreshMart paid ${money('26000.00')} into the collection account. The waterfall applied it:`);
  print(`   fees ${money(split.fees.amount)} → interest ${money(split.interest.amount)} → principal ${money(split.principal.amount)} → payable to the seller ${money(split.toSeller.amount)}.`);

  const readSale = () => call(lender.GET('/sales/{saleId}', { params: { path: { saleId: sale.id } } }));
  const released = await waitFor('the release authorisation', readSale, (s) => s.status === 'RELEASE_AUTHORISED' || s.status === 'CLOSED');
  const releaseOrderId = released.items[0].releaseOrderId;
  if (!releaseOrderId) throw new Error(`sale ${sale.id} is ${released.status} but names no release order`);
  print(`8. Paid in full, so the release of ${APPLES_KG} kg was authorised automatically (release order ${releaseOrderId}).`);
  await call(
    warehouse.client.POST('/release-orders/{orderId}/confirmations', {
      params: { path: { orderId: releaseOrderId } },
      body: { quantity: { amount: APPLES_KG, unit: 'kg' }, releasedAt: new Date().toISOString() },
    }),
  );
  const closed = await waitFor('the sale closing', readSale, (s) => s.status === 'CLOSED');
  print(`   Polar Cold Store confirmed the apples left; the sale is ${closed.status}.`);

  const today = new Date().toISOString().slice(0, 10);
  const statement = await call(lender.GET('/credit-lines/{lineId}/statement', { params: { path: { lineId: line.id }, query: { from: today, to: today } } }));
  print('9. Statement for today (opening → closing, per account):');
  for (const account of statement.accounts) {
    if (account.lines.length === 0) continue;
    print(`   ${String(account.code).padEnd(20)} ${money(account.openingBalance.amount).padStart(14)} → ${money(account.closingBalance.amount).padStart(14)}  (${account.lines.length} posting${account.lines.length === 1 ? '' : 's'})`);
  }
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const baseUrl = process.env.GODOWN_URL ?? `http://${config.HOST}:${config.PORT}`;
  try {
    await fetch(`${baseUrl}/health`);
  } catch {
    console.error(`Godown is not running at ${baseUrl}: start it with \`npm start\` in another terminal (or set GODOWN_URL).`);
    process.exit(1);
  }
  // Loaded here, not at the top: the story itself (runDemo) needs no database module.
  const { openDatabase } = await import('../prisma/database.js');
  const database = await openDatabase(config, () => undefined);
  const prisma = createPrismaClient(database.url, { poolMax: 2 });
  try {
    await runDemo({
      baseUrl,
      print: (line) => console.log(line),
      pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      bootstrapLender: async (name, email) => {
        const created = await inTransaction(prisma, (tx) => createOrganisationWithAdmin(tx, { kind: 'LENDER', name, admin: { email, name: 'Demo admin' } }, null, new Date()));
        return created.invitation.token;
      },
    });
  } catch (error) {
    if (error instanceof DemoStopped) {
      console.log(error.message);
    } else {
      throw error;
    }
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
