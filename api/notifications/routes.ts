import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import type { Notification } from '../../prisma/generated/client';
import { acknowledgeNotification, notificationsOf } from '../../prisma/notifications/store';
import { defineRoute } from '../http/route';
import { decodeCursor, encodeCursor, listQuery, orNull, pageOf, periodWhere, Timestamp, Uuid } from '../http/schemas';

const TAG = 'Notifications';

const NotificationView = z
  .object({
    id: Uuid,
    kind: z.string(),
    message: z.string(),
    subjectType: z.string(),
    subjectId: Uuid,
    createdAt: Timestamp,
    acknowledgedAt: orNull(Timestamp),
    acknowledgedByUserId: Uuid.nullable(),
  })
  .meta({ id: 'Notification', description: 'Something that happened to one of your organisation’s subjects (e.g. a draw expired)' });

function notificationView(notification: Notification): z.infer<typeof NotificationView> {
  return {
    id: notification.id,
    kind: notification.kind,
    message: notification.message,
    subjectType: notification.subjectType,
    subjectId: notification.subjectId,
    createdAt: notification.createdAt.toISOString(),
    acknowledgedAt: notification.acknowledgedAt?.toISOString() ?? null,
    acknowledgedByUserId: notification.acknowledgedByUserId,
  };
}

export const notificationRoutes = [
  defineRoute({
    method: 'get',
    path: '/notifications',
    operationId: 'listNotifications',
    summary: "Your organisation's notifications, newest first; from/to filter on when each was created",
    tag: TAG,
    query: listQuery({
      unacknowledged: z.enum(['true', 'false']).default('false'),
      kind: z.string().min(1).max(100).optional(),
      subjectType: z.string().min(1).max(100).optional().meta({ description: 'e.g. draw, sale, credit_line, lot' }),
      subjectId: Uuid.optional(),
    }),
    success: { status: 200, description: 'A page of notifications', schema: pageOf(NotificationView) },
    handler: async ({ db, actor, query }) => {
      const position = decodeCursor(query.cursor, ['notificationId']);
      if (position && !Uuid.safeParse(position.notificationId).success) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
      const items = await notificationsOf(db, actor.organisationId, {
        unacknowledgedOnly: query.unacknowledged === 'true',
        kind: query.kind,
        subjectType: query.subjectType,
        subjectId: query.subjectId,
        created: periodWhere(query),
        afterId: position?.notificationId ?? null,
        limit: query.limit,
      });
      const last = items.at(-1);
      return { items: items.map(notificationView), nextCursor: items.length === query.limit && last ? encodeCursor({ notificationId: last.id }) : null };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/notifications/{notificationId}/acknowledge',
    operationId: 'acknowledgeNotification',
    summary: "Mark one of your organisation's notifications as read",
    tag: TAG,
    problems: [404, 409],
    params: z.object({ notificationId: Uuid }),
    success: { status: 200, description: 'The notification, acknowledged', schema: NotificationView },
    handler: async ({ db, actor, params, now }) => notificationView(await acknowledgeNotification(db, actor, params.notificationId, now)),
  }),
];
