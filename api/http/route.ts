import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { inTransaction, type Db } from '../../prisma/client';
import { ValidationError } from '../../domain/errors';
import { clockOf, type AppDeps } from './deps';
import { authenticate, refuseViewerChange, type Actor } from './auth';
import { HttpProblem, ProblemSchema, zodIssuesToFieldProblems } from './problem';
import { isRetryableConflict } from './database-errors';
import { IDEMPOTENCY_RETENTION_HOURS, normalisedPath, redactSecrets, requestHash } from './idempotency';
import { inputProblem } from './input-limits';
import { JSON_FORMAT, negotiateFormat, RenderedBody, type OtherFormat } from './negotiation';
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
  /** The representation asked for: `json`, or one of the route's `formats` (GET only). */
  format: string;
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
  /**
   * GET only: representations besides JSON, chosen by `?format=` or `Accept` (406 when neither is
   * offered). For one of them the handler answers a RenderedBody.
   */
  formats?: OtherFormat[];
  handler(ctx: HandlerContext<P, Q, B>): Promise<z.infer<R> | RenderedBody>;
}

// Type-erased so that routes with different schemas fit in one list.
export type AnyRoute = RouteSpec<Schema, Schema, Schema, z.ZodType>;

export function defineRoute<P extends Schema, Q extends Schema, B extends Schema, R extends z.ZodType>(
  spec: RouteSpec<P, Q, B, R>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
const IDEMPOTENCY_DESCRIPTION =
  'Unique per intended operation and per user. A retry by the same user with the same key and request replays the stored response ' +
  `(header Idempotency-Replayed: true) for ${IDEMPOTENCY_RETENTION_HOURS} hours. Credentials in a response (API keys, tokens, secrets) are never stored: ` +
  'a replay omits them and names them in the Idempotency-Redacted header. Another user sending the same key gets 409.';
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

/**
 * Refuses, before any other processing, input that no handler should walk:
 * too deep, too long, too many items, NUL or lone surrogates in text.
 */
function checkInputLimits(req: Request): void {
  for (const [location, value] of [['path', req.params], ['query', req.query], ['body', req.body]] as const) {
    const problem = inputProblem(location, value);
    if (problem) throw new HttpProblem(400, 'validation_failed', 'Invalid request', `${problem.path} ${problem.reason}`, [problem]);
  }
}

/** A POST body must be JSON (UTF-8); anything else is refused as 415 rather than read as an empty body. */
function checkMediaType(req: Request): void {
  const hasBody = Number(req.header('content-length') ?? 0) > 0 || req.header('transfer-encoding') !== undefined;
  if (!hasBody || req.is(['application/json', 'application/*+json'])) return;
  const given = req.header('content-type');
  const reason = `is ${given === undefined ? 'missing' : `"${given}"`}; send the body as application/json (UTF-8)`;
  throw new HttpProblem(415, 'unsupported_media_type', 'Unsupported media type', `header Content-Type ${reason}`, [{ path: 'header.Content-Type', reason }]);
}

/**
 * How many times one POST's transaction (idempotency record included) is run
 * when PostgreSQL aborts it for a serialization failure (40001) or a deadlock
 * (40P01). After the last attempt the client gets 503 with Retry-After.
 */
export const TRANSACTION_ATTEMPTS_MAX = 4;
const RETRY_BACKOFF_BASE_MS = 20;
const RETRY_AFTER_SECONDS = 1;

function backoff(attempt: number): Promise<void> {
  // Full jitter: two requests that deadlocked together do not retry in step.
  const delayMs = Math.random() * RETRY_BACKOFF_BASE_MS * 2 ** (attempt - 1);
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}

interface IdempotencyRow {
  user_id: string | null;
  request_hash: string;
  response_status: number;
  response_body: unknown;
  redacted_fields: string[];
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
  const hash = requestHash({ method: req.method, path: req.path, query: req.query, body: req.body });
  const path = normalisedPath(req.path);
  const attempt = () =>
    inTransaction(deps.prisma, async (tx) => {
      // Claims the key; a record older than the retention is taken over (a key that old is a new key,
      // whether or not the clean-up has run yet). A live record leaves `claimed` at 0.
      const claimed = await tx.$executeRaw`
        INSERT INTO idempotency_record (organisation_id, user_id, key, method, path, request_hash, response_status)
        VALUES (${actor.organisationId}::uuid, ${actor.userId}::uuid, ${key}, ${req.method}, ${path}, ${hash}, 0)
        ON CONFLICT (organisation_id, key) DO UPDATE
          SET user_id = EXCLUDED.user_id, method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,
              response_status = 0, response_body = NULL, redacted_fields = '{}', created_at = now()
          WHERE idempotency_record.created_at < now() - make_interval(hours => ${IDEMPOTENCY_RETENTION_HOURS}::int)`;
      if (claimed === 0) {
        const [existing] = await tx.$queryRaw<IdempotencyRow[]>`
          SELECT user_id::text AS user_id, request_hash, response_status, response_body, COALESCE(redacted_fields, '{}') AS redacted_fields FROM idempotency_record
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
        format: JSON_FORMAT,
      });
      const body = spec.success.schema.parse(result);
      const stored = redactSecrets(body);
      await tx.$executeRaw`
        UPDATE idempotency_record SET response_status = ${spec.success.status}, response_body = ${JSON.stringify(stored.redacted)}::jsonb,
          redacted_fields = ${stored.removed}::text[]
        WHERE organisation_id = ${actor.organisationId}::uuid AND key = ${key}`;
      return { replayed: false as const, body, outboxIds: outbox.written };
    });
  const outcome = await withConflictRetries(attempt);
  if (outcome.replayed) {
    replay(res, key, hash, actor, outcome.existing);
    return;
  }
  // Before answering, so that the caller finds the workflow started; a failure here is the poller's to retry.
  await dispatchWritten(dispatchDepsOf(deps), outcome.outboxIds, { requestId: actor.requestId });
  res.status(spec.success.status).json(outcome.body);
}

function dispatchDepsOf(deps: AppDeps): OutboxDeps {
  return { prisma: deps.prisma, temporal: deps.temporal, logger: deps.logger, clock: deps.clock };
}

/** Runs `transaction` again while PostgreSQL aborts it for a concurrent one, at most TRANSACTION_ATTEMPTS_MAX times. */
async function withConflictRetries<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transaction();
    } catch (error) {
      if (!isRetryableConflict(error)) throw error;
      if (attempt >= TRANSACTION_ATTEMPTS_MAX) {
        throw new HttpProblem(
          503,
          'concurrent_update',
          'Busy: concurrent updates',
          `the request conflicted with concurrent ones ${TRANSACTION_ATTEMPTS_MAX} times and nothing was changed; retry it with the same Idempotency-Key`,
          undefined,
          { 'Retry-After': String(RETRY_AFTER_SECONDS) },
        );
      }
      await backoff(attempt);
    }
  }
}

/** Answers a retry from its record: only to the user who made the request, only for the same request. */
function replay(res: Response, key: string, hash: string, actor: Actor, existing: IdempotencyRow): void {
  if (existing.user_id !== actor.userId) {
    // Keys are the caller's own: another user's record is neither replayed nor shown to exist in detail.
    throw new HttpProblem(409, 'idempotency_key_in_use', 'Idempotency-Key in use', `Idempotency-Key "${key}" belongs to another request of your organisation; use a new key for a new request`, [
      { path: `header.${IDEMPOTENCY_KEY_HEADER}`, reason: 'is in use by another request; use a new key' },
    ]);
  }
  if (existing.request_hash !== hash) {
    throw new HttpProblem(422, 'idempotency_key_reused', 'Idempotency-Key reused', `Idempotency-Key "${key}" was already used for a different request; use a new key for a new request`);
  }
  res.status(existing.response_status).set('Idempotency-Replayed', 'true');
  if (existing.redacted_fields.length > 0) res.set('Idempotency-Redacted', existing.redacted_fields.join(', '));
  res.json(existing.response_body);
}

const LOCATION_PREFIX = /^(body|query|path|header)(\.|\[|$)/;

/**
 * A ValidationError raised below the edge may name a field by its bare name
 * (`from`, `asOf`); errors always name fields as the client sent them, so the
 * name is prefixed with the part of the request that holds it.
 */
function asClientField(error: unknown, req: Request): unknown {
  if (!(error instanceof ValidationError) || LOCATION_PREFIX.test(error.field)) return error;
  const name = error.field.split(/[.[]/)[0];
  const holds = (part: unknown) => part !== null && typeof part === 'object' && Object.hasOwn(part, name);
  const location = holds(req.body) ? 'body' : holds(req.query) ? 'query' : holds(req.params) ? 'path' : null;
  return location ? new ValidationError(`${location}.${error.field}`, error.reason) : error;
}

function toExpressPath(openApiPath: string): string {
  return openApiPath.replace(/\{(\w+)\}/g, ':$1');
}

/** Mounts `spec` on `router`; its OpenAPI description is registered apart (registerOpenApi, api/openapi.ts). */
export function mountRoute(router: Router, deps: AppDeps, spec: AnyRoute): void {
  router[spec.method](toExpressPath(spec.path), async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (spec.method === 'post') checkMediaType(req);
      checkInputLimits(req);
      const actor = await authenticate(deps, req);
      res.locals.actor = actor;
      refuseViewerChange(actor, spec.method);
      const idempotencyKey = spec.method === 'post' ? idempotencyKeyOf(req) : null;
      const format = spec.method === 'get' && spec.formats ? negotiateFormat(req, spec.formats) : JSON_FORMAT;
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
        format,
      });
      if (spec.formats) res.vary('Accept');
      if (result instanceof RenderedBody) {
        res.status(spec.success.status).attachment(result.fileName).type(result.mediaType).send(result.body);
        return;
      }
      res.status(spec.success.status).json(spec.success.schema.parse(result));
    } catch (error) {
      next(asClientField(error, req));
    }
  });
}

const STANDARD_PROBLEMS: Record<number, string> = {
  400: 'Invalid request (problem+json lists each field and reason)',
  401: 'Missing, unknown or revoked API key, or no live session',
  403: 'Authenticated, but not allowed to do this; or csrf_failed: a session-cookie write without its X-CSRF-Token, or from a foreign Origin',
  404: 'Not found, or not visible to your organisation',
  406: 'None of the representations asked for (Accept, or ?format=) is offered',
  409: 'Conflicts with the current state, or Idempotency-Key in use by another user',
  413: 'Request body larger than 1 MB',
  415: 'Body not JSON in UTF-8, or an unsupported Content-Encoding',
  422: 'Refused by a business rule, or Idempotency-Key reused for a different request',
  500: 'Unexpected error (logged with the request id)',
  503: 'Temporal unavailable, or the request kept conflicting with concurrent ones (Retry-After)',
};

export function registerOpenApi(registry: OpenAPIRegistry, spec: AnyRoute): void {
  const problemStatuses = new Set([400, 401, 500, ...(spec.problems ?? [])]);
  // Every POST: refused to a VIEWER (403, refuseViewerChange), idempotency conflicts, body limits, business rules, Temporal.
  if (spec.method === 'post') for (const status of [403, 409, 413, 415, 422, 503]) problemStatuses.add(status);
  if (spec.formats) problemStatuses.add(406);
  const successContent: Record<string, { schema: z.ZodType }> = { 'application/json': { schema: spec.success.schema } };
  for (const other of spec.formats ?? []) successContent[other.mediaType] = { schema: other.schema };
  const formatsDescription = (spec.formats ?? []).map((other) => ` ${other.mediaType} (?format=${other.format}): ${other.description}.`).join('');
  const responses: Record<string, { description: string; content: Record<string, { schema: z.ZodType }> }> = {
    [spec.success.status]: { description: spec.success.description + formatsDescription, content: successContent },
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
    security: [{ apiKey: [] }, { session: [] }],
    request: {
      params: spec.params as z.ZodObject | undefined,
      query: spec.query as z.ZodObject | undefined,
      headers: spec.method === 'post' ? z.object({ [IDEMPOTENCY_KEY_HEADER]: IdempotencyKey.meta({ description: IDEMPOTENCY_DESCRIPTION }) }) : undefined,
      body: spec.body ? { content: { 'application/json': { schema: spec.body } }, required: true } : undefined,
    },
    responses,
  });
}

