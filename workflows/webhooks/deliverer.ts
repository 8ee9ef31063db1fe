/**
 * Delivers webhooks: each pass turns new feed events into deliveries
 * (prisma/webhooks/store.ts fanOut), claims the due ones, POSTs each signed per
 * the Standard Webhooks specification (the `standardwebhooks` library:
 * headers webhook-id, webhook-timestamp, webhook-signature) and logs the
 * attempt with what follows from it (domain/webhooks.ts). Durable: everything
 * it needs is in the database, so a pass that dies loses nothing — a claimed
 * delivery whose lease runs out is claimed again. A receiver may therefore
 * see a message twice; `webhook-id` (the event's id) is the same each time.
 * Not workflow code: it talks to the network and the database.
 */
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { isDelivered } from '../../domain/webhooks';
import type { PrismaClient } from '../../prisma/client';
import type { SecretBox } from '../../prisma/secret-box';
import { claimDueDeliveries, fanOut, recordAttempt, type ClaimedDelivery } from '../../prisma/webhooks/store';
import { sendWebhook, type WebhookTargetPolicy } from './target';

/** Deliveries one pass sends at most, concurrently. */
export const WEBHOOK_BATCH_MAX = 20;
/** How long a claimed delivery stays with its deliverer beyond the send timeout. */
const LEASE_MARGIN_MS = 30_000;

export interface WebhookDelivererDeps {
  prisma: PrismaClient;
  logger: Logger;
  policy: WebhookTargetPolicy;
  /** Opens the endpoints' sealed signing secrets: the same key the API sealed them with. */
  secrets: SecretBox;
  /** The clock deliveries are scheduled by; default the real one. Signatures always carry the real time, which receivers check. */
  clock?: () => Date;
}

export interface DeliveryPassReport {
  created: number;
  attempted: number;
  delivered: number;
}

/** The body every endpoint receives: the event as GET /events shows it (without its feed cursor), and `timestamp` as Standard Webhooks suggests. */
export function webhookPayload(event: ClaimedDelivery['event']): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    version: event.version,
    timestamp: event.recordedAt.toISOString(),
    subject: { type: event.subjectType, id: event.subjectId },
    data: event.data,
    recordedAt: event.recordedAt.toISOString(),
  });
}

export async function deliverWebhooks(deps: WebhookDelivererDeps, options: { batchSize?: number } = {}): Promise<DeliveryPassReport> {
  const clock = deps.clock ?? (() => new Date());
  const created = await fanOut(deps.prisma, clock());
  const now = clock();
  const claimed = await claimDueDeliveries(deps.prisma, {
    now,
    leaseUntil: new Date(now.getTime() + deps.policy.deliveryTimeoutMs + LEASE_MARGIN_MS),
    limit: Math.min(WEBHOOK_BATCH_MAX, Math.max(1, options.batchSize ?? WEBHOOK_BATCH_MAX)),
  }, deps.secrets);
  const outcomes = await Promise.all(
    claimed.map(async (delivery) => {
      const payload = webhookPayload(delivery.event);
      const signedAt = new Date();
      const attemptedAt = clock();
      const secret = delivery.signingSecret;
      // Unsigned, nothing is sent: the attempt fails with the reason (retried, so a restart with the right key recovers).
      const sent = !secret.ok
        ? { statusCode: null, latencyMs: 0, error: `not sent: ${secret.error}` }
        : await sendWebhook(
            delivery.url,
            payload,
            {
              'webhook-id': delivery.event.id,
              'webhook-timestamp': Math.floor(signedAt.getTime() / 1000).toString(),
              'webhook-signature': new Webhook(secret.secret).sign(delivery.event.id, signedAt, payload),
            },
            deps.policy,
          );
      const succeeded = sent.statusCode !== null && isDelivered(sent.statusCode);
      const error = succeeded ? null : (sent.error ?? `answered ${sent.statusCode}`);
      try {
        await recordAttempt(deps.prisma, delivery, { attemptedAt, statusCode: sent.statusCode, latencyMs: sent.latencyMs, error, succeeded }, clock());
      } catch (recordError) {
        // The lease runs out and the delivery is attempted again: a duplicate, never a loss.
        deps.logger.error({ err: recordError, deliveryId: delivery.id }, 'webhooks: could not record an attempt');
      }
      if (!succeeded) deps.logger.warn({ deliveryId: delivery.id, endpointId: delivery.endpointId, statusCode: sent.statusCode, error }, 'webhooks: delivery attempt failed');
      return succeeded;
    }),
  );
  return { created, attempted: claimed.length, delivered: outcomes.filter(Boolean).length };
}

export const WEBHOOK_POLL_INTERVAL_MS = 2_000;

export interface WebhookPoller {
  stop(): Promise<void>;
}

/** Runs a pass every interval (at once again after a full batch) until stopped; any number of processes may run one. */
export function startWebhookPoller(deps: WebhookDelivererDeps, options: { intervalMs?: number } = {}): WebhookPoller {
  const intervalMs = options.intervalMs ?? WEBHOOK_POLL_INTERVAL_MS;
  let stopped = false;
  let wake: (() => void) | null = null;
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      timer.unref();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const done = (async () => {
    while (!stopped) {
      let fullBatch = false;
      try {
        const report = await deliverWebhooks(deps);
        fullBatch = report.attempted === WEBHOOK_BATCH_MAX;
      } catch (error) {
        deps.logger.error({ err: error }, 'webhooks: delivery pass failed; trying again after the interval');
      }
      if (!fullBatch && !stopped) await pause();
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await done;
    },
  };
}
