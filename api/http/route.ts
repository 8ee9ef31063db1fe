import { createHash } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { inTransaction, type Db } from '../../prisma/client';
import { clockOf, type AppDeps } from './deps';
import { authenticate, type Actor } from './auth';
import { HttpProblem, ProblemSchema, zodIssuesToFieldProblems } from './problem';
import { dispatchWritten, type OutboxDeps } from '../../workflows/outbox/dispatcher';
import { TransactionOutbox, type WorkflowOutbox } from '../../workflows/outbox/transaction-outbox';

type Schema = z.ZodType | undefined;
type Infer<S extends Schema> = S extends z.ZodType ? z.infer<S> : undefined;

export interface HandlerContext<P extends Schema, Q extends Schema, B extends Schema> {
  params: Infer<P>;
  query: Infer<Q>;
  body: Infer<B>;
  actor: Actor;
  /** For POST: the request's transaction (effects + idempotency record commit together). For GET: the client. */
  db: Db;
  deps: AppDeps;
  requestId: string;
  /** The request's instant (from `deps.clock`), the same for every rule the request applies. */
  now: Date;
  /**
   * For POST: the workflow starts and signals this change needs, written in the request's transaction
   * (workflows/outbox). Once it has committed they are dispatched before the answer is sent; whatever
   * fails then is retried by the outbox poller until done. Not available to GET.
   */
  outbox: WorkflowOutbox;
}

export interface RouteSpec<P extends Schema, Q extends Schema, B extends Schema, R extends z.ZodType> {
  method: 'get' | 'post';
  /** OpenAPI-style path, e.g. `/credit-lines/{lineId}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  success: { status: 200 | 201 | 202; description: string; schema: R };
  /** Statuses this route may answer besides success, 400, 401 and 500 (documented in OpenAPI). */
  problems?: number[];
  handler(ctx: HandlerContext<P, Q, B>): Promise<z.infer<R>>;
}

// Type-erased so that routes with different schemas fit in one list.
export type AnyRoute = RouteSpec<Schema, Schema, Schema, z.ZodType>;

export function defineRoute<P extends Schema, Q extends Schema, B extends Schema, R extends z.ZodType>(
  spec: RouteSpec<P, Q, B, R>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
const IdempotencyKey = z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'must be 1–255 visible ASCII characters');

function parsePart<S extends Schema>(location: string, schema: S, value: unknown): Infer<S> {
  if (!schema) return undefined as Infer<S>;
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const errors = zodIssuesToFieldProblems(location, result.error);
    throw new HttpProblem(400, 'validation_failed', 'Invalid request', `${errors.length} field(s) are invalid: ${errors.map((e) => `${e.path} ${e.reason}`).join('; ')}`, errors);
  }
  return result.data as Infer<S>;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function requestHash(req: Request): string {
  return createHash('sha256')
    .update(canonicalJson({ method: req.method, path: req.path, query: req.query, body: req.body ?? null }))
    .digest('hex');
}

interface IdempotencyRow {
  request_hash: string;
  response_status: number;
  response_body: unknown;
}

/**
 * POST with an Idempotency-Key: the key is claimed by inserting its row inside
 * the request's own transaction. A concurrent request with the same key blocks
 * on the primary key until the first commits, then replays its response — so
 * exactly one executes. A failed request rolls back its claim with its effects.
 */
function idempotencyKeyOf(req: Request): string {
  const keyResult = IdempotencyKey.safeParse(req.header(IDEMPOTENCY_KEY_HEADER));
  if (!keyResult.success) {
    const reason = req.header(IDEMPOTENCY_KEY_HEADER) === undefined ? 'is required on every POST so that a retry never acts twice' : keyResult.error.issues[0].message;
    throw new HttpProblem(400, 'idempotency_key_required', 'Idempotency-Key required', `header ${IDEMPOTENCY_KEY_HEADER} ${reason}`, [{ path: `header.${IDEMPOTENCY_KEY_HEADER}`, reason }]);
  }
  return keyResult.data;
}

async function executeIdempotent(
  req: Request,
  res: Response,
  key: string,
  spec: AnyRoute,
  deps: AppDeps,
  actor: Actor,
  parts: { params: unknown; query: unknown; body: unknown },
): Promise<void> {
  const hash = requestHash(req);
  const outcome = await inTransaction(deps.prisma, async (tx) => {
    const claimed = await tx.$executeRaw`
      INSERT INTO idempotency_record (organisation_id, key, method, path, request_hash, response_status)
      VALUES (${actor.organisationId}::uuid, ${key}, ${req.method}, ${req.path}, ${hash}, 0)
      ON CONFLICT DO NOTHING`;
    if (claimed === 0) {
      const [existing] = await tx.$queryRaw<IdempotencyRow[]>`
        SELECT request_hash, response_status, response_body FROM idempotency_record
        WHERE organisation_id = ${actor.organisationId}::uuid AND key = ${key}`;
      return { replayed: true as const, existing };
    }
    const now = clockOf(deps)();
    const outbox = new TransactionOutbox(tx, { requestId: actor.requestId, taskQueue: deps.temporal.taskQueue, now });
    const result = await spec.handler({
      ...(parts as { params: undefined; query: undefined; body: undefined }),
      actor,
      db: tx,
      deps,
      requestId: actor.requestId,
      now,
      outbox,
    });
    const body = spec.success.schema.parse(result);
    await tx.$executeRaw`
      UPDATE idempotency_record SET response_status = ${spec.success.status}, response_body = ${JSON.stringify(body)}::jsonb
      WHERE organisation_id = ${actor.organisationId}::uuid AND key = ${key}`;
    return { replayed: false as const, body, outboxIds: outbox.written };
  });
  if (outcome.replayed) {
    if (outcome.existing.request_hash !== hash) {
      throw new HttpProblem(422, 'idempotency_key_reused', 'Idempotency-Key reused', `Idempotency-Key "${key}" was already used for a different request; use a new key for a new request`);
    }
    res.status(outcome.existing.response_status).set('Idempotency-Replayed', 'true').json(outcome.existing.response_body);
    return;
  }
  // Before answering, so that the caller finds the workflow started; a failure here is the poller's to retry.
  await dispatchWritten(dispatchDepsOf(deps), outcome.outboxIds, { requestId: actor.requestId });
  res.status(spec.success.status).json(outcome.body);
}

function dispatchDepsOf(deps: AppDeps): OutboxDeps {
  return { prisma: deps.prisma, temporal: deps.temporal, logger: deps.logger, clock: deps.clock };
}

function toExpressPath(openApiPath: string): string {
  return openApiPath.replace(/\{(\w+)\}/g, ':$1');
}

export function mountRoute(router: Router, registry: OpenAPIRegistry, deps: AppDeps, spec: AnyRoute): void {
  registerOpenApi(registry, spec);
  router[spec.method](toExpressPath(spec.path), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = await authenticate(deps, req);
      res.locals.actor = actor;
      const idempotencyKey = spec.method === 'post' ? idempotencyKeyOf(req) : null;
      const parts = {
        params: parsePart('path', spec.params, req.params),
        query: parsePart('query', spec.query, req.query),
        body: parsePart('body', spec.body, req.body),
      };
      if (idempotencyKey !== null) {
        await executeIdempotent(req, res, idempotencyKey, spec, deps, actor, parts);
        return;
      }
      const result = await spec.handler({
        ...(parts as { params: undefined; query: undefined; body: undefined }),
        actor,
        db: deps.prisma,
        deps,
        requestId: actor.requestId,
        now: clockOf(deps)(),
        get outbox(): WorkflowOutbox {
          throw new Error('the workflow outbox is only available to POST handlers');
        },
      });
      res.status(spec.success.status).json(spec.success.schema.parse(result));
    } catch (error) {
      next(error);
    }
  });
}

const STANDARD_PROBLEMS: Record<number, string> = {
  400: 'Invalid request (problem+json lists each field and reason)',
  401: 'Missing, unknown or revoked API key',
  403: 'Authenticated, but not allowed to do this',
  404: 'Not found, or not visible to your organisation',
  409: 'Conflicts with the current state',
  422: 'Refused by a business rule, or Idempotency-Key reused for a different request',
  500: 'Unexpected error (logged with the request id)',
  503: 'A service this operation needs (Temporal) is unavailable',
};

function registerOpenApi(registry: OpenAPIRegistry, spec: AnyRoute): void {
  const problemStatuses = new Set([400, 401, 500, ...(spec.problems ?? [])]);
  if (spec.method === 'post') problemStatuses.add(422);
  const responses: Record<string, { description: string; content: Record<string, { schema: z.ZodType }> }> = {
    [spec.success.status]: { description: spec.success.description, content: { 'application/json': { schema: spec.success.schema } } },
  };
  for (const status of problemStatuses) {
    responses[status] = { description: STANDARD_PROBLEMS[status] ?? 'Problem', content: { 'application/problem+json': { schema: ProblemSchema } } };
  }
  registry.registerPath({
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    tags: [spec.tag],
    security: [{ apiKey: [] }],
    request: {
      params: spec.params as z.ZodObject | undefined,
      query: spec.query as z.ZodObject | undefined,
      headers: spec.method === 'post' ? z.object({ [IDEMPOTENCY_KEY_HEADER]: IdempotencyKey.meta({ description: 'Unique per intended operation; a retry with the same key and body replays the stored response' }) }) : undefined,
      body: spec.body ? { content: { 'application/json': { schema: spec.body } }, required: true } : undefined,
    },
    responses,
  });
}

