import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { createApp } from '../../api/app';
import { processSecretBox, SecretBox } from '../../prisma/secret-box';
import { sealLegacySigningSecrets } from '../../prisma/webhooks/store';
import { feedPassed } from '../support/feed';
import { WEBHOOK_RETRY_WINDOW_MS } from '../../domain/webhooks';
import { deliverWebhooks, type WebhookDelivererDeps } from '../../workflows/webhooks/deliverer';
import { internalAddressReason, type WebhookTargetPolicy } from '../../workflows/webhooks/target';
import { createTestApi, type TestApi, type TestOrganisation, type TestUser } from '../support/api';

/** What the receiver does with the next request. */
type Behaviour = 'ok' | 'fail' | 'hang';

interface Received {
  id: string;
  verified: boolean;
  body: Record<string, unknown>;
}

/** A local receiver that verifies every request's signature with the same library, and answers as told. */
class Receiver {
  readonly received: Received[] = [];
  script: Behaviour[] = [];
  otherwise: Behaviour = 'ok';
  secret = '';
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let verified = false;
      try {
        new Webhook(this.secret).verify(raw, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      this.received.push({ id: String(req.headers['webhook-id']), verified, body: JSON.parse(raw) });
      const behaviour = this.script.shift() ?? this.otherwise;
      if (behaviour === 'hang') return; // never answers: the deliverer's timeout ends it
      res.statusCode = behaviour === 'ok' ? 204 : 500;
      res.end();
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const ALLOW_PRIVATE: WebhookTargetPolicy = { allowPrivateTargets: true, deliveryTimeoutMs: 300 };
const DENY_PRIVATE: WebhookTargetPolicy = { allowPrivateTargets: false, deliveryTimeoutMs: 300 };

let api: TestApi;
let app: ReturnType<typeof createApp>;
let receiver: Receiver;
let receiverUrl: string;

beforeAll(async () => {
  api = await createTestApi();
  // The allow-private configuration, as tests and local development use it: the receiver is on 127.0.0.1.
  app = createApp({ ...api.deps, webhookTargets: ALLOW_PRIVATE });
  receiver = new Receiver();
  receiverUrl = await receiver.listen();
});
afterAll(async () => {
  await receiver.close();
  await api.close();
});

beforeEach(() => {
  receiver.received.length = 0;
  receiver.script = [];
  receiver.otherwise = 'ok';
});

const post = (user: TestUser, path: string, body: object = {}, key = `k-${Math.random()}`) =>
  request(app).post(path).set('Authorization', `Bearer ${user.apiKey}`).set('Idempotency-Key', key).send(body);
const get = (user: TestUser, path: string) => request(app).get(path).set('Authorization', `Bearer ${user.apiKey}`);

function deliverer(clock: () => Date, policy: WebhookTargetPolicy = ALLOW_PRIVATE, secrets: SecretBox = processSecretBox()): WebhookDelivererDeps {
  return { prisma: api.db.prisma, logger: pino({ level: 'silent' }), policy, clock, secrets };
}

async function register(lender: TestOrganisation, eventTypes: string[], url = receiverUrl) {
  const res = await post(lender.admin, '/webhook-endpoints', { url, eventTypes, description: 'core banking' });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  receiver.secret = res.body.signingSecret;
  return res.body as { id: string; signingSecret: string };
}

let markSeq = 0;
async function postMark(lender: TestOrganisation): Promise<void> {
  markSeq += 1;
  const commodityCode = `WHEAT_${markSeq}_${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
  const warehouse = await api.counterpart(lender, 'WAREHOUSE');
  await api.post(warehouse.admin, '/commodities', { code: commodityCode, name: 'Wheat', unit: 't', grades: ['A'] }).expect(201);
  await post(lender.admin, '/price-marks', { commodityCode, grade: 'A', pricePerUnit: { amount: '212.5', currency: 'USD', unit: 't' }, source: 'exchange', asOf: new Date().toISOString() }).expect(201);
  await feedPassed(api.db);
}

async function onlyDelivery(endpointId: string, user: TestUser) {
  const list = await get(user, `/webhook-endpoints/${endpointId}/deliveries`).expect(200);
  expect(list.body.items).toHaveLength(1);
  return (await get(user, `/webhook-deliveries/${list.body.items[0].id}`).expect(200)).body;
}

test('deliveries are signed per Standard Webhooks, retried with backoff when the receiver fails or times out, logged, and redelivered by hand', async () => {
  const lender = await api.organisation('LENDER');
  const endpoint = await register(lender, ['price_mark.posted']);
  expect(endpoint.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  await postMark(lender);

  const t0 = Date.now();
  let nowMs = t0;
  const deps = deliverer(() => new Date(nowMs));
  receiver.script = ['fail', 'hang'];

  expect(await deliverWebhooks(deps)).toEqual({ created: 1, attempted: 1, delivered: 0 });
  // Not due before the first backoff (30 s) has passed.
  nowMs = t0 + 29_000;
  expect(await deliverWebhooks(deps)).toEqual({ created: 0, attempted: 0, delivered: 0 });
  nowMs = t0 + 30_000;
  expect(await deliverWebhooks(deps)).toEqual({ created: 0, attempted: 1, delivered: 0 });
  // The second failure waits four times longer: 2 minutes.
  nowMs = t0 + 30_000 + 119_000;
  expect((await deliverWebhooks(deps)).attempted).toBe(0);
  nowMs = t0 + 30_000 + 120_000;
  expect(await deliverWebhooks(deps)).toEqual({ created: 0, attempted: 1, delivered: 1 });

  // The same message three times, each signature verified by the receiver with the same library.
  expect(receiver.received.map((r) => r.verified)).toEqual([true, true, true]);
  const [eventFromFeed] = (await get(lender.admin, '/events?type=price_mark.posted').expect(200)).body.items;
  expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set([eventFromFeed.id]));
  const { cursor: _cursor, ...expectedBody } = eventFromFeed;
  expect(receiver.received[2].body).toEqual({ ...expectedBody, timestamp: eventFromFeed.recordedAt });

  const delivery = await onlyDelivery(endpoint.id, lender.admin);
  expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 3, eventType: 'price_mark.posted', eventId: eventFromFeed.id, nextAttemptAt: null });
  expect(delivery.attemptLog.map((a: { attemptNumber: number; statusCode: number | null; succeeded: boolean; manual: boolean }) => [a.attemptNumber, a.statusCode, a.succeeded, a.manual])).toEqual([
    [1, 500, false, false],
    [2, null, false, false],
    [3, 204, true, false],
  ]);
  expect(delivery.attemptLog[0].error).toBe('answered 500');
  expect(delivery.attemptLog[1].error).toMatch(/timed out after 300 ms/);
  expect(delivery.attemptLog[1].latencyMs).toBeGreaterThanOrEqual(300);
  expect(delivery.attemptLog.map((a: { attemptedAt: string }) => Date.parse(a.attemptedAt) - t0)).toEqual([0, 30_000, 150_000]);

  // By hand: sent again at once, logged as a manual attempt, with the same webhook-id.
  const redelivered = await post(lender.admin, `/webhook-deliveries/${delivery.id}/redeliver`).expect(202);
  expect(redelivered.body).toMatchObject({ status: 'PENDING', failedAttempts: 0 });
  expect(await deliverWebhooks(deps)).toEqual({ created: 0, attempted: 1, delivered: 1 });
  const after = await onlyDelivery(endpoint.id, lender.admin);
  expect(after.attemptLog.at(-1)).toMatchObject({ attemptNumber: 4, manual: true, statusCode: 204, succeeded: true });
  expect(receiver.received.map((r) => r.id)).toEqual([eventFromFeed.id, eventFromFeed.id, eventFromFeed.id, eventFromFeed.id]);
}, 60_000);

test('the signing secret is shown once: never by a read, never by an idempotent replay', async () => {
  const lender = await api.organisation('LENDER');
  const first = await post(lender.admin, '/webhook-endpoints', { url: receiverUrl, eventTypes: ['draw.requested'] }, 'register-once').expect(201);
  expect(first.body.signingSecret).toMatch(/^whsec_/);
  const replay = await post(lender.admin, '/webhook-endpoints', { url: receiverUrl, eventTypes: ['draw.requested'] }, 'register-once').expect(201);
  expect(replay.headers['idempotency-replayed']).toBe('true');
  expect(replay.body.signingSecret).toBeUndefined();
  expect(replay.body.id).toBe(first.body.id);
  const read = await get(lender.admin, `/webhook-endpoints/${first.body.id}`).expect(200);
  expect(JSON.stringify(read.body)).not.toContain(first.body.signingSecret);
  const list = await get(lender.admin, '/webhook-endpoints').expect(200);
  expect(JSON.stringify(list.body)).not.toContain(first.body.signingSecret);
});

test('only an ADMIN manages endpoints; another organisation cannot see them or their deliveries', async () => {
  const lender = await api.organisation('LENDER');
  const viewer = await lender.addUser('VIEWER');
  const operator = await lender.addUser('OPERATOR');
  const endpoint = await register(lender, ['price_mark.posted']);
  for (const user of [viewer, operator]) {
    expect((await post(user, '/webhook-endpoints', { url: receiverUrl, eventTypes: ['draw.requested'] })).status).toBe(403);
    expect((await post(user, `/webhook-endpoints/${endpoint.id}/disable`)).status).toBe(403);
  }
  expect((await get(viewer, `/webhook-endpoints/${endpoint.id}`)).status).toBe(200);
  const stranger = await api.organisation('LENDER');
  expect((await get(stranger.admin, `/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
  expect((await post(stranger.admin, `/webhook-endpoints/${endpoint.id}/disable`)).status).toBe(404);
  expect((await get(stranger.admin, `/webhook-endpoints/${endpoint.id}/deliveries`)).status).toBe(404);
  // A stranger's endpoint receives none of this organisation's events.
  const strangers = await register(stranger, ['price_mark.posted']);
  await postMark(lender);
  receiver.secret = endpoint.signingSecret;
  await deliverWebhooks(deliverer(() => new Date()));
  expect((await get(stranger.admin, `/webhook-endpoints/${strangers.id}/deliveries`).expect(200)).body.items).toEqual([]);
  expect((await get(lender.admin, `/webhook-endpoints/${endpoint.id}/deliveries`).expect(200)).body.items).toHaveLength(1);
});

test('an endpoint that fails every attempt for the whole retry window is disabled and its organisation told; enabled again, a redelivery recovers', async () => {
  const lender = await api.organisation('LENDER');
  const endpoint = await register(lender, ['price_mark.posted']);
  await postMark(lender);
  receiver.otherwise = 'fail';
  const t0 = Date.now();
  let nowMs = t0;
  const deps = deliverer(() => new Date(nowMs));
  const attemptTimes: number[] = [];
  for (let pass = 0; pass < 20; pass += 1) {
    const report = await deliverWebhooks(deps);
    if (report.attempted === 1) attemptTimes.push(nowMs - t0);
    const delivery = await api.db.prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId: endpoint.id } });
    if (delivery.nextAttemptAt === null) break;
    nowMs = delivery.nextAttemptAt.getTime();
  }
  const minute = 60_000;
  // 30 s, then ×4 each time up to 12 h, while the next attempt falls within 3 days of the first.
  expect(attemptTimes).toEqual([0, 0.5, 2.5, 10.5, 42.5, 170.5, 682.5, 1402.5, 2122.5, 2842.5, 3562.5, 4282.5].map((m) => m * minute));
  expect(4282.5 * minute).toBeLessThanOrEqual(WEBHOOK_RETRY_WINDOW_MS);

  const state = await get(lender.admin, `/webhook-endpoints/${endpoint.id}`).expect(200);
  expect(state.body).toMatchObject({ status: 'DISABLED', consecutiveFailures: 12, failingSince: new Date(t0).toISOString() });
  expect(state.body.disabledReason).toMatch(/every attempt failed since/);
  const delivery = await onlyDelivery(endpoint.id, lender.admin);
  expect(delivery).toMatchObject({ status: 'FAILED', attempts: 12, failedAttempts: 12, nextAttemptAt: null });
  const notifications = await get(lender.admin, '/notifications').expect(200);
  expect(notifications.body.items.filter((n: { kind: string }) => n.kind === 'webhook.endpoint_disabled')).toEqual([
    expect.objectContaining({ subjectType: 'webhook_endpoint', subjectId: endpoint.id }),
  ]);
  // Nothing is sent to a disabled endpoint, and nothing is redelivered to it.
  await postMark(lender);
  nowMs += 10 * minute;
  expect(await deliverWebhooks(deps)).toEqual({ created: 0, attempted: 0, delivered: 0 });
  expect((await post(lender.admin, `/webhook-deliveries/${delivery.id}/redeliver`)).status).toBe(409);

  receiver.otherwise = 'ok';
  const enabled = await post(lender.admin, `/webhook-endpoints/${endpoint.id}/enable`).expect(200);
  expect(enabled.body).toMatchObject({ status: 'ENABLED', failingSince: null, consecutiveFailures: 0 });
  await post(lender.admin, `/webhook-deliveries/${delivery.id}/redeliver`).expect(202);
  expect((await deliverWebhooks(deps)).delivered).toBe(1);
  expect((await onlyDelivery(endpoint.id, lender.admin)).status).toBe('DELIVERED');
}, 60_000);

describe('SSRF', () => {
  test.each([
    'http://127.0.0.1:8080/hooks',
    'http://10.1.2.3/hooks',
    'http://172.16.0.1/',
    'http://192.168.1.10/',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://[::1]/hooks',
    'http://[fe80::1]/',
    'http://[fd00::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://localhost/hooks',
  ])('registering %s is refused naming body.url', async (url) => {
    const lender = await api.organisation('LENDER');
    // api.app has the default configuration: public targets only.
    const res = await api.post(lender.admin, '/webhook-endpoints', { url, eventTypes: ['draw.requested'] });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'body.url', reason: expect.stringMatching(/private, loopback, link-local or reserved/) }]);
  });

  test.each(['ftp://example.com/x', 'not a url', 'https://user:pw@example.com/'])('registering %s is refused naming body.url', async (url) => {
    const lender = await api.organisation('LENDER');
    const res = await api.post(lender.admin, '/webhook-endpoints', { url, eventTypes: ['draw.requested'] });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('body.url');
  });

  test('public addresses are accepted by the address rule', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(internalAddressReason(address)).toBeNull();
  });

  test('at delivery time the target is checked again after DNS resolution: a name resolving to loopback gets nothing', async () => {
    const lender = await api.organisation('LENDER');
    // Registered while private targets were allowed; delivered under the production rule.
    const endpoint = await register(lender, ['price_mark.posted'], receiverUrl.replace('127.0.0.1', 'localhost'));
    await postMark(lender);
    // The feed shows the event once every older transaction of the cluster has ended (another test
    // file's may still be open): pass again until the delivery exists.
    const deadline = Date.now() + 30_000;
    while ((await deliverWebhooks(deliverer(() => new Date(), DENY_PRIVATE))).created === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.received).toEqual([]);
    const delivery = await onlyDelivery(endpoint.id, lender.admin);
    expect(delivery.attemptLog).toEqual([expect.objectContaining({ statusCode: null, succeeded: false, error: expect.stringMatching(/TargetRefused: localhost resolves to (127\.0\.0\.1|::1)/) })]);
  });
});

/** Rows of every table of the database whose text contains `needle`, as `table: count`. */
async function tablesContaining(needle: string): Promise<string[]> {
  const tables = await api.db.sql<{ name: string }>(`SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'`);
  const found: string[] = [];
  for (const { name } of tables) {
    const [row] = await api.db.sql<{ n: string }>(`SELECT count(*)::text AS n FROM ${name} t WHERE t::text LIKE '%' || $1 || '%'`, [needle]);
    if (row.n !== '0') found.push(`${name}: ${row.n}`);
  }
  return found;
}

test('a signing secret is stored only sealed: in no table in any form, bound to its endpoint, and a service with another key sends nothing until it has its own key again', async () => {
  const lender = await api.organisation('LENDER');
  const endpoint = await register(lender, ['price_mark.posted']);
  const secretBody = endpoint.signingSecret.slice('whsec_'.length);
  // Not in the endpoint's row, not in the stored idempotent response, not in the audit: nowhere.
  expect(await tablesContaining(secretBody)).toEqual([]);
  const [stored] = await api.db.sql<{ sealed: string }>(`SELECT signing_secret_sealed AS sealed FROM webhook_endpoint WHERE id = $1`, [endpoint.id]);
  expect(stored.sealed).toMatch(/^gdsealed\.v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  expect(processSecretBox().open(stored.sealed, endpoint.id)).toBe(endpoint.signingSecret);
  // The database refuses a secret in clear.
  await expect(api.db.sql(`UPDATE webhook_endpoint SET signing_secret_sealed = $2 WHERE id = $1`, [endpoint.id, endpoint.signingSecret])).rejects.toThrow(/webhook_endpoint_signing_secret_is_sealed/);

  await postMark(lender);
  const markEvents = async () => (await get(lender.admin, '/events?type=price_mark.posted').expect(200)).body.items.map((e: { id: string }) => e.id) as string[];
  const [firstEvent] = await markEvents();
  const receivedOf = (eventId: string) => receiver.received.filter((r) => r.id === eventId);
  const t0 = Date.now();
  let nowMs = t0;
  // A deliverer started with another key: the attempt fails saying why, and nothing unsigned or wrongly signed leaves.
  await deliverWebhooks(deliverer(() => new Date(nowMs), ALLOW_PRIVATE, SecretBox.ephemeral()));
  expect(receivedOf(firstEvent)).toEqual([]);
  const failed = await onlyDelivery(endpoint.id, lender.admin);
  expect(failed).toMatchObject({ status: 'PENDING', attempts: 1 });
  expect(failed.attemptLog).toHaveLength(1);
  expect(failed.attemptLog[0].error).toMatch(/^not sent: sealed with key [0-9a-f]{16}, but the configured key is [0-9a-f]{16}/);
  // Restarted with its own key, the retry is delivered and verifies.
  nowMs = t0 + 30_000;
  await deliverWebhooks(deliverer(() => new Date(nowMs)));
  expect((await onlyDelivery(endpoint.id, lender.admin)).status).toBe('DELIVERED');
  expect(receivedOf(firstEvent).map((r) => r.verified)).toEqual([true]);

  // A sealed secret copied onto another endpoint does not open there: bound to the endpoint it was made for.
  const other = await register(lender, ['price_mark.posted']);
  await api.db.sql(`UPDATE webhook_endpoint SET signing_secret_sealed = $2 WHERE id = $1`, [other.id, stored.sealed]);
  await api.db.sql(`UPDATE webhook_endpoint SET status = 'DISABLED', disabled_at = now(), disabled_reason = 'replaced' WHERE id = $1`, [endpoint.id]);
  await postMark(lender);
  const secondEvent = (await markEvents()).find((id) => id !== firstEvent)!;
  await deliverWebhooks(deliverer(() => new Date(nowMs)));
  expect(receivedOf(secondEvent)).toEqual([]);
  expect((await onlyDelivery(other.id, lender.admin)).attemptLog[0].error).toBe('not sent: the sealed secret does not open: it was altered, or belongs to another record');
});

test('secrets stored in clear by a version before sealing are sealed at start-up, and open to what they were', async () => {
  const lender = await api.organisation('LENDER');
  const endpoint = await register(lender, ['price_mark.posted']);
  const legacy = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  // As the rename left them: the constraint is NOT VALID, so rows from before it may hold a secret in clear.
  await api.db.sql(`ALTER TABLE webhook_endpoint DROP CONSTRAINT webhook_endpoint_signing_secret_is_sealed`);
  try {
    await api.db.sql(`UPDATE webhook_endpoint SET signing_secret_sealed = $2 WHERE id = $1`, [endpoint.id, legacy]);
  } finally {
    await api.db.sql(`ALTER TABLE webhook_endpoint ADD CONSTRAINT webhook_endpoint_signing_secret_is_sealed CHECK (signing_secret_sealed LIKE 'gdsealed.v1.%') NOT VALID`);
  }
  expect(await sealLegacySigningSecrets(api.db.prisma, processSecretBox())).toBe(1);
  expect(await sealLegacySigningSecrets(api.db.prisma, processSecretBox())).toBe(0);
  expect(await tablesContaining(legacy.slice('whsec_'.length))).toEqual([]);
  const [stored] = await api.db.sql<{ sealed: string }>(`SELECT signing_secret_sealed AS sealed FROM webhook_endpoint WHERE id = $1`, [endpoint.id]);
  expect(processSecretBox().open(stored.sealed, endpoint.id)).toBe(legacy);
});
