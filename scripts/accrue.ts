// `npm run accrue -- --date 2026-11-22` or `npm run accrue -- --from 2026-11-01 --to 2026-11-30`
// Accrues daily interest for every line that accrues on each date, in date
// order, directly against DATABASE_URL (or the embedded database). Safe to
// re-run: a line-day already accrued posts nothing. Only days that are over
// accrue: a date on or after today (UTC) is refused before anything runs. A
// line that cannot accrue is recorded on the line (and its lender told) and
// the others go on; the command then exits 1 after listing them.
import { parseArgs } from 'node:util';
import { loadConfig } from '../api/config';
import { DomainError } from '../domain/errors';
import { isIsoDate } from '../domain/ledger';
import { requireAccrualDate, utcDay } from '../domain/value-dates';
import { accrueDate, datesFromTo } from '../prisma/accrual/store';
import { createPrismaClient } from '../prisma/client';
import { openDatabase } from '../prisma/database';
import { applyMigrations } from '../prisma/migrate';

const USAGE = 'usage: npm run accrue -- --date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD [--batch-size N]';
const RANGE_DAYS_MAX = 3660;

function datesToAccrue(values: { date?: string; from?: string; to?: string }, today: string): string[] {
  const dates = datesAsked(values);
  try {
    requireAccrualDate(values.date !== undefined ? '--date' : '--to', dates[dates.length - 1], today);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  return dates;
}

function datesAsked(values: { date?: string; from?: string; to?: string }): string[] {
  if (values.date !== undefined && values.from === undefined && values.to === undefined && isIsoDate(values.date)) return [values.date];
  if (values.date === undefined && isIsoDate(values.from) && isIsoDate(values.to) && values.from <= values.to) {
    const dates = datesFromTo(values.from, values.to);
    if (dates.length <= RANGE_DAYS_MAX) return dates;
  }
  console.error(`give either --date, or --from and --to (from on or before to, at most ${RANGE_DAYS_MAX} days), as calendar dates YYYY-MM-DD`);
  console.error(USAGE);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { date: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, 'batch-size': { type: 'string', default: '200' } },
  });
  // The process's clock, read once: every date must be before its day.
  const now = new Date();
  const dates = datesToAccrue(values, utcDay(now));
  const batchSize = Number(values['batch-size']);
  const config = loadConfig(process.env);
  const database = await openDatabase(config, (message) => console.error(message));
  const prisma = createPrismaClient(database.url, { poolMax: 8 });
  let linesFailed = 0;
  try {
    await applyMigrations(database.url);
    for (const date of dates) {
      const counts = await accrueDate(prisma, date, { batchSize, now });
      linesFailed += counts.linesFailed;
      const posted = Object.entries(counts.postedByCurrency).map(([currency, amount]) => `${amount} ${currency}`).join(', ') || 'nothing';
      console.log(
        `${date}: ${counts.linesAccrued} line(s) accrued, ${counts.linesAlreadyAccrued} already accrued` +
          (counts.daysCaughtUp > 0 ? `, ${counts.daysCaughtUp} missed earlier day(s) caught up` : '') +
          `; posted ${posted}` +
          (counts.linesFailed > 0 ? `; ${counts.linesFailed} line(s) could not accrue` : ''),
      );
      for (const failure of counts.failures) console.error(`  ${date}: line ${failure.lineId} did not accrue: ${failure.reason}`);
    }
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
  if (linesFailed > 0) {
    console.error(`${linesFailed} line-day(s) could not accrue; every other line did. They are recorded on the lines and retried by the next run.`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
