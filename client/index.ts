// The typed Godown client: openapi-fetch over the types that `npm run generate` writes from the OpenAPI
// document (client/schema.d.ts). A route or field renamed on the server fails `tsc` wherever it is called.
// Runs in Node (≥ 20) and in browsers: only web-standard globals (fetch, Request, Response, crypto).
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };
export type Problem = components['schemas']['Problem'];

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * The document's paths with each write's Idempotency-Key header optional: the client adds a fresh key
 * to every POST that does not carry one. A caller that means to retry a write passes its own key and
 * sends it again on the retry.
 */
type WithOptionalIdempotencyKey<Operation> = Operation extends { parameters: { header: infer Headers } }
  ? Omit<Operation, 'parameters'> & {
      parameters: Omit<Operation['parameters'], 'header'> & {
        header?: Omit<Headers, typeof IDEMPOTENCY_KEY_HEADER> & { [IDEMPOTENCY_KEY_HEADER]?: string };
      };
    }
  : Operation;

export type GodownPaths = {
  [Path in keyof paths]: { [Method in keyof paths[Path]]: Method extends 'post' ? WithOptionalIdempotencyKey<paths[Path][Method]> : paths[Path][Method] };
};

/**
 * The media types the client's answers are typed by: JSON and problem+json. Another representation a GET
 * offers (a statement's CSV or PDF) is asked for with `?format=` and read with `parseAs: 'text'` or `'blob'`.
 */
export type GodownMediaType = 'application/json' | 'application/problem+json';

export type GodownClient = Client<GodownPaths, GodownMediaType>;

export interface GodownClientOptions {
  /** Where the API is served, e.g. `https://godown.example` or `/api` behind a proxy. */
  baseUrl: string;
  /** The user's API key (`gdk_…`), sent as `Authorization: Bearer`. Leave out for POST /invitations/claim. */
  apiKey?: string;
  /** A fetch to send requests with (tests, proxies); the global fetch by default. */
  fetch?: (request: Request) => Promise<Response>;
  /** Headers sent with every request (e.g. X-Request-Id). */
  headers?: Record<string, string>;
}

/** A fresh Idempotency-Key for a write (a UUID). */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

const addIdempotencyKey: Middleware = {
  onRequest({ request }) {
    if (request.method === 'POST' && !request.headers.has(IDEMPOTENCY_KEY_HEADER)) request.headers.set(IDEMPOTENCY_KEY_HEADER, newIdempotencyKey());
    return request;
  },
};

export function createGodownClient(options: GodownClientOptions): GodownClient {
  const client = createClient<GodownPaths, GodownMediaType>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    fetch: options.fetch,
    headers: { ...options.headers, ...(options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {}) },
  });
  client.use(addIdempotencyKey);
  return client;
}

/** A non-2xx answer: where it came from, its status and the problem+json the server sent. */
export class GodownProblemError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${url || 'the request'} answered ${status}: ${problem.detail}`);
    this.name = 'GodownProblemError';
  }

  /** Field paths (`body.amount`) the server named, with their reasons. */
  get fieldErrors(): Problem['errors'] {
    return this.problem.errors ?? [];
  }
}

function isProblem(value: unknown): value is Problem {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.status === 'number' && typeof candidate.code === 'string' && typeof candidate.detail === 'string';
}

/**
 * The data of a 2xx answer; any other answer throws GodownProblemError (its problem+json, or a
 * problem describing the unexpected body).
 *
 *     const line = await ok(client.GET('/credit-lines/{lineId}', { params: { path: { lineId } } }));
 */
export async function ok<Data>(pending: Promise<{ data?: Data; error?: unknown; response: Response }>): Promise<Data> {
  const { data, error, response } = await pending;
  if (response.ok) return data as Data;
  const problem: Problem = isProblem(error)
    ? error
    : {
        type: 'about:blank',
        title: response.statusText || 'Unexpected answer',
        status: response.status,
        detail: `the answer was not problem+json: ${typeof error === 'string' ? error : JSON.stringify(error)}`,
        code: 'unexpected_answer',
      };
  throw new GodownProblemError(response.url, response.status, problem);
}
