// `npm run accrue -- --date 2026-11-22` or `npm run accrue -- --from 2026-11-01 --to 2026-11-30`
// Accrues daily interest for every line that accrues on each date, in date
// order, directly against DATABASE_URL (or the embedded database). Safe to
// re-run: a line-day already accrued posts nothing.
import { parseArgs } from 'node:util';
import { loadConfig } from '../api/config';
import { isIsoDate } from '../domain/ledger';
import { accrueDate, datesFromTo } from '../prisma/accrual/store';
import { createPrismaClient } from '../prisma/client';
import { openDatabase } from '../prisma/database';
import { applyMigrations } from '../prisma/migrate';

const USAGE = 'usage: npm run accrue -- --date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD [--batch-size N]';
const RANGE_DAYS_MAX = 3660;

function datesToAccrue(values: { date?: string; from?: string; to?: string }): string[] {
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
  const dates = datesToAccrue(values);
  const batchSize = Number(values['batch-size']);
  const config = loadConfig(process.env);
  const database = await openDatabase(config, (message) => console.error(message));
  const prisma = createPrismaClient(database.url, { poolMax: 8 });
  try {
    await applyMigrations(database.url);
    for (const date of dates) {
      const counts = await accrueDate(prisma, date, { batchSize });
      const posted = Object.entries(counts.postedByCurrency).map(([currency, amount]) => `${amount} ${currency}`).join(', ') || 'nothing';
      console.log(
        `${date}: ${counts.linesAccrued} line(s) accrued, ${counts.linesAlreadyAccrued} already accrued` +
          (counts.daysCaughtUp > 0 ? `, ${counts.daysCaughtUp} missed earlier day(s) caught up` : '') +
          `; posted ${posted}`,
      );
    }
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
