/**
 * `npm run bench:api` — GET /credit-lines/{lineId}/borrowing-base under a
 * steady 500 requests/s from a second process: p99 under 20 ms (issue #6,
 * item 4).
 *
 * The real app (createApp, the project's Prisma client with the production
 * pool size, JSON request logging at info) listens on 127.0.0.1 in this
 * process. The load comes from a second process: by default
 * bench/steady-load-client.mjs, an open-model generator that sends one request
 * every 1/rate s over BENCH_CONNECTIONS keep-alive connections and measures
 * each latency from when the request was due (wrk2's method); with
 * BENCH_LOAD_GENERATOR=autocannon, autocannon 8 at -R rate instead (its rate
 * limit sends each connection's per-second quota back to back at the start of
 * every second: bursts, not a steady load — kept to compare). The line has
 * BENCH_LOTS pledged lots (100 by default, one in a hundred on quality hold),
 * a fresh mark and principal outstanding; the caller is the seller's VIEWER,
 * authenticated by API key on every request. Both views are measured: `full`
 * (the default: totals and the page of lots) and `totals`.
 *
 * Knobs: BENCH_RATE (500), BENCH_SECONDS (15), BENCH_WARMUP_SECONDS (5),
 * BENCH_RUNS (3), BENCH_CONNECTIONS (32), BENCH_LOTS (100), BENCH_POOL_MAX
 * (20, DATABASE_POOL_MAX's default), BENCH_VIEWS ("full,totals"),
 * BENCH_LOAD_GENERATOR ("steady" or "autocannon"). Results:
 * bench/results/api-latency.json (api-latency-autocannon.json with autocannon).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { openBenchDatabase } from './bench-database';
import { apiCall, benchWorld, drawPrincipals, openLines, pledgeLots, postMark, startBenchApp, userOf, type BenchUser } from './bench-world';
import { loadAverage, loadText, machine, median, positiveInteger, round, writeResults, runBench } from './bench-report';

const TARGET_P99_MS = 20;

interface AutocannonLatency {
  average: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9?: number;
  max: number;
}

interface AutocannonResult {
  latency: AutocannonLatency;
  requests: { average: number; total: number; sent: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  duration: number;
}

interface Measurement {
  requestsPerSecond: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: { p50: number; p90: number; p99: number; p99_9: number | null; max: number; average: number };
  load: number[];
}

const AUTOCANNON = path.join(__dirname, '..', 'node_modules', 'autocannon', 'autocannon.js');
const STEADY_LOAD_CLIENT = path.join(__dirname, 'steady-load-client.mjs');

type LoadOptions = { rate: number; seconds: number; connections: number };

/** A Node script in a child process that prints one JSON document; killed if it overruns `seconds` by a minute. */
function childJson<T>(what: string, args: string[], env: NodeJS.ProcessEnv, seconds: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      if (code !== 0) return reject(new Error(`${what} exited with ${code}: ${stderr}`));
      try {
        resolve(JSON.parse(stdout) as T);
      } catch (error) {
        reject(new Error(`${what} printed no JSON: ${stdout.slice(0, 500)} ${stderr.slice(0, 500)} ${String(error)}`));
      }
    });
  });
}

/** autocannon -R in a child process; it stops by itself after `seconds`. */
async function autocannon(url: string, user: BenchUser, options: LoadOptions): Promise<Measurement> {
  const args = [AUTOCANNON, '-j', '-c', String(options.connections), '-R', String(options.rate), '-d', String(options.seconds), '-H', `Authorization=Bearer ${user.apiKey}`, url];
  const result = await childJson<AutocannonResult>('autocannon', args, process.env, options.seconds);
  return {
    requestsPerSecond: result.requests.total / result.duration,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, p99_9: result.latency.p99_9 ?? null, max: result.latency.max, average: result.latency.average },
    load: loadAverage(),
  };
}

interface SteadyLoadResult {
  requests: number;
  seconds: number;
  offeredPerSecond: number;
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; p99_9: number; max: number; average: number };
}

/** bench/steady-load-client.mjs in a child process: `rate` requests/s, each due at a fixed time. */
async function steadyLoad(url: string, user: BenchUser, options: LoadOptions): Promise<Measurement> {
  const env = { ...process.env, URL_TO_HIT: url, API_KEY: user.apiKey, RATE: String(options.rate), SECONDS: String(options.seconds), CONNECTIONS: String(options.connections) };
  const result = await childJson<SteadyLoadResult>('steady-load client', [STEADY_LOAD_CLIENT], env, options.seconds);
  return { requestsPerSecond: result.requestsPerSecond, requests: result.requests, non2xx: result.non2xx, errors: result.errors, timeouts: 0, latencyMs: result.latencyMs, load: loadAverage() };
}

async function main(): Promise<void> {
  process.env.NODE_ENV ??= 'production';
  const rate = positiveInteger(process.env, 'BENCH_RATE', 500);
  const seconds = positiveInteger(process.env, 'BENCH_SECONDS', 15);
  const warmupSeconds = positiveInteger(process.env, 'BENCH_WARMUP_SECONDS', 5);
  const runs = positiveInteger(process.env, 'BENCH_RUNS', 3);
  const connections = positiveInteger(process.env, 'BENCH_CONNECTIONS', 32);
  const lots = positiveInteger(process.env, 'BENCH_LOTS', 100);
  const poolMax = positiveInteger(process.env, 'BENCH_POOL_MAX', 20);
  const views = (process.env.BENCH_VIEWS ?? 'full,totals').split(',').map((view) => view.trim());
  const generator = process.env.BENCH_LOAD_GENERATOR ?? 'steady';
  if (generator !== 'steady' && generator !== 'autocannon') throw new Error(`BENCH_LOAD_GENERATOR is "${generator}"; it is steady or autocannon`);
  const load = generator === 'steady' ? steadyLoad : autocannon;
  for (const view of views) if (view !== 'full' && view !== 'totals') throw new Error(`BENCH_VIEWS lists "${view}"; the views are full and totals`);
  const log = (message: string) => console.log(`[bench] ${message} (${loadText()})`);
  const loadAverageAtStart = loadAverage();
  const database = await openBenchDatabase(log);
  const app = await startBenchApp(database.url, { poolMax, logLevel: 'info', logFile: path.join(os.tmpdir(), 'godown-bench-api.log') });
  try {
    const world = await benchWorld(app);
    const [lineId] = await openLines(app, world, 1, '10000000.00');
    await pledgeLots(database.url, world, [lineId], lots, '1000');
    await drawPrincipals(app.prisma, [lineId], ['50000.00']);
    await postMark(app, world, '2.50');
    const viewer = await userOf(app.prisma, world.seller, 'VIEWER');
    const probe = await apiCall(app.baseUrl, viewer, 'GET', `/credit-lines/${lineId}/borrowing-base`);
    const totals = (probe.body as { totals?: { lotCount?: number; borrowingBase?: string } }).totals;
    if (probe.status !== 200 || totals?.lotCount !== lots) throw new Error(`borrowing base probe: ${probe.status} ${JSON.stringify(probe.body).slice(0, 300)}`);
    log(`line ${lineId}: ${totals.lotCount} pledged lots, borrowing base ${totals.borrowingBase}`);

    const results: Record<string, { runs: Measurement[]; medianP99Ms: number; medianP50Ms: number; medianRequestsPerSecond: number; non2xx: number; met: boolean }> = {};
    for (const view of views) {
      const url = `${app.baseUrl}/credit-lines/${lineId}/borrowing-base${view === 'totals' ? '?view=totals' : ''}`;
      log(`${view}: warm-up ${warmupSeconds} s at ${rate}/s`);
      await load(url, viewer, { rate, seconds: warmupSeconds, connections });
      const measured: Measurement[] = [];
      for (let run = 0; run < runs; run++) {
        const result = await load(url, viewer, { rate, seconds, connections });
        measured.push(result);
        log(`${view} run ${run + 1}: ${round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms, non-2xx ${result.non2xx}, errors ${result.errors}`);
      }
      const medianP99Ms = median(measured.map((m) => m.latencyMs.p99));
      const non2xx = measured.reduce((sum, m) => sum + m.non2xx + m.errors + m.timeouts, 0);
      results[view] = {
        runs: measured,
        medianP99Ms,
        medianP50Ms: median(measured.map((m) => m.latencyMs.p50)),
        medianRequestsPerSecond: median(measured.map((m) => m.requestsPerSecond)),
        non2xx,
        met: medianP99Ms < TARGET_P99_MS && non2xx === 0,
      };
    }

    console.log('');
    console.log(`GET /credit-lines/{lineId}/borrowing-base, ${lots} pledged lots, ${rate} req/s (${generator}) over ${connections} connections, median of ${runs} × ${seconds} s, pool ${poolMax}`);
    for (const [view, result] of Object.entries(results)) {
      console.log(`${view.padEnd(7)} ${String(round(result.medianRequestsPerSecond)).padStart(5)} req/s  p50 ${result.medianP50Ms} ms  p99 ${result.medianP99Ms} ms  failures ${result.non2xx}  [p99 < ${TARGET_P99_MS} ms: ${result.met ? 'met' : 'MISSED'}]`);
    }
    console.log(loadText());
    writeResults(
      generator === 'steady' ? 'api-latency' : 'api-latency-autocannon',
      {
        benchmark: 'api-latency',
        recordedAt: new Date().toISOString(),
        machine: { ...machine(), loadAverageAtStart, loadAverageAtEnd: loadAverage() },
        server: { origin: database.origin, version: database.serverVersion, flags: database.serverFlags },
        settings: { rate, seconds, warmupSeconds, runs, connections, pledgedLots: lots, prismaPoolMax: poolMax, views, nodeEnv: process.env.NODE_ENV, loadGenerator: generator === 'steady' ? 'bench/steady-load-client.mjs (child process, open model, latency from due time)' : 'autocannon 8 -R (child process)' },
        views: results,
        targets: { p99MsMax: TARGET_P99_MS, met: Object.values(results).every((result) => result.met) },
      },
      log,
    );
  } finally {
    await app.close();
    await database.close();
  }
}

runBench(main);
