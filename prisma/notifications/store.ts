/**
 * Notifications: how the platform tells an organisation that something
 * happened to one of its subjects without a user having asked (a draw expired,
 * was rejected, refused or disbursed). Written by the process that made the
 * change, in its transaction, once per `dedupeKey` whatever is retried.
 */
import { ConflictError, NotFoundError } from '../../domain/errors';
import type { Db } from '../client';
import type { Notification } from '../generated/client';
import type { AuditActor } from '../audit/store';
import { recordAudit } from '../audit/store';

export const NOTIFICATIONS_PAGE_MAX = 200;

export interface NewNotification {
  organisationId: string;
  kind: string;
  message: string;
  subjectType: string;
  subjectId: string;
  /** Derived from the workflow and the step that tells, so a retried step tells once. */
  dedupeKey: string;
}

export async function notify(db: Db, notification: NewNotification): Promise<void> {
  await db.notification.upsert({ where: { dedupeKey: notification.dedupeKey }, create: notification, update: {} });
}

/** The organisation's notifications, newest first; unacknowledged only when asked. */
export async function notificationsOf(
  db: Db,
  organisationId: string,
  filter: {
    unacknowledgedOnly: boolean;
    kind?: string;
    subjectType?: string;
    subjectId?: string;
    created?: { gte?: Date; lt?: Date };
    afterId: string | null;
    limit: number;
  },
): Promise<Notification[]> {
  return db.notification.findMany({
    where: {
      organisationId,
      ...(filter.unacknowledgedOnly ? { acknowledgedAt: null } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.subjectType ? { subjectType: filter.subjectType } : {}),
      ...(filter.subjectId ? { subjectId: filter.subjectId } : {}),
      ...(filter.created ? { createdAt: filter.created } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(filter.limit, NOTIFICATIONS_PAGE_MAX),
    ...(filter.afterId ? { cursor: { id: filter.afterId }, skip: 1 } : {}),
  });
}

/** Marks one of the organisation's own notifications as read; another organisation's does not exist for the caller. */
export async function acknowledgeNotification(db: Db, actor: AuditActor, notificationId: string, now: Date): Promise<Notification> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM notification WHERE id = ${notificationId}::uuid AND organisation_id = ${actor.organisationId}::uuid FOR UPDATE`;
  if (rows.length === 0) throw new NotFoundError('notification', notificationId);
  const notification = await db.notification.findUniqueOrThrow({ where: { id: notificationId } });
  if (notification.acknowledgedAt !== null) {
    throw new ConflictError(`notification ${notificationId} was already acknowledged at ${notification.acknowledgedAt.toISOString()}`);
  }
  const acknowledged = await db.notification.update({ where: { id: notificationId }, data: { acknowledgedAt: now, acknowledgedByUserId: actor.userId } });
  await recordAudit(db, actor, { action: 'notification.acknowledged', targetType: 'notification', targetId: notificationId });
  return acknowledged;
}
