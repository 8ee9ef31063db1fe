// What Node's HTTP parser refuses before Express sees a request (headers too
// large, malformed HTTP, a request that arrives too slowly) is answered as
// problem+json with a code, like every other refusal, over a real socket.
import type { Server } from 'node:http';
import net from 'node:net';
import { createApp } from '../../api/app';
import { createHttpServer, type ServerLimits } from '../../api/server';
import { createTestApi, type TestApi } from '../support/api';

let api: TestApi;
let server: Server;
let port: number;
const LIMITS: ServerLimits = { HTTP_REQUEST_TIMEOUT_MS: 1_000, HTTP_HEADERS_TIMEOUT_MS: 1_000, HTTP_MAX_CONNECTIONS: 50 };

beforeAll(async () => {
  api = await createTestApi();
  server = createHttpServer(createApp(api.deps), LIMITS);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await api.close();
});

interface RawAnswer {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
  closedAfterMs: number;
}

/** Sends `chunks` on a fresh connection (a chunk every `intervalMs`) and reads until the server closes it. */
function exchange(chunks: string[], intervalMs = 0): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const openedAt = performance.now();
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      let next = 0;
      const send = () => {
        if (next < chunks.length && socket.writable) socket.write(chunks[next++]);
        if (next < chunks.length) timer = setTimeout(send, intervalMs);
      };
      send();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) return reject(new Error(`no HTTP answer before the connection closed: ${JSON.stringify(received)}`));
      const [statusLine, ...headerLines] = received.slice(0, headEnd).split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ statusLine, headers, body: received.slice(headEnd + 4), closedAfterMs: performance.now() - openedAt });
    });
  });
}

function expectProblem(answer: RawAnswer, status: number, reason: string, code: string): Record<string, unknown> {
  expect(answer.statusLine).toBe(`HTTP/1.1 ${status} ${reason}`);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.headers.connection).toBe('close');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  expect(problem).toMatchObject({ type: `urn:godown:problem:${code}`, status, code });
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  return problem;
}

describe("the parser's refusals are problem+json", () => {
  test('headers over the limit: 431 request_header_fields_too_large naming the limit, and the connection closes', async () => {
    const answer = await exchange([`GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`]);
    const problem = expectProblem(answer, 431, 'Request Header Fields Too Large', 'request_header_fields_too_large');
    expect(problem.detail).toBe("the request's headers exceed 16384 bytes");
  });

  test('a malformed request line: 400 malformed_request', async () => {
    const answer = await exchange(['THIS IS NOT HTTP\r\n\r\n']);
    expectProblem(answer, 400, 'Bad Request', 'malformed_request');
  });

  test('a header name with a space in it: 400 malformed_request', async () => {
    const answer = await exchange(['GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n']);
    const problem = expectProblem(answer, 400, 'Bad Request', 'malformed_request');
    expect(problem.detail).toMatch(/^the request is not valid HTTP\/1\.1 \(HPE_[A-Z_]+\)$/);
  });

  test('a Content-Length that is not a number: 400 malformed_request', async () => {
    const answer = await exchange(['POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n']);
    expectProblem(answer, 400, 'Bad Request', 'malformed_request');
  });

  test('headers trickled slower than the headers timeout: 408 request_timeout', async () => {
    const answer = await exchange(['GET /health HTTP/1.1\r\nHost: x\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: y\r\n`)], 100);
    expectProblem(answer, 408, 'Request Timeout', 'request_timeout');
    expect(answer.closedAfterMs).toBeLessThan(2_500);
  });

  test('a body trickled slower than the request timeout while the handler waits for it: 408 request_timeout', async () => {
    const head = 'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nAuthorization: Bearer nobody\r\n\r\n{';
    const answer = await exchange([head, ...Array.from({ length: 40 }, () => ' ')], 100);
    expectProblem(answer, 408, 'Request Timeout', 'request_timeout');
  });

  test('garbage after a complete exchange on a kept-alive connection: the first answer is intact and the garbage gets 400 problem+json', async () => {
    const answer = await exchange(['GET /health HTTP/1.1\r\nHost: x\r\n\r\n', '\u0001\u0002garbage\r\n\r\n'], 200);
    // The first exchange was a normal 200; the parser's refusal follows it on the same connection.
    expect(answer.statusLine).toBe('HTTP/1.1 200 OK');
    const second = answer.body.slice(answer.body.indexOf('HTTP/1.1 400'));
    expect(second.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    const secondBody = second.slice(second.indexOf('\r\n\r\n') + 4);
    expect(JSON.parse(secondBody)).toMatchObject({ status: 400, code: 'malformed_request' });
  });
});
