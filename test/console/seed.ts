/**
 * The people and goods the browser journeys start from, made through the public API as in
 * production: the first lender from the bootstrap command's store call, everyone else onboarded by
 * it (POST /organisations, POST /users), every person setting a password through their one-time
 * invitation (POST /users/{id}/invitations → POST /invitations/accept). Each journey and language has
 * a world of its own (its own commodity, so that one journey's price marks never move another's line).
 */
import { createGodownClient, ok, type GodownClient } from '../../client';
import { inTransaction, type PrismaClient } from '../../prisma/client';
import { createOrganisationWithAdmin } from '../../prisma/identity/store';

export const PASSWORD = 'correct horse battery staple';

export interface Person {
  email: string;
  userId: string;
}

export interface World {
  label: string;
  commodityCode: string;
  lender: Person;
  approverA: Person;
  approverB: Person;
  seller: Person;
  /** A seller user whose account the lockout journey locks. */
  sellerLockable: Person;
  warehouse: Person;
  sellerName: string;
  otherSellerLineId: string;
  lineId: string;
  warehouseId: string;
  buyerId: string;
  /** Where the world's warehouse receives goods. */
  locationId: string;
  /** The lot seeded on the line, when the world asked for one (WorldOptions.stock). */
  lot?: { id: string; receiptNumber: string };
}

/** Goods and credit a journey starts from, made through the API before the browser opens. */
export interface WorldOptions {
  /** A lot of 10 000 kg of grade A received and pledged to the line; with `draw`, that much drawn and disbursed. */
  stock?: { draw?: string };
}

export type Worlds = Record<string, World>;

interface Session {
  client: GodownClient;
  person: Person;
}

function sessionClient(baseUrl: string, cookie: string, csrfToken: string): GodownClient {
  return createGodownClient({ baseUrl, headers: { Cookie: cookie, 'X-CSRF-Token': csrfToken } });
}

async function accept(baseUrl: string, token: string): Promise<Session> {
  const { data, response } = await createGodownClient({ baseUrl }).POST('/invitations/accept', { body: { token, password: PASSWORD } });
  if (!response.ok || !data) throw new Error(`accept invitation: ${response.status}`);
  const cookie = response.headers.getSetCookie().find((value) => value.startsWith('godown_session='))?.split(';')[0];
  if (!cookie) throw new Error('accepting an invitation set no session cookie');
  return { client: sessionClient(baseUrl, cookie, data.csrfToken), person: { email: data.user.email, userId: data.user.id } };
}

async function onboard(baseUrl: string, lender: Session, kind: 'SELLER' | 'WAREHOUSE' | 'BUYER', name: string, email: string) {
  const registered = await ok(lender.client.POST('/organisations', { body: { kind, name, admin: { email, name: `${name} admin` } } }));
  if (!registered.invitation.token) throw new Error('no invitation token');
  return { organisationId: registered.organisationId, admin: kind === 'BUYER' ? null : await accept(baseUrl, registered.invitation.token) };
}

async function addPerson(baseUrl: string, admin: Session, role: 'APPROVER' | 'OPERATOR', email: string): Promise<Session> {
  const created = await ok(admin.client.POST('/users', { body: { email, name: email.split('@')[0], role } }));
  const invitation = await ok(admin.client.POST('/users/{userId}/invitations', { params: { path: { userId: created.userId } } }));
  if (!invitation.token) throw new Error('no invitation token');
  return accept(baseUrl, invitation.token);
}

const DAY_MS = 86_400_000;

/**
 * With the defaults: 10 000 kg at 3.125 USD/kg, haircut 20 %, advance rate 50 %:
 * collateral value 25 000.00, borrowing base 12 500.00, limit 250 000.00, so availability 12 500.00.
 */
async function seedWorld(baseUrl: string, prisma: PrismaClient, label: string, options: WorldOptions = {}): Promise<World> {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const email = (who: string) => `${who}.${slug}@example.test`;
  const created = await inTransaction(prisma, (tx) =>
    createOrganisationWithAdmin(tx, { kind: 'LENDER', name: `Lender ${label}`, admin: { email: email('lender'), name: `Lender admin ${label}` } }, null, new Date()),
  );
  const lender = await accept(baseUrl, created.invitation.token);
  const approverA = await addPerson(baseUrl, lender, 'APPROVER', email('approver-a'));
  const approverB = await addPerson(baseUrl, lender, 'APPROVER', email('approver-b'));
  const sellerName = `Orchard ${label}`;
  const seller = await onboard(baseUrl, lender, 'SELLER', sellerName, email('seller'));
  const otherSeller = await onboard(baseUrl, lender, 'SELLER', `Other seller ${label}`, email('other-seller'));
  const warehouse = await onboard(baseUrl, lender, 'WAREHOUSE', `Cold store ${label}`, email('warehouse'));
  const buyer = await onboard(baseUrl, lender, 'BUYER', `Buyer ${label}`, email('buyer'));
  const sellerAdmin = seller.admin!;
  const warehouseAdmin = warehouse.admin!;
  const sellerLockable = await addPerson(baseUrl, sellerAdmin, 'OPERATOR', email('seller-clerk'));

  const commodityCode = `APPLE_${slug.replace(/-/g, '_').toUpperCase()}`;
  await ok(warehouseAdmin.client.POST('/commodities', { body: { code: commodityCode, name: `Apples ${label}`, unit: 'kg', grades: ['A', 'B'] } }));
  const site = await ok(warehouseAdmin.client.POST('/warehouses', { body: { name: `Cold store ${label} north` } }));
  const location = await ok(warehouseAdmin.client.POST('/warehouses/{warehouseId}/locations', { params: { path: { warehouseId: site.id } }, body: { name: 'Cold room 1', kind: 'COLD_ROOM' } }));

  const terms = {
    currency: 'USD',
    limit: { amount: '250000.00', currency: 'USD' },
    defaultAdvanceRate: '0.5',
    haircut: '0.2',
    annualInterestRate: '0.12',
    dayCount: 'ACT_360' as const,
    feeSchedule: { onSale: null },
    maxMarkAgeHours: 24 * 30,
    marginCallLtv: '0.6',
    liquidationLtv: '0.75',
    targetLtv: '0.4',
    curePeriodHours: 72,
    stockCountIntervalDays: 90,
    maturityDate: new Date(Date.now() + 365 * DAY_MS).toISOString().slice(0, 10),
    approvalThresholds: { autoApproveUpTo: { amount: '1000.00', currency: 'USD' }, singleApproverUpTo: { amount: '5000.00', currency: 'USD' } },
    approvalWindowHours: 72,
    approvedWarehouseIds: [site.id],
  };
  const line = await ok(lender.client.POST('/credit-lines', { body: { sellerOrganisationId: seller.organisationId, terms } }));
  await ok(sellerAdmin.client.POST('/credit-lines/{lineId}/accept', { params: { path: { lineId: line.id } } }));
  const otherLine = await ok(lender.client.POST('/credit-lines', { body: { sellerOrganisationId: otherSeller.organisationId, terms: { ...terms, approvedWarehouseIds: [] } } }));
  await ok(otherSeller.admin!.client.POST('/credit-lines/{lineId}/accept', { params: { path: { lineId: otherLine.id } } }));
  await ok(lender.client.POST('/price-marks', { body: { commodityCode, grade: 'A', pricePerUnit: { amount: '3.125', currency: 'USD', unit: 'kg' }, source: 'seed', asOf: new Date().toISOString() } }));
  const lot = options.stock ? await seedStock(warehouseAdmin, sellerAdmin, [approverA, approverB], { warehouseId: site.id, locationId: location.id, sellerOrganisationId: seller.organisationId, commodityCode, lineId: line.id, slug, draw: options.stock.draw }) : undefined;

  return {
    label,
    commodityCode,
    lender: lender.person,
    approverA: approverA.person,
    approverB: approverB.person,
    seller: sellerAdmin.person,
    sellerLockable: sellerLockable.person,
    warehouse: warehouseAdmin.person,
    sellerName,
    otherSellerLineId: otherLine.id,
    lineId: line.id,
    warehouseId: site.id,
    buyerId: buyer.organisationId,
    locationId: location.id,
    ...(lot ? { lot } : {}),
  };
}

/**
 * The warehouse receives 10 000 kg of grade A, the seller pledges it to the line and, when asked,
 * draws `draw`; the lender's approvers approve as many times as the line's thresholds require, and
 * the offline harness disburses it before the journey starts.
 */
async function seedStock(
  warehouse: Session,
  seller: Session,
  approvers: Session[],
  input: { warehouseId: string; locationId: string; sellerOrganisationId: string; commodityCode: string; lineId: string; slug: string; draw?: string },
): Promise<{ id: string; receiptNumber: string }> {
  const receiptNumber = `WR-${input.slug}-1`.toUpperCase();
  const lot = await ok(
    warehouse.client.POST('/warehouses/{warehouseId}/lots', {
      params: { path: { warehouseId: input.warehouseId } },
      body: { sellerOrganisationId: input.sellerOrganisationId, commodityCode: input.commodityCode, grade: 'A', quantity: { amount: '10000', unit: 'kg' }, locationId: input.locationId, receivedAt: new Date().toISOString(), receiptNumber },
    }),
  );
  await ok(seller.client.POST('/lots/{lotId}/pledge', { params: { path: { lotId: lot.id } }, body: { creditLineId: input.lineId } }));
  if (input.draw) {
    const draw = await ok(seller.client.POST('/credit-lines/{lineId}/draws', { params: { path: { lineId: input.lineId } }, body: { amount: { amount: input.draw, currency: 'USD' } } }));
    for (const approver of approvers.slice(0, draw.requiredApprovals)) {
      await ok(approver.client.POST('/draws/{drawId}/approve', { params: { path: { drawId: draw.id } }, body: {} }));
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const now = await ok(seller.client.GET('/draws/{drawId}', { params: { path: { drawId: draw.id } } }));
      if (now.status === 'DISBURSED') break;
      if (now.status !== 'REQUESTED' && now.status !== 'APPROVED') throw new Error(`seeded draw ended ${now.status}`);
      if (Date.now() > deadline) throw new Error(`seeded draw still ${now.status} after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return { id: lot.id, receiptNumber };
}

export async function seedWorlds(baseUrl: string, prisma: PrismaClient): Promise<Worlds> {
  const worlds: Worlds = {};
  for (const language of ['en', 'zh']) {
    worlds[`signIn-${language}`] = await seedWorld(baseUrl, prisma, `signin ${language}`);
    worlds[`lineLife-${language}`] = await seedWorld(baseUrl, prisma, `line life ${language}`);
    worlds[`draw-${language}`] = await seedWorld(baseUrl, prisma, `draw ${language}`);
    worlds[`sale-${language}`] = await seedWorld(baseUrl, prisma, `sale ${language}`, { stock: { draw: '1000.00' } });
    worlds[`marginCall-${language}`] = await seedWorld(baseUrl, prisma, `margin call ${language}`, { stock: { draw: '10000.00' } });
  }
  // The users-and-audit journey (test/console/admin.spec.ts): its lender's ADMIN adds, invites and deactivates a person.
  for (const language of ['en', 'zh']) worlds[`admin-${language}`] = await seedWorld(baseUrl, prisma, `admin ${language}`);
  for (const language of ['en', 'zh']) worlds[`custody-${language}`] = await seedCustodyWorld(baseUrl, prisma, `custody ${language}`);
  return worlds;
}

// ─── Custody on the lot page (test/console/custody.spec.ts) ───

/** Where a custody world's lot is moved to: the site's second location (the first is "Cold room 1"). */
export const SECOND_LOCATION = 'Cold room 2';

/** A person's session as the console gets it: POST /auth/login with email and password. */
async function signInSession(baseUrl: string, person: Person): Promise<Session> {
  const { data, response } = await createGodownClient({ baseUrl }).POST('/auth/login', { body: { email: person.email, password: PASSWORD } });
  if (!response.ok || !data) throw new Error(`sign in ${person.email}: ${response.status}`);
  const cookie = response.headers.getSetCookie().find((value) => value.startsWith('godown_session='))?.split(';')[0];
  if (!cookie) throw new Error('signing in set no session cookie');
  return { client: sessionClient(baseUrl, cookie, data.csrfToken), person };
}

/** A world whose warehouse site has two locations, so that its lot can move from one to the other. */
async function seedCustodyWorld(baseUrl: string, prisma: PrismaClient, label: string): Promise<World> {
  const seeded = await seedWorld(baseUrl, prisma, label);
  const warehouse = await signInSession(baseUrl, seeded.warehouse);
  await ok(warehouse.client.POST('/warehouses/{warehouseId}/locations', { params: { path: { warehouseId: seeded.warehouseId } }, body: { name: SECOND_LOCATION, kind: 'COLD_ROOM' } }));
  return seeded;
}
