/**
 * Webhook endpoints, deliveries and the delivery log. An endpoint follows its
 * organisation's event feed with a cursor of its own (prisma/events/store.ts):
 * `fanOut` turns the events after that cursor, of the endpoint's types, into
 * deliveries and moves the cursor, in one transaction, so each event becomes
 * one delivery per endpoint whatever is retried. Deliveries are claimed with
 * FOR UPDATE SKIP LOCKED and a lease (as the workflow outbox does), so that
 * several deliverers never send one attempt twice at once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../../domain/errors';
import { afterFailedAttempt } from '../../domain/webhooks';
import { recordAudit, type AuditActor } from '../audit/store';
import { inTransaction, Prisma, type Db, type PrismaClient } from '../client';
import { eventsOf, feedHorizon } from '../events/store';
import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../generated/client';
import { notify } from '../notifications/store';
import type { SecretBox } from '../secret-box';

export const WEBHOOK_PAGE_MAX = 200;
/** Endpoints an organisation may register. */
export const WEBHOOK_ENDPOINTS_PER_ORGANISATION_MAX = 20;
/** Events one fan-out pass reads per endpoint. */
const FAN_OUT_EVENTS_MAX = 200;
/** Endpoints one fan-out pass serves. */
const FAN_OUT_ENDPOINTS_MAX = 100;
const ERROR_TEXT_MAX = 1_000;

export type EndpointView = Omit<WebhookEndpoint, 'signingSecretSealed' | 'cursorTxId' | 'cursorSeq'>;

function withoutSecret(endpoint: WebhookEndpoint): EndpointView {
  const { signingSecretSealed: _secret, cursorTxId: _tx, cursorSeq: _seq, ...view } = endpoint;
  return view;
}

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Registers an endpoint; answers it with its signing secret, which is never
 * shown again (it is stored sealed, bound to the endpoint's id). It receives
 * events committed from now on.
 */
export async function createEndpoint(
  db: Db,
  actor: AuditActor,
  input: { url: string; eventTypes: readonly string[]; description: string | null },
  secrets: SecretBox,
): Promise<{ endpoint: EndpointView; signingSecret: string }> {
  await db.$queryRaw`SELECT id FROM organisation WHERE id = ${actor.organisationId}::uuid FOR UPDATE`;
  const count = await db.webhookEndpoint.count({ where: { organisationId: actor.organisationId } });
  if (count >= WEBHOOK_ENDPOINTS_PER_ORGANISATION_MAX) {
    throw new ConflictError(`your organisation has ${count} webhook endpoints, the most allowed (${WEBHOOK_ENDPOINTS_PER_ORGANISATION_MAX}); disable or reuse one`);
  }
  const horizon = await feedHorizon(db);
  const signingSecret = newSigningSecret();
  const id = randomUUID();
  const endpoint = await db.webhookEndpoint.create({
    data: {
      id,
      organisationId: actor.organisationId,
      url: input.url,
      eventTypes: [...new Set(input.eventTypes)].sort(),
      description: input.description,
      signingSecretSealed: secrets.seal(signingSecret, id),
      cursorTxId: horizon.txId,
      cursorSeq: horizon.seq,
      createdByUserId: actor.userId,
    },
  });
  await recordAudit(db, actor, { action: 'webhook_endpoint.created', targetType: 'webhook_endpoint', targetId: endpoint.id, after: { url: endpoint.url, eventTypes: endpoint.eventTypes } });
  return { endpoint: withoutSecret(endpoint), signingSecret };
}

export async function endpointsOf(db: Db, organisationId: string, page: { afterId: string | null; limit: number }): Promise<EndpointView[]> {
  const rows = await db.webhookEndpoint.findMany({
    where: { organisationId, ...(page.afterId ? { id: { gt: page.afterId } } : {}) },
    orderBy: { id: 'asc' },
    take: Math.min(page.limit, WEBHOOK_PAGE_MAX),
  });
  return rows.map(withoutSecret);
}

export async function endpointOf(db: Db, organisationId: string, endpointId: string): Promise<EndpointView> {
  const endpoint = await db.webhookEndpoint.findFirst({ where: { id: endpointId, organisationId } });
  if (!endpoint) throw new NotFoundError('webhook endpoint', endpointId);
  return withoutSecret(endpoint);
}

async function lockEndpoint(db: Db, organisationId: string, endpointId: string): Promise<WebhookEndpoint> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM webhook_endpoint WHERE id = ${endpointId}::uuid AND organisation_id = ${organisationId}::uuid FOR UPDATE`;
  if (rows.length === 0) throw new NotFoundError('webhook endpoint', endpointId);
  return db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
}

/** An ADMIN stops deliveries to the endpoint; pending ones wait until it is enabled again. */
export async function disableEndpoint(db: Db, actor: AuditActor, endpointId: string, now: Date): Promise<EndpointView> {
  const endpoint = await lockEndpoint(db, actor.organisationId, endpointId);
  if (endpoint.status === 'DISABLED') throw new ConflictError(`webhook endpoint ${endpointId} is already disabled`);
  const updated = await db.webhookEndpoint.update({ where: { id: endpointId }, data: { status: 'DISABLED', disabledAt: now, disabledReason: 'disabled by an ADMIN' } });
  await recordAudit(db, actor, { action: 'webhook_endpoint.disabled', targetType: 'webhook_endpoint', targetId: endpointId });
  return withoutSecret(updated);
}

/**
 * Enables the endpoint again: pending deliveries resume, and it receives events
 * committed from now on (events of the time it was disabled are in GET /events).
 */
export async function enableEndpoint(db: Db, actor: AuditActor, endpointId: string): Promise<EndpointView> {
  const endpoint = await lockEndpoint(db, actor.organisationId, endpointId);
  if (endpoint.status === 'ENABLED') throw new ConflictError(`webhook endpoint ${endpointId} is already enabled`);
  const horizon = await feedHorizon(db);
  const updated = await db.webhookEndpoint.update({
    where: { id: endpointId },
    data: { status: 'ENABLED', disabledAt: null, disabledReason: null, failingSince: null, consecutiveFailures: 0, cursorTxId: horizon.txId, cursorSeq: horizon.seq },
  });
  await recordAudit(db, actor, { action: 'webhook_endpoint.enabled', targetType: 'webhook_endpoint', targetId: endpointId });
  return withoutSecret(updated);
}

// ─── Deliveries ─────────────────────────────────────────────────────────────

export interface DeliveryView extends WebhookDelivery {
  eventId: string;
  eventType: string;
}

export async function deliveriesOf(
  db: Db,
  organisationId: string,
  endpointId: string,
  page: { afterId: string | null; status: WebhookDelivery['status'] | null; limit: number },
): Promise<DeliveryView[]> {
  await endpointOf(db, organisationId, endpointId);
  const rows = await db.webhookDelivery.findMany({
    where: { endpointId, ...(page.status ? { status: page.status } : {}), ...(page.afterId ? { id: { gt: page.afterId } } : {}) },
    orderBy: { id: 'asc' },
    take: Math.min(page.limit, WEBHOOK_PAGE_MAX),
  });
  return withEvents(db, rows);
}

async function withEvents(db: Db, rows: WebhookDelivery[]): Promise<DeliveryView[]> {
  const events = await db.domainEvent.findMany({ where: { seq: { in: rows.map((row) => row.eventSeq) } }, select: { seq: true, id: true, type: true } });
  const bySeq = new Map(events.map((event) => [event.seq, event]));
  return rows.map((row) => ({ ...row, eventId: bySeq.get(row.eventSeq)!.id, eventType: bySeq.get(row.eventSeq)!.type }));
}

/** One delivery of the organisation's endpoints, with its log of attempts. */
export async function deliveryOf(db: Db, organisationId: string, deliveryId: string): Promise<{ delivery: DeliveryView; attempts: WebhookAttempt[] }> {
  const delivery = await db.webhookDelivery.findFirst({ where: { id: deliveryId, endpoint: { organisationId } } });
  if (!delivery) throw new NotFoundError('webhook delivery', deliveryId);
  const attempts = await db.webhookAttempt.findMany({ where: { deliveryId }, orderBy: { attemptNumber: 'asc' } });
  return { delivery: (await withEvents(db, [delivery]))[0], attempts };
}

/** Sends the delivery again as soon as the deliverer runs, with a new retry window. */
export async function redeliver(db: Db, actor: AuditActor, deliveryId: string, now: Date): Promise<DeliveryView> {
  const found = await db.webhookDelivery.findFirst({ where: { id: deliveryId, endpoint: { organisationId: actor.organisationId } }, select: { endpointId: true } });
  if (!found) throw new NotFoundError('webhook delivery', deliveryId);
  const endpoint = await lockEndpoint(db, actor.organisationId, found.endpointId);
  if (endpoint.status !== 'ENABLED') throw new ConflictError(`webhook endpoint ${endpoint.id} is disabled; enable it before redelivering`);
  await db.$queryRaw`SELECT id FROM webhook_delivery WHERE id = ${deliveryId}::uuid FOR UPDATE`;
  const updated = await db.webhookDelivery.update({
    where: { id: deliveryId },
    data: { status: 'PENDING', nextAttemptAt: now, retryWindowStartedAt: now, failedAttempts: 0, manualPending: true, deliveredAt: null, claimedUntil: null },
  });
  await recordAudit(db, actor, { action: 'webhook_delivery.redelivery_requested', targetType: 'webhook_delivery', targetId: deliveryId });
  return (await withEvents(db, [updated]))[0];
}

// ─── The deliverer's side ───────────────────────────────────────────────────

/**
 * Turns new feed events into deliveries for every enabled endpoint (a bounded
 * batch of endpoints, each in its own transaction); answers how many deliveries it created.
 */
export async function fanOut(prisma: PrismaClient, now: Date): Promise<number> {
  const endpoints = await prisma.webhookEndpoint.findMany({ where: { status: 'ENABLED' }, select: { id: true }, orderBy: { id: 'asc' }, take: FAN_OUT_ENDPOINTS_MAX });
  let created = 0;
  for (const { id } of endpoints) {
    created += await inTransaction(prisma, async (tx) => {
      const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM webhook_endpoint WHERE id = ${id}::uuid AND status = 'ENABLED' FOR UPDATE SKIP LOCKED`;
      if (!locked) return 0;
      const endpoint = await tx.webhookEndpoint.findUniqueOrThrow({ where: { id } });
      const { events, next } = await eventsOf(tx, endpoint.organisationId, { after: { txId: endpoint.cursorTxId, seq: endpoint.cursorSeq }, types: null, limit: FAN_OUT_EVENTS_MAX });
      if (events.length === 0 || next === null) return 0;
      const wanted = events.filter((event) => endpoint.eventTypes.includes(event.type));
      if (wanted.length > 0) {
        await tx.$executeRaw`
          INSERT INTO webhook_delivery (id, endpoint_id, event_seq, retry_window_started_at, next_attempt_at, created_at)
          SELECT gen_random_uuid(), ${id}::uuid, seq, ${now}, ${now}, ${now} FROM unnest(${wanted.map((event) => event.cursor.seq.toString())}::bigint[]) AS seq
          ON CONFLICT (endpoint_id, event_seq) DO NOTHING`;
      }
      await tx.webhookEndpoint.update({ where: { id }, data: { cursorTxId: next.txId, cursorSeq: next.seq } });
      return wanted.length;
    });
  }
  return created;
}

export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  url: string;
  /** The opened secret, or why it does not open (a service started with another key): then nothing is sent. */
  signingSecret: { ok: true; secret: string } | { ok: false; error: string };
  attemptNumber: number;
  manual: boolean;
  event: { id: string; type: string; version: number; subjectType: string; subjectId: string; data: unknown; recordedAt: Date };
}

function openSecret(secrets: SecretBox, sealed: string, endpointId: string): ClaimedDelivery['signingSecret'] {
  try {
    return { ok: true, secret: secrets.open(sealed, endpointId) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Claims up to `limit` due deliveries of enabled endpoints until `leaseUntil`. */
export async function claimDueDeliveries(db: Db, input: { now: Date; leaseUntil: Date; limit: number }, secrets: SecretBox): Promise<ClaimedDelivery[]> {
  const rows = await db.$queryRaw<
    {
      id: string;
      endpoint_id: string;
      url: string;
      signing_secret_sealed: string;
      attempts: number;
      manual_pending: boolean;
      event_id: string;
      type: string;
      version: number;
      subject_type: string;
      subject_id: string;
      data: unknown;
      recorded_at: Date;
    }[]
  >`
    WITH due AS (
      SELECT d.id FROM webhook_delivery d JOIN webhook_endpoint w ON w.id = d.endpoint_id
      WHERE d.status = 'PENDING' AND d.next_attempt_at <= ${input.now} AND w.status = 'ENABLED'
        AND (d.claimed_until IS NULL OR d.claimed_until <= ${input.now})
      ORDER BY d.next_attempt_at, d.id
      LIMIT ${input.limit}
      FOR UPDATE OF d SKIP LOCKED
    ), claimed AS (
      UPDATE webhook_delivery d SET claimed_until = ${input.leaseUntil}, attempts = d.attempts + 1
      FROM due WHERE d.id = due.id
      RETURNING d.id, d.endpoint_id, d.attempts, d.manual_pending, d.event_seq
    )
    SELECT c.id::text, c.endpoint_id::text, w.url, w.signing_secret_sealed, c.attempts, c.manual_pending,
           e.id::text AS event_id, e.type, e.version, e.subject_type, e.subject_id::text, e.data, e.recorded_at
    FROM claimed c JOIN webhook_endpoint w ON w.id = c.endpoint_id JOIN domain_event e ON e.seq = c.event_seq`;
  return rows.map((row) => ({
    id: row.id,
    endpointId: row.endpoint_id,
    url: row.url,
    signingSecret: openSecret(secrets, row.signing_secret_sealed, row.endpoint_id),
    attemptNumber: row.attempts,
    manual: row.manual_pending,
    event: { id: row.event_id, type: row.type, version: row.version, subjectType: row.subject_type, subjectId: row.subject_id, data: row.data, recordedAt: row.recorded_at },
  }));
}

export interface AttemptOutcome {
  attemptedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  succeeded: boolean;
}

/**
 * Logs one attempt and applies what follows (domain/webhooks.ts): delivered;
 * or retried later; or given up, and the endpoint disabled with a
 * notification to its organisation when it has failed for the whole window.
 */
export async function recordAttempt(prisma: PrismaClient, claimed: ClaimedDelivery, outcome: AttemptOutcome, now: Date): Promise<void> {
  await inTransaction(prisma, async (tx) => {
    await tx.$queryRaw`SELECT id FROM webhook_endpoint WHERE id = ${claimed.endpointId}::uuid FOR UPDATE`;
    await tx.$queryRaw`SELECT id FROM webhook_delivery WHERE id = ${claimed.id}::uuid FOR UPDATE`;
    const delivery = await tx.webhookDelivery.findUniqueOrThrow({ where: { id: claimed.id } });
    await tx.webhookAttempt.create({
      data: {
        deliveryId: claimed.id,
        attemptNumber: claimed.attemptNumber,
        manual: claimed.manual,
        attemptedAt: outcome.attemptedAt,
        statusCode: outcome.statusCode,
        latencyMs: outcome.latencyMs,
        error: outcome.error?.slice(0, ERROR_TEXT_MAX) ?? null,
        succeeded: outcome.succeeded,
      },
    });
    if (outcome.succeeded) {
      await tx.webhookDelivery.update({ where: { id: claimed.id }, data: { status: 'DELIVERED', deliveredAt: now, nextAttemptAt: null, claimedUntil: null, manualPending: false } });
      await tx.webhookEndpoint.update({ where: { id: claimed.endpointId }, data: { failingSince: null, consecutiveFailures: 0 } });
      return;
    }
    const before = await tx.webhookEndpoint.findUniqueOrThrow({ where: { id: claimed.endpointId } });
    const failingSince = before.failingSince ?? outcome.attemptedAt;
    const endpoint = await tx.webhookEndpoint.update({ where: { id: before.id }, data: { consecutiveFailures: { increment: 1 }, failingSince } });
    const failedAttempts = delivery.failedAttempts + 1;
    const next = afterFailedAttempt({ retryWindowStartedAt: delivery.retryWindowStartedAt, failedAttempts, now, endpointFailingSince: failingSince });
    if (next.kind === 'RETRY') {
      await tx.webhookDelivery.update({ where: { id: claimed.id }, data: { failedAttempts, nextAttemptAt: next.nextAttemptAt, claimedUntil: null, manualPending: false } });
      return;
    }
    await tx.webhookDelivery.update({ where: { id: claimed.id }, data: { failedAttempts, status: 'FAILED', nextAttemptAt: null, claimedUntil: null, manualPending: false } });
    if (next.disableEndpoint && endpoint.status === 'ENABLED') {
      const reason = `every attempt failed since ${failingSince.toISOString()} (${endpoint.consecutiveFailures} in a row; last: ${outcome.statusCode ?? outcome.error ?? 'no answer'})`;
      await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { status: 'DISABLED', disabledAt: now, disabledReason: reason } });
      await tx.auditRecord.create({
        data: { actorUserId: null, organisationId: endpoint.organisationId, action: 'webhook_endpoint.disabled', targetType: 'webhook_endpoint', targetId: endpoint.id, after: { reason }, before: Prisma.JsonNull, requestId: null },
      });
      await notify(tx, {
        organisationId: endpoint.organisationId,
        kind: 'webhook.endpoint_disabled',
        message: `Webhook endpoint ${endpoint.url} was disabled: ${reason}. Fix the receiver, then enable it (POST /webhook-endpoints/${endpoint.id}/enable) and redeliver what failed.`,
        subjectType: 'webhook_endpoint',
        subjectId: endpoint.id,
        dedupeKey: `webhook-endpoint:${endpoint.id}:disabled:${now.toISOString()}`,
      });
    }
  });
}

/**
 * Seals signing secrets stored in clear by a version before sealing existed
 * (the migration cannot: the key is not in the database). Run at start-up,
 * after migrations; a no-op once every row is sealed. Answers how many it sealed.
 */
export async function sealLegacySigningSecrets(prisma: PrismaClient, secrets: SecretBox): Promise<number> {
  const legacy = await prisma.$queryRaw<{ id: string; secret: string }[]>`
    SELECT id::text, signing_secret_sealed AS secret FROM webhook_endpoint WHERE signing_secret_sealed NOT LIKE 'gdsealed.v1.%'`;
  for (const row of legacy) {
    await prisma.$executeRaw`
      UPDATE webhook_endpoint SET signing_secret_sealed = ${secrets.seal(row.secret, row.id)}
      WHERE id = ${row.id}::uuid AND signing_secret_sealed = ${row.secret}`;
  }
  return legacy.length;
}
