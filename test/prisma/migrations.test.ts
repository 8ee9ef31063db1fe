import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from '../../prisma/migrate';
import { createEmptyDatabase } from '../support/db';

const ROOT = path.resolve(__dirname, '../..');

function schemaSql(databaseUrl: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts/schema-sql.mjs'), ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// What Prisma models: tables, columns, enums (compared exactly), and the
// indexes, keys and foreign keys Prisma generates (each must exist in the
// migrated database; hand-written extras such as partial indexes may be added).
const CATALOG_QUERIES = {
  columns: `SELECT table_name || '.' || column_name || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS item
            FROM information_schema.columns c
            JOIN pg_attribute a ON a.attrelid = ('public.' || quote_ident(c.table_name))::regclass AND a.attname = c.column_name
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE c.table_schema = 'public' AND c.table_name <> '_prisma_migrations' ORDER BY 1`,
  enums: `SELECT t.typname || ': ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS item
          FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1`,
  indexes: `SELECT indexdef AS item FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1`,
  foreignKeys: `SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS item
                FROM pg_constraint WHERE contype IN ('f', 'p') AND connamespace = 'public'::regnamespace
                AND conrelid::regclass::text <> '"_prisma_migrations"' ORDER BY 1`,
};

type Catalog = Record<keyof typeof CATALOG_QUERIES, string[]>;

async function catalogOf(db: { query(text: string): Promise<Record<string, unknown>[]> }): Promise<Catalog> {
  const catalog = {} as Catalog;
  for (const [name, sql] of Object.entries(CATALOG_QUERIES)) {
    catalog[name as keyof Catalog] = (await db.query(sql)).map((row) => String(row.item));
  }
  return catalog;
}

describe('schema.prisma and the migrations agree', () => {
  test('the migrated database has exactly the tables, columns and enums schema.prisma describes, and all its keys and indexes', async () => {
    const fromModel = await createEmptyDatabase();
    const fromMigrations = await createEmptyDatabase();
    try {
      const generated = schemaSql(fromModel.url);
      expect(generated.stderr).not.toMatch(/Error/);
      await fromModel.query(generated.stdout);
      await applyMigrations(fromMigrations.url);
      const expected = await catalogOf(fromModel);
      const actual = await catalogOf(fromMigrations);
      expect(expected.columns.length).toBeGreaterThan(20);
      expect(actual.columns).toEqual(expected.columns);
      expect(actual.enums).toEqual(expected.enums);
      expect(expected.indexes.filter((index) => !actual.indexes.includes(index))).toEqual([]);
      expect(expected.foreignKeys.filter((key) => !actual.foreignKeys.includes(key))).toEqual([]);
    } finally {
      await fromModel.close();
      await fromMigrations.close();
    }
  });
});

describe('npm run db:migrate (offline migration runner)', () => {
  test('applies every migration once and Prisma reads the records as up to date', async () => {
    const db = await createEmptyDatabase();
    try {
      const first = await applyMigrations(db.url);
      expect(first.applied).toEqual(readMigrations().map((m) => m.name));
      expect((await applyMigrations(db.url)).applied).toEqual([]);
      const rows = await db.query(`SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`);
      expect(rows).toEqual(
        readMigrations().map((m) => ({ migration_name: m.name, checksum: m.checksum, finished: true, applied_steps_count: 1 })),
      );
      const status = schemaSql(db.url, '--status');
      expect(status.stdout).toContain('Database schema is up to date!');
      expect(status.status).toBe(0);
    } finally {
      await db.close();
    }
  });

  test('a migration changed after it was applied stops the run', async () => {
    const db = await createEmptyDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), 'godown-migrations-'));
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      await applyMigrations(db.url, { migrationsDir: dir });
      const first = readMigrations(dir)[0];
      writeFileSync(path.join(dir, first.name, 'migration.sql'), `${first.sql}\n-- edited\n`);
      await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(`migration ${first.name} was modified after it was applied`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.close();
    }
  });

  test('a failing migration leaves no partial schema, is recorded as rolled back, and can be fixed and re-run', async () => {
    const db = await createEmptyDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), 'godown-migrations-'));
    try {
      mkdirSync(path.join(dir, '20990101000000_broken'));
      const broken = path.join(dir, '20990101000000_broken', 'migration.sql');
      writeFileSync(broken, 'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n');
      await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(/20990101000000_broken failed and was rolled back/);
      expect(await db.query(`SELECT to_regclass('public.half_done') AS t`)).toEqual([{ t: null }]);
      const [record] = await db.query(`SELECT rolled_back_at IS NOT NULL AS rolled_back, logs FROM "_prisma_migrations"`);
      expect(record.rolled_back).toBe(true);
      expect(String(record.logs)).toContain('no_such_function');
      writeFileSync(broken, 'CREATE TABLE half_done (id int);\n');
      expect((await applyMigrations(db.url, { migrationsDir: dir })).applied).toEqual(['20990101000000_broken']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.close();
    }
  });

  test('migration checksums are SHA-256 of the file as Prisma computes them', () => {
    const [first] = readMigrations();
    const sql = readFileSync(path.join(MIGRATIONS_DIR, first.name, 'migration.sql'));
    expect(first.checksum).toBe(require('node:crypto').createHash('sha256').update(sql).digest('hex'));
    expect(first.checksum).toMatch(/^[0-9a-f]{64}$/);
  });
});
