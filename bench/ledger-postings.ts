/**
 * `npm run bench:ledger` — ledger postings per second (issue #6, item 1).
 *
 * Balanced two-line postings through the project's own code (postEntry →
 * one post_journal_entry() call over Prisma), each with its own idempotency
 * key, between accounts that must not go negative — once across many
 * accounts, once with every posting touching one hot account. In the same
 * run, on the same database, pgbench sends the same statement with the same
 * kind of payload from the same number of clients for the same time, so
 * `ours ÷ pgbench` says how much our code costs on top of the SQL itself.
 *
 * Runs against its own embedded PostgreSQL (temp folder, removed afterwards)
 * or, with DATABASE_URL, against a fresh database on that server. Prints the
 * median of the runs and writes bench/results/ledger-postings.json.
 *
 * Knobs (environment): BENCH_RUNS (5), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (3),
 * BENCH_CLIENTS (8), BENCH_ACCOUNTS (10000), BENCH_SCENARIOS ("many,hot"),
 * BENCH_PGBENCH_PROTOCOL ("extended"), PGBENCH (/usr/bin/pgbench); BENCH_WITHOUT_MIGRATION
 * (a migration to leave out, e.g. to measure the ledger as it was before it).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createPrismaClient, type PrismaClient } from '../prisma/client';
import { postEntry, type PostEntryInput } from '../prisma/ledger/store';
import { ENTRY_LINES_MAX } from '../domain/ledger';
import { Money } from '../domain/money';
import { openBenchDatabase, withClient, type BenchDatabase } from './bench-database';
import { loadAverage, loadText, machine, median, positiveInteger, round, writeResults } from './bench-report';
import { pgbenchVersion, runPgbench, type PgbenchOptions } from './pgbench';

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
  return {
    runs: positiveInteger(env, 'BENCH_RUNS', 5),
    secondsPerRun: positiveInteger(env, 'BENCH_SECONDS', 10),
    warmupSeconds: positiveInteger(env, 'BENCH_WARMUP_SECONDS', 3),
    clients: positiveInteger(env, 'BENCH_CLIENTS', 8),
    accounts: accountCount(env),
    scenarios: scenarios as ScenarioName[],
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
 * The same posting as nextPosting(), as a pgbench script: the payload postEntry
 * builds (same keys, same order), sent to the same function. Numbers are drawn
 * by pgbench and spliced into the JSON text by the server (`||`), because
 * pgbench variables are numbers and, in the extended protocol, parameters
 * (typed ::text so that the server can resolve `||`).
 */
function pgbenchScript(scenario: ScenarioName, settings: Settings): string {
  const first = ACCOUNT_NUMBER_BASE;
  const last = ACCOUNT_NUMBER_BASE + settings.accounts - 1;
  const hot = ACCOUNT_NUMBER_BASE + hotAccountNumber(settings);
  const accounts =
    scenario === 'many'
      ? [`\\set debit random(${first}, ${last})`, `\\set credit random(${first}, ${last - 1})`, `\\set credit case when :credit >= :debit then :credit + 1 else :credit end`]
      : [
          `\\set other random(${first}, ${last})`,
          `\\set hot_is_debited random(0, 1)`,
          `\\set debit case when :hot_is_debited = 1 then ${hot} else :other end`,
          `\\set credit case when :hot_is_debited = 1 then :other else ${hot} end`,
        ];
  const line = (accountVariable: string, side: string) =>
    `{"account_id":"${ACCOUNT_ID_PREFIX}' || :${accountVariable}::text || '","side":"${side}","amount":"' || :units::text || '.' || :cents::text || '","currency":"USD"}`;
  const payload =
    `'{"idempotency_key":"pgbench-' || :key::text || '","content_hash":"${PGBENCH_CONTENT_HASH}",` +
    // `: null` with a space: pgbench would read `:null` as a variable.
    `"description":"${DESCRIPTION}","effective_date":"${EFFECTIVE_DATE}","account_set_id": null,"metadata": null,` +
    `"reverses_entry_id": null,"lines":[${line('debit', 'DEBIT')},${line('credit', 'CREDIT')}]}'`;
  return [
    ...accounts,
    '\\set units random(0, 99)',
    '\\set cents random(10, 99)',
    '\\set key random(1, 9000000000000000000)',
    // The statement postEntry sends (prisma/ledger/store.ts), payload inlined.
    `SELECT post_journal_entry((${payload})::jsonb)::text AS outcome;`,
    '',
  ].join('\n');
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
}

async function entryCount(url: string): Promise<number> {
  return withClient(url, async (client) =>
    Number((await client.query<{ count: string }>('SELECT count(*)::text AS count FROM journal_entry')).rows[0].count),
  );
}

async function measureOurs(prisma: PrismaClient, database: BenchDatabase, scenario: ScenarioName, settings: Settings, seconds: number): Promise<Measurement> {
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
  return {
    postingsPerSecond: postings / elapsedSeconds,
    postings,
    seconds: elapsedSeconds,
    serverCpuMsPerPosting: serverCpuBefore === null || serverCpuAfter === null ? null : ((serverCpuAfter - serverCpuBefore) * 1000) / postings,
    clientCpuMsPerPosting: (clientCpu.user + clientCpu.system) / 1000 / postings,
  };
}

async function measurePgbench(database: BenchDatabase, scenario: ScenarioName, settings: Settings, seconds: number): Promise<Measurement> {
  const entriesBefore = await entryCount(database.url);
  const serverCpuBefore = database.serverCpuSeconds();
  const result = await runPgbench({
    databaseUrl: database.url,
    script: pgbenchScript(scenario, settings),
    clients: settings.clients,
    durationSeconds: seconds,
    queryMode: settings.pgbenchProtocol,
  });
  const serverCpuAfter = database.serverCpuSeconds();
  const posted = (await entryCount(database.url)) - entriesBefore;
  // The function answers a refusal or a replay instead of failing, so pgbench
  // would count it as done: check that every transaction posted an entry.
  if (result.failedTransactions > 0 || posted !== result.transactionsProcessed) {
    throw new Error(
      `pgbench processed ${result.transactionsProcessed} transactions (${result.failedTransactions} failed) but ${posted} entries were posted`,
    );
  }
  return {
    postingsPerSecond: result.transactionsPerSecond,
    postings: posted,
    seconds: posted / result.transactionsPerSecond,
    serverCpuMsPerPosting: serverCpuBefore === null || serverCpuAfter === null ? null : ((serverCpuAfter - serverCpuBefore) * 1000) / posted,
    clientCpuMsPerPosting: null,
  };
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
}

async function runScenario(prisma: PrismaClient, database: BenchDatabase, scenario: ScenarioName, settings: Settings, log: (message: string) => void): Promise<ScenarioResult> {
  log(`${scenario}: warming up (${settings.warmupSeconds} s each)`);
  await measureOurs(prisma, database, scenario, settings, settings.warmupSeconds);
  await measurePgbench(database, scenario, settings, settings.warmupSeconds);
  const ours: Measurement[] = [];
  const pgbench: Measurement[] = [];
  for (let run = 1; run <= settings.runs; run += 1) {
    // Alternate who goes first, so that a drift in the machine's load favours neither.
    if (run % 2 === 1) {
      ours.push(await measureOurs(prisma, database, scenario, settings, settings.secondsPerRun));
      pgbench.push(await measurePgbench(database, scenario, settings, settings.secondsPerRun));
    } else {
      pgbench.push(await measurePgbench(database, scenario, settings, settings.secondsPerRun));
      ours.push(await measureOurs(prisma, database, scenario, settings, settings.secondsPerRun));
    }
    log(
      `${scenario} run ${run}/${settings.runs}: ours ${Math.round(ours[run - 1].postingsPerSecond)}/s, ` +
        `pgbench ${Math.round(pgbench[run - 1].postingsPerSecond)}/s`,
    );
  }
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
  console.log(`median of ${settings.runs} runs × ${settings.secondsPerRun} s, ${settings.clients} clients on each side, ${loadText()}`);
  console.log('scenario    ours/s  pgbench/s  ratio  server CPU ms/posting ours | pgbench  our client CPU ms/posting');
  for (const [name, result] of Object.entries(results) as [ScenarioName, ScenarioResult][]) {
    console.log(
      `${name.padEnd(8)} ${String(round(result.oursMedianPostingsPerSecond)).padStart(9)} ${String(round(result.pgbenchMedianPostingsPerSecond)).padStart(10)} ` +
        `${result.ratio.toFixed(2).padStart(6)}  ${cpuText(result.oursServerCpuMsPerPosting).padStart(26)} | ${cpuText(result.pgbenchServerCpuMsPerPosting).padEnd(7)} ` +
        `${cpuText(result.oursClientCpuMsPerPosting).padStart(25)}`,
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

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
