/**
 * The load side of bench/api-latency.ts, run as a second process: a steady,
 * open-model load of RATE GET requests per second for SECONDS seconds, each
 * request due at t0 + i / RATE, over at most CONNECTIONS keep-alive
 * connections (a request that finds them all busy waits for one, and that
 * wait counts). Latency is measured from when the request was due, not from
 * when it went out, so a server (or client) that falls behind shows it in the
 * percentiles instead of silently sending fewer requests — the method of
 * wrk2. Prints one JSON line.
 *
 * Why not autocannon's -R: it gives each connection a quota per second and
 * sends that quota back to back from the start of every second, so every
 * second begins with all connections firing at once — a burst at the server's
 * full speed, not a steady rate — and it then back-fills latencies at a 1 ms
 * expected interval. bench/api-latency.ts can still run it
 * (BENCH_LOAD_GENERATOR=autocannon) to compare.
 */
import http from 'node:http';

const { URL_TO_HIT, API_KEY } = process.env;
const rate = Number(process.env.RATE);
const seconds = Number(process.env.SECONDS);
const connections = Number(process.env.CONNECTIONS);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
const total = Math.round(rate * seconds);
const intervalMs = 1000 / rate;
const latencies = new Float64Array(total);
let completed = 0;
let non2xx = 0;
let errors = 0;
let sent = 0;

function send(index, dueAt) {
  const request = http.request(URL_TO_HIT, { method: 'GET', agent, headers: { Authorization: `Bearer ${API_KEY}` }, timeout: 30_000 });
  request.on('response', (response) => {
    response.on('data', () => {});
    response.on('end', () => {
      latencies[index] = performance.now() - dueAt;
      if (response.statusCode < 200 || response.statusCode > 299) non2xx++;
      completed++;
      if (completed === total) finish();
    });
  });
  request.on('timeout', () => request.destroy(new Error('timed out after 30 s')));
  request.on('error', () => {
    latencies[index] = performance.now() - dueAt;
    errors++;
    completed++;
    if (completed === total) finish();
  });
  request.end();
}

const startedAt = performance.now();
let lastDueAt = startedAt;
function tick() {
  const now = performance.now();
  while (sent < total && startedAt + sent * intervalMs <= now) {
    lastDueAt = startedAt + sent * intervalMs;
    send(sent, lastDueAt);
    sent++;
  }
  if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, startedAt + sent * intervalMs - performance.now())));
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function finish() {
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const round = (ms) => Math.round(ms * 100) / 100;
  process.stdout.write(
    `${JSON.stringify({
      requests: total,
      seconds: elapsedSeconds,
      offeredPerSecond: total / ((lastDueAt - startedAt) / 1000 + intervalMs / 1000),
      requestsPerSecond: total / elapsedSeconds,
      non2xx,
      errors,
      latencyMs: {
        p50: round(percentile(sorted, 50)),
        p90: round(percentile(sorted, 90)),
        p99: round(percentile(sorted, 99)),
        p99_9: round(percentile(sorted, 99.9)),
        max: round(sorted[sorted.length - 1]),
        average: round(sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length),
      },
    })}\n`,
  );
  agent.destroy();
}

tick();
