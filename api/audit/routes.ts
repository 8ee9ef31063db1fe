import { z } from 'zod';
import { auditFeed } from '../../prisma/audit/store';
import { requireAdmin } from '../http/auth';
import { ValidationError } from '../../domain/errors';
import { defineRoute } from '../http/route';
import { decodeCursor, encodeCursor, listQuery, pageOf, periodWhere, Timestamp, Uuid } from '../http/schemas';

const AuditItem = z
  .object({
    seq: z.string(),
    actorUserId: Uuid.nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    before: z.unknown(),
    after: z.unknown(),
    requestId: z.string().nullable(),
    recordedAt: Timestamp,
  })
  .meta({ id: 'AuditRecord' });

export const auditRoutes = [
  defineRoute({
    method: 'get',
    path: '/audit',
    operationId: 'auditFeed',
    summary: "Your organisation's audit feed, newest first (ADMIN); from/to filter on when each change was recorded",
    tag: 'Audit',
    problems: [403],
    query: listQuery({
      action: z.string().min(1).max(200).optional().meta({ description: 'e.g. sale.reported, custody.lot.received' }),
      targetType: z.string().min(1).max(100).optional(),
      targetId: z.string().min(1).max(200).optional(),
    }),
    success: { status: 200, description: 'Audit records', schema: pageOf(AuditItem) },
    handler: async ({ db, actor, query }) => {
      requireAdmin(actor, 'read the audit feed');
      const position = decodeCursor(query.cursor, ['seq']);
      if (position && !/^\d{1,19}$/.test(position.seq)) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
      const items = await auditFeed(db, actor.organisationId, {
        beforeSeq: position ? BigInt(position.seq) : null,
        limit: query.limit,
        action: query.action,
        targetType: query.targetType,
        targetId: query.targetId,
        recorded: periodWhere(query),
      });
      const last = items.at(-1);
      return { items, nextCursor: items.length === query.limit && last ? encodeCursor({ seq: last.seq }) : null };
    },
  }),
];
