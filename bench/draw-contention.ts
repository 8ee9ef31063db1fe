/**
 * `npm run bench:contention` — 200 concurrent draw requests on one line: zero
 * oversubscription (Σ reserved ≤ availability, exactly), zero 5xx, and the
 * throughput (issue #6, item 5).
 *
 * The real app (createApp, Prisma, pool BENCH_POOL_MAX) on 127.0.0.1; a second
 * process (bench/draw-contention-client.mjs) fires BENCH_REQUESTS
 * POST /credit-lines/{lineId}/draws at once, each with its own
 * Idempotency-Key. What is measured is the draw request path up to and
 * including the workflow start call: auth, idempotency claim, requestDraw
 * under the line's row lock (linePosition, insert, audit), then
 * workflows.start — here a gateway that records the start (refusing a
 * duplicate id, as Temporal does) without running the workflow, after
 * BENCH_START_LATENCY_MS (0 by default; set it to see what a real Temporal
 * round trip inside the locked transaction costs) — and the commit.
 *
 * Each run uses a fresh line with availability 99 000.00 USD (99 eligible lots
 * × 1 000 kg × 2.50 × 0.8 × 0.5) and draws of 750.00, so exactly 132 fit:
 * the bench checks that exactly 132 are accepted (no oversubscription, and no
 * needless refusal), that every other answer is 422 insufficient_availability,
 * and that the database's Σ reserved equals 132 × 750.00.
 *
 * With BENCH_TEMPORAL_ADDRESS=host:port the starts go to that real Temporal server instead
 * (e.g. the pinned CLI's `temporal server start-dev`; no worker runs them, so the draws stay
 * reserved): every start is a real round trip, made by the outbox dispatcher after commit.
 *
 * Knobs: BENCH_RUNS (5), BENCH_REQUESTS (200), BENCH_POOL_MAX (20), BENCH_START_LATENCY_MS (0),
 * BENCH_TEMPORAL_ADDRESS (unset: the recording gateway).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { D } from '../domain/money';
import pino from 'pino';
import { connectTemporal, ConnectedTemporal, type TemporalAccess, type TemporalStatus, type WorkflowGateway } from '../workflows/connection';
import { openBenchDatabase, withClient } from './bench-database';
import { benchWorld, openLines, pledgeLots, postMark, startBenchApp, userOf, type BenchApp, type BenchUser, type BenchWorld } from './bench-world';
import { loadAverage, loadText, machine, median, percentile, positiveInteger, round, writeResults, runBench } from './bench-report';

const LOTS = 100;
const AMOUNT = '750.00';
const AVAILABILITY = '99000';

/** Records workflow starts without running them; a second start of one id is refused as the server refuses it. */
class RecordingTemporal implements TemporalAccess {
  readonly taskQueue = 'godown-bench';
  readonly started = new Set<string>();
  constructor(private readonly startLatencyMs: number) {}
  status(): TemporalStatus {
    return { available: true, address: 'recording-gateway', namespace: 'default', reason: null };
  }
  workflows(): WorkflowGateway {
    return {
      start: async (workflowType, { workflowId }) => {
        if (this.startLatencyMs > 0) await sleep(this.startLatencyMs);
        if (this.started.has(workflowId)) throw new WorkflowExecutionAlreadyStartedError(`workflow ${workflowId} is already running`, workflowId, workflowType);
        this.started.add(workflowId);
      },
      signal: async () => undefined,
      query: async () => {
        throw new Error('the recording gateway runs no workflows to query');
      },
    };
  }
  async probe(): Promise<TemporalStatus> {
    return this.status();
  }
  async close(): Promise<void> {}
}

/** The real server's gateway, counting the starts it accepted (a duplicate is refused by the server). */
class CountingRealTemporal implements TemporalAccess {
  readonly started = new Set<string>();
  readonly startMs: number[] = [];
  constructor(private readonly real: ConnectedTemporal) {}
  get taskQueue(): string {
    return this.real.taskQueue;
  }
  status(): TemporalStatus {
    return this.real.status();
  }
  workflows(): WorkflowGateway {
    const gateway = this.real.workflows();
    return {
      start: async (workflowType, options) => {
        const began = performance.now();
        await gateway.start(workflowType, options);
        this.startMs.push(performance.now() - began);
        this.started.add(options.workflowId);
      },
      signal: (workflowId, signalName, ...args) => gateway.signal(workflowId, signalName, ...args),
      query: (workflowId, queryName, ...args) => gateway.query(workflowId, queryName, ...args),
    };
  }
  probe(timeoutMs: number): Promise<TemporalStatus> {
    return this.real.probe(timeoutMs);
  }
  close(): Promise<void> {
    return this.real.close();
  }
}

interface ClientResponse {
  status: number;
  code: string | null;
  ms: number;
}

function burst(url: string, user: BenchUser, count: number): Promise<{ wallMs: number; responses: ClientResponse[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'draw-contention-client.mjs')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, URL_TO_HIT: url, API_KEY: user.apiKey, AMOUNT, COUNT: String(count) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      if (code !== 0) return reject(new Error(`contention client exited with ${code}: ${stderr}`));
      resolve(JSON.parse(stdout) as { wallMs: number; responses: ClientResponse[] });
    });
  });
}

interface Run {
  accepted: number;
  refused: number;
  serverErrors: number;
  otherStatuses: Record<string, number>;
  reservedInDatabase: string;
  workflowStarts: number;
  wallMs: number;
  requestsPerSecond: number;
  acceptedPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  load: number[];
}

async function oneRun(app: BenchApp, world: BenchWorld, databaseUrl: string, temporal: RecordingTemporal | CountingRealTemporal, operator: BenchUser, requests: number): Promise<Run> {
  const [lineId] = await openLines(app, world, 1, '10000000.00');
  await pledgeLots(databaseUrl, world, [lineId], LOTS, '1000', `R${lineId.slice(0, 8)}-`);
  const startsBefore = temporal.started.size;
  const { wallMs, responses } = await burst(`${app.baseUrl}/credit-lines/${lineId}/draws`, operator, requests);
  const accepted = responses.filter((r) => r.status === 201).length;
  const refused = responses.filter((r) => r.status === 422 && r.code === 'insufficient_availability').length;
  const serverErrors = responses.filter((r) => r.status >= 500 || r.status === 0).length;
  const otherStatuses: Record<string, number> = {};
  for (const r of responses) {
    if (r.status === 201 || (r.status === 422 && r.code === 'insufficient_availability')) continue;
    const key = `${r.status} ${r.code}`;
    otherStatuses[key] = (otherStatuses[key] ?? 0) + 1;
  }
  const reservedInDatabase = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ reserved: string; count: string }>(
      `SELECT coalesce(sum(amount), 0)::numeric(38,2)::text AS reserved, count(*)::text AS count FROM draw WHERE credit_line_id = $1 AND status IN ('REQUESTED', 'APPROVED')`,
      [lineId],
    );
    if (Number(rows[0].count) !== accepted) throw new Error(`line ${lineId}: ${accepted} draws accepted over HTTP, ${rows[0].count} reserved in the database`);
    return rows[0].reserved;
  });
  const latencies = responses.map((r) => r.ms);
  return {
    accepted,
    refused,
    serverErrors,
    otherStatuses,
    reservedInDatabase,
    workflowStarts: temporal.started.size - startsBefore,
    wallMs,
    requestsPerSecond: (requests / wallMs) * 1000,
    acceptedPerSecond: (accepted / wallMs) * 1000,
    latencyMs: { p50: round(percentile(latencies, 50), 1), p99: round(percentile(latencies, 99), 1), max: round(Math.max(...latencies), 1) },
    load: loadAverage(),
  };
}

async function main(): Promise<void> {
  process.env.NODE_ENV ??= 'production';
  const runs = positiveInteger(process.env, 'BENCH_RUNS', 5);
  const requests = positiveInteger(process.env, 'BENCH_REQUESTS', 200);
  const poolMax = positiveInteger(process.env, 'BENCH_POOL_MAX', 20);
  const startLatencyMs = Number(process.env.BENCH_START_LATENCY_MS ?? '0');
  if (!Number.isFinite(startLatencyMs) || startLatencyMs < 0) throw new Error(`BENCH_START_LATENCY_MS must be a number of milliseconds ≥ 0; got "${process.env.BENCH_START_LATENCY_MS}"`);
  const log = (message: string) => console.log(`[bench] ${message} (${loadText()})`);
  const loadAverageAtStart = loadAverage();
  const database = await openBenchDatabase(log);
  const temporalAddress = process.env.BENCH_TEMPORAL_ADDRESS;
  let temporal: RecordingTemporal | CountingRealTemporal = new RecordingTemporal(startLatencyMs);
  if (temporalAddress) {
    const real = await connectTemporal({ address: temporalAddress, namespace: 'default', taskQueue: `godown-bench-${Date.now()}`, devServer: 'off' }, pino({ level: 'warn' }));
    if (!(real instanceof ConnectedTemporal)) throw new Error(`BENCH_TEMPORAL_ADDRESS: ${real.status().reason}`);
    temporal = new CountingRealTemporal(real);
    log(`workflow starts go to the real Temporal server at ${temporalAddress}`);
  }
  const app = await startBenchApp(database.url, { poolMax, temporal, logLevel: 'info' });
  const expectedAccepted = new D(AVAILABILITY).dividedToIntegerBy(AMOUNT).toNumber();
  const expectedReserved = new D(AMOUNT).times(expectedAccepted).toFixed(2);
  try {
    const world = await benchWorld(app);
    await postMark(app, world, '2.50');
    const operator = await userOf(app.prisma, world.seller, 'OPERATOR');
    const measured: Run[] = [];
    for (let run = 0; run < runs; run++) {
      const result = await oneRun(app, world, database.url, temporal, operator, requests);
      measured.push(result);
      log(
        `run ${run + 1}: ${result.accepted} accepted, ${result.refused} refused (422), ${result.serverErrors} 5xx, other ${JSON.stringify(result.otherStatuses)}; ` +
          `reserved ${result.reservedInDatabase} of ${AVAILABILITY}; ${round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms`,
      );
    }
    const oversubscribed = measured.filter((run) => new D(run.reservedInDatabase).gt(AVAILABILITY)).length;
    const exact = measured.every((run) => run.accepted === expectedAccepted && run.reservedInDatabase === expectedReserved && run.workflowStarts === run.accepted);
    const serverErrors = measured.reduce((sum, run) => sum + run.serverErrors, 0);
    const unexpected = measured.reduce((sum, run) => sum + Object.values(run.otherStatuses).reduce((a, b) => a + b, 0), 0);
    const medianRequestsPerSecond = median(measured.map((run) => run.requestsPerSecond));
    console.log('');
    const gatewayText = temporal instanceof CountingRealTemporal ? `real Temporal at ${temporalAddress}` : `recording gateway, start latency ${startLatencyMs} ms`;
    console.log(`${requests} concurrent draw requests of ${AMOUNT} USD on one line (availability ${AVAILABILITY}.00), median of ${runs} runs, pool ${poolMax}, ${gatewayText}`);
    if (temporal instanceof CountingRealTemporal) {
      console.log(`real workflow starts: ${temporal.startMs.length}, p50 ${round(percentile(temporal.startMs, 50), 1)} ms, p99 ${round(percentile(temporal.startMs, 99), 1)} ms each (after commit, outside the line lock)`);
    }
    console.log(`accepted ${expectedAccepted} expected; runs exact: ${exact}; oversubscribed runs: ${oversubscribed}; 5xx: ${serverErrors}; unexpected answers: ${unexpected}`);
    console.log(`throughput ${round(medianRequestsPerSecond)} requests/s (${round(median(measured.map((run) => run.acceptedPerSecond)))} accepted draws/s); burst ${round(median(measured.map((run) => run.wallMs)))} ms; p99 ${median(measured.map((run) => run.latencyMs.p99))} ms`);
    console.log(loadText());
    writeResults(
      temporal instanceof CountingRealTemporal ? 'draw-contention-real-temporal' : 'draw-contention',
      {
        benchmark: 'draw-contention',
        recordedAt: new Date().toISOString(),
        machine: { ...machine(), loadAverageAtStart, loadAverageAtEnd: loadAverage() },
        server: { origin: database.origin, version: database.serverVersion, flags: database.serverFlags },
        settings: {
          runs, requests, amount: AMOUNT, availability: AVAILABILITY, pledgedLots: LOTS, prismaPoolMax: poolMax, startLatencyMs, temporal: temporalAddress ?? 'recording gateway',
          measuredPath: `HTTP → auth → idempotency claim → requestDraw + outbox row under the line lock → commit → workflows.start by the outbox dispatcher (${temporalAddress ? 'real Temporal server' : 'recorded, not run'}) → answer`,
          nodeEnv: process.env.NODE_ENV,
        },
        ...(temporal instanceof CountingRealTemporal ? { workflowStartMs: { count: temporal.startMs.length, p50: round(percentile(temporal.startMs, 50), 1), p99: round(percentile(temporal.startMs, 99), 1) } } : {}),
        runs: measured,
        medianRequestsPerSecond,
        targets: { oversubscribedRuns: oversubscribed, serverErrors, unexpectedAnswers: unexpected, exactEveryRun: exact, met: oversubscribed === 0 && serverErrors === 0 && unexpected === 0 && exact },
      },
      log,
    );
  } finally {
    await app.close();
    await database.close();
  }
}

runBench(main);
