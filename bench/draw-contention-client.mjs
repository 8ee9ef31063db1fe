/**
 * The load side of bench/draw-contention.ts, run as a second process: fires
 * COUNT POST /credit-lines/{lineId}/draws at once (each with its own
 * Idempotency-Key, on a connection of its own) and prints one JSON line:
 * every response's status, problem code and latency, and the burst's wall time.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';

const { URL_TO_HIT, API_KEY, AMOUNT, COUNT } = process.env;
const count = Number(COUNT);
const agent = new http.Agent({ keepAlive: false, maxSockets: count });
const body = JSON.stringify({ amount: { amount: AMOUNT, currency: 'USD' }, purpose: 'bench' });

function one() {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request(URL_TO_HIT, {
      method: 'POST',
      agent,
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Idempotency-Key': randomUUID() },
      timeout: 60_000,
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => {
        let code = null;
        try {
          code = JSON.parse(text).code ?? null;
        } catch {}
        resolve({ status: response.statusCode, code, ms: performance.now() - started });
      });
    });
    request.on('timeout', () => request.destroy(new Error('timed out after 60 s')));
    request.on('error', reject);
    request.end(body);
  });
}

const started = performance.now();
const responses = await Promise.all(Array.from({ length: count }, () => one().catch((error) => ({ status: 0, code: String(error.message), ms: performance.now() - started }))));
const wallMs = performance.now() - started;
process.stdout.write(`${JSON.stringify({ wallMs, responses })}\n`);
