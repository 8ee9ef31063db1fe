/**
 * `npm run bench:revaluation` — one price mark over 100 000 pledged lots on
 * 1 000 lines: every line's borrowing base, LTV and margin-call decision in
 * under a second (issue #6, item 3).
 *
 * Measured, median of BENCH_RUNS runs, each in a transaction that is rolled
 * back (so every run sees the same database):
 *   set-based — what POST /price-marks does in its transaction: postPriceMark,
 *               linesRevaluedByMark, ONE statement for every line's totals,
 *               principal and reservations (borrowingBaseTotalsOfLines), then
 *               marginDecision per line in TypeScript (revalueLinesAtOnce).
 *   per-line  — what the service did before: the mark's workflows each run
 *               evaluateLineMargin (row lock, linePosition, balances, step)
 *               in a transaction of its own; run here BENCH_CONCURRENCY at a
 *               time, each rolled back, with the Temporal hops left out (so it
 *               is a lower bound of the old path).
 * The set-based figures are checked against linePosition for every line
 * (exact decimals), and the decisions against the per-line evaluations.
 * EXPLAIN (ANALYZE, BUFFERS) of the set-based statement goes into the results.
 *
 * Knobs: BENCH_LINES (1000), BENCH_LOTS_PER_LINE (100), BENCH_RUNS (5),
 * BENCH_CONCURRENCY (8), BENCH_BASELINE_RUNS (1); DATABASE_URL as in bench-database.ts.
 */
import { performance } from 'node:perf_hooks';
import { D } from '../domain/money';
import { inTransaction, type Prisma, type PrismaClient } from '../prisma/client';
import { borrowingBaseTotalsOfLinesSql, linePosition, LINES_TOTALS_BATCH_MAX, postPriceMark } from '../prisma/custody/valuation';
import { evaluateLineMargin, linesRevaluedByMark } from '../prisma/margin/store';
import { needsMarginWorkflow, revalueLinesAtOnce, type LineRevaluation } from '../prisma/margin/revaluation';
import type { CustodyActor } from '../prisma/custody/access';
import { openBenchDatabase, withClient } from './bench-database';
import { benchWorld, drawPrincipals, openLines, pledgeLots, postMark, startBenchApp } from './bench-world';
import { loadAverage, loadText, machine, median, positiveInteger, round, writeResults, runBench } from './bench-report';

const TARGET_MS = 1000;
const QUANTITY_PER_LOT = '1000';
const PRICE_BEFORE = '3.00';
const PRICE_AFTER = '2.50';

class RolledBack<T> extends Error {
  constructor(readonly value: T) {
    super('rolled back on purpose');
  }
}

/** Runs `work` in a READ COMMITTED transaction and rolls it back, answering what it returned. */
async function rolledBack<T>(prisma: PrismaClient, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  try {
    await inTransaction(prisma, async (tx) => {
      throw new RolledBack(await work(tx));
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.value as T;
    throw error;
  }
  throw new Error('unreachable: the transaction always rolls back');
}

interface SetBasedRun {
  totalMs: number;
  postMarkMs: number;
  findLinesMs: number;
  revalueMs: number;
  lines: number;
  linesToSignal: number;
  load: number[];
}

async function setBasedRun(prisma: PrismaClient, actor: CustodyActor, commodityCode: string, grade: string): Promise<SetBasedRun> {
  return rolledBack(prisma, async (tx) => {
    const started = performance.now();
    const mark = await postPriceMark(tx, actor, { commodityCode, grade, currency: 'USD', pricePerUnit: new D(PRICE_AFTER), source: 'bench', asOf: new Date() }, new Date());
    const marked = performance.now();
    const lineIds = await linesRevaluedByMark(tx, mark, { afterLineId: null, limit: LINES_TOTALS_BATCH_MAX });
    const found = performance.now();
    const { revalued } = await revalueLinesAtOnce(tx, { lineIds, now: new Date() });
    const done = performance.now();
    return {
      totalMs: done - started,
      postMarkMs: marked - started,
      findLinesMs: found - marked,
      revalueMs: done - found,
      lines: revalued.length,
      linesToSignal: revalued.filter(needsMarginWorkflow).length,
      load: loadAverage(),
    };
  });
}

interface PerLineRun {
  totalMs: number;
  lines: number;
  concurrency: number;
  steps: Record<string, number>;
  load: number[];
}

async function perLineRun(prisma: PrismaClient, lineIds: readonly string[], concurrency: number): Promise<PerLineRun> {
  const steps: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let index = next++; index < lineIds.length; index = next++) {
      const evaluation = await rolledBack(prisma, (tx) => evaluateLineMargin(tx, { lineId: lineIds[index], now: new Date(), reason: 'PRICE_MARK' }));
      steps[evaluation.step] = (steps[evaluation.step] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { totalMs: performance.now() - started, lines: lineIds.length, concurrency, steps, load: loadAverage() };
}

/** Every line's set-based figures equal linePosition's, exactly; answers the number of lines checked. */
async function checkAgainstLinePosition(prisma: PrismaClient, revalued: readonly LineRevaluation[], now: Date): Promise<number> {
  for (const line of revalued) {
    const row = await prisma.creditLine.findUniqueOrThrow({ where: { id: line.lineId } });
    const position = await linePosition(prisma, row, { now, lotsPage: null });
    const expected = {
      totals: Object.fromEntries(Object.entries(position.totals).map(([key, value]) => [key, String(value)])),
      outstandingPrincipal: position.outstandingPrincipal.amount.toFixed(),
      availability: position.availability.amount.toFixed(),
      ltv: position.loanToValue.kind === 'finite' ? position.loanToValue.value.toFixed() : 'infinite',
    };
    const actual = {
      totals: Object.fromEntries(Object.entries(line.totals).map(([key, value]) => [key, String(value)])),
      outstandingPrincipal: line.outstandingPrincipal.amount.toFixed(),
      availability: line.availability.amount.toFixed(),
      ltv: line.loanToValue.kind === 'finite' ? line.loanToValue.value.toFixed() : 'infinite',
    };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      throw new Error(`line ${line.lineId}: set-based ${JSON.stringify(actual)} differs from linePosition ${JSON.stringify(expected)}`);
    }
  }
  return revalued.length;
}

/** The per-line evaluation's step for each decision the set-based one makes on a line without a live call. */
const STEP_OF_DECISION: Record<string, string> = { NONE: 'NONE', OPEN_MARGIN_CALL: 'OPEN', LIQUIDATE: 'LIQUIDATE' };

async function checkDecisionsAgainstEvaluations(prisma: PrismaClient, revalued: readonly LineRevaluation[]): Promise<Record<string, number>> {
  const decisions: Record<string, number> = {};
  for (const line of revalued) {
    const decision = String(line.decision);
    decisions[decision] = (decisions[decision] ?? 0) + 1;
    const evaluation = await rolledBack(prisma, (tx) => evaluateLineMargin(tx, { lineId: line.lineId, now: new Date(), reason: 'PRICE_MARK' }));
    if (line.liveCall === null && STEP_OF_DECISION[decision] !== evaluation.step) {
      throw new Error(`line ${line.lineId}: set-based decision ${decision}, per-line evaluation step ${evaluation.step}`);
    }
  }
  return decisions;
}

async function explainSetBased(url: string, lineIds: readonly string[]): Promise<string> {
  const statement = borrowingBaseTotalsOfLinesSql({ lineIds, now: new Date() });
  return withClient(url, async (client) => {
    const result = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, statement.values as unknown[]);
    return result.rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

async function main(): Promise<void> {
  process.env.NODE_ENV ??= 'production';
  const lines = positiveInteger(process.env, 'BENCH_LINES', 1000);
  const lotsPerLine = positiveInteger(process.env, 'BENCH_LOTS_PER_LINE', 100);
  const runs = positiveInteger(process.env, 'BENCH_RUNS', 5);
  const concurrency = positiveInteger(process.env, 'BENCH_CONCURRENCY', 8);
  const baselineRuns = positiveInteger(process.env, 'BENCH_BASELINE_RUNS', 1);
  const log = (message: string) => console.log(`[bench] ${message} (${loadText()})`);
  const loadAverageAtStart = loadAverage();
  const database = await openBenchDatabase(log);
  const app = await startBenchApp(database.url, { poolMax: concurrency + 2, logLevel: 'warn' });
  try {
    const world = await benchWorld(app);
    log(`opening ${lines} credit lines through POST /credit-lines`);
    const lineIds = await openLines(app, world, lines, '100000000.00');
    log(`pledging ${lines * lotsPerLine} lots (${lotsPerLine} per line) in one INSERT … SELECT generate_series`);
    await pledgeLots(database.url, world, lineIds, lotsPerLine, QUANTITY_PER_LOT);
    // Eligible collateral per line after the mark: 99 eligible lots × 1 000 kg × 2.50 × 0.8 = 198 000.00.
    // Principal spreads LTV (after the mark) from 0.30 to 0.90: NONE, OPEN and LIQUIDATE all occur.
    const collateralAfter = new D(lotsPerLine - Math.floor(lotsPerLine / 100)).times(QUANTITY_PER_LOT).times(PRICE_AFTER).times('0.8');
    const principals = lineIds.map((_, index) => collateralAfter.times(new D('0.3').plus(new D('0.6').times(index).dividedBy(lines))).toDecimalPlaces(2, D.ROUND_DOWN).toFixed(2));
    log('putting principal on every line through the ledger');
    await drawPrincipals(app.prisma, lineIds, principals, concurrency);
    await postMark(app, world, PRICE_BEFORE);
    await withClient(database.url, (client) => client.query('VACUUM ANALYZE'));
    const actor: CustodyActor = { userId: world.lender.userId, organisationId: world.lender.organisationId, organisationKind: 'LENDER', role: 'ADMIN', requestId: null };

    const setBased: SetBasedRun[] = [];
    await setBasedRun(app.prisma, actor, world.commodityCode, world.grade); // warm-up
    for (let run = 0; run < runs; run++) {
      const result = await setBasedRun(app.prisma, actor, world.commodityCode, world.grade);
      setBased.push(result);
      log(`set-based run ${run + 1}: ${round(result.totalMs)} ms for ${result.lines} lines (mark ${round(result.postMarkMs, 1)}, find lines ${round(result.findLinesMs, 1)}, revalue ${round(result.revalueMs, 1)}), ${result.linesToSignal} to signal`);
    }

    log('committing the mark, for the per-line path and the checks');
    await postMark(app, world, PRICE_AFTER);
    const now = new Date();
    const { revalued } = await revalueLinesAtOnce(app.prisma, { lineIds, now });
    const explain = await explainSetBased(database.url, lineIds);
    log('checking every line against linePosition and evaluateLineMargin');
    const linesChecked = await checkAgainstLinePosition(app.prisma, revalued, now);
    const decisions = await checkDecisionsAgainstEvaluations(app.prisma, revalued);

    const perLine: PerLineRun[] = [];
    for (let run = 0; run < baselineRuns; run++) {
      const result = await perLineRun(app.prisma, lineIds, concurrency);
      perLine.push(result);
      log(`per-line run ${run + 1}: ${round(result.totalMs)} ms for ${result.lines} lines, ${concurrency} at a time`);
    }

    const setBasedMedianMs = median(setBased.map((run) => run.totalMs));
    const perLineMedianMs = median(perLine.map((run) => run.totalMs));
    console.log('');
    console.log(`${lines} lines × ${lotsPerLine} lots = ${lines * lotsPerLine} pledged lots; median of ${runs} runs`);
    console.log(`set-based (mark + find lines + one statement + decisions): ${round(setBasedMedianMs)} ms  [target < ${TARGET_MS} ms: ${setBasedMedianMs < TARGET_MS ? 'met' : 'MISSED'}]`);
    console.log(`  revalue step alone: ${round(median(setBased.map((run) => run.revalueMs)))} ms; lines to signal: ${setBased[0].linesToSignal} of ${setBased[0].lines}`);
    console.log(`per-line evaluateLineMargin × ${lines} (${concurrency} at a time, no Temporal): ${round(perLineMedianMs)} ms`);
    console.log(`decisions: ${JSON.stringify(decisions)}; ${linesChecked} lines equal linePosition exactly`);
    console.log(`${loadText()} (at start ${loadAverageAtStart.join(' ')})`);
    console.log('');
    console.log(explain.split('\n').filter((text) => /Execution Time|Planning Time|CTE|Hash|Nested Loop|Index/.test(text)).slice(0, 25).join('\n'));

    writeResults(
      'revaluation',
      {
        benchmark: 'revaluation',
        recordedAt: new Date().toISOString(),
        machine: { ...machine(), loadAverageAtStart, loadAverageAtEnd: loadAverage() },
        server: { origin: database.origin, version: database.serverVersion, flags: database.serverFlags },
        settings: { lines, lotsPerLine, pledgedLots: lines * lotsPerLine, runs, concurrency, baselineRuns, prismaPoolMax: concurrency + 2, nodeEnv: process.env.NODE_ENV },
        setBased: { medianMs: setBasedMedianMs, medianRevalueMs: median(setBased.map((run) => run.revalueMs)), runs: setBased },
        perLine: { medianMs: perLineMedianMs, runs: perLine },
        checks: { linesEqualToLinePosition: linesChecked, decisions },
        explainAnalyze: explain.split('\n'),
        targets: { setBasedMsMax: TARGET_MS, met: setBasedMedianMs < TARGET_MS },
      },
      log,
    );
  } finally {
    await app.close();
    await database.close();
  }
}

runBench(main);

