/**
 * Webhook endpoints (ADMIN manages them; any user of the organisation reads
 * them and their delivery log). docs/events.md describes delivery, signing,
 * retries and the secret.
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../../domain/events';
import { ForbiddenError, ValidationError } from '../../domain/errors';
import type { WebhookAttempt } from '../../prisma/generated/client';
import {
  createEndpoint,
  deliveriesOf,
  deliveryOf,
  disableEndpoint,
  enableEndpoint,
  endpointOf,
  endpointsOf,
  redeliver,
  type DeliveryView,
  type EndpointView,
} from '../../prisma/webhooks/store';
import { DEFAULT_WEBHOOK_TARGET_POLICY, targetRefusal } from '../../workflows/webhooks/target';
import type { Actor } from '../http/auth';
import { secretsOf } from '../http/deps';
import { defineRoute } from '../http/route';
import { decodeCursor, encodeCursor, orNull, pageOf, PageQuery, Timestamp, Uuid } from '../http/schemas';

const TAG = 'Webhooks';
const URL_LENGTH_MAX = 2_000;


const WebhookEndpointView = z
  .object({
    id: Uuid,
    url: z.string(),
    eventTypes: z.array(z.enum(EVENT_TYPES)),
    description: z.string().nullable(),
    status: z.enum(['ENABLED', 'DISABLED']),
    disabledReason: z.string().nullable(),
    disabledAt: orNull(Timestamp),
    failingSince: orNull(Timestamp).meta({ description: 'Start of the current run of failed attempts; null after a success' }),
    consecutiveFailures: z.number().int(),
    createdByUserId: Uuid,
    createdAt: Timestamp,
  })
  .meta({ id: 'WebhookEndpoint' });

const WebhookEndpointCreated = WebhookEndpointView.extend({
  signingSecret: z.string().meta({ description: 'Standard Webhooks secret (whsec_…) to verify signatures. Shown once, in this answer only: keep it now' }),
}).meta({ id: 'WebhookEndpointCreated' });

const WebhookDeliveryView = z
  .object({
    id: Uuid,
    endpointId: Uuid,
    eventId: Uuid,
    eventType: z.string(),
    status: z.enum(['PENDING', 'DELIVERED', 'FAILED']),
    attempts: z.number().int(),
    failedAttempts: z.number().int().meta({ description: 'Failed attempts in the current retry window' }),
    retryWindowStartedAt: Timestamp,
    nextAttemptAt: orNull(Timestamp),
    createdAt: Timestamp,
    deliveredAt: orNull(Timestamp),
  })
  .meta({ id: 'WebhookDelivery' });

const WebhookAttemptView = z
  .object({
    attemptNumber: z.number().int(),
    manual: z.boolean().meta({ description: 'Asked for by hand (redeliver)' }),
    attemptedAt: Timestamp,
    statusCode: z.number().int().nullable().meta({ description: 'The receiver’s HTTP status; null when no answer came' }),
    latencyMs: z.number().int(),
    error: z.string().nullable(),
    succeeded: z.boolean(),
  })
  .meta({ id: 'WebhookAttempt' });

const WebhookDeliveryDetail = WebhookDeliveryView.extend({ attemptLog: z.array(WebhookAttemptView) }).meta({ id: 'WebhookDeliveryDetail' });

const iso = (value: Date | null) => value?.toISOString() ?? null;

function endpointView(endpoint: EndpointView): z.infer<typeof WebhookEndpointView> {
  return {
    id: endpoint.id,
    url: endpoint.url,
    eventTypes: endpoint.eventTypes as z.infer<typeof WebhookEndpointView>['eventTypes'],
    description: endpoint.description,
    status: endpoint.status,
    disabledReason: endpoint.disabledReason,
    disabledAt: iso(endpoint.disabledAt),
    failingSince: iso(endpoint.failingSince),
    consecutiveFailures: endpoint.consecutiveFailures,
    createdByUserId: endpoint.createdByUserId,
    createdAt: endpoint.createdAt.toISOString(),
  };
}

function deliveryView(delivery: DeliveryView): z.infer<typeof WebhookDeliveryView> {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    failedAttempts: delivery.failedAttempts,
    retryWindowStartedAt: delivery.retryWindowStartedAt.toISOString(),
    nextAttemptAt: iso(delivery.nextAttemptAt),
    createdAt: delivery.createdAt.toISOString(),
    deliveredAt: iso(delivery.deliveredAt),
  };
}

function attemptView(attempt: WebhookAttempt): z.infer<typeof WebhookAttemptView> {
  return {
    attemptNumber: attempt.attemptNumber,
    manual: attempt.manual,
    attemptedAt: attempt.attemptedAt.toISOString(),
    statusCode: attempt.statusCode,
    latencyMs: attempt.latencyMs,
    error: attempt.error,
    succeeded: attempt.succeeded,
  };
}

function requireAdmin(actor: Actor, what: string): void {
  if (actor.role !== 'ADMIN') throw new ForbiddenError(`${what} needs role ADMIN; you are ${actor.role}`);
}

function afterIdOf(cursor: string | undefined): string | null {
  const position = decodeCursor(cursor, ['id']);
  if (position && !Uuid.safeParse(position.id).success) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
  return position?.id ?? null;
}

function nextCursorOf(items: { id: string }[], limit: number): string | null {
  const last = items.at(-1);
  return items.length === limit && last ? encodeCursor({ id: last.id }) : null;
}

const EndpointParams = z.object({ endpointId: Uuid });
const DeliveryParams = z.object({ deliveryId: Uuid });

export const webhookRoutes = [
  defineRoute({
    method: 'post',
    path: '/webhook-endpoints',
    operationId: 'registerWebhookEndpoint',
    summary: 'Register a webhook endpoint (ADMIN); the signing secret is in this answer only',
    tag: TAG,
    problems: [403],
    body: z.object({
      url: z.string().min(1).max(URL_LENGTH_MAX).meta({ description: 'http(s) URL that receives POSTs; private, loopback and link-local targets are refused' }),
      eventTypes: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length),
      description: z.string().min(1).max(500).optional(),
    }),
    success: { status: 201, description: 'The endpoint, with its signing secret (shown once)', schema: WebhookEndpointCreated },
    handler: async ({ db, actor, deps, body }) => {
      requireAdmin(actor, 'registering a webhook endpoint');
      const refusal = await targetRefusal(body.url, deps.webhookTargets ?? DEFAULT_WEBHOOK_TARGET_POLICY);
      if (refusal) throw new ValidationError('body.url', refusal);
      const { endpoint, signingSecret } = await createEndpoint(db, actor, { url: body.url, eventTypes: body.eventTypes, description: body.description ?? null }, secretsOf(deps));
      return { ...endpointView(endpoint), signingSecret };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/webhook-endpoints',
    operationId: 'listWebhookEndpoints',
    summary: "Your organisation's webhook endpoints",
    tag: TAG,
    query: PageQuery,
    success: { status: 200, description: 'A page of endpoints (never their secrets)', schema: pageOf(WebhookEndpointView) },
    handler: async ({ db, actor, query }) => {
      const items = await endpointsOf(db, actor.organisationId, { afterId: afterIdOf(query.cursor), limit: query.limit });
      return { items: items.map(endpointView), nextCursor: nextCursorOf(items, query.limit) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/webhook-endpoints/{endpointId}',
    operationId: 'getWebhookEndpoint',
    summary: 'One of your webhook endpoints',
    tag: TAG,
    problems: [404],
    params: EndpointParams,
    success: { status: 200, description: 'The endpoint', schema: WebhookEndpointView },
    handler: async ({ db, actor, params }) => endpointView(await endpointOf(db, actor.organisationId, params.endpointId)),
  }),
  defineRoute({
    method: 'post',
    path: '/webhook-endpoints/{endpointId}/disable',
    operationId: 'disableWebhookEndpoint',
    summary: 'Stop deliveries to an endpoint (ADMIN)',
    tag: TAG,
    problems: [403, 404],
    params: EndpointParams,
    success: { status: 200, description: 'The endpoint, disabled', schema: WebhookEndpointView },
    handler: async ({ db, actor, params, now }) => {
      requireAdmin(actor, 'disabling a webhook endpoint');
      return endpointView(await disableEndpoint(db, actor, params.endpointId, now));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/webhook-endpoints/{endpointId}/enable',
    operationId: 'enableWebhookEndpoint',
    summary: 'Resume deliveries to a disabled endpoint (ADMIN); it receives events committed from now on',
    tag: TAG,
    problems: [403, 404],
    params: EndpointParams,
    success: { status: 200, description: 'The endpoint, enabled', schema: WebhookEndpointView },
    handler: async ({ db, actor, deps, params }) => {
      requireAdmin(actor, 'enabling a webhook endpoint');
      const endpoint = await endpointOf(db, actor.organisationId, params.endpointId);
      const refusal = await targetRefusal(endpoint.url, deps.webhookTargets ?? DEFAULT_WEBHOOK_TARGET_POLICY);
      if (refusal) throw new ValidationError('path.endpointId', `the endpoint's URL ${refusal}; register a new endpoint`);
      return endpointView(await enableEndpoint(db, actor, params.endpointId));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/webhook-endpoints/{endpointId}/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: "An endpoint's deliveries, oldest first",
    tag: TAG,
    problems: [404],
    params: EndpointParams,
    query: PageQuery.extend({ status: z.enum(['PENDING', 'DELIVERED', 'FAILED']).optional() }),
    success: { status: 200, description: 'A page of deliveries', schema: pageOf(WebhookDeliveryView) },
    handler: async ({ db, actor, params, query }) => {
      const items = await deliveriesOf(db, actor.organisationId, params.endpointId, { afterId: afterIdOf(query.cursor), status: query.status ?? null, limit: query.limit });
      return { items: items.map(deliveryView), nextCursor: nextCursorOf(items, query.limit) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/webhook-deliveries/{deliveryId}',
    operationId: 'getWebhookDelivery',
    summary: 'One delivery with its log of attempts (status code, latency, error)',
    tag: TAG,
    problems: [404],
    params: DeliveryParams,
    success: { status: 200, description: 'The delivery and its attempts', schema: WebhookDeliveryDetail },
    handler: async ({ db, actor, params }) => {
      const { delivery, attempts } = await deliveryOf(db, actor.organisationId, params.deliveryId);
      return { ...deliveryView(delivery), attemptLog: attempts.map(attemptView) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/webhook-deliveries/{deliveryId}/redeliver',
    operationId: 'redeliverWebhook',
    summary: 'Send a delivery again now, with a new retry window (ADMIN)',
    tag: TAG,
    problems: [403, 404],
    params: DeliveryParams,
    success: { status: 202, description: 'The delivery, due now', schema: WebhookDeliveryView },
    handler: async ({ db, actor, params, now }) => {
      requireAdmin(actor, 'redelivering a webhook');
      return deliveryView(await redeliver(db, actor, params.deliveryId, now));
    },
  }),
];
