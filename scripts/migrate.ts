// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the
// embedded development database when DATABASE_URL is not set.
import { loadConfig } from '../api/config';
import { applyMigrations } from '../prisma/migrate';
import { openDatabase } from '../prisma/database';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const database = await openDatabase(config, (message) => console.log(message));
  try {
    const { applied } = await applyMigrations(database.url, { log: (message) => console.log(message) });
    console.log(applied.length === 0 ? 'database is up to date' : `applied ${applied.length} migration(s)`);
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
