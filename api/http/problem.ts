import type { Response } from 'express';
import { z } from 'zod';
import { BusinessRuleError, ConflictError, CurrencyMismatchError, DomainError, ValidationError } from '../../domain/errors';
import { isRetryableConflict, sqlStateOf, UNIQUE_VIOLATION } from './database-errors';
import { databaseUnavailableReason } from '../../prisma/availability';

/** Seconds a client is told to wait when the database is unavailable (the embedded server restarts within a few). */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/** One invalid field: its JSON path (e.g. `body.terms.limit`) and what was wrong with it. */
export interface FieldProblem {
  path: string;
  reason: string;
}

/** RFC 9457 problem details, with a stable `code` and, for validation, the field errors. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: FieldProblem[];
}

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), reason: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** An error raised at the HTTP edge itself (authentication, headers, routing). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
    readonly errors?: FieldProblem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

// The one table that maps domain error codes to HTTP. A code not listed here
// is a business-rule refusal (422).
const STATUS_BY_CODE: Record<string, { status: number; title: string }> = {
  validation_failed: { status: 400, title: 'Invalid request' },
  currency_mismatch: { status: 422, title: 'Currency mismatch' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  forbidden: { status: 403, title: 'Forbidden' },
  invariant_violation: { status: 500, title: 'Internal error' },
};

export function problemType(code: string): string {
  return `urn:godown:problem:${code}`;
}

function titleFromCode(code: string): string {
  const words = code.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function problemFromError(error: unknown): { problem: Problem; headers: Record<string, string>; internal: boolean } {
  if (error instanceof HttpProblem) {
    return {
      problem: { type: problemType(error.code), title: error.title, status: error.status, detail: error.message, code: error.code, errors: error.errors },
      headers: error.headers,
      internal: error.status >= 500,
    };
  }
  if (error instanceof DomainError && error.code !== 'invariant_violation') {
    const mapped = STATUS_BY_CODE[error.code] ?? { status: 422, title: titleFromCode(error.code) };
    const errors =
      error instanceof ValidationError
        ? [{ path: error.field, reason: error.reason }]
        : error instanceof CurrencyMismatchError && error.field !== undefined
          ? [{ path: error.field, reason: error.reason }]
          : (error instanceof ConflictError || error instanceof BusinessRuleError) && error.field
            ? [{ path: error.field, reason: error.message }]
            : undefined;
    return {
      problem: { type: problemType(error.code), title: mapped.title, status: mapped.status, detail: error.message, code: error.code, errors },
      headers: {},
      internal: false,
    };
  }
  if (sqlStateOf(error) === UNIQUE_VIOLATION) {
    // A check-then-insert that lost a race with a concurrent request for the same unique value.
    return {
      problem: {
        type: problemType('conflict'),
        title: 'Conflict',
        status: 409,
        detail: 'a record with the same unique value (e.g. an email, code or receipt number) was created concurrently; read it, or retry with a different value',
        code: 'conflict',
      },
      headers: {},
      internal: false,
    };
  }
  if (isRetryableConflict(error)) {
    // Outside the POST executor (which retries), e.g. a read aborted by a deadlock: transient.
    return {
      problem: { type: problemType('concurrent_update'), title: 'Busy: concurrent updates', status: 503, detail: 'the request conflicted with concurrent ones; retry it', code: 'concurrent_update' },
      headers: { 'Retry-After': '1' },
      internal: false,
    };
  }
  // A database that cannot be reached is not a bug of the request: 503, and when to retry.
  const unavailable = databaseUnavailableReason(error);
  if (unavailable !== null) {
    return {
      problem: {
        type: problemType('database_unavailable'),
        title: 'Service unavailable',
        status: 503,
        detail: `the database is unavailable (${unavailable}); retry in ${DATABASE_RETRY_AFTER_SECONDS} s (a POST retried with the same Idempotency-Key acts at most once)`,
        code: 'database_unavailable',
      },
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
      internal: false,
    };
  }
  return {
    problem: {
      type: problemType('internal_error'),
      title: 'Internal error',
      status: 500,
      detail: 'an unexpected error occurred; it has been logged with this request id',
      code: 'internal_error',
    },
    headers: {},
    internal: true,
  };
}

export function sendProblem(res: Response, problem: Problem, headers: Record<string, string> = {}): void {
  res.status(problem.status).set(headers).type('application/problem+json').send(JSON.stringify(problem));
}

export function zodIssuesToFieldProblems(location: string, error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: [location, ...issue.path.map(String)].join('.'),
    reason: issue.message,
  }));
}
