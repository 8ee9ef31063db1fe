/**
 * `npm run bench:ledger` — ledger postings per second (issue #6, item 1).
 *
 * Balanced two-line postings through the project's own code (postEntry on the
 * root Prisma client, whose batcher coalesces concurrent postings into
 * post_journal_entries() statements, or sends a lone one as
 * post_journal_entry()), each with its own idempotency key, between accounts
 * that must not go negative — once across many accounts, once with every
 * posting touching one hot account. In the same run, on the same database,
 * pgbench sends the same statements — the same mix of batch sizes our side
 * sent, from as many connections as our batcher uses — for the same time, so
 * `ours ÷ pgbench` (postings per second on each side) says how much our code
 * costs on top of the SQL itself.
 *
 * Runs against its own embedded PostgreSQL (temp folder, removed afterwards)
 * or, with DATABASE_URL, against a fresh database on that server. Prints the
 * median of the runs and writes bench/results/ledger-postings.json.
 *
 * Knobs (environment): BENCH_RUNS (5), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (15),
 * BENCH_CLIENTS (8), BENCH_ACCOUNTS (10000), BENCH_SCENARIOS ("many,hot"),
 * BENCH_BATCHES_IN_FLIGHT (the store's default), BENCH_BATCH_SIZE_MAX (the store's
 * default; 1 turns batching off), BENCH_PGBENCH_CLIENTS (batches in flight, at most
 * BENCH_CLIENTS), BENCH_PGBENCH_PROTOCOL ("extended"), PGBENCH (/usr/bin/pgbench);
 * BENCH_WITHOUT_MIGRATION (a migration to leave out, e.g. to measure the ledger as it
 * was before it).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createPrismaClient, type PrismaClient } from '../prisma/client';
import {
  POSTING_BATCHES_IN_FLIGHT_DEFAULT,
  POSTING_BATCH_SIZE_DEFAULT,
  configurePostingBatches,
  postEntry,
  postingBatchStatistics,
  type PostEntryInput,
  type PostingBatchStatistics,
} from '../prisma/ledger/store';
import { ENTRY_LINES_MAX } from '../domain/ledger';
import { Money } from '../domain/money';
import { openBenchDatabase, withClient, type BenchDatabase } from './bench-database';
import { loadAverage, loadText, machine, median, positiveInteger, round, writeResults, runBench } from './bench-report';
import { PGBENCH_SCRIPTS_MAX, pgbenchVersion, runPgbench, type PgbenchOptions, type PgbenchScript } from './pgbench';

const TARGET_RATIO_MIN = 0.6;
const TARGET_MANY_ACCOUNTS_POSTINGS_PER_SECOND_MIN = 3000;
const BENCH_ACCOUNTS_MAX = 1_000_000;

type ScenarioName = 'many' | 'hot';

interface Settings {
  runs: number;
  secondsPerRun: number;
  warmupSeconds: number;
  clients: number;
  accounts: number;
  scenarios: ScenarioName[];
  batchesInFlightMax: number;
  batchSizeMax: number;
  /** Fixed by BENCH_PGBENCH_CLIENTS, else null: as many as keep the same number of postings in flight as our callers (pgbenchClientsFor). */
  pgbenchClients: number | null;
  pgbenchProtocol: PgbenchOptions['queryMode'];
}

function settingsFromEnvironment(env: NodeJS.ProcessEnv): Settings {
  const scenarios = (env.BENCH_SCENARIOS ?? 'many,hot').split(',').map((name) => name.trim());
  for (const name of scenarios) {
    if (name !== 'many' && name !== 'hot') throw new Error(`BENCH_SCENARIOS lists "${name}"; the scenarios are many and hot`);
  }
  const protocol = env.BENCH_PGBENCH_PROTOCOL ?? 'extended';
  if (protocol !== 'simple' && protocol !== 'extended' && protocol !== 'prepared') {
    throw new Error(`BENCH_PGBENCH_PROTOCOL is "${protocol}"; it is simple, extended or prepared`);
  }
  const clients = positiveInteger(env, 'BENCH_CLIENTS', 8);
  const batchesInFlightMax = positiveInteger(env, 'BENCH_BATCHES_IN_FLIGHT', POSTING_BATCHES_IN_FLIGHT_DEFAULT);
  return {
    runs: positiveInteger(env, 'BENCH_RUNS', 5),
    secondsPerRun: positiveInteger(env, 'BENCH_SECONDS', 10),
    warmupSeconds: positiveInteger(env, 'BENCH_WARMUP_SECONDS', 15),
    clients,
    accounts: accountCount(env),
    scenarios: scenarios as ScenarioName[],
    batchesInFlightMax,
    batchSizeMax: positiveInteger(env, 'BENCH_BATCH_SIZE_MAX', POSTING_BATCH_SIZE_DEFAULT),
    pgbenchClients: env.BENCH_PGBENCH_CLIENTS === undefined ? null : positiveInteger(env, 'BENCH_PGBENCH_CLIENTS', 1),
    pgbenchProtocol: protocol,
  };
}

function accountCount(env: NodeJS.ProcessEnv): number {
  const accounts = positiveInteger(env, 'BENCH_ACCOUNTS', 10_000);
  if (accounts < 2 || accounts > BENCH_ACCOUNTS_MAX) {
    throw new Error(`BENCH_ACCOUNTS must be 2 to ${BENCH_ACCOUNTS_MAX} (a transfer needs two accounts); got ${accounts}`);
  }
  return accounts;
}

// ─── The workload, written once for our side and once for pgbench ─────────────

// Account n's UUID ends in the 12 digits of ACCOUNT_NUMBER_BASE + n, so that a
// pgbench script can name an account from a random number alone.
const ACCOUNT_NUMBER_BASE = 100_000_000_000;
const ACCOUNT_ID_PREFIX = '00000000-0000-4000-8000-';
const FUNDING_ACCOUNT_ID = '00000000-0000-4000-9000-000000000000';
const ACCOUNTS_PER_SET = 50;
const FUNDING_PER_ACCOUNT = '1000000.00';
const DESCRIPTION = 'Bench transfer';
const EFFECTIVE_DATE = '2026-03-01';
/** pgbench cannot hash; the function stores the hash without reading it, so any 64 hex digits do. */
const PGBENCH_CONTENT_HASH = '0'.repeat(64);

function accountId(accountNumber: number): string {
  return `${ACCOUNT_ID_PREFIX}${ACCOUNT_NUMBER_BASE + accountNumber}`;
}

/** Accounts 0 … accounts−1 are the many; account `accounts` is the hot one. */
function hotAccountNumber(settings: Settings): number {
  return settings.accounts;
}

/** 0.10 … 99.99, as pgbench draws it: whole units 0–99 and cents 10–99. */
function transferAmount(): Money {
  return Money.of(`${randomInt(0, 100)}.${randomInt(10, 100)}`, 'USD');
}

function nextPosting(scenario: ScenarioName, settings: Settings): PostEntryInput {
  const amount = transferAmount();
  let debitNumber: number;
  let creditNumber: number;
  if (scenario === 'many') {
    debitNumber = randomInt(settings.accounts);
    creditNumber = randomInt(settings.accounts - 1);
    if (creditNumber >= debitNumber) creditNumber += 1;
  } else {
    const other = randomInt(settings.accounts);
    const hotIsDebited = randomInt(2) === 0;
    debitNumber = hotIsDebited ? hotAccountNumber(settings) : other;
    creditNumber = hotIsDebited ? other : hotAccountNumber(settings);
  }
  return {
    idempotencyKey: `bench-${randomUUID()}`,
    description: DESCRIPTION,
    effectiveDate: EFFECTIVE_DATE,
    lines: [
      { accountId: accountId(debitNumber), side: 'DEBIT', amount },
      { accountId: accountId(creditNumber), side: 'CREDIT', amount },
    ],
  };
}

/**
 * The statement postEntry's batcher sends for `batchSize` postings like
 * nextPosting()'s, as a pgbench script: the payloads postEntry builds (same
 * keys, same order), sent to the same function — post_journal_entry() for a
 * lone posting, post_journal_entries() with an array of them for a batch.
 * Numbers are drawn by pgbench and spliced into the JSON text by the server
 * (`||`), because pgbench variables are numbers and, in the extended protocol,
 * parameters (typed ::text so that the server can resolve `||`).
 */
function pgbenchScript(scenario: ScenarioName, settings: Settings, batchSize: number): string {
  const first = ACCOUNT_NUMBER_BASE;
  const last = ACCOUNT_NUMBER_BASE + settings.accounts - 1;
  const hot = ACCOUNT_NUMBER_BASE + hotAccountNumber(settings);
  const draws = (n: number) => [
    ...(scenario === 'many'
      ? [`\\set debit${n} random(${first}, ${last})`, `\\set credit${n} random(${first}, ${last - 1})`, `\\set credit${n} case when :credit${n} >= :debit${n} then :credit${n} + 1 else :credit${n} end`]
      : [
          `\\set other${n} random(${first}, ${last})`,
          `\\set hot_is_debited${n} random(0, 1)`,
          `\\set debit${n} case when :hot_is_debited${n} = 1 then ${hot} else :other${n} end`,
          `\\set credit${n} case when :hot_is_debited${n} = 1 then :other${n} else ${hot} end`,
        ]),
    `\\set units${n} random(0, 99)`,
    `\\set cents${n} random(10, 99)`,
    `\\set key${n} random(1, 9000000000000000000)`,
  ];
  const line = (accountVariable: string, side: string, n: number) =>
    `{"account_id":"${ACCOUNT_ID_PREFIX}' || :${accountVariable}${n}::text || '","side":"${side}","amount":"' || :units${n}::text || '.' || :cents${n}::text || '","currency":"USD"}`;
  const payload = (n: number) =>
    `'{"idempotency_key":"pgbench-' || :key${n}::text || '","content_hash":"${PGBENCH_CONTENT_HASH}",` +
    // `: null` with a space: pgbench would read `:null` as a variable.
    `"description":"${DESCRIPTION}","effective_date":"${EFFECTIVE_DATE}","account_set_id": null,"metadata": null,` +
    `"reverses_entry_id": null,"lines":[${line('debit', 'DEBIT', n)},${line('credit', 'CREDIT', n)}]}'`;
  const postings = Array.from({ length: batchSize }, (_, index) => index + 1);
  // The statements the store sends (prisma/ledger/store.ts), payloads inlined.
  const statement =
    batchSize === 1
      ? `SELECT post_journal_entry((${payload(1)})::jsonb)::text AS outcome;`
      : `SELECT post_journal_entries(('[' || ${postings.map(payload).join(" || ',' || ")} || ']')::jsonb)::text AS outcomes;`;
  return [...postings.flatMap(draws), statement, ''].join('\n');
}

/** pgbench's limit on the variables one statement of the extended protocol can use. */
const PGBENCH_STATEMENT_PARAMETERS_MAX = 255;
/** Variables a posting of pgbenchScript() uses: key, debit, credit, and units and cents on each line. */
const PGBENCH_PARAMETERS_PER_POSTING = 7;

/**
 * The protocol pgbench runs the scripts with: the one asked for, unless a
 * batch needs more parameters than pgbench binds, in which case the simple
 * protocol (values inlined as literals).
 */
function pgbenchProtocolFor(settings: Settings, batchSizes: number[]): PgbenchOptions['queryMode'] {
  const parametersMax = Math.max(...batchSizes) * PGBENCH_PARAMETERS_PER_POSTING;
  return settings.pgbenchProtocol !== 'simple' && parametersMax > PGBENCH_STATEMENT_PARAMETERS_MAX ? 'simple' : settings.pgbenchProtocol;
}

/** Statements sent, by batch size (how many postings each carried). */
type BatchSizeHistogram = Record<number, number>;

function addHistograms(into: BatchSizeHistogram, from: BatchSizeHistogram): void {
  for (const [size, count] of Object.entries(from)) into[Number(size)] = (into[Number(size)] ?? 0) + count;
}

/**
 * pgbench scripts sending the statements our side sent, each batch size
 * weighted by how many statements of that size we sent (the most frequent
 * sizes, if there are more than pgbench takes).
 */
function pgbenchScripts(scenario: ScenarioName, settings: Settings, ourBatches: BatchSizeHistogram): { batchSize: number; script: PgbenchScript }[] {
  const sizes = Object.entries(ourBatches)
    .map(([size, count]) => ({ batchSize: Number(size), count }))
    .filter(({ count }) => count > 0)
    .sort((a, b) => b.count - a.count)
    .slice(0, PGBENCH_SCRIPTS_MAX);
  if (sizes.length === 0) sizes.push({ batchSize: 1, count: 1 });
  return sizes.map(({ batchSize, count }) => ({ batchSize, script: { script: pgbenchScript(scenario, settings, batchSize), weight: count } }));
}

/** Statement-weighted and posting-weighted median batch sizes and the mean. */
function batchSizeSummary(histogram: BatchSizeHistogram): { statements: number; postings: number; mean: number; medianPerStatement: number; medianPerPosting: number } {
  const sizes = Object.entries(histogram).map(([size, count]) => ({ size: Number(size), count })).sort((a, b) => a.size - b.size);
  const statements = sizes.reduce((sum, { count }) => sum + count, 0);
  const postings = sizes.reduce((sum, { size, count }) => sum + size * count, 0);
  const weightedMedian = (weight: (entry: { size: number; count: number }) => number, total: number) => {
    let seen = 0;
    for (const entry of sizes) {
      seen += weight(entry);
      if (seen * 2 >= total) return entry.size;
    }
    return 0;
  };
  return {
    statements,
    postings,
    mean: statements === 0 ? 0 : postings / statements,
    medianPerStatement: weightedMedian(({ count }) => count, statements),
    medianPerPosting: weightedMedian(({ size, count }) => size * count, postings),
  };
}

// ─── Setting up the ledger ───────────────────────────────────────────────────

async function createAccounts(url: string, settings: Settings): Promise<void> {
  await withClient(url, async (client) => {
    // Bench accounts are ordinary ledger accounts (balance 0, then funded by
    // postings); only their ids are chosen, so that pgbench can name them.
    await client.query(
      `INSERT INTO ledger_account (id, account_set_id, code, name, type, normal_balance, currency, must_not_go_negative)
       SELECT ($1 || ($2::bigint + n)::text)::uuid,
              ('00000000-0000-4000-a000-' || lpad((n / $4)::text, 12, '0'))::uuid,
              CASE WHEN n = $3 THEN 'HOT' ELSE 'ACCOUNT_' || n END,
              CASE WHEN n = $3 THEN 'Hot account' ELSE 'Bench account ' || n END,
              'ASSET', 'DEBIT', 'USD', true
         FROM generate_series(0, $3) AS n`,
      [ACCOUNT_ID_PREFIX, ACCOUNT_NUMBER_BASE, hotAccountNumber(settings), ACCOUNTS_PER_SET],
    );
    await client.query(
      `INSERT INTO ledger_account (id, account_set_id, code, name, type, normal_balance, currency, must_not_go_negative)
       VALUES ($1, $1, 'FUNDING', 'Bench funding', 'LIABILITY', 'CREDIT', 'USD', false)`,
      [FUNDING_ACCOUNT_ID],
    );
  });
}

/** Funds every bench account (hot one included) through postEntry, in entries of ENTRY_LINES_MAX lines. */
async function fundAccounts(prisma: PrismaClient, settings: Settings): Promise<void> {
  const debitLinesPerEntry = ENTRY_LINES_MAX - 1;
  const funding = Money.of(FUNDING_PER_ACCOUNT, 'USD');
  for (let first = 0; first <= hotAccountNumber(settings); first += debitLinesPerEntry) {
    const last = Math.min(first + debitLinesPerEntry - 1, hotAccountNumber(settings));
    const numbers = Array.from({ length: last - first + 1 }, (_, index) => first + index);
    await postEntry(prisma, {
      idempotencyKey: `bench-funding-${first}`,
      description: `Bench funding of accounts ${first}–${last}`,
      effectiveDate: EFFECTIVE_DATE,
      lines: [
        ...numbers.map((n) => ({ accountId: accountId(n), side: 'DEBIT' as const, amount: funding })),
        { accountId: FUNDING_ACCOUNT_ID, side: 'CREDIT' as const, amount: funding.times(String(numbers.length)) },
      ],
    });
  }
}

// ─── Measuring ───────────────────────────────────────────────────────────────

interface Measurement {
  postingsPerSecond: number;
  postings: number;
  seconds: number;
  /** Server CPU per posting (all server processes), when the server is ours. */
  serverCpuMsPerPosting: number | null;
  /** This Node process's CPU per posting (ours only). */
  clientCpuMsPerPosting: number | null;
  /** Statements sent, by how many postings each carried. */
  statementsByBatchSize: BatchSizeHistogram;
  /** Ours only: batches that failed as a whole and were posted one by one. */
  batchesRetriedAlone: number | null;
  /** pgbench only: its number of clients and the protocol it used. */
  pgbenchClients?: number;
  pgbenchProtocol?: PgbenchOptions['queryMode'];
}

async function entryCount(url: string): Promise<number> {
  return withClient(url, async (client) =>
    Number((await client.query<{ count: string }>('SELECT count(*)::text AS count FROM journal_entry')).rows[0].count),
  );
}

function batchesSince(prisma: PrismaClient, before: PostingBatchStatistics): { histogram: BatchSizeHistogram; retriedAlone: number } {
  const after = postingBatchStatistics(prisma);
  const histogram: BatchSizeHistogram = {};
  for (const [size, count] of Object.entries(after.statementsByBatchSize)) {
    const sent = count - (before.statementsByBatchSize[Number(size)] ?? 0);
    if (sent > 0) histogram[Number(size)] = sent;
  }
  return { histogram, retriedAlone: after.batchesRetriedAlone - before.batchesRetriedAlone };
}

async function measureOurs(prisma: PrismaClient, database: BenchDatabase, scenario: ScenarioName, settings: Settings, seconds: number): Promise<Measurement> {
  const batchesBefore = postingBatchStatistics(prisma);
  const serverCpuBefore = database.serverCpuSeconds();
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let postings = 0;
  await Promise.all(
    Array.from({ length: settings.clients }, async () => {
      while (performance.now() < deadline) {
        const entry = await postEntry(prisma, nextPosting(scenario, settings));
        if (entry.replayed) throw new Error(`posting ${entry.idempotencyKey} was a replay; every bench key is new`);
        postings += 1;
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const serverCpuAfter = database.serverCpuSeconds();
  const batches = batchesSince(prisma, batchesBefore);
  return {
    postingsPerSecond: postings / elapsedSeconds,
    postings,
    seconds: elapsedSeconds,
    serverCpuMsPerPosting: serverCpuBefore === null || serverCpuAfter === null ? null : ((serverCpuAfter - serverCpuBefore) * 1000) / postings,
    clientCpuMsPerPosting: (clientCpu.user + clientCpu.system) / 1000 / postings,
    statementsByBatchSize: batches.histogram,
    batchesRetriedAlone: batches.retriedAlone,
  };
}

async function measurePgbench(database: BenchDatabase, scenario: ScenarioName, settings: Settings, seconds: number, ourBatches: BatchSizeHistogram): Promise<Measurement> {
  const scripts = pgbenchScripts(scenario, settings, ourBatches);
  const entriesBefore = await entryCount(database.url);
  const serverCpuBefore = database.serverCpuSeconds();
  const clients = pgbenchClientsFor(settings, ourBatches);
  const protocol = pgbenchProtocolFor(settings, scripts.map(({ batchSize }) => batchSize));
  const result = await runPgbench({
    databaseUrl: database.url,
    scripts: scripts.map(({ script }) => script),
    clients,
    durationSeconds: seconds,
    queryMode: protocol,
  });
  const serverCpuAfter = database.serverCpuSeconds();
  const posted = (await entryCount(database.url)) - entriesBefore;
  const statementsByBatchSize: BatchSizeHistogram = {};
  scripts.forEach(({ batchSize }, index) => {
    if (result.transactionsPerScript[index] > 0) statementsByBatchSize[batchSize] = result.transactionsPerScript[index];
  });
  const expected = scripts.reduce((sum, { batchSize }, index) => sum + batchSize * result.transactionsPerScript[index], 0);
  // The functions answer a refusal or a replay instead of failing, so pgbench
  // would count it as done: check that every proposal posted an entry.
  if (result.failedTransactions > 0 || posted !== expected) {
    throw new Error(
      `pgbench processed ${result.transactionsProcessed} transactions (${result.failedTransactions} failed) carrying ${expected} postings, but ${posted} entries were posted`,
    );
  }
  const elapsedSeconds = result.transactionsProcessed / result.transactionsPerSecond;
  return {
    postingsPerSecond: posted / elapsedSeconds,
    postings: posted,
    seconds: elapsedSeconds,
    serverCpuMsPerPosting: serverCpuBefore === null || serverCpuAfter === null ? null : ((serverCpuAfter - serverCpuBefore) * 1000) / posted,
    clientCpuMsPerPosting: null,
    statementsByBatchSize,
    batchesRetriedAlone: null,
    pgbenchClients: clients,
    pgbenchProtocol: protocol,
  };
}

/**
 * pgbench clients that keep as many postings in flight as our callers do:
 * our callers ÷ our mean batch size (each pgbench client always has one
 * statement in flight, with that many postings), unless fixed.
 */
function pgbenchClientsFor(settings: Settings, ourBatches: BatchSizeHistogram): number {
  if (settings.pgbenchClients !== null) return settings.pgbenchClients;
  const { mean } = batchSizeSummary(ourBatches);
  return mean === 0 ? settings.clients : Math.min(settings.clients, Math.max(1, Math.round(settings.clients / mean)));
}

function medianOrNull(values: (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : median(known);
}

interface ScenarioResult {
  ours: Measurement[];
  pgbench: Measurement[];
  oursMedianPostingsPerSecond: number;
  pgbenchMedianPostingsPerSecond: number;
  /** median(ours) ÷ median(pgbench). */
  ratio: number;
  /** Median of each run's ours ÷ pgbench (the two ran back to back). */
  medianOfRunRatios: number;
  oursServerCpuMsPerPosting: number | null;
  pgbenchServerCpuMsPerPosting: number | null;
  oursClientCpuMsPerPosting: number | null;
  /** Every statement our side sent in the measured runs, by batch size, and its summary. */
  oursStatementsByBatchSize: BatchSizeHistogram;
  oursBatchSizes: ReturnType<typeof batchSizeSummary>;
  /** The same for pgbench (its mix follows ours, run by run). */
  pgbenchStatementsByBatchSize: BatchSizeHistogram;
  pgbenchBatchSizes: ReturnType<typeof batchSizeSummary>;
}

async function runScenario(prisma: PrismaClient, database: BenchDatabase, scenario: ScenarioName, settings: Settings, log: (message: string) => void): Promise<ScenarioResult> {
  log(`${scenario}: warming up (${settings.warmupSeconds} s each)`);
  // pgbench sends the mix of batch sizes our side has sent so far in this
  // scenario (warm-up included), so that it runs the same statements.
  const oursSoFar: BatchSizeHistogram = {};
  const oursThen = async (seconds: number) => {
    const measurement = await measureOurs(prisma, database, scenario, settings, seconds);
    addHistograms(oursSoFar, measurement.statementsByBatchSize);
    return measurement;
  };
  await oursThen(settings.warmupSeconds);
  await measurePgbench(database, scenario, settings, settings.warmupSeconds, oursSoFar);
  const ours: Measurement[] = [];
  const pgbench: Measurement[] = [];
  for (let run = 1; run <= settings.runs; run += 1) {
    // Alternate who goes first, so that a drift in the machine's load favours neither.
    if (run % 2 === 1) {
      ours.push(await oursThen(settings.secondsPerRun));
      pgbench.push(await measurePgbench(database, scenario, settings, settings.secondsPerRun, oursSoFar));
    } else {
      pgbench.push(await measurePgbench(database, scenario, settings, settings.secondsPerRun, oursSoFar));
      ours.push(await oursThen(settings.secondsPerRun));
    }
    const oursBatches = batchSizeSummary(ours[run - 1].statementsByBatchSize);
    const pgbenchBatches = batchSizeSummary(pgbench[run - 1].statementsByBatchSize);
    log(
      `${scenario} run ${run}/${settings.runs}: ours ${Math.round(ours[run - 1].postingsPerSecond)}/s ` +
        `(${oursBatches.mean.toFixed(2)} postings/statement), pgbench ${Math.round(pgbench[run - 1].postingsPerSecond)}/s ` +
        `(${pgbenchBatches.mean.toFixed(2)} postings/statement, ${pgbench[run - 1].pgbenchClients} clients, ${pgbench[run - 1].pgbenchProtocol} protocol)`,
    );
  }
  const oursStatementsByBatchSize: BatchSizeHistogram = {};
  const pgbenchStatementsByBatchSize: BatchSizeHistogram = {};
  ours.forEach((m) => addHistograms(oursStatementsByBatchSize, m.statementsByBatchSize));
  pgbench.forEach((m) => addHistograms(pgbenchStatementsByBatchSize, m.statementsByBatchSize));
  const oursMedian = median(ours.map((m) => m.postingsPerSecond));
  const pgbenchMedian = median(pgbench.map((m) => m.postingsPerSecond));
  return {
    ours,
    pgbench,
    oursMedianPostingsPerSecond: oursMedian,
    pgbenchMedianPostingsPerSecond: pgbenchMedian,
    ratio: oursMedian / pgbenchMedian,
    medianOfRunRatios: median(ours.map((m, index) => m.postingsPerSecond / pgbench[index].postingsPerSecond)),
    oursServerCpuMsPerPosting: medianOrNull(ours.map((m) => m.serverCpuMsPerPosting)),
    pgbenchServerCpuMsPerPosting: medianOrNull(pgbench.map((m) => m.serverCpuMsPerPosting)),
    oursClientCpuMsPerPosting: medianOrNull(ours.map((m) => m.clientCpuMsPerPosting)),
    oursStatementsByBatchSize,
    oursBatchSizes: batchSizeSummary(oursStatementsByBatchSize),
    pgbenchStatementsByBatchSize,
    pgbenchBatchSizes: batchSizeSummary(pgbenchStatementsByBatchSize),
  };
}

/** Every posting balanced and no update lost: debits equal credits overall, and each account's balance is the sum of its lines. */
async function checkLedgerIntegrity(url: string): Promise<void> {
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ net: string; mismatched: string }>(`
      SELECT (SELECT sum(CASE normal_balance WHEN 'DEBIT' THEN balance ELSE -balance END) FROM ledger_account)::text AS net,
             (SELECT count(*) FROM ledger_account a
               WHERE a.balance <> coalesce((SELECT sum(ledger_signed_amount(a.normal_balance, l.side, l.amount))
                                             FROM journal_line l WHERE l.account_id = a.id), 0))::text AS mismatched`);
    if (Number(rows[0].net) !== 0 || rows[0].mismatched !== '0') {
      throw new Error(`ledger integrity check failed: net balance ${rows[0].net}, ${rows[0].mismatched} account(s) whose balance is not the sum of their lines`);
    }
  });
}

// ─── Reporting ───────────────────────────────────────────────────────────────

function cpuText(ms: number | null): string {
  return ms === null ? 'n/a' : ms.toFixed(3);
}

function printSummary(results: Partial<Record<ScenarioName, ScenarioResult>>, settings: Settings): void {
  console.log('');
  console.log(
    `median of ${settings.runs} runs × ${settings.secondsPerRun} s; ours: ${settings.clients} callers, ` +
      `≤ ${settings.batchesInFlightMax} batches in flight of ≤ ${settings.batchSizeMax}; pgbench: ${settings.pgbenchClients ?? 'callers ÷ our mean batch size'} clients; ${loadText()}`,
  );
  console.log('scenario    ours/s  pgbench/s  ratio  server CPU ms/posting ours | pgbench  our client CPU ms/posting  postings/statement ours | pgbench (median per statement)');
  for (const [name, result] of Object.entries(results) as [ScenarioName, ScenarioResult][]) {
    console.log(
      `${name.padEnd(8)} ${String(round(result.oursMedianPostingsPerSecond)).padStart(9)} ${String(round(result.pgbenchMedianPostingsPerSecond)).padStart(10)} ` +
        `${result.ratio.toFixed(2).padStart(6)}  ${cpuText(result.oursServerCpuMsPerPosting).padStart(26)} | ${cpuText(result.pgbenchServerCpuMsPerPosting).padEnd(7)} ` +
        `${cpuText(result.oursClientCpuMsPerPosting).padStart(25)}  ` +
        `${result.oursBatchSizes.mean.toFixed(2).padStart(23)} | ${result.pgbenchBatchSizes.mean.toFixed(2)} ` +
        `(${result.oursBatchSizes.medianPerStatement} | ${result.pgbenchBatchSizes.medianPerStatement})`,
    );
  }
}

async function main(): Promise<void> {
  // Measure the Prisma client as production runs it (the Dockerfile sets NODE_ENV=production).
  process.env.NODE_ENV ??= 'production';
  const settings = settingsFromEnvironment(process.env);
  const log = (message: string) => console.log(`[bench] ${message}`);
  const loadAverageAtStart = loadAverage();
  const database = await openBenchDatabase(log);
  const prisma = createPrismaClient(database.url, { poolMax: settings.clients });
  configurePostingBatches(prisma, { batchesInFlightMax: settings.batchesInFlightMax, batchSizeMax: settings.batchSizeMax });
  try {
    log(`creating ${settings.accounts} accounts and a hot one, funding them through postEntry`);
    await createAccounts(database.url, settings);
    await fundAccounts(prisma, settings);
    await withClient(database.url, (client) => client.query('VACUUM ANALYZE'));
    const results: Partial<Record<ScenarioName, ScenarioResult>> = {};
    for (const scenario of settings.scenarios) {
      results[scenario] = await runScenario(prisma, database, scenario, settings, log);
    }
    log('checking that every balance is the sum of its lines');
    await checkLedgerIntegrity(database.url);
    printSummary(results, settings);
    const many = results.many;
    writeResults(
      'ledger-postings',
      {
        benchmark: 'ledger-postings',
        recordedAt: new Date().toISOString(),
        machine: { ...machine(), loadAverageAtStart, loadAverageAtEnd: loadAverage() },
        server: { origin: database.origin, version: database.serverVersion, flags: database.serverFlags },
        pgbench: { version: await pgbenchVersion(), protocol: settings.pgbenchProtocol },
        settings: {
          ...settings,
          prismaPoolMax: settings.clients,
          nodeEnv: process.env.NODE_ENV,
          withoutMigration: process.env.BENCH_WITHOUT_MIGRATION ?? null,
        },
        scenarios: results,
        targets: {
          ratioMin: TARGET_RATIO_MIN,
          manyAccountsPostingsPerSecondMin: TARGET_MANY_ACCOUNTS_POSTINGS_PER_SECOND_MIN,
          ratioMet: Object.values(results).every((result) => result.ratio >= TARGET_RATIO_MIN),
          manyAccountsRateMet: many ? many.oursMedianPostingsPerSecond >= TARGET_MANY_ACCOUNTS_POSTINGS_PER_SECOND_MIN : null,
        },
      },
      log,
    );
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

runBench(main);
