import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { createApp } from '../../api/app';
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import {
  deeplyNested,
  encodeBody,
  envelopeArbitrary,
  listen,
  operationsOf,
  valueOf,
  violations,
  type Envelope,
  type OpenApiDocument,
  type Operation,
  type Server,
} from './openapi-fuzz';
import { fuzzWorld, type FuzzWorld } from './world';

// CI runs a fixed seed; FUZZ_SEED / FUZZ_RUNS explore further locally.
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 200);
const NESTING_DEPTH = 5_000;

let api: TestApi;
let server: Server;
let home: FuzzWorld;
let foreign: FuzzWorld;
let doc: OpenApiDocument;

// The cause of every 5xx, by request id, from the app's own error log.
const causes = new Map<string, string>();
const errorLog = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      const entry = JSON.parse(line) as { requestId?: string; err?: { type?: string; message?: string; code?: string } };
      if (entry.requestId) causes.set(entry.requestId, `${entry.err?.type ?? '?'} ${entry.err?.code ?? ''} ${entry.err?.message ?? ''}`.slice(0, 300));
    }
    done();
  },
});

/** A cause with ids, numbers and quoted values blanked, so that one cause counts once. */
function causeClass(cause: string): string {
  return cause
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, 'N')
    .slice(0, 160);
}

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => new HarnessTemporal({ databaseUrl }) });
  server = await listen(createApp({ ...api.deps, logger: pino({ level: 'error' }, errorLog) }));
  home = await fuzzWorld(api);
  foreign = await fuzzWorld(api);
  const res = await server.send('get', '/openapi.json', {}, null);
  doc = res.json as OpenApiDocument;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await api?.close();
});

interface Finding {
  operation: string;
  violation: string;
  sample: string;
  count: number;
}

function paramsOf(op: Operation, location: 'path' | 'query') {
  return op.parameters.filter((p) => p.in === location);
}

function requestArbitrary(op: Operation) {
  const ids = { own: home.ids, foreign: foreign.ids };
  const path: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of paramsOf(op, 'path')) path[p.name] = valueOf(doc, p.schema, p.name, ids);
  const query: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of paramsOf(op, 'query')) query[p.name] = valueOf(doc, p.schema, p.name, ids);
  return fc.record({
    actor: fc.nat({ max: home.actors.length - 1 }),
    envelope: envelopeArbitrary,
    path: fc.record(path),
    query: fc.record(query, { requiredKeys: [] }),
    body: op.body ? valueOf(doc, op.body, 'body', ids) : fc.constant(undefined),
  });
}

/** Percent-encoding that also carries lone surrogates (as their WTF-8 bytes), which encodeURIComponent refuses. */
function encodePart(value: string): string {
  let encoded = '';
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    const isHigh = unit >= 0xd800 && unit <= 0xdbff;
    const next = value.charCodeAt(i + 1);
    if (isHigh && next >= 0xdc00 && next <= 0xdfff) {
      encoded += encodeURIComponent(value.slice(i, i + 2));
      i += 1;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      encoded += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      encoded += encodeURIComponent(value[i]);
    }
  }
  return encoded;
}

function bodyText(body: unknown, envelope: Envelope): string {
  const json = JSON.stringify(body ?? {}) ?? 'null';
  if (!envelope.deepNesting) return json;
  // Deep nesting in a field no schema knows: it must be refused before anything walks it.
  if (json.startsWith('{')) return `{"ignored":${deeplyNested(NESTING_DEPTH)}${json === '{}' ? '}' : `,${json.slice(1)}`}`;
  return `[${deeplyNested(NESTING_DEPTH)},${json}]`;
}

test('every operation of the OpenAPI document answers hostile and generated input without a 5xx, with problem+json naming the field', async () => {
  const operations = operationsOf(doc);
  expect(operations.length).toBeGreaterThanOrEqual(50);
  const findings = new Map<string, Finding>();
  const lastKey = new Map<string, string>();
  let requests = 0;
  const startedAt = Date.now();
  const statuses = new Map<string, number>();
  const opTimes: string[] = [];

  for (const op of operations) {
    const knownNames = new Set<string>(op.parameters.map((p) => p.name));
    const bodySchema = op.body?.$ref ? doc.components?.schemas?.[op.body.$ref.replace('#/components/schemas/', '')] : op.body;
    for (const name of Object.keys(bodySchema?.properties ?? {})) knownNames.add(name);
    const opStartedAt = Date.now();

    await fc.assert(
      fc.asyncProperty(requestArbitrary(op), async (generated) => {
        const actor = home.actors[generated.actor];
        const { envelope } = generated;
        let url = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodePart(String((generated.path as Record<string, unknown>)[name])));
        const query = Object.entries(generated.query as Record<string, unknown>).map(([k, v]) => `${k}=${encodePart(typeof v === 'string' ? v : JSON.stringify(v) ?? '')}`);
        if (query.length > 0) url += `?${query.join('&')}`;
        const headers: Record<string, string> = { Authorization: `${envelope.scheme} ${actor.apiKey}`.trim() };
        let body: Buffer | null = null;
        if (op.method === 'post') {
          const keySlot = `${op.operationId}:${generated.actor}`;
          const fresh = randomUUID();
          const key = envelope.idempotencyKey === 'reuse' ? (lastKey.get(keySlot) ?? fresh) : envelope.idempotencyKey === 'hostile' ? 'ключ\u0000' : fresh;
          if (envelope.idempotencyKey !== 'missing') headers['Idempotency-Key'] = encodeURIComponent(key) === key ? key : 'bad key with spaces';
          lastKey.set(keySlot, key);
          const encoded = encodeBody(bodyText(generated.body, envelope), envelope);
          body = encoded.body;
          Object.assign(headers, encoded.headers);
          if (envelope.contentType !== null) headers['Content-Type'] = envelope.contentType;
        }
        const res = await server.send(op.method, url, headers, body);
        requests += 1;
        const sent = generated.body && typeof generated.body === 'object' && !Array.isArray(generated.body) ? Object.keys(generated.body) : [];
        statuses.set(`${op.operationId} ${res.status}`, (statuses.get(`${op.operationId} ${res.status}`) ?? 0) + 1);
        for (const violation of violations(res, new Set([...knownNames, ...sent, ...(envelope.deepNesting ? ['ignored'] : [])]))) {
          const detail = (res.json as { detail?: string } | null)?.detail ?? res.text.slice(0, 200);
          const cause = res.status >= 500 ? causeClass(causes.get(res.requestId) ?? detail) : '';
          const id = `${op.operationId}: ${violation}${cause ? ` — ${cause}` : ''}`;
          const existing = findings.get(id);
          if (existing) existing.count += 1;
          else findings.set(id, { operation: op.operationId, violation: id.slice(op.operationId.length + 2), sample: `${op.method.toUpperCase()} ${url} ${JSON.stringify(envelope)} body=${(body?.toString('utf8') ?? '').slice(0, 300)} -> ${detail}`, count: 1 });
        }
        return true;
      }),
      { seed: FUZZ_SEED, numRuns: RUNS_PER_OPERATION, endOnFailure: true },
    );
    opTimes.push(`${op.operationId} ${Date.now() - opStartedAt}ms`);
  }
  if (process.env.FUZZ_VERBOSE) process.stdout.write(`${opTimes.join('\n')}\n${[...statuses.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}\n`);
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(`api fuzz: ${requests} requests over ${operations.length} operations in ${seconds} s (seed ${FUZZ_SEED}), ${findings.size} distinct violation(s)\n`);
  const report = [...findings.values()].map((f) => `${f.count}× ${f.operation}: ${f.violation}\n    e.g. ${f.sample}`);
  if (report.length > 0) process.stdout.write(`${report.join('\n')}\n`);
  expect(requests).toBeGreaterThanOrEqual(operations.length * RUNS_PER_OPERATION);
  expect(report).toEqual([]);
}, 600_000);
