// The edge under load: probes answer fast while the service is saturated,
// requests beyond the in-flight cap are shed with 503 + Retry-After, slow
// clients are cut off, and connections are capped.
import type { Server } from 'node:http';
import net from 'node:net';
import { z } from 'zod';
import { allRoutes, createApp } from '../../api/app';
import { loadConfig } from '../../api/config';
import { defineRoute } from '../../api/http/route';
import { createHttpServer, type ServerLimits } from '../../api/server';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';

let api: TestApi;
let lender: TestOrganisation;
beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER');
});
afterAll(() => api.close());

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const LIMITS: ServerLimits = { HTTP_REQUEST_TIMEOUT_MS: 1_000, HTTP_HEADERS_TIMEOUT_MS: 1_000, HTTP_MAX_CONNECTIONS: 50 };

describe('configuration of the edge', () => {
  test('documented defaults: 30 s per request, 10 s for headers, 1 000 connections, 200 requests in flight', () => {
    const config = loadConfig({});
    expect([config.HTTP_REQUEST_TIMEOUT_MS, config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_MAX_CONNECTIONS, config.HTTP_IN_FLIGHT_MAX]).toEqual([30_000, 10_000, 1_000, 200]);
  });

  test('a headers timeout longer than the request timeout is refused, naming the variable', () => {
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toThrow('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  });
});

describe('load shedding', () => {
  test('beyond the in-flight cap a request is answered 503 with Retry-After at once, while /health and /ready answer fast', async () => {
    let entered = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = defineRoute({
      method: 'get',
      path: '/slow',
      operationId: 'slow',
      summary: 'Waits for the test to release it',
      tag: 'Test',
      success: { status: 200, description: 'Released', schema: z.object({ released: z.literal(true) }) },
      handler: async () => {
        entered += 1;
        await gate;
        return { released: true as const };
      },
    });
    const server = createHttpServer(createApp(api.deps, [...allRoutes(), slow], { inFlightMax: 3 }), LIMITS);
    const base = await listen(server);
    const auth = { Authorization: `Bearer ${lender.admin.apiKey}` };
    try {
      const held = [1, 2, 3].map(() => fetch(`${base}/slow`, { headers: auth }));
      for (let waited = 0; entered < 3 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(entered).toBe(3);

      const shed = await fetch(`${base}/me`, { headers: auth });
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('1');
      expect(shed.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      expect(await shed.json()).toMatchObject({ status: 503, code: 'overloaded', detail: 'the service is handling 3 requests already; retry after 1 s' });

      const startedAt = performance.now();
      const health = await fetch(`${base}/health`);
      const healthMs = performance.now() - startedAt;
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect(healthMs).toBeLessThan(250);
      const ready = await fetch(`${base}/ready`);
      expect(((await ready.json()) as { database: unknown }).database).toEqual({ available: true, reason: null });

      release();
      expect((await Promise.all(held)).map((response) => response.status)).toEqual([200, 200, 200]);
      // Slots are given back when responses finish: the same request now passes.
      expect((await fetch(`${base}/me`, { headers: auth })).status).toBe(200);
    } finally {
      release();
      await close(server);
    }
  });

  test('a request whose client went away gives its slot back', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = 0;
    const slow = defineRoute({
      method: 'get',
      path: '/slow',
      operationId: 'slow',
      summary: 'Waits for the test to release it',
      tag: 'Test',
      success: { status: 200, description: 'Released', schema: z.object({ released: z.literal(true) }) },
      handler: async () => {
        entered += 1;
        await gate;
        return { released: true as const };
      },
    });
    const server = createHttpServer(createApp(api.deps, [...allRoutes(), slow], { inFlightMax: 1 }), LIMITS);
    const base = await listen(server);
    try {
      const aborted = new AbortController();
      const gone = fetch(`${base}/slow`, { headers: { Authorization: `Bearer ${lender.admin.apiKey}` }, signal: aborted.signal }).catch(() => 'aborted');
      for (let waited = 0; entered < 1 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      aborted.abort();
      expect(await gone).toBe('aborted');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await fetch(`${base}/me`, { headers: { Authorization: `Bearer ${lender.admin.apiKey}` } })).status).toBe(200);
    } finally {
      release();
      await close(server);
    }
  });
});

/** A raw connection: what the server sent, and when it closed (ms after connecting). */
function rawConnection(base: string): { socket: net.Socket; received: () => string; closed: Promise<number> } {
  const url = new URL(base);
  const socket = net.connect(Number(url.port), url.hostname);
  const openedAt = performance.now();
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now() - openedAt)));
  return { socket, received: () => received, closed };
}

describe('slow and many connections', () => {
  test('a body trickled slower than HTTP_REQUEST_TIMEOUT_MS is cut off with 408 and the connection closed', async () => {
    const server = createHttpServer(createApp(api.deps), LIMITS);
    const base = await listen(server);
    try {
      const client = rawConnection(base);
      client.socket.write(`POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nAuthorization: Bearer ${lender.admin.apiKey}\r\nIdempotency-Key: slow-1\r\n\r\n{`);
      const trickle = setInterval(() => client.socket.writable && client.socket.write(' '), 100);
      const closedAfterMs = await client.closed;
      clearInterval(trickle);
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      // 1 s allowed, checked every 100 ms: cut off well before Node's default 300 s.
      expect(closedAfterMs).toBeGreaterThanOrEqual(900);
      expect(closedAfterMs).toBeLessThan(2_500);
    } finally {
      await close(server);
    }
  });

  test('headers trickled slower than HTTP_HEADERS_TIMEOUT_MS are cut off with 408', async () => {
    const server = createHttpServer(createApp(api.deps), LIMITS);
    const base = await listen(server);
    try {
      const client = rawConnection(base);
      client.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
      const trickle = setInterval(() => client.socket.writable && client.socket.write('X-Slow: y\r\n'), 100);
      const closedAfterMs = await client.closed;
      clearInterval(trickle);
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(closedAfterMs).toBeLessThan(2_500);
    } finally {
      await close(server);
    }
  });

  test('beyond HTTP_MAX_CONNECTIONS a new connection is closed on arrival; one frees up when another closes', async () => {
    const server = createHttpServer(createApp(api.deps), { ...LIMITS, HTTP_MAX_CONNECTIONS: 2 });
    const base = await listen(server);
    try {
      const first = rawConnection(base);
      const second = rawConnection(base);
      await Promise.all([first, second].map((client) => new Promise((resolve) => client.socket.once('connect', resolve))));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const third = rawConnection(base);
      third.socket.on('connect', () => third.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
      expect(await third.closed).toBeLessThan(1_000);
      expect(third.received()).toBe('');

      first.socket.destroy();
      await first.closed;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await fetch(`${base}/health`)).status).toBe(200);
      second.socket.destroy();
    } finally {
      await close(server);
    }
  });
});
