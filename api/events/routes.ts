/**
 * GET /events: the organisation's feed of domain events (docs/events.md), in
 * feed order, from a cursor. Polling with the last `nextCursor` never skips an
 * event (prisma/events/store.ts explains why).
 */
import { z } from 'zod';
import { EVENT_CATALOGUE, EVENT_TYPES, isEventType, type FeedPosition } from '../../domain/events';
import { ValidationError } from '../../domain/errors';
import { eventsOf, EVENTS_PAGE_MAX, type FeedEvent } from '../../prisma/events/store';
import { defineRoute } from '../http/route';
import { Timestamp, Uuid } from '../http/schemas';

const TAG = 'Events';
const FEED_CURSOR = /^(\d{1,18})\.(\d{1,18})$/;

export function encodeFeedCursor(position: FeedPosition): string {
  return `${position.txId}.${position.seq}`;
}

const Subject = z.object({ type: z.string(), id: Uuid });

/** One event of each type, its payload in that type's catalogue shape. */
const eventShapes = EVENT_TYPES.map((type) =>
  z
    .object({
      id: Uuid,
      cursor: z.string().meta({ description: 'This event’s position: pass it as `after` to read on from here' }),
      type: z.literal(type),
      version: z.literal(EVENT_CATALOGUE[type].version),
      subject: Subject,
      data: EVENT_CATALOGUE[type].data,
      recordedAt: Timestamp,
    })
    .meta({ id: `Event_${type.replace('.', '_')}` }),
);
export const EventView = z.discriminatedUnion('type', eventShapes as unknown as [(typeof eventShapes)[number], ...(typeof eventShapes)[number][]]).meta({ id: 'Event' });

export function eventView(event: FeedEvent): z.infer<typeof EventView> {
  return {
    id: event.id,
    cursor: encodeFeedCursor(event.cursor),
    type: event.type,
    version: event.version,
    subject: { type: event.subjectType, id: event.subjectId },
    data: event.data,
    recordedAt: event.recordedAt.toISOString(),
  } as z.infer<typeof EventView>;
}

const FeedCursor = z.string().regex(FEED_CURSOR, 'must be a cursor from a previous answer (nextCursor or an event’s cursor)');

export const EventsQuery = z.object({
  cursor: FeedCursor.optional().meta({ description: 'Read events after this position (nextCursor or an event’s cursor); omit to read from the start' }),
  after: FeedCursor.optional().meta({ description: 'The same as cursor, by the name feed consumers expect; give one of the two' }),
  type: z
    .string()
    .max(2_000)
    .optional()
    .meta({ description: `Comma-separated event types to include (default all): ${EVENT_TYPES.join(', ')}` }),
  limit: z.coerce.number().int().min(1).max(EVENTS_PAGE_MAX).default(50),
});

export const eventRoutes = [
  defineRoute({
    method: 'get',
    path: '/events',
    operationId: 'listEvents',
    summary: 'Events your organisation is party to, oldest first, after a cursor; poll with nextCursor',
    tag: TAG,
    query: EventsQuery,
    success: {
      status: 200,
      description: 'A page of events. nextCursor is where to read on from (the same as the cursor given when nothing new has committed); null only when the feed has nothing for you yet and no cursor was given',
      schema: z.object({ items: z.array(EventView), nextCursor: z.string().nullable() }),
    },
    handler: async ({ db, actor, query }) => {
      if (query.cursor !== undefined && query.after !== undefined && query.cursor !== query.after) {
        throw new ValidationError('query.after', 'names another position than query.cursor; give one of the two');
      }
      const given = query.cursor ?? query.after;
      const match = given === undefined ? null : FEED_CURSOR.exec(given);
      const after = match ? { txId: BigInt(match[1]), seq: BigInt(match[2]) } : null;
      let types: string[] | null = null;
      if (query.type !== undefined) {
        types = [...new Set(query.type.split(',').map((part) => part.trim()))];
        const unknown = types.filter((type) => !isEventType(type));
        if (unknown.length > 0 || types.length === 0) {
          throw new ValidationError('query.type', `names unknown event types (${unknown.map((type) => JSON.stringify(type)).join(', ')}); known: ${EVENT_TYPES.join(', ')}`);
        }
      }
      const { events, next } = await eventsOf(db, actor.organisationId, { after, types, limit: query.limit });
      return { items: events.map(eventView), nextCursor: next === null ? null : encodeFeedCursor(next) };
    },
  }),
];
