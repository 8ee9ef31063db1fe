import type { TestApi, TestUser } from '../support/api';
import { custodyWorld, receiveLot } from '../custody/factories';
import { lineTerms, offerAndAccept } from '../draws/factories';

/** Objects of one set of parties (lender, seller, warehouse), created best-effort so that fuzzed ids hit real rows. */
export interface FuzzWorld {
  actors: TestUser[];
  ids: string[];
}

async function attempt<T>(work: () => Promise<T>): Promise<T | null> {
  try {
    return await work();
  } catch {
    return null;
  }
}

export async function fuzzWorld(api: TestApi): Promise<FuzzWorld> {
  const world = await custodyWorld(api);
  const ids: string[] = [world.warehouseId, world.roomId, world.coldRoomId, world.lender.organisationId, world.seller.organisationId, world.warehouse.organisationId];
  const lenderViewer = await world.lender.addUser('VIEWER');
  const sellerViewer = await world.seller.addUser('VIEWER');
  const approver = await world.lender.addUser('APPROVER');
  const actors = [world.lender.admin, world.seller.admin, world.warehouse.admin, lenderViewer, sellerViewer, approver];
  // Users whose ids (and keys' ids) the fuzz may deactivate or revoke: never the actors themselves,
  // or the fuzz would lock itself out and test nothing but 401.
  const victims = [await world.lender.addUser('OPERATOR'), await world.seller.addUser('OPERATOR'), await world.warehouse.addUser('VIEWER')];
  for (const victim of victims) ids.push(victim.userId);
  const victimKeys = await api.db.prisma.apiKey.findMany({ where: { userId: { in: victims.map((v) => v.userId) } }, select: { id: true } });
  for (const key of victimKeys) ids.push(key.id);
  // An accepted offer in the world's warehouse: the fuzz reaches the handlers that act on a live line.
  const line = { id: await offerAndAccept(api, world.lender, world.seller, lineTerms({ approvedWarehouseIds: [world.warehouseId] })) };
  ids.push(line.id);
  const lot = await attempt(() => receiveLot(api, world));
  const spareLot = await attempt(() => receiveLot(api, world));
  if (lot) ids.push(lot.id);
  if (spareLot) ids.push(spareLot.id);
  if (lot) await attempt(() => api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: line.id }));
  await attempt(() =>
    api.post(world.lender.admin, '/price-marks', { commodityCode: world.commodityCode, grade: '80', pricePerUnit: { amount: '2.00', currency: 'USD', unit: 'kg' }, source: 'fuzz', asOf: new Date().toISOString() }),
  );
  if (spareLot) {
    const order = await attempt(() => api.post(world.seller.admin, `/lots/${spareLot.id}/release-orders`, { quantity: { amount: '10', unit: 'kg' } }));
    if (order?.status === 201) ids.push(order.body.id as string);
  }
  const draw = await attempt(() => api.post(world.seller.admin, `/credit-lines/${line.id}/draws`, { amount: { amount: '100.00', currency: 'USD' } }));
  if (draw?.status === 201 || draw?.status === 202) ids.push(draw.body.id as string);
  if (lot) {
    const buyer = await api.counterpart(world.lender, 'BUYER');
    ids.push(buyer.organisationId);
    const sale = await attempt(() =>
      api.post(world.seller.admin, `/credit-lines/${line.id}/sales`, {
        buyerOrganisationId: buyer.organisationId,
        paymentDueDate: '2027-06-30',
        items: [{ lotId: lot.id, quantity: { amount: '5', unit: 'kg' } }],
        pricePerUnit: { amount: '2.50', currency: 'USD', unit: 'kg' },
      }),
    );
    if (sale?.status === 201 || sale?.status === 202) ids.push(sale.body.id as string);
  }
  const notifications = await api.db.prisma.notification.findMany({ select: { id: true }, take: 5 });
  for (const n of notifications) ids.push(n.id);
  return { actors, ids };
}
