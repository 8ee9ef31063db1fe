import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { Express } from 'express';
import { loadConfig } from '../../api/config';
import { createHttpServer } from '../../api/server';

// Property-based fuzz of the HTTP edge, generated from the app's own OpenAPI
// document: every operation, every parameter and body field, with values that
// are mostly valid (so that requests reach the handlers) and sometimes hostile
// (wrong types, bounds, unicode, huge/tiny decimals, extreme dates, crafted
// cursors, deep nesting, bad media types and encodings).

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
};

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: 'get' | 'post';
  path: string;
  operationId: string;
  parameters: OpenApiParameter[];
  body: JsonSchema | null;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { operationId: string; parameters?: OpenApiParameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (method !== 'get' && method !== 'post') continue;
      operations.push({
        method,
        path,
        operationId: op.operationId,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content['application/json']?.schema ?? null,
      });
    }
  }
  return operations;
}

/** Ids the fuzz may put in a path or a body: the caller's own objects, foreign ones, and unknown ones. */
export interface IdPool {
  own: string[];
  foreign: string[];
}

const NUL = 'a\u0000b';
const LONE_HIGH_SURROGATE = 'x\ud800y';
const LONE_LOW_SURROGATE = '\udfff';

export const HOSTILE_STRINGS = [
  '',
  ' ',
  NUL,
  LONE_HIGH_SURROGATE,
  LONE_LOW_SURROGATE,
  '\u202eevil',
  '😀'.repeat(50),
  'x'.repeat(20_000),
  "'; DROP TABLE lot; --",
  '../../etc/passwd',
  '%00',
  '\\u0000',
  '<script>alert(1)</script>',
];

export const HOSTILE_DECIMALS = [
  '1'.repeat(21),
  '9'.repeat(28),
  `${'9'.repeat(28)}.${'9'.repeat(18)}`,
  `-${'9'.repeat(25)}`,
  `${'9'.repeat(20)}.${'9'.repeat(18)}`,
  '99999999999.5',
  '0.000000000000000001',
  '0.0000000001',
  '0.00000000001',
  '0.001',
  '0',
  '-0',
  '-1',
  '1e5',
  '0x10',
  ' 1',
  '1.',
  '.5',
  'NaN',
  'Infinity',
];

export const HOSTILE_NUMBERS = [0, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 2, 0.1, 1.5, 1e21];

export const HOSTILE_DATES = [
  '0000-01-01',
  '0001-01-01',
  '9999-12-31',
  '2026-02-30',
  '2026-13-01',
  '9999-12-31T23:59:59-23:59',
  '0000-01-01T00:00:00+23:59',
  '0000-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2026-11-23T10:00:00.123456789Z',
  '+275760-09-13T00:00:00Z',
  '2026-11-23T25:00:00Z',
];

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

export const HOSTILE_CURSORS = [
  '%%%',
  'bnVsbA',
  base64url('null'),
  base64url('[]'),
  base64url('"x"'),
  base64url('{"id":1}'),
  base64url('{"id":["x"]}'),
  base64url('{"id":"not-a-uuid","asOf":"garbage","openedAt":"garbage"}'),
  base64url('{"afterId":"x","afterLotId":"x","drawId":"x","lineId":"x","notificationId":"x","seq":"x","afterSeq":"x"}'),
  base64url('{"afterSeq":"99999999999999999999999","seq":"99999999999999999999999"}'),
  base64url('{"afterSeq":"1e3","seq":"-1"}'),
  base64url(`{"asOf":"9999-12-31T23:59:59-23:59","openedAt":"0000-01-01T00:00:00Z","id":"${randomUUID()}"}`),
  base64url(`{"asOf":"${'9'.repeat(30)}","openedAt":"${'9'.repeat(30)}","id":"${randomUUID()}"}`),
];

const anyHostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(...HOSTILE_DECIMALS),
  fc.constantFrom(...HOSTILE_DATES),
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.constantFrom(null, true, false, [], {}, [null], { a: 1 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

const anyHostile: fc.Arbitrary<unknown> = fc.oneof({ weight: 5, arbitrary: anyHostileScalar }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });

function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; current.$ref && hops < 20; hops += 1) {
    const name = current.$ref.replace('#/components/schemas/', '');
    current = doc.components?.schemas?.[name] ?? {};
  }
  return current;
}

const DECIMAL_LIKE = /\\d\{1,\d+\}/;

function validString(schema: JsonSchema, name: string, ids: IdPool): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.format === 'uuid') return idArbitrary(ids);
  if (schema.format === 'date-time') {
    return fc.oneof(
      fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom(...HOSTILE_DATES),
    );
  }
  if (schema.format === 'email') return fc.oneof(fc.constant(`f-${randomUUID()}@example.test`), fc.emailAddress());
  if (schema.pattern && DECIMAL_LIKE.test(schema.pattern)) {
    return fc.oneof(
      { weight: 3, arbitrary: fc.tuple(fc.nat({ max: 100_000 }), fc.nat({ max: 99 })).map(([i, f]) => `${i}.${String(f).padStart(2, '0')}`) },
      { weight: 1, arbitrary: fc.constantFrom('0.5', '0.2', '0.7', '0.85', '1', '1000', '0.01') },
      { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_DECIMALS) },
    );
  }
  if (schema.pattern === '^\\d{4}-\\d{2}-\\d{2}$' || /date/i.test(name) || /On$/.test(name)) {
    return fc.oneof(
      fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      fc.constantFrom(...HOSTILE_DATES),
    );
  }
  if (name === 'cursor') return fc.constantFrom(...HOSTILE_CURSORS);
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 200));
    } catch {
      return fc.string();
    }
  }
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
}

function idArbitrary(ids: IdPool): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: ids.own.length > 0 ? fc.constantFrom(...ids.own) : fc.uuid() },
    { weight: 1, arbitrary: ids.own.length > 0 ? fc.constantFrom(...ids.own).map((id) => id.toUpperCase()) : fc.uuid() },
    { weight: 2, arbitrary: ids.foreign.length > 0 ? fc.constantFrom(...ids.foreign) : fc.uuid() },
    { weight: 1, arbitrary: fc.uuid() },
  );
}

/** Mostly valid values for `schema`, each field sometimes replaced by a hostile one. */
export function valueOf(doc: OpenApiDocument, given: JsonSchema, name: string, ids: IdPool, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, given);
  const choices = schema.anyOf ?? schema.oneOf;
  let valid: fc.Arbitrary<unknown>;
  if (choices) {
    valid = fc.oneof(...choices.map((c) => valueOf(doc, c, name, ids, depth + 1)));
  } else if (schema.allOf) {
    valid = valueOf(doc, schema.allOf[0], name, ids, depth + 1);
  } else {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'string'];
    const type = types.find((t) => t !== 'null') ?? 'null';
    switch (type) {
      case 'object': {
        const properties = Object.entries(schema.properties ?? {});
        const required = new Set(schema.required ?? []);
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, child] of properties) record[key] = depth > 6 ? fc.constant(null) : valueOf(doc, child, key, ids, depth + 1);
        const requiredKeys = properties.map(([key]) => key).filter((key) => required.has(key));
        valid = fc.record(record, { requiredKeys }) as fc.Arbitrary<unknown>;
        break;
      }
      case 'array':
        valid = fc.array(schema.items && depth <= 6 ? valueOf(doc, schema.items, name, ids, depth + 1) : fc.constant(null), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 3, 3),
        });
        break;
      case 'integer':
        valid = fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
        break;
      case 'number':
        valid = fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
        break;
      case 'boolean':
        valid = fc.boolean();
        break;
      case 'null':
        valid = fc.constant(null);
        break;
      default:
        valid = validString(schema, name, ids);
    }
  }
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: anyHostile });
}

export interface Envelope {
  contentType: string | null;
  encoding: 'none' | 'identity' | 'gzip' | 'invalid-gzip' | 'deflate-garbage' | 'br-garbage' | 'x-unknown';
  scheme: string;
  deepNesting: boolean;
  idempotencyKey: 'fresh' | 'reuse' | 'missing' | 'hostile';
}

export const envelopeArbitrary: fc.Arbitrary<Envelope> = fc.record({
  contentType: fc.oneof(
    { weight: 18, arbitrary: fc.constant('application/json') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/json; charset=x-unknown',
        'application/problem+json',
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; boundary=',
        ';;;',
        null,
      ),
    },
  ),
  encoding: fc.oneof(
    { weight: 12, arbitrary: fc.constant('none' as const) },
    { weight: 2, arbitrary: fc.constantFrom('identity' as const, 'gzip' as const, 'invalid-gzip' as const, 'deflate-garbage' as const, 'br-garbage' as const, 'x-unknown' as const) },
  ),
  scheme: fc.oneof({ weight: 6, arbitrary: fc.constant('Bearer') }, { weight: 1, arbitrary: fc.constantFrom('bearer', 'BEARER', 'Basic', '') }),
  deepNesting: fc.nat({ max: 11 }).map((n) => n === 0),
  idempotencyKey: fc.oneof({ weight: 10, arbitrary: fc.constant('fresh' as const) }, { weight: 1, arbitrary: fc.constantFrom('reuse' as const, 'missing' as const, 'hostile' as const) }),
});

export interface FuzzResponse {
  status: number;
  requestId: string;
  contentType: string;
  text: string;
  json: unknown;
}

export interface Server {
  baseUrl: string;
  send(method: string, path: string, headers: Record<string, string>, body: Buffer | null): Promise<FuzzResponse>;
  close(): Promise<void>;
}

export async function listen(app: Express): Promise<Server> {
  // The server `npm start` runs, with its default limits: what its parser refuses must be problem+json too.
  const server = createHttpServer(app, loadConfig({}));
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    send: (method, path, headers, body) =>
      new Promise((resolveSend, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: method.toUpperCase(), path, headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) }, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown = null;
            try {
              json = JSON.parse(text);
            } catch {
              json = null;
            }
            resolveSend({ status: res.statusCode ?? 0, requestId: String(res.headers['x-request-id'] ?? ''), contentType: String(res.headers['content-type'] ?? ''), text, json });
          });
        });
        req.on('error', reject);
        if (body) req.write(body);
        req.end();
      }),
    close: async () => {
      agent.destroy();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
  };
}

/** `{"a":{"a":…}}` nested `depth` times, as text (JSON.stringify itself would overflow). */
export function deeplyNested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

export function encodeBody(json: string, envelope: Envelope): { body: Buffer; headers: Record<string, string> } {
  const raw = Buffer.from(json, 'utf8');
  switch (envelope.encoding) {
    case 'none':
      return { body: raw, headers: {} };
    case 'identity':
      return { body: raw, headers: { 'Content-Encoding': 'identity' } };
    case 'gzip':
      return { body: gzipSync(raw), headers: { 'Content-Encoding': 'gzip' } };
    case 'invalid-gzip':
      return { body: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), raw]), headers: { 'Content-Encoding': 'gzip' } };
    case 'deflate-garbage':
      return { body: raw, headers: { 'Content-Encoding': 'deflate' } };
    case 'br-garbage':
      return { body: raw, headers: { 'Content-Encoding': 'br' } };
    case 'x-unknown':
      return { body: raw, headers: { 'Content-Encoding': 'x-unknown' } };
  }
}

const LOCATIONS = ['body', 'query', 'path', 'header'];

/**
 * What every answer must satisfy: never a 5xx; every 4xx is problem+json with a
 * code; every 400 names its fields with the location the client used, and a
 * body or query field by a name the client can know (sent, or in the schema).
 */
export function violations(res: FuzzResponse, knownNames: Set<string>): string[] {
  const found: string[] = [];
  if (res.status >= 500) found.push(`answered ${res.status}`);
  if (res.status >= 400 && res.status < 500) {
    if (!res.contentType.startsWith('application/problem+json')) found.push(`${res.status} with content-type ${res.contentType}`);
    const problem = res.json as { code?: unknown; errors?: Array<{ path?: unknown }> } | null;
    if (!problem || typeof problem.code !== 'string') found.push(`${res.status} without a problem code`);
    if (res.status === 400) {
      if (!Array.isArray(problem?.errors) || problem.errors.length === 0) found.push(`400 ${String(problem?.code)} names no field`);
      for (const error of problem?.errors ?? []) {
        const path = String(error.path);
        const [location, field] = path.split(/[.[]/);
        if (!LOCATIONS.includes(location)) found.push(`400 names "${path}" without body./query./path./header.`);
        else if ((location === 'body' || location === 'query') && field !== undefined && field !== '' && !/^\d/.test(field) && !knownNames.has(field)) found.push(`400 names "${path}", a field the client did not send`);
      }
    }
  }
  return found;
}
