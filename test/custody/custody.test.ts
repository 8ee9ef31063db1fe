import { ok } from '../../client';
import { createTestApi, type TestApi } from '../support/api';
import { createCreditLine, custodyWorld, receiveLot, type CustodyWorld } from './factories';

let api: TestApi;
let world: CustodyWorld;

beforeAll(async () => {
  api = await createTestApi();
  world = await custodyWorld(api);
});
afterAll(() => api.close());

/** A lot's history through the typed client, typed by the OpenAPI document. */
async function events(lotId: string) {
  return (await ok(api.client(world.seller.admin).GET('/lots/{lotId}/events', { params: { path: { lotId } } }))).items;
}

describe('warehouses and locations', () => {
  test('a vessel location needs its carrier and records the voyage', async () => {
    const missing = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/locations`, { name: 'MV Fruit', kind: 'VESSEL' });
    expect(missing.status).toBe(400);
    const vessel = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/locations`, { name: 'MV Fruit', kind: 'VESSEL', carrier: 'Maersk', voyage: 'V-123' });
    expect(vessel.status).toBe(201);
    expect(vessel.body).toMatchObject({ kind: 'VESSEL', carrier: 'Maersk', voyage: 'V-123' });
  });

  test('only a WAREHOUSE organisation creates warehouses; another warehouse org cannot see this one', async () => {
    expect((await api.post(world.seller.admin, '/warehouses', { name: 'x' })).status).toBe(403);
    const other = await api.organisation('WAREHOUSE');
    expect((await api.get(other.admin, `/warehouses/${world.warehouseId}`)).status).toBe(404);
    expect((await api.post(other.admin, `/warehouses/${world.warehouseId}/locations`, { name: 'Z', kind: 'STORE_ROOM' })).status).toBe(404);
    expect((await api.get(world.warehouse.admin, `/warehouses/${world.warehouseId}`)).body.locations.length).toBeGreaterThanOrEqual(2);
  });
});

describe('receiving', () => {
  test('receiving creates a lot with a RECEIVED event; quantities are exact decimal strings', async () => {
    const lot = await receiveLot(api, world, { quantity: '1234.567890123456789' });
    const read = await ok(api.client(world.warehouse.admin).GET('/lots/{lotId}', { params: { path: { lotId: lot.id } } }));
    expect(read).toMatchObject({ quantity: { amount: '1234.567890123456789', unit: 'kg' }, grade: '80', sellerOrganisationId: world.seller.organisationId, pledgedToCreditLineId: null });
    const history = await events(lot.id);
    expect(history).toEqual([expect.objectContaining({ type: 'RECEIVED', quantityBefore: { amount: '0', unit: 'kg' }, quantityAfter: { amount: '1234.567890123456789', unit: 'kg' } })]);
  });

  test('a duplicate receipt number within the warehouse is refused with 409; another warehouse may use it', async () => {
    const first = await receiveLot(api, world);
    await expect(receiveLot(api, world, { receiptNumber: first.receiptNumber })).rejects.toThrow(/receive: 409/);
    const elsewhere = await custodyWorld(api, { commodityCode: world.commodityCode });
    await expect(receiveLot(api, elsewhere, { receiptNumber: first.receiptNumber })).resolves.toBeDefined();
  });

  test('a duplicate receipt number names its field, so that the receiving form shows the refusal on it', async () => {
    const first = await receiveLot(api, world);
    const again = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/lots`, {
      sellerOrganisationId: world.seller.organisationId,
      commodityCode: world.commodityCode,
      grade: '80',
      quantity: { amount: '5', unit: 'kg' },
      locationId: world.roomId,
      receivedAt: '2026-11-20T08:00:00Z',
      receiptNumber: first.receiptNumber,
    });
    expect(again.status).toBe(409);
    expect(again.body.errors).toEqual([
      { path: 'body.receiptNumber', reason: `warehouse receipt number "${first.receiptNumber}" is already used in warehouse ${world.warehouseId}; each receipt number is issued once` },
    ]);
  });

  test('a unit other than the commodity unit is refused (no conversion defined); an unknown grade is a 400', async () => {
    const base = { sellerOrganisationId: world.seller.organisationId, commodityCode: world.commodityCode, quantity: { amount: '5', unit: 'kg' }, locationId: world.roomId, receivedAt: '2026-11-20T08:00:00Z' };
    const unit = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/lots`, { ...base, grade: '80', quantity: { amount: '5', unit: 'lb' }, receiptNumber: 'U-1' });
    expect(unit.status).toBe(422);
    expect(unit.body.code).toBe('unit_not_convertible');
    const grade = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/lots`, { ...base, grade: '99', receiptNumber: 'U-2' });
    expect(grade.status).toBe(400);
    const number = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/lots`, { ...base, quantity: { amount: 5, unit: 'kg' }, grade: '80', receiptNumber: 'U-3' });
    expect(number.status).toBe(400);
  });
});

describe('custody operations', () => {
  test('inspect, move, split and adjust each append an event with quantities before and after', async () => {
    const lot = await receiveLot(api, world, { quantity: '1000' });
    const wh = world.warehouse.admin;
    await api.post(wh, `/lots/${lot.id}/inspections`, { grade: '70', qualityHold: true, reason: 'bruising' }).expect(201);
    await api.post(wh, `/lots/${lot.id}/moves`, { toLocationId: world.coldRoomId, reason: 'cooling' }).expect(201);
    // A move to where the lot already is changes nothing and is refused naming the field the caller sent.
    const again = await api.post(wh, `/lots/${lot.id}/moves`, { toLocationId: world.coldRoomId });
    expect(again.status).toBe(422);
    expect(again.body.errors).toEqual([{ path: 'body.toLocationId', reason: expect.stringContaining('already at location') }]);
    const split = await api.post(wh, `/lots/${lot.id}/splits`, { quantity: { amount: '250.5', unit: 'kg' }, receiptNumber: `${lot.receiptNumber}-B` }).expect(201);
    expect(split.body.parent.quantity).toEqual({ amount: '749.5', unit: 'kg' });
    expect(split.body.child).toMatchObject({ quantity: { amount: '250.5', unit: 'kg' }, grade: '70', qualityHold: true, locationId: world.coldRoomId, splitFromLotId: lot.id });
    const adjusted = await api.post(wh, `/lots/${lot.id}/adjustments`, { quantityDelta: { amount: '-12.25', unit: 'kg' }, kind: 'SPOILAGE', reason: 'rot found' }).expect(201);
    expect(adjusted.body.quantity).toEqual({ amount: '737.25', unit: 'kg' });
    const history = await events(lot.id);
    expect(history.map((e) => [e.type, e.quantityBefore.amount, e.quantityAfter.amount])).toEqual([
      ['RECEIVED', '0', '1000'],
      ['INSPECTED', '1000', '1000'],
      ['MOVED', '1000', '1000'],
      ['SPLIT_OUT', '1000', '749.5'],
      ['ADJUSTED', '749.5', '737.25'],
    ]);
    expect(history[4].reason).toBe('rot found');
    const child = await events(split.body.child.id);
    expect(child.map((e) => [e.type, e.quantityBefore.amount, e.quantityAfter.amount])).toEqual([['SPLIT_IN', '0', '250.5']]);
  });

  test('an adjustment needs a reason and may not take the quantity below zero; a split takes less than the whole', async () => {
    const lot = await receiveLot(api, world, { quantity: '10' });
    const wh = world.warehouse.admin;
    expect((await api.post(wh, `/lots/${lot.id}/adjustments`, { quantityDelta: { amount: '-1', unit: 'kg' }, kind: 'DAMAGE', reason: '' })).status).toBe(400);
    expect((await api.post(wh, `/lots/${lot.id}/adjustments`, { quantityDelta: { amount: '-1', unit: 'kg' }, kind: 'DAMAGE' })).status).toBe(400);
    const below = await api.post(wh, `/lots/${lot.id}/adjustments`, { quantityDelta: { amount: '-10.000001', unit: 'kg' }, kind: 'DAMAGE', reason: 'crushed' });
    expect(below.status).toBe(422);
    expect(below.body.code).toBe('adjustment_below_zero');
    const whole = await api.post(wh, `/lots/${lot.id}/splits`, { quantity: { amount: '10', unit: 'kg' }, receiptNumber: 'S-whole' });
    expect(whole.body.code).toBe('split_not_smaller_than_lot');
    expect((await api.get(wh, `/lots/${lot.id}`)).body.quantity).toEqual({ amount: '10', unit: 'kg' });
  });

  test('a stock count difference becomes an adjustment and flags the lot; a matching count clears the flag', async () => {
    const lot = await receiveLot(api, world, { quantity: '500' });
    const wh = world.warehouse.admin;
    const counted = await api.post(wh, `/lots/${lot.id}/stock-counts`, { countedQuantity: { amount: '497.5', unit: 'kg' }, countedAt: '2026-11-21T10:00:00Z' }).expect(201);
    expect(counted.body).toMatchObject({ quantity: { amount: '497.5', unit: 'kg' }, countDifferenceFlag: true, lastCountedAt: '2026-11-21T10:00:00.000Z' });
    const history = await events(lot.id);
    expect(history.slice(-2).map((e) => [e.type, e.quantityBefore.amount, e.quantityAfter.amount])).toEqual([
      ['COUNTED', '500', '500'],
      ['ADJUSTED', '500', '497.5'],
    ]);
    expect(history[history.length - 1].details).toMatchObject({ kind: 'COUNT_DIFFERENCE' });
    const again = await api.post(wh, `/lots/${lot.id}/stock-counts`, { countedQuantity: { amount: '497.5', unit: 'kg' }, countedAt: '2026-11-22T10:00:00Z' }).expect(201);
    expect(again.body.countDifferenceFlag).toBe(false);
  });

  test('every mutation is audited in the same transaction', async () => {
    const lot = await receiveLot(api, world, { quantity: '3' });
    await api.post(world.warehouse.admin, `/lots/${lot.id}/adjustments`, { quantityDelta: { amount: '-1', unit: 'kg' }, kind: 'SHRINKAGE', reason: 'drying' }).expect(201);
    const rows = await api.db.sql<{ action: string }>(`SELECT action FROM audit_record WHERE target_id = $1 ORDER BY seq`, [lot.id]);
    expect(rows.map((r) => r.action)).toEqual(['custody.lot.received', 'custody.lot.adjusted']);
  });
});

describe('the database guards custody invariants', () => {
  test('custody events can never be updated or deleted', async () => {
    const lot = await receiveLot(api, world);
    await expect(api.db.sql(`UPDATE custody_event SET reason = 'x' WHERE lot_id = $1`, [lot.id])).rejects.toThrow(/append-only/);
    await expect(api.db.sql(`DELETE FROM custody_event WHERE lot_id = $1`, [lot.id])).rejects.toThrow(/append-only/);
  });

  test('a lot quantity can never be negative', async () => {
    const lot = await receiveLot(api, world);
    await expect(api.db.sql(`UPDATE lot SET quantity = -1 WHERE id = $1`, [lot.id])).rejects.toThrow(/lot_quantity_non_negative/);
  });

  test('at most one active lien per lot, whatever code writes it', async () => {
    const lot = await receiveLot(api, world);
    const line = await createCreditLine(api.db.prisma, world.lender.organisationId, world.seller.organisationId);
    const insert = `INSERT INTO lien (id, lot_id, credit_line_id, pledged_by_user_id) VALUES (gen_random_uuid(), $1, $2, $3)`;
    await api.db.sql(insert, [lot.id, line.id, world.seller.admin.userId]);
    await expect(api.db.sql(insert, [lot.id, line.id, world.seller.admin.userId])).rejects.toThrow(/lien_one_active_per_lot/);
  });
});

describe('visibility', () => {
  test('a foreign organisation of every kind gets 404 for the lot, its history and its operations', async () => {
    const lot = await receiveLot(api, world);
    for (const kind of ['WAREHOUSE', 'SELLER', 'LENDER', 'BUYER'] as const) {
      const stranger = (await api.organisation(kind)).admin;
      expect((await api.get(stranger, `/lots/${lot.id}`)).status).toBe(404);
      expect((await api.get(stranger, `/lots/${lot.id}/events`)).status).toBe(404);
      for (const [path, body] of [
        ['inspections', { qualityHold: false, reason: 'x' }],
        ['moves', { toLocationId: world.coldRoomId }],
        ['splits', { quantity: { amount: '1', unit: 'kg' }, receiptNumber: 'X' }],
        ['adjustments', { quantityDelta: { amount: '-1', unit: 'kg' }, kind: 'DAMAGE', reason: 'x' }],
        ['stock-counts', { countedQuantity: { amount: '1', unit: 'kg' }, countedAt: '2026-11-21T10:00:00Z' }],
        ['release-orders', { quantity: { amount: '1', unit: 'kg' } }],
        ['pledge', { creditLineId: lot.id }],
        ['unpledge', {}],
        ['unpledge-consent', {}],
      ] as const) {
        const res = await api.post(stranger, `/lots/${lot.id}/${path}`, body);
        expect([path, res.status]).toEqual([path, 404]);
      }
      const listed = await api.get(stranger, '/lots').expect(200);
      expect(listed.body.items.map((l: { id: string }) => l.id)).not.toContain(lot.id);
    }
  });

  test('the seller sees its own lots but cannot operate the warehouse; the lender sees only lots pledged to its lines', async () => {
    const lot = await receiveLot(api, world);
    expect((await api.get(world.seller.admin, `/lots/${lot.id}`)).status).toBe(200);
    expect((await api.post(world.seller.admin, `/lots/${lot.id}/adjustments`, { quantityDelta: { amount: '-1', unit: 'kg' }, kind: 'DAMAGE', reason: 'x' })).status).toBe(403);
    const lender = await api.organisation('LENDER');
    expect((await api.get(lender.admin, `/lots/${lot.id}`)).status).toBe(404);
    const line = await createCreditLine(api.db.prisma, lender.organisationId, world.seller.organisationId);
    await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: line.id }).expect(201);
    expect((await api.get(lender.admin, `/lots/${lot.id}`)).body.pledgedToCreditLineId).toBe(line.id);
    expect((await api.get(lender.admin, `/lots/${lot.id}/events`)).status).toBe(200);
    const lenderList = await api.get(lender.admin, '/lots').expect(200);
    expect(lenderList.body.items.map((l: { id: string }) => l.id)).toEqual([lot.id]);
    const warehouseList = await api.get(world.warehouse.admin, '/lots?limit=200').expect(200);
    expect(warehouseList.body.items.map((l: { id: string }) => l.id)).toContain(lot.id);
  });

  test('a VIEWER of the warehouse can read but not operate', async () => {
    const lot = await receiveLot(api, world);
    const viewer = await world.warehouse.addUser('VIEWER');
    expect((await api.get(viewer, `/lots/${lot.id}`)).status).toBe(200);
    expect((await api.post(viewer, `/lots/${lot.id}/moves`, { toLocationId: world.coldRoomId })).status).toBe(403);
  });
});

describe('OpenAPI', () => {
  test('documents every custody and valuation endpoint', async () => {
    const doc = (await api.get(world.seller.admin, '/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const expected: Array<[string, string]> = [
      ['/warehouses', 'post'], ['/warehouses/{warehouseId}', 'get'], ['/warehouses/{warehouseId}/locations', 'post'],
      ['/commodities', 'post'], ['/commodities', 'get'], ['/warehouses/{warehouseId}/lots', 'post'], ['/lots', 'get'],
      ['/lots/{lotId}', 'get'], ['/lots/{lotId}/events', 'get'], ['/lots/{lotId}/inspections', 'post'], ['/lots/{lotId}/moves', 'post'],
      ['/lots/{lotId}/splits', 'post'], ['/lots/{lotId}/adjustments', 'post'], ['/lots/{lotId}/stock-counts', 'post'],
      ['/lots/{lotId}/release-orders', 'post'], ['/release-orders/{orderId}', 'get'], ['/release-orders/{orderId}/confirmations', 'post'],
      ['/lots/{lotId}/pledge', 'post'], ['/lots/{lotId}/unpledge-consent', 'post'], ['/lots/{lotId}/unpledge', 'post'],
      ['/price-marks', 'post'], ['/price-marks', 'get'], ['/credit-lines/{lineId}/borrowing-base', 'get'],
    ];
    for (const [path, method] of expected) expect([path, method, Boolean(doc.paths[path]?.[method])]).toEqual([path, method, true]);
  });
});
