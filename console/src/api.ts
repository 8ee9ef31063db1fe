import { createGodownClient, GodownProblemError } from '../../client';

/** An RFC 9457 problem as the API answers it; `errors` name the fields (`body.receiptNumber`). */
export interface Problem {
  status: number;
  code?: string;
  title?: string;
  detail?: string;
  errors?: { path: string; reason: string }[];
}

export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status(): number {
    return this.problem.status;
  }
  /** The reason given for `body.<field>`, if the API named that field. */
  fieldReason(field: string): string | undefined {
    return this.problem.errors?.find((error) => error.path === `body.${field}`)?.reason;
  }
}

let csrfToken: string | null = null;
/** Counts the sessions this page has held: every sign-in, sign-out or session read adopted starts a new one. */
let generation = 0;
const unauthenticatedListeners = new Set<() => void>();

/**
 * The session's CSRF token, sent with every cookie-authenticated write (set at sign-in and on
 * reload); setting it starts a new session generation.
 */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
  generation += 1;
}

/**
 * The current session generation. An answer to a call sent in an earlier one speaks of a session
 * that is no longer this page's: a 401 to a call sent before signing in does not sign the person
 * out, and the session read at start-up does not undo a sign-in that finished before it answered.
 */
export function sessionGeneration(): number {
  return generation;
}

export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export { newIdempotencyKey } from '../../client';

/**
 * Every call of the console: same origin, the session cookie, and on a write the CSRF token and
 * (the client itself adds an Idempotency-Key to every write that has none).
 */
export async function sessionFetch(request: Request): Promise<Response> {
  const sentIn = generation;
  const headers = new Headers(request.headers);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    if (csrfToken) headers.set('X-CSRF-Token', csrfToken);
      }
  const response = await fetch(new Request(request, { headers, credentials: 'same-origin' }));
  if (response.status === 401 && sentIn === generation && !new URL(request.url).pathname.startsWith('/auth/')) {
    for (const listener of unauthenticatedListeners) listener();
  }
  return response;
}

/** The typed client (client/index.ts) over the session: the console calls the public API like any integration. */
export const api = createGodownClient({ baseUrl: (globalThis as { location?: { origin: string } }).location?.origin ?? '', fetch: sessionFetch });

/** The data of a successful call, or an ApiProblem. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data;
  if (response.ok) return undefined as T;
  const body = (error ?? {}) as Partial<Problem>;
  throw new ApiProblem({ ...body, status: response.status });
}

/** GodownProblemError (client/index.ts `ok`) and ApiProblem read alike. */
export function asApiProblem(error: unknown): ApiProblem | null {
  if (error instanceof ApiProblem) return error;
  if (error instanceof GodownProblemError) return new ApiProblem({ ...error.problem, status: error.status });
  return null;
}
