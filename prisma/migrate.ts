import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

// Next to this file in the source tree; from the compiled dist/prisma, the source tree's folder.
export const MIGRATIONS_DIR = [path.resolve(__dirname, 'migrations'), path.resolve(__dirname, '../../prisma/migrations')].find(
  (dir) => existsSync(dir),
) ?? path.resolve(__dirname, 'migrations');

// The same advisory lock id `prisma migrate deploy` takes, so our runner and
// Prisma's never apply migrations to one database at the same time.
const PRISMA_MIGRATE_ADVISORY_LOCK = 72707369;

// Identical to the table Prisma's schema engine creates, so that on a machine
// that can run Prisma's engine, `prisma migrate status` reads our records.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {}

/** Migrations in Prisma's folder format: `prisma/migrations/<timestamp>_<name>/migration.sql`, in name order. */
export function readMigrations(migrationsDir = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(migrationsDir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      // Prisma's checksum: SHA-256 of the script's bytes, lower-case hex.
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies pending migrations the way `prisma migrate deploy` does — without
 * Prisma's schema-engine binary. Each migration runs in its own transaction: a
 * failed one leaves no half-applied schema, is recorded as rolled back with its
 * error, and stops the run.
 */
export async function applyMigrations(
  databaseUrl: string,
  options: { migrationsDir?: string; log?: (message: string) => void } = {},
): Promise<{ applied: string[] }> {
  const log = options.log ?? (() => undefined);
  const migrations = readMigrations(options.migrationsDir);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_ADVISORY_LOCK]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const rows = (
      await client.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
      )
    ).rows;
    const applied: string[] = [];
    for (const migration of migrations) {
      const records = rows.filter((row) => row.migration_name === migration.name && row.rolled_back_at === null);
      const finished = records.find((row) => row.finished_at !== null);
      if (finished) {
        if (finished.checksum !== migration.checksum) {
          throw new MigrationError(
            `migration ${migration.name} was modified after it was applied (checksum ${finished.checksum} in the database, ${migration.checksum} on disk); add a new migration instead`,
          );
        }
        continue;
      }
      if (records.length > 0) {
        throw new MigrationError(`migration ${migration.name} started earlier and never finished; inspect the database and mark it rolled back`);
      }
      await applyOne(client, migration);
      applied.push(migration.name);
      log(`applied migration ${migration.name}`);
    }
    return { applied };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_ADVISORY_LOCK]).catch(() => undefined);
    await client.end();
  }
}

async function applyOne(client: Client, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    await client.query(migration.sql);
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 1)`,
      [id, migration.checksum, migration.name],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    const message = error instanceof Error ? error.message : String(error);
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, rolled_back_at, applied_steps_count)
       VALUES ($1, $2, $3, $4, now(), 0)`,
      [id, migration.checksum, migration.name, message],
    );
    throw new MigrationError(`migration ${migration.name} failed and was rolled back: ${message}`);
  }
}
