/**
 * A warehouse's locations are never cut off or unbounded: GET /warehouses/{id}
 * embeds the first WAREHOUSE_LOCATIONS_EMBEDDED_MAX and says when there are
 * more (with a link), GET /warehouses/{id}/locations pages through all of
 * them, and a warehouse holds at most WAREHOUSE_LOCATIONS_MAX locations.
 */
import { WAREHOUSE_LOCATIONS_EMBEDDED_MAX } from '../../api/custody/routes';
import { WAREHOUSE_LOCATIONS_MAX } from '../../prisma/custody/store';
import { createTestApi, type TestApi } from '../support/api';
import { custodyWorld, type CustodyWorld } from './factories';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

/** Adds `count` store rooms named bin-0001… straight in the table, each a microsecond after the previous (so their order is known). */
async function addBins(warehouseId: string, count: number): Promise<void> {
  await api.db.sql(
    `INSERT INTO warehouse_location (id, warehouse_id, name, kind, created_at)
     SELECT gen_random_uuid(), $1::uuid, 'bin-' || lpad(g::text, 5, '0'), 'STORE_ROOM', now() + g * interval '1 microsecond'
       FROM generate_series(1, $2::int) g`,
    [warehouseId, count],
  );
}

describe('GET /warehouses/{id}', () => {
  let world: CustodyWorld;
  beforeAll(async () => {
    world = await custodyWorld(api);
  });

  test('a warehouse with few locations embeds them all, not truncated, without a link', async () => {
    const res = await api.get(world.warehouse.admin, `/warehouses/${world.warehouseId}`).expect(200);
    expect(res.body.locations.map((location: { name: string }) => location.name)).toEqual(['Room A', 'Cold 1']);
    expect([res.body.locationsTruncated, res.body.locationsNext]).toEqual([false, null]);
  });

  test(`beyond ${WAREHOUSE_LOCATIONS_EMBEDDED_MAX} locations it embeds the first ${WAREHOUSE_LOCATIONS_EMBEDDED_MAX} and links to the rest; the list pages through all of them`, async () => {
    expect(WAREHOUSE_LOCATIONS_EMBEDDED_MAX).toBe(100);
    // 2 rooms from the factory + 249 bins = 251 locations.
    await addBins(world.warehouseId, 249);
    const expected = ['Room A', 'Cold 1', ...Array.from({ length: 249 }, (_, i) => `bin-${String(i + 1).padStart(5, '0')}`)];

    const res = await api.get(world.warehouse.admin, `/warehouses/${world.warehouseId}`).expect(200);
    expect(res.body.locations.map((location: { name: string }) => location.name)).toEqual(expected.slice(0, 100));
    expect(res.body.locationsTruncated).toBe(true);
    expect(res.body.locationsNext).toMatch(new RegExp(`^/warehouses/${world.warehouseId}/locations\\?cursor=[A-Za-z0-9_-]+$`));
    const rest = await api.get(world.warehouse.admin, `${res.body.locationsNext}&limit=200`).expect(200);
    expect(rest.body.items.map((location: { name: string }) => location.name)).toEqual(expected.slice(100, 251));
    expect(rest.body.nextCursor).toBeNull();

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { name: string; warehouseId: string }[]; nextCursor: string | null } } = await api
        .get(world.warehouse.admin, `/warehouses/${world.warehouseId}/locations?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      sizes.push(page.body.items.length);
      seen.push(...page.body.items.map((location) => location.name));
      expect(page.body.items.every((location) => location.warehouseId === world.warehouseId)).toBe(true);
      cursor = page.body.nextCursor;
    } while (cursor !== null && sizes.length < 10);
    expect(sizes).toEqual([100, 100, 51]);
    expect(seen).toEqual(expected);
  });

  test('the list is refused to another organisation (404) and a cursor of another warehouse names query.cursor', async () => {
    const other = await custodyWorld(api);
    expect((await api.get(other.warehouse.admin, `/warehouses/${world.warehouseId}/locations`)).status).toBe(404);
    const cursor = Buffer.from(JSON.stringify({ afterId: other.roomId })).toString('base64url');
    const crossed = await api.get(world.warehouse.admin, `/warehouses/${world.warehouseId}/locations?cursor=${cursor}`);
    expect(crossed.status).toBe(400);
    expect(crossed.body.errors.map((error: { path: string }) => error.path)).toEqual(['query.cursor']);
  });
});

describe('POST /warehouses/{id}/locations', () => {
  test(`a warehouse holds at most ${WAREHOUSE_LOCATIONS_MAX} locations: the next one is refused with 422 and nothing is written`, async () => {
    expect(WAREHOUSE_LOCATIONS_MAX).toBe(10_000);
    const world = await custodyWorld(api);
    // 2 from the factory + 9 997 = 9 999: one more fits.
    await addBins(world.warehouseId, WAREHOUSE_LOCATIONS_MAX - 3);
    await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/locations`, { name: 'The last room', kind: 'COLD_ROOM' }).expect(201);
    const refused = await api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/locations`, { name: 'One too many', kind: 'COLD_ROOM' });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('warehouse_locations_limit');
    expect(refused.body.detail).toBe(`warehouse ${world.warehouseId} already has 10000 locations, the most a warehouse may have (10000)`);
    const [{ count }] = await api.db.sql<{ count: string }>('SELECT count(*)::text AS count FROM warehouse_location WHERE warehouse_id = $1::uuid', [world.warehouseId]);
    expect(count).toBe('10000');
  });

  test('two additions racing for the last place: exactly one is created, the other is refused', async () => {
    const world = await custodyWorld(api);
    await addBins(world.warehouseId, WAREHOUSE_LOCATIONS_MAX - 3);
    const answers = await Promise.all(
      ['Race A', 'Race B'].map((name) => api.post(world.warehouse.admin, `/warehouses/${world.warehouseId}/locations`, { name, kind: 'STORE_ROOM' })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 422]);
    const [{ count }] = await api.db.sql<{ count: string }>('SELECT count(*)::text AS count FROM warehouse_location WHERE warehouse_id = $1::uuid', [world.warehouseId]);
    expect(count).toBe(String(WAREHOUSE_LOCATIONS_MAX));
  });
});
