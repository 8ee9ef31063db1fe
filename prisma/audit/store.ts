import type { Db } from '../client';
import { Prisma } from '../client';

/** Who acted: the user, their organisation and the request that carried the change. */
export interface AuditActor {
  userId: string;
  organisationId: string;
  requestId: string | null;
}

export interface AuditChange {
  action: string;
  targetType: string;
  targetId: string;
  before?: Prisma.InputJsonValue;
  after?: Prisma.InputJsonValue;
}

/** Every mutation calls this inside its own transaction, so the audit trail and the change commit together. */
export async function recordAudit(db: Db, actor: AuditActor, change: AuditChange): Promise<void> {
  await db.auditRecord.create({
    data: {
      actorUserId: actor.userId,
      organisationId: actor.organisationId,
      action: change.action,
      targetType: change.targetType,
      targetId: change.targetId,
      before: change.before ?? Prisma.JsonNull,
      after: change.after ?? Prisma.JsonNull,
      requestId: actor.requestId,
    },
  });
}

export interface AuditFeedItem {
  seq: string;
  actorUserId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
  recordedAt: string;
}

/** The organisation's audit feed, newest first, after `beforeSeq` when paging. */
export async function auditFeed(
  db: Db,
  organisationId: string,
  page: { beforeSeq: bigint | null; limit: number; action?: string; targetType?: string; targetId?: string; recorded?: { gte?: Date; lt?: Date } },
): Promise<AuditFeedItem[]> {
  const rows = await db.auditRecord.findMany({
    where: {
      organisationId,
      ...(page.beforeSeq !== null ? { seq: { lt: page.beforeSeq } } : {}),
      ...(page.action ? { action: page.action } : {}),
      ...(page.targetType ? { targetType: page.targetType } : {}),
      ...(page.targetId ? { targetId: page.targetId } : {}),
      ...(page.recorded ? { recordedAt: page.recorded } : {}),
    },
    orderBy: { seq: 'desc' },
    take: page.limit,
  });
  return rows.map((row) => ({
    seq: row.seq.toString(),
    actorUserId: row.actorUserId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    before: row.before,
    after: row.after,
    requestId: row.requestId,
    recordedAt: row.recordedAt.toISOString(),
  }));
}
