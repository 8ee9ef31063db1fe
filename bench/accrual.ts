/**
 * `npm run bench:accrual` — daily interest accrual of many lines (issue #6, item 2:
 * "10 000 active lines in < 10 s on 2 cores, no serialisation on a single hot row").
 *
 * Seeds BENCH_LINES credit lines (set-based: organisations, lines and their
 * ledger account sets by INSERT … SELECT; each line's outstanding principal
 * drawn by one post_journal_entry() call per line inside one statement, so
 * balances come from posted lines as everywhere else), all opened on
 * OPENED_ON. Then accrues one date per run through the project's own code
 * (accrueDate, as `npm run accrue` and the daily workflow's activities do) —
 * consecutive days, since re-running a date is a no-op — and reports the
 * median time.
 *
 * Each run is checked against figures computed here, independently of
 * prisma/accrual and domain/interest.ts: one row per line, each line's
 * posted interest equal to the carried-remainder chain recomputed from the
 * line's principal and terms, the totals in the ledger equal to those
 * figures, and every touched account's balance equal to the sum of its lines.
 *
 * Runs against its own embedded PostgreSQL (temp folder, removed afterwards)
 * or, with DATABASE_URL, against a fresh database on that server. Writes
 * bench/results/accrual.json.
 *
 * Knobs (environment): BENCH_LINES (10000), BENCH_RUNS (3),
 * BENCH_BATCH_SIZE (accrueDate's batchSize; its default when unset),
 * BENCH_CONCURRENCY (accrueDate's concurrency; its default when unset).
 */
import { performance } from 'node:perf_hooks';
import { Decimal } from 'decimal.js';
import { createPrismaClient } from '../prisma/client';
import { accrueDate, addDays, type AccrualCounts } from '../prisma/accrual/store';
import { LINE_ACCOUNTS } from '../prisma/credit-lines/store';
import { openBenchDatabase, withClient, type BenchDatabase } from './bench-database';
import { loadAverage, machine, median, positiveInteger, runBench, writeResults } from './bench-report';

const TARGET_SECONDS_MAX = 10;
const TARGET_LINES = 10_000;
const OPENED_ON = '2026-03-01';
const LENDER_ID = '00000000-0000-4000-b000-000000000001';
const SELLER_ID = '00000000-0000-4000-b000-000000000002';
/** Connections the Prisma client may open; accrueDate's concurrency stays below it. */
const PRISMA_POOL_MAX = 8;

interface Settings {
  lines: number;
  runs: number;
  batchSize: number | undefined;
  concurrency: number | undefined;
}

function settingsFromEnvironment(env: NodeJS.ProcessEnv): Settings {
  return {
    lines: positiveInteger(env, 'BENCH_LINES', TARGET_LINES),
    runs: positiveInteger(env, 'BENCH_RUNS', 3),
    batchSize: positiveInteger(env, 'BENCH_BATCH_SIZE', undefined),
    concurrency: positiveInteger(env, 'BENCH_CONCURRENCY', undefined),
  };
}

// ─── Seeding ─────────────────────────────────────────────────────────────────

/**
 * Line n (1…lines): 10 % in EUR, the rest USD; ACT/360 for even n, ACT/365 for
 * odd; rate 5.00 % … 14.99 %; principal 1 000.00 … 990 999.99, spread by a
 * multiplicative hash of n so that neighbouring lines differ in every digit.
 */
async function seedLines(url: string, lines: number): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`INSERT INTO organisation (id, kind, name) VALUES ($1, 'LENDER', 'Bench lender'), ($2, 'SELLER', 'Bench seller')`, [LENDER_ID, SELLER_ID]);
    await client.query(
      `INSERT INTO credit_line (id, lender_organisation_id, seller_organisation_id, currency, status, limit_amount, default_advance_rate,
                                haircut, annual_interest_rate, day_count, max_mark_age_hours, margin_call_ltv, liquidation_ltv, target_ltv,
                                cure_period_hours, stock_count_interval_days, maturity_date, auto_approve_up_to, single_approver_up_to,
                                approval_window_hours, waterfall_order, created_at, updated_at)
       SELECT ('00000000-0000-4000-c000-' || lpad(n::text, 12, '0'))::uuid, $1, $2,
              CASE WHEN n % 10 = 0 THEN 'EUR' ELSE 'USD' END, 'ACTIVE', 100000000, 0.5, 0.1,
              0.05 + (n * 7919 % 1000) / 10000.0,
              (CASE WHEN n % 2 = 0 THEN 'ACT_360' ELSE 'ACT_365' END)::"DayCountConvention",
              24, 0.6, 0.75, 0.4, 48, 14, DATE '2027-12-31', 0, 0, 12, ARRAY['FEES', 'INTEREST', 'PRINCIPAL'],
              $3::date::timestamp AT TIME ZONE 'UTC', now()
         FROM generate_series(1, $4::int) AS n`,
      [LENDER_ID, SELLER_ID, OPENED_ON, lines],
    );
    await client.query(
      `INSERT INTO ledger_account (id, account_set_id, code, name, type, normal_balance, currency, must_not_go_negative)
       SELECT gen_random_uuid(), l.id, d.code, d.name, d.type, d."normalBalance", l.currency, d."mustNotGoNegative"
         FROM credit_line l
        CROSS JOIN jsonb_to_recordset($1::jsonb) AS d(code TEXT, name TEXT, type "LedgerAccountType", "normalBalance" "LedgerSide", "mustNotGoNegative" BOOLEAN)`,
      [JSON.stringify(LINE_ACCOUNTS)],
    );
    // The draw goes through the ledger's own function (locks, checks, balances), one entry per line.
    const { rows } = await client.query<{ status: string; n: number }>(
      `SELECT outcome->>'status' AS status, count(*)::int AS n
         FROM (SELECT post_journal_entry(jsonb_build_object(
                        'idempotency_key', 'bench-draw:' || l.id,
                        'content_hash', encode(sha256(convert_to('bench-draw:' || l.id, 'UTF8')), 'hex'),
                        'description', 'Bench draw',
                        'effective_date', $1::text,
                        'account_set_id', l.id,
                        'metadata', NULL,
                        'reverses_entry_id', NULL,
                        'lines', jsonb_build_array(
                          jsonb_build_object('account_id', p.id, 'side', 'DEBIT', 'amount', l.principal::text, 'currency', l.currency),
                          jsonb_build_object('account_id', f.id, 'side', 'CREDIT', 'amount', l.principal::text, 'currency', l.currency)))) AS outcome
                 FROM (SELECT id, currency,
                              round(1000 + (substr(id::text, 25)::bigint * 2654435761 % 98999999) / 100.0, 2) AS principal
                         FROM credit_line) AS l
                 JOIN ledger_account p ON p.account_set_id = l.id AND p.code = 'LOAN_PRINCIPAL'
                 JOIN ledger_account f ON f.account_set_id = l.id AND f.code = 'LENDER_FUNDING') AS posting
        GROUP BY 1`,
      [OPENED_ON],
    );
    if (rows.length !== 1 || rows[0].status !== 'posted' || rows[0].n !== lines) {
      throw new Error(`every bench draw is posted; got ${JSON.stringify(rows)}`);
    }
    await client.query('VACUUM ANALYZE');
  });
}

// ─── The independent expectation ─────────────────────────────────────────────

interface LineTerms {
  id: string;
  currency: string;
  principal: Decimal;
  rate: Decimal;
  basisDays: number;
}

/** decimal.js at the precision the project computes with; written out here, not imported from the code under test. */
const Exact = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN });

async function lineTerms(url: string): Promise<LineTerms[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ id: string; currency: string; principal: string; rate: string; day_count: string }>(
      `SELECT l.id::text, l.currency, a.balance::text AS principal, l.annual_interest_rate::text AS rate, l.day_count::text
         FROM credit_line l JOIN ledger_account a ON a.account_set_id = l.id AND a.code = 'LOAN_PRINCIPAL' ORDER BY l.id`,
    );
    return rows.map((row) => ({
      id: row.id,
      currency: row.currency.trim(),
      principal: new Exact(row.principal),
      rate: new Exact(row.rate),
      basisDays: row.day_count === 'ACT_360' ? 360 : 365,
    }));
  });
}

/**
 * Posted interest per line for `days` consecutive days at constant principal:
 * each day's exact interest plus the carried remainder, rounded half-even to
 * cents (every bench currency has 2 decimals), the rest carried on.
 */
function expectedPostings(lines: LineTerms[], days: number): Map<string, string>[] {
  const perDay: Map<string, string>[] = Array.from({ length: days }, () => new Map());
  for (const line of lines) {
    let carried = new Exact(0);
    for (let day = 0; day < days; day++) {
      const due = line.principal.times(line.rate).dividedBy(line.basisDays).plus(carried);
      const posted = due.toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN);
      carried = due.minus(posted);
      perDay[day].set(line.id, posted.toFixed(2));
    }
  }
  return perDay;
}

function totalsByCurrency(lines: LineTerms[], posted: Map<string, string>): Record<string, string> {
  const totals = new Map<string, Decimal>();
  for (const line of lines) totals.set(line.currency, (totals.get(line.currency) ?? new Exact(0)).plus(posted.get(line.id) ?? '0'));
  return Object.fromEntries([...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, total]) => [currency, total.toFixed(2)]));
}

async function checkDate(url: string, date: string, lines: LineTerms[], expected: Map<string, string>, counts: AccrualCounts): Promise<Record<string, string>> {
  const expectedTotals = totalsByCurrency(lines, expected);
  const problems: string[] = [];
  if (counts.linesAccrued !== lines.length || counts.linesAlreadyAccrued !== 0 || counts.daysCaughtUp !== 0) {
    problems.push(`accrueDate answered ${JSON.stringify(counts)}; expected ${lines.length} lines accrued, none already, no catch-up`);
  }
  if (JSON.stringify(counts.postedByCurrency) !== JSON.stringify(expectedTotals)) {
    problems.push(`accrueDate reports ${JSON.stringify(counts.postedByCurrency)} posted; expected ${JSON.stringify(expectedTotals)}`);
  }
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ id: string; posted: string }>(
      `SELECT credit_line_id::text AS id, posted_interest::text AS posted FROM interest_accrual WHERE accrual_date = $1`,
      [date],
    );
    if (rows.length !== lines.length) problems.push(`${rows.length} interest_accrual rows for ${date}; expected ${lines.length}`);
    const wrong = rows.filter((row) => !new Exact(row.posted).equals(expected.get(row.id) ?? 'NaN'));
    if (wrong.length > 0) problems.push(`${wrong.length} line(s) posted other than expected, e.g. ${JSON.stringify(wrong[0])} vs ${expected.get(wrong[0].id)}`);
    const ledger = await client.query<{ currency: string; income: string; entries: number }>(
      `SELECT l.currency, sum(l.amount)::text AS income, count(DISTINCT e.id)::int AS entries
         FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id
         JOIN ledger_account a ON a.id = l.account_id AND a.code = 'INTEREST_INCOME'
        WHERE e.effective_date = $1 AND e.idempotency_key LIKE 'accrual:%' AND l.side = 'CREDIT'
        GROUP BY l.currency ORDER BY l.currency`,
      [date],
    );
    const ledgerTotals = Object.fromEntries(ledger.rows.map((row) => [row.currency.trim(), new Exact(row.income).toFixed(2)]));
    if (JSON.stringify(ledgerTotals) !== JSON.stringify(expectedTotals)) {
      problems.push(`the ledger's interest income for ${date} is ${JSON.stringify(ledgerTotals)}; expected ${JSON.stringify(expectedTotals)}`);
    }
    const mismatched = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ledger_account a
        WHERE a.code IN ('INTEREST_RECEIVABLE', 'INTEREST_INCOME', 'LOAN_PRINCIPAL')
          AND a.balance <> coalesce((SELECT sum(ledger_signed_amount(a.normal_balance, l.side, l.amount))
                                       FROM journal_line l WHERE l.account_id = a.id), 0)`,
    );
    if (mismatched.rows[0].n !== 0) problems.push(`${mismatched.rows[0].n} account(s) whose balance is not the sum of their lines`);
  });
  if (problems.length > 0) throw new Error(`accrual of ${date} is wrong:\n  ${problems.join('\n  ')}`);
  return expectedTotals;
}

// ─── Measuring and reporting ─────────────────────────────────────────────────

interface RunResult {
  date: string;
  seconds: number;
  linesPerSecond: number;
  serverCpuSeconds: number | null;
  clientCpuSeconds: number;
  postedByCurrency: Record<string, string>;
}

async function measureDate(database: BenchDatabase, settings: Settings, date: string, run: () => Promise<AccrualCounts>): Promise<{ counts: AccrualCounts; result: Omit<RunResult, 'postedByCurrency'> }> {
  const serverCpuBefore = database.serverCpuSeconds();
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  const counts = await run();
  const seconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const serverCpuAfter = database.serverCpuSeconds();
  return {
    counts,
    result: {
      date,
      seconds,
      linesPerSecond: settings.lines / seconds,
      serverCpuSeconds: serverCpuBefore === null || serverCpuAfter === null ? null : serverCpuAfter - serverCpuBefore,
      clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
    },
  };
}

async function main(): Promise<void> {
  // Measure the Prisma client as production runs it (the Dockerfile sets NODE_ENV=production).
  process.env.NODE_ENV ??= 'production';
  const settings = settingsFromEnvironment(process.env);
  const log = (message: string) => console.log(`[bench] ${message}`);
  const loadAverageAtStart = loadAverage();
  const database = await openBenchDatabase(log);
  const prisma = createPrismaClient(database.url, { poolMax: PRISMA_POOL_MAX });
  try {
    log(`seeding ${settings.lines} credit lines with account sets and principal, opened ${OPENED_ON}`);
    const seedStarted = performance.now();
    await seedLines(database.url, settings.lines);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(`seeded in ${seedSeconds.toFixed(1)} s`);
    const lines = await lineTerms(database.url);
    const expected = expectedPostings(lines, settings.runs);
    // The bench accrues days of its own past: its clock is the day after the last one.
    const options = {
      now: new Date(`${addDays(OPENED_ON, settings.runs)}T00:00:00Z`),
      ...(settings.batchSize === undefined ? {} : { batchSize: settings.batchSize }),
      ...(settings.concurrency === undefined ? {} : { concurrency: settings.concurrency }),
    };
    const runs: RunResult[] = [];
    for (let index = 0; index < settings.runs; index++) {
      const date = addDays(OPENED_ON, index);
      const { counts, result } = await measureDate(database, settings, date, () => accrueDate(prisma, date, options));
      const postedByCurrency = await checkDate(database.url, date, lines, expected[index], counts);
      runs.push({ ...result, postedByCurrency });
      log(`run ${index + 1}/${settings.runs} (${date}): ${result.seconds.toFixed(2)} s, ${Math.round(result.linesPerSecond)} lines/s, checked`);
    }
    const medianSeconds = median(runs.map((run) => run.seconds));
    const targetApplies = settings.lines >= TARGET_LINES;
    console.log('');
    console.log(`accrual of ${settings.lines} lines: median ${medianSeconds.toFixed(2)} s over ${settings.runs} dates (target < ${TARGET_SECONDS_MAX} s for ${TARGET_LINES})`);
    const report = {
      benchmark: 'accrual',
      recordedAt: new Date().toISOString(),
      machine: { ...machine(), loadAverageAtStart, loadAverageAtEnd: loadAverage() },
      server: { origin: database.origin, version: database.serverVersion, flags: database.serverFlags },
      settings: { ...settings, prismaPoolMax: PRISMA_POOL_MAX, nodeEnv: process.env.NODE_ENV, withoutMigration: process.env.BENCH_WITHOUT_MIGRATION ?? null },
      seedSeconds,
      runs,
      medianSeconds,
      medianLinesPerSecond: settings.lines / medianSeconds,
      target: {
        lines: TARGET_LINES,
        secondsMax: TARGET_SECONDS_MAX,
        met: targetApplies ? medianSeconds < TARGET_SECONDS_MAX : null,
      },
    };
    writeResults((process.env.BENCH_RESULTS_FILE ?? 'accrual.json').replace(/\.json$/, ''), report, log);
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

runBench(main);
