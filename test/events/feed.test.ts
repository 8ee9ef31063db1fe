import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { inTransaction, type PrismaClient } from '../../prisma/client';
import { eventsOf, recordEvent } from '../../prisma/events/store';
import type { FeedPosition } from '../../domain/events';
import { ok, type operations } from '../../client';
import { createTestApi, type TestApi, type TestUser } from '../support/api';
import { drawLine, usd, type DrawLine } from '../draws/factories';
import { custodyWorld } from '../custody/factories';
import { HarnessTemporal } from '../support/harness-temporal';
import { feedPassed } from '../support/feed';

let api: TestApi;

beforeAll(async () => {
  // Draws start their workflow on Temporal's test harness.
  api = await createTestApi({ temporal: (databaseUrl) => new HarnessTemporal({ databaseUrl }), poolMax: 30 });
});
afterAll(() => api.close());

type FeedQuery = NonNullable<operations['listEvents']['parameters']['query']>;

/** The feed through the typed client: its query and its page as the OpenAPI document types them. */
async function feed(user: TestUser, query: FeedQuery = {}) {
  return ok(api.client(user).GET('/events', { params: { query } }));
}

const typesOf = (page: { items: Array<{ type: string }> }) => page.items.map((item) => item.type);

describe('GET /events', () => {
  let line: DrawLine;
  let drawId: string;

  beforeAll(async () => {
    line = await drawLine(api, { quantity: '10000', pricePerUnit: '3.125' });
    const drawn = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('2000'), purpose: 'working capital' }).expect(201);
    drawId = drawn.body.id;
    await api.post(line.world.warehouse.admin, `/lots/${line.lotId}/adjustments`, { quantityDelta: { amount: '-12.5', unit: 'kg' }, kind: 'SHRINKAGE', reason: 'moisture loss' }).expect(201);
    // Another test file's transaction may hold the feed's horizon back: read once it has passed these writes.
    await feedPassed(api.db);
  });

  test('each organisation sees exactly the events it is party to, in the order they happened', async () => {
    const { lender, seller, warehouse } = line.world;
    // The lot was received before it was pledged: its lender was not party to the receipt.
    expect(typesOf(await feed(lender.admin))).toEqual(['credit_line.status_changed', 'price_mark.posted', 'draw.requested', 'custody.adjusted']);
    expect(typesOf(await feed(seller.admin))).toEqual(['credit_line.status_changed', 'custody.received', 'draw.requested', 'custody.adjusted']);
    expect(typesOf(await feed(warehouse.admin))).toEqual(['custody.received', 'custody.adjusted']);
    // Every user of the organisation reads its feed, VIEWERs included.
    expect(typesOf(await feed(line.lenderViewer))).toEqual(typesOf(await feed(lender.admin)));
  });

  test('an organisation that is party to nothing of another world sees none of it', async () => {
    const other = await custodyWorld(api);
    await feedPassed(api.db);
    const seen = [...(await feed(other.lender.admin)).items, ...(await feed(other.seller.admin)).items, ...(await feed(other.warehouse.admin)).items];
    const mine = new Set([line.lineId, line.lotId, drawId]);
    expect(seen.filter((event) => mine.has(event.subject.id) || Object.values(event.data).some((value) => typeof value === 'string' && mine.has(value)))).toEqual([]);
  });

  test('payloads carry money at the currency scale and quantities with their unit', async () => {
    const lenderFeed = await feed(line.world.lender.admin);
    const requested = lenderFeed.items.find((event) => event.type === 'draw.requested')!;
    expect(requested.subject).toEqual({ type: 'draw', id: drawId });
    expect(requested.data).toEqual({
      drawId,
      creditLineId: line.lineId,
      amount: { amount: '2000.00', currency: 'USD' },
      requiredApprovals: 1,
      approvalDeadline: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    const adjusted = lenderFeed.items.find((event) => event.type === 'custody.adjusted')!;
    expect(adjusted.data).toEqual({
      lotId: line.lotId,
      kind: 'SHRINKAGE',
      reason: 'moisture loss',
      quantityBefore: { amount: '10000', unit: 'kg' },
      quantityAfter: { amount: '9987.5', unit: 'kg' },
    });
    const mark = lenderFeed.items.find((event) => event.type === 'price_mark.posted')!;
    expect(mark.data).toMatchObject({ pricePerUnit: { amount: '3.125', currency: 'USD', unit: 'kg' }, grade: '80', source: 'test' });
  });

  test('the cursor reads on from where the reader stopped, page by page, and filters by type', async () => {
    const seller = line.world.seller.admin;
    const all = await feed(seller);
    const paged: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const got = await feed(seller, { limit: 1, ...(after ? { after } : {}) });
      if (got.items.length === 0) {
        expect(got.nextCursor).toBe(after);
        break;
      }
      paged.push(got.items[0].id);
      after = got.nextCursor;
      expect(after).toBe(got.items[0].cursor);
    }
    expect(paged).toEqual(all.items.map((item) => item.id));
    // `cursor`, as every list names it, and `after` are the same position.
    expect(await feed(seller, { cursor: all.items[0].cursor })).toEqual(await feed(seller, { after: all.items[0].cursor }));
    expect((await feed(seller, { cursor: all.items[0].cursor })).items.map((item) => item.id)).toEqual(all.items.slice(1).map((item) => item.id));
    const custodyOnly = await feed(seller, { type: 'custody.received,custody.adjusted' });
    expect(typesOf(custodyOnly)).toEqual(['custody.received', 'custody.adjusted']);
    // Nothing new: the cursor stays where it was, so a poller never moves past an event it has not seen.
    const last = all.items.at(-1)!.cursor;
    expect(await feed(seller, { after: last })).toEqual({ items: [], nextCursor: last });
  });

  test('an unknown type or a malformed cursor is refused naming the field', async () => {
    const user = line.world.seller.admin;
    const badType = await api.get(user, '/events?type=draw.requested,draw.vanished');
    expect(badType.status).toBe(400);
    expect(badType.body.errors).toEqual([{ path: 'query.type', reason: expect.stringContaining('"draw.vanished"') }]);
    const badCursor = await api.get(user, '/events?after=abc');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors[0].path).toBe('query.after');
    const crafted = await api.get(user, `/events?cursor=${Buffer.from('{"seq":"1"}').toString('base64url')}`);
    expect(crafted.status).toBe(400);
    expect(crafted.body.errors[0].path).toBe('query.cursor');
  });

  test('a refused change writes no event: the event commits with its change or not at all', async () => {
    const before = typesOf(await feed(line.world.seller.admin));
    const refused = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('240000.00'), purpose: 'too much' });
    expect(refused.status).toBe(422);
    expect(typesOf(await feed(line.world.seller.admin))).toEqual(before);
  });

  test('events are append-only', async () => {
    await expect(api.db.prisma.$executeRaw`UPDATE domain_event SET type = 'draw.approved'`).rejects.toThrow(/append-only/);
    await expect(api.db.prisma.$executeRaw`DELETE FROM domain_event_party`).rejects.toThrow(/append-only/);
  });
});

// ─── The cursor under concurrent writers ─────────────────────────────────────

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes one event for `party` in a transaction that stays open `holdMs` after writing it, then commits (or rolls back). */
async function writeSlowly(prisma: PrismaClient, party: string, holdMs: number, commit: boolean): Promise<string | null> {
  const subjectId = randomUUID();
  try {
    await inTransaction(prisma, async (tx) => {
      await recordEvent(tx, 'sale.closed', { subjectId, parties: [party], data: { saleId: subjectId, creditLineId: randomUUID() } });
      await sleep(holdMs);
      if (!commit) throw new Error('rolled back on purpose');
    });
  } catch (error) {
    if (commit) throw error;
    return null;
  }
  return subjectId;
}

/** A consumer polling with its cursor until `stop()` says the writers are done, then once more. */
async function pollUntil(prisma: PrismaClient, party: string, done: (seen: readonly string[]) => boolean): Promise<string[]> {
  const seen: string[] = [];
  let after: FeedPosition | null = null;
  for (;;) {
    const finished = done(seen);
    const page = await eventsOf(prisma, party, { after, types: null, limit: 3 });
    seen.push(...page.events.map((event) => event.subjectId));
    after = page.next;
    if (page.events.length === 0 && finished) return seen;
    if (page.events.length === 0) await sleep(5);
  }
}

describe('the feed cursor under concurrent writers', () => {
  test('an event whose transaction commits after a later one is not skipped by a reader that saw the later one', async () => {
    const party = randomUUID();
    // The slow writer takes its transaction id and sequence number first, then commits last.
    const slow = writeSlowly(api.db.prisma, party, 400, true);
    await sleep(100);
    const fast = await writeSlowly(api.db.prisma, party, 0, true);
    // Ordered by sequence alone, this read would return the fast event and move past the slow one for good.
    const during = await eventsOf(api.db.prisma, party, { after: null, types: null, limit: 10 });
    expect(during.events).toEqual([]);
    expect(during.next).toBeNull();
    const slowId = await slow;
    const after = await eventsOf(api.db.prisma, party, { after: during.next, types: null, limit: 10 });
    expect(after.events.map((event) => event.subjectId)).toEqual([slowId, fast]);
  });

  test('a polling reader sees every committed event exactly once and no rolled-back one, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ startDelayMs: fc.integer({ min: 0, max: 40 }), holdMs: fc.integer({ min: 0, max: 60 }), commit: fc.boolean() }), { minLength: 2, maxLength: 10 }),
        async (writers) => {
          const party = randomUUID();
          let committedIds: string[] | null = null;
          const written = Promise.all(
            writers.map(async (writer) => {
              await sleep(writer.startDelayMs);
              return writeSlowly(api.db.prisma, party, writer.holdMs, writer.commit);
            }),
          ).then((ids) => (committedIds = ids.filter((id): id is string => id !== null)));
          // The feed shows a transaction's events once every older transaction of the cluster has
          // ended (pg_snapshot_xmin): another test file's transaction may hold that back for a while.
          // So read on, concurrently with the writers, until every committed event has appeared (or
          // 30 s have passed), then once more: nothing may be missing, repeated or rolled back.
          const deadline = Date.now() + 30_000;
          const seen = await pollUntil(api.db.prisma, party, (sofar) => committedIds !== null && (committedIds.every((id) => sofar.includes(id)) || Date.now() > deadline));
          const committed = await written;
          expect(new Set(seen).size).toBe(seen.length);
          expect([...seen].sort()).toEqual([...committed].sort());
        },
      ),
      { numRuns: 15, seed: 20261203 },
    );
  }, 120_000);
});
