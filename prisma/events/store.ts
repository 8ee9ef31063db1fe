/**
 * The domain event feed (docs/events.md). `recordEvent` is called by the one
 * store function that makes each change, inside its transaction, so an event
 * exists exactly when its change committed.
 *
 * Order and the cursor. Events are read in the order (tx_id, seq): tx_id is
 * the writing transaction's id (pg_current_xact_id()), seq the row's
 * sequence number. Neither alone is commit order: a transaction that took its
 * id (or its seq) earlier may commit later, and a reader ordered by seq alone
 * would step past its events before they are visible, never to see them. So a
 * read returns only events of transactions older than the oldest transaction
 * still running when the read's snapshot was taken (pg_snapshot_xmin): every
 * transaction below that horizon has committed or aborted, so no event can
 * ever appear before the last position returned. Events of transactions still
 * running wait for the next read. The horizon follows any running
 * transaction, so a long transaction delays the feed (never loses an event).
 */
import { InvariantViolation } from '../../domain/errors';
import { EVENT_CATALOGUE, type EventData, type EventType, type FeedPosition } from '../../domain/events';
import { Prisma, type Db } from '../client';

export const EVENTS_PAGE_MAX = 200;

export interface NewEvent<T extends EventType> {
  subjectId: string;
  data: EventData<T>;
  /** Every organisation the event concerns: each sees it in its feed and its webhooks receive it. */
  parties: readonly (string | null | undefined)[];
  requestId?: string | null;
}

/** Records one event and its parties in `db`'s transaction; the payload must parse as its type's shape. */
export async function recordEvent<T extends EventType>(db: Db, type: T, event: NewEvent<T>): Promise<void> {
  const entry = EVENT_CATALOGUE[type];
  const parsed = entry.data.safeParse(event.data);
  if (!parsed.success) throw new InvariantViolation(`event ${type} v${entry.version} does not have its catalogue shape: ${parsed.error.message}`);
  const parties = [...new Set(event.parties.filter((party): party is string => typeof party === 'string'))];
  if (parties.length === 0) throw new InvariantViolation(`event ${type} of ${entry.subject} ${event.subjectId} concerns no organisation`);
  await db.$executeRaw`
    WITH event AS (
      INSERT INTO domain_event (id, type, version, subject_type, subject_id, data, request_id)
      VALUES (gen_random_uuid(), ${type}, ${entry.version}, ${entry.subject}, ${event.subjectId}::uuid, ${JSON.stringify(parsed.data)}::jsonb, ${event.requestId ?? null})
      RETURNING seq, tx_id
    )
    INSERT INTO domain_event_party (event_seq, organisation_id, tx_id)
    SELECT event.seq, party.id, event.tx_id FROM event, unnest(${parties}::uuid[]) AS party(id)`;
}

/** The organisations party to anything about a lot: its warehouse's operator, its seller and the lender it is pledged to. */
export async function partiesOfLot(db: Db, lotId: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT w.organisation_id::text AS id FROM lot l JOIN warehouse w ON w.id = l.warehouse_id WHERE l.id = ${lotId}::uuid
    UNION SELECT l.seller_organisation_id::text FROM lot l WHERE l.id = ${lotId}::uuid
    UNION SELECT c.lender_organisation_id::text FROM lien n JOIN credit_line c ON c.id = n.credit_line_id WHERE n.lot_id = ${lotId}::uuid AND n.released_at IS NULL`;
  return rows.map((row) => row.id);
}

export interface FeedEvent {
  id: string;
  cursor: FeedPosition;
  type: string;
  version: number;
  subjectType: string;
  subjectId: string;
  data: unknown;
  recordedAt: Date;
}

interface FeedRow {
  id: string;
  seq: bigint;
  tx_id: bigint;
  type: string;
  version: number;
  subject_type: string;
  subject_id: string;
  data: unknown;
  recorded_at: Date;
}

/**
 * The organisation's events after `after` (from the start when null), in feed
 * order, of `types` only when given; at most `limit`. Also answers the
 * position a reader may continue from: the last event's, or — when nothing is
 * returned — `after` itself (the feed never moves past an event unseen).
 */
export async function eventsOf(
  db: Db,
  organisationId: string,
  page: { after: FeedPosition | null; types: readonly string[] | null; limit: number },
): Promise<{ events: FeedEvent[]; next: FeedPosition | null }> {
  const after = page.after ?? { txId: 0n, seq: 0n };
  const types = page.types === null ? Prisma.empty : Prisma.sql`AND e.type = ANY(${[...page.types]}::text[])`;
  const rows = await db.$queryRaw<FeedRow[]>`
    SELECT e.id::text AS id, e.seq, e.tx_id, e.type, e.version, e.subject_type, e.subject_id::text AS subject_id, e.data, e.recorded_at
    FROM domain_event_party p JOIN domain_event e ON e.seq = p.event_seq
    WHERE p.organisation_id = ${organisationId}::uuid
      AND (p.tx_id, p.event_seq) > (${after.txId}::bigint, ${after.seq}::bigint)
      AND p.tx_id < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint
      ${types}
    ORDER BY p.tx_id, p.event_seq
    LIMIT ${Math.min(page.limit, EVENTS_PAGE_MAX)}`;
  const events = rows.map((row) => ({
    id: row.id,
    cursor: { txId: row.tx_id, seq: row.seq },
    type: row.type,
    version: row.version,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    data: row.data,
    recordedAt: row.recorded_at,
  }));
  return { events, next: events.length > 0 ? events[events.length - 1].cursor : page.after };
}

/**
 * A position from which a new reader sees every event committed from now on
 * (and perhaps a few committed just before): the horizon of the current
 * snapshot, below which every transaction has finished.
 */
export async function feedHorizon(db: Db): Promise<FeedPosition> {
  const [row] = await db.$queryRaw<{ horizon: bigint }[]>`SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint AS horizon`;
  // Every event of a transaction below the horizon is at or before (horizon − 1, any seq).
  return { txId: row.horizon - 1n, seq: 9223372036854775807n };
}
