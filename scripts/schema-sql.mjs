// Prints the SQL that takes a database from one Prisma schema to another, offline.
// Prisma 7's schema engine is a binary download; Prisma 6.19 ships the same engine
// as WebAssembly (engine: 'js'), which diffs two datamodels without any database.
//
//   node scripts/schema-sql.mjs                      # empty -> prisma/schema.prisma
//   node scripts/schema-sql.mjs --from-git HEAD      # HEAD's schema -> working copy
//   node scripts/schema-sql.mjs --from FILE --to FILE
//   node scripts/schema-sql.mjs --status             # `prisma migrate status` of DATABASE_URL
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Prisma 7 schemas carry no datasource url and use the new generator; Prisma 6 needs both the old way. */
export function toPrisma6Schema(schemaText) {
  return schemaText
    .replace(/generator\s+client\s*\{[^}]*\}/, 'generator client {\n  provider = "prisma-client-js"\n}')
    .replace(/(datasource\s+db\s*\{[^}]*provider\s*=\s*"postgresql")/, '$1\n  url = env("DATABASE_URL")');
}

/**
 * Runs the Prisma 6.19 CLI with its WebAssembly schema engine (engine: 'js'),
 * which works offline. It talks to PostgreSQL through a driver adapter: for a
 * datamodel-to-datamodel diff it only reads the server version and changes nothing.
 */
function runPrisma6({ args, schemaText, databaseUrl, migrationsDir }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'godown-schema-'));
  try {
    const schemaFile = path.join(dir, 'schema.prisma');
    writeFileSync(schemaFile, toPrisma6Schema(schemaText));
    const configFile = path.join(dir, 'prisma.config.mjs');
    const adapterModule = JSON.stringify(path.join(root, 'node_modules/@prisma/adapter-pg/dist/index.js'));
    writeFileSync(
      configFile,
      `import { PrismaPg } from ${adapterModule};\n` +
        `export default { experimental: { adapter: true }, engine: 'js', schema: ${JSON.stringify(schemaFile)},\n` +
        `  migrations: { path: ${JSON.stringify(migrationsDir ?? path.join(root, 'prisma/migrations'))} },\n` +
        `  adapter: async () => new PrismaPg({ connectionString: ${JSON.stringify(databaseUrl)} }) };\n`,
    );
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      // Prisma 6 checks that these binaries exist before it notices the JS engine is configured.
      PRISMA_SCHEMA_ENGINE_BINARY: configFile,
      PRISMA_QUERY_ENGINE_LIBRARY: configFile,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    };
    const cli = path.join(root, 'node_modules/prisma6/build/index.js');
    const expanded = args.map((arg) => (arg === '$SCHEMA' ? schemaFile : arg === '$DIR' ? dir : arg));
    return spawnSync(process.execPath, [cli, ...expanded, '--config', configFile], { env, encoding: 'utf8', cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SQL taking a database from `fromSchemaText` (or empty) to `toSchemaText`. */
export function schemaDiffSql({ fromSchemaText, toSchemaText, databaseUrl }) {
  const fromArgs = ['--from-empty'];
  if (fromSchemaText !== undefined) {
    const fromFile = path.join(mkdtempSync(path.join(tmpdir(), 'godown-from-')), 'from.prisma');
    writeFileSync(fromFile, toPrisma6Schema(fromSchemaText));
    fromArgs.splice(0, 1, '--from-schema-datamodel', fromFile);
  }
  const result = runPrisma6({
    args: ['migrate', 'diff', ...fromArgs, '--to-schema-datamodel', '$SCHEMA', '--script'],
    schemaText: toSchemaText,
    databaseUrl,
  });
  if (result.status !== 0) throw new Error(`prisma migrate diff failed:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

/** What `prisma migrate status` says of a database (Prisma's own reading of `_prisma_migrations`). */
export function prismaMigrateStatus({ schemaText, databaseUrl, migrationsDir }) {
  const result = runPrisma6({ args: ['migrate', 'status'], schemaText, databaseUrl, migrationsDir });
  return { exitCode: result.status, output: `${result.stdout}\n${result.stderr}` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const toSchemaText = readFileSync(value('--to') ?? path.join(root, 'prisma/schema.prisma'), 'utf8');
  let fromSchemaText;
  if (value('--from')) fromSchemaText = readFileSync(value('--from'), 'utf8');
  if (value('--from-git')) {
    fromSchemaText = execFileSync('git', ['show', `${value('--from-git')}:prisma/schema.prisma`], { cwd: root, encoding: 'utf8' });
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error('DATABASE_URL must point at a running PostgreSQL (nothing is changed in it); `npm start` prints one.');
    process.exit(2);
  }
  if (args.includes('--status')) {
    const { exitCode, output } = prismaMigrateStatus({ schemaText: toSchemaText, databaseUrl });
    process.stdout.write(output);
    process.exit(exitCode ?? 1);
  }
  process.stdout.write(schemaDiffSql({ fromSchemaText, toSchemaText, databaseUrl }));
}
