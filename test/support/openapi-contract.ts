// The OpenAPI document as a contract the tests hold the app to: which routes Express mounts against the
// operations the document lists, and every response a test receives against the operation it answers
// (status documented, content type documented, body valid against the response's zod schema, the same
// schema the document is generated from).
import type { Express } from 'express';
import { z } from 'zod';
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { openApiRegistry } from '../../api/openapi';
import { recordContractViolation } from './contract-violations';

/**
 * Served by the app but not operations of the API, each for a reason: probes and metrics are for the
 * platform (load balancers, Prometheus), not for integrators; the document and its HTML rendering
 * describe the API rather than belong to it.
 */
export const UNDOCUMENTED_BY_DESIGN: Record<string, string> = {
  'GET /health': 'liveness probe for the platform, public and outside the API',
  'GET /ready': 'readiness probe for the platform, public and outside the API',
  'GET /metrics': 'Prometheus exposition for the platform, not an API operation',
  'GET /openapi.json': 'the OpenAPI document itself',
  'USE /docs': 'the HTML rendering of the OpenAPI document (swagger-ui)',
  'USE /assets': "the console's built scripts and styles (api/console/serve.ts)",
  'GET /favicon.svg': "the console's icon (api/console/serve.ts)",
};

/** `METHOD /path/{}/…`: path parameters normalised, whatever their names or syntax (`:id`, `{id}`). */
export function operationKey(method: string, path: string): string {
  const normalised = path
    .split('/')
    .map((segment) => (/^:\w+$/.test(segment) || /^\{\w+\}$/.test(segment) ? '{}' : segment))
    .join('/');
  return `${method.toUpperCase()} ${normalised}`;
}

interface RouterLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

/**
 * Every route Express mounts, found by walking the app's router stack (nested routers included), as
 * operation keys. A middleware mounted at a path other than `/` (a static site, a sub-app) is listed as
 * `USE /path`: it answers requests there too.
 */
export function mountedRoutes(app: Express): string[] {
  const found = new Set<string>();
  const walk = (stack: RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      const mountPath = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (layer.route) {
        if (typeof layer.route.path !== 'string') throw new Error(`a route mounted with a non-string path cannot be checked against the document: ${String(layer.route.path)}`);
        for (const [method, mounted] of Object.entries(layer.route.methods)) {
          if (mounted && method !== '_all') found.add(operationKey(method, prefix + layer.route.path));
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + mountPath);
      } else if (mountPath) {
        found.add(`USE ${prefix + mountPath}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack, '');
  return [...found].sort();
}

interface OpenApiDocumentPaths {
  paths?: Record<string, object>;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Every operation the document lists, as operation keys. */
export function documentedOperations(document: OpenApiDocumentPaths): string[] {
  return Object.entries(document.paths ?? {})
    .flatMap(([path, item]) => Object.keys(item).filter((method) => HTTP_METHODS.has(method)).map((method) => operationKey(method, path)))
    .sort();
}

/** Routes mounted but not documented (exemptions aside), and operations documented but not mounted. */
export function routeDocumentGaps(app: Express, document: OpenApiDocumentPaths): { undocumented: string[]; unmounted: string[] } {
  const mounted = mountedRoutes(app);
  const documented = documentedOperations(document);
  return {
    undocumented: mounted.filter((key) => !documented.includes(key) && !(key in UNDOCUMENTED_BY_DESIGN)),
    unmounted: documented.filter((key) => !mounted.includes(key)),
  };
}

/** What a response must be, per operation, from the registry the document is generated from. */
export interface OperationContract {
  operation: string;
  method: string;
  path: string;
  pattern: RegExp;
  /** More literal segments win: `/lots/search` is not `/lots/{lotId}`. */
  literalSegments: number;
  responses: RouteConfig['responses'];
  request: RouteConfig['request'];
}

export function operationContracts(registry: OpenAPIRegistry = openApiRegistry()): OperationContract[] {
  const contracts: OperationContract[] = [];
  for (const definition of registry.definitions) {
    if (definition.type !== 'route') continue;
    const { route } = definition;
    const segments = route.path.split('/');
    const pattern = new RegExp(`^${segments.map((segment) => (/^\{\w+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
    contracts.push({
      operation: `${route.method.toUpperCase()} ${route.path} (${route.operationId ?? 'no operationId'})`,
      method: route.method.toUpperCase(),
      path: route.path,
      pattern,
      literalSegments: segments.filter((segment) => !/^\{\w+\}$/.test(segment)).length,
      responses: route.responses,
      request: route.request,
    });
  }
  return contracts;
}

export interface ObservedResponse {
  method: string;
  /** The request's path, without its query. */
  path: string;
  status: number;
  contentType: string | undefined;
  body: string | Buffer | undefined;
  /** What the request carried, parsed (Express's req.body, req.query, req.params), where known. */
  sent?: { body?: unknown; query?: unknown; params?: unknown };
}

function isZodType(value: unknown): value is z.ZodType {
  return value instanceof z.ZodType;
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[\w.-]+\+json$/.test(mediaType);
}

function issuePath(path: PropertyKey[]): string {
  return ['body', ...path.map(String)].join('.');
}

/**
 * Null when `observed` answers a documented operation as the document says; otherwise what is wrong,
 * naming the operation, the status and the path of the mismatch. Requests no operation answers (unknown
 * routes, probes) are not checked here: the mounted-routes test keeps those honest.
 */
export function responseViolation(contracts: OperationContract[], observed: ObservedResponse): string | null {
  const candidates = contracts.filter((contract) => contract.method === observed.method && contract.pattern.test(observed.path));
  if (candidates.length === 0) return null;
  const contract = candidates.sort((a, b) => b.literalSegments - a.literalSegments)[0];
  const where = `${contract.operation} answered ${observed.status} to ${observed.method} ${observed.path}`;
  const documented = contract.responses[String(observed.status)];
  if (!documented) return `${where}: status ${observed.status} is not documented (documented: ${Object.keys(contract.responses).join(', ')})`;
  if ('$ref' in documented) return `${where}: the response for ${observed.status} is a $ref, which this check does not follow`;
  const content = documented.content ?? {};
  const mediaType = observed.contentType?.split(';')[0].trim().toLowerCase();
  if (Object.keys(content).length === 0) {
    return observed.body === undefined || observed.body.length === 0 ? null : `${where}: the document lists no body for ${observed.status}, yet one was sent (${mediaType})`;
  }
  const media = mediaType ? content[mediaType] : undefined;
  if (!mediaType || !media) {
    return `${where}: content type ${mediaType ?? '(none)'} is not documented for ${observed.status} (documented: ${Object.keys(content).join(', ')})`;
  }
  const schema = 'schema' in media ? media.schema : undefined;
  if (!isZodType(schema)) return `${where}: the document's schema for ${mediaType} is not a zod schema, so it cannot be checked`;
  if (!isJsonMediaType(mediaType)) {
    if (typeof observed.body === 'string') {
      const parsed = schema.safeParse(observed.body);
      return parsed.success ? null : `${where}: ${mediaType} body does not match its schema: ${parsed.error.issues[0].message}`;
    }
    return null;
  }
  let body: unknown;
  try {
    body = JSON.parse(typeof observed.body === 'string' ? observed.body : (observed.body?.toString('utf8') ?? ''));
  } catch {
    return `${where}: body is not valid JSON although the content type is ${mediaType}`;
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return observed.status >= 400 && observed.status < 500 ? unknownFieldNamed(contract, where, body, observed.sent ?? {}) : null;
  const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issuePath(issue.path)}: ${issue.message}`);
  return `${where}: body does not match the ${mediaType} schema for ${observed.status}: ${issues.join('; ')}`;
}

/** Strips the wrappers that do not change which fields a value has (optional, default, pipe…). */
function fieldsOf(schema: z.ZodType): z.ZodType[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return fieldsOf(def.innerType as z.ZodType);
    case 'pipe': {
      // z.preprocess(fn, schema) is a pipe from a transform: its fields are those of the schema it feeds.
      const input = def.in as z.ZodType;
      return (input as unknown as { _zod: { def: { type: string } } })._zod.def.type === 'transform' ? fieldsOf(def.out as z.ZodType) : fieldsOf(input);
    }
    case 'lazy':
      return fieldsOf((def.getter as () => z.ZodType)());
    case 'union':
      return (def.options as z.ZodType[]).flatMap(fieldsOf);
    case 'intersection':
      return [...fieldsOf(def.left as z.ZodType), ...fieldsOf(def.right as z.ZodType)];
    default:
      return [schema];
  }
}

/** Whether `segments` lead somewhere in `schema`: an object's key, an array's or a tuple's index, a record's any key. */
function hasField(schema: z.ZodType, segments: string[]): boolean {
  if (segments.length === 0) return true;
  const [head, ...rest] = segments;
  return fieldsOf(schema).some((candidate) => {
    const def = (candidate as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
    switch (def.type) {
      case 'object': {
        const shape = def.shape as Record<string, z.ZodType>;
        return Object.hasOwn(shape, head) && hasField(shape[head], rest);
      }
      case 'array':
        return /^\d+$/.test(head) && hasField(def.element as z.ZodType, rest);
      case 'tuple':
        return /^\d+$/.test(head) && (def.items as z.ZodType[])[Number(head)] !== undefined && hasField((def.items as z.ZodType[])[Number(head)], rest);
      case 'record':
        return hasField(def.valueType as z.ZodType, rest);
      default:
        return false;
    }
  });
}

/** Whether `segments` lead to something in `value` as it was sent. */
function wasSent(value: unknown, segments: string[]): boolean {
  if (segments.length === 0) return true;
  if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segments[0])) return false;
  return wasSent((value as Record<string, unknown>)[segments[0]], segments.slice(1));
}

/**
 * A refusal names the field the caller sent (docs/conventions.md): every `body.…`, `query.…` and `params.…`
 * path of a 4xx answer must exist in the operation's request as the document describes it (or in what
 * the caller sent, for a refused unknown field), or the caller is pointed at a field it cannot find.
 * Headers are HTTP's own and not checked here.
 */
function unknownFieldNamed(contract: OperationContract, where: string, body: unknown, sent: NonNullable<ObservedResponse['sent']>): string | null {
  const errors = (body as { errors?: Array<{ path?: unknown }> } | null)?.errors;
  if (!Array.isArray(errors)) return null;
  for (const { path } of errors) {
    if (typeof path !== 'string') continue;
    const [location, ...segments] = path.split('.');
    const request = contract.request ?? {};
    const jsonBody = request.body?.content?.['application/json'];
    const schema =
      location === 'body' ? (jsonBody && 'schema' in jsonBody ? jsonBody.schema : undefined) : location === 'query' ? request.query : location === 'params' ? request.params : null;
    if (schema === null) continue;
    if (!isZodType(schema)) return `${where}: names ${path}, but the operation documents no ${location}`;
    if (!hasField(schema, segments) && !wasSent(sent[location as keyof typeof sent], segments)) return `${where}: names ${path}, which is not a field of the operation's ${location}`;
  }
  return null;
}

/**
 * Checks every response `app` sends against the document, recording violations for the running test.
 * Hooks the app's own response prototype (`app.response`, which Express gives each app to extend), so
 * every way a test reaches the app is covered: supertest, a listening server, the typed client.
 */
export function checkResponsesAgainstDocument(app: Express, contracts: OperationContract[] = operationContracts()): void {
  const response = app.response as unknown as { send(this: ExpressResponseLike, body?: unknown): unknown };
  const send = response.send;
  response.send = function checkedSend(this: ExpressResponseLike, body?: unknown) {
    // res.send(object) calls res.json, which calls res.send(string): check the final string only.
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      const path = this.req.originalUrl.split('?')[0];
      const contentType = this.get('Content-Type') ?? (typeof body === 'string' ? 'text/html' : body === undefined ? undefined : 'application/octet-stream');
      const { body: sentBody, query, params } = this.req;
      const violation = responseViolation(contracts, { method: this.req.method, path, status: this.statusCode, contentType, body: body as string | Buffer | undefined, sent: { body: sentBody, query, params } });
      if (violation) recordContractViolation(violation);
    }
    return send.call(this, body);
  };
}

interface ExpressResponseLike {
  req: { method: string; originalUrl: string; body?: unknown; query?: unknown; params?: unknown };
  statusCode: number;
  get(field: string): string | undefined;
}
