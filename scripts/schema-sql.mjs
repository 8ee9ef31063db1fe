// Prints the SQL that takes a database from one Prisma schema to another, offline.
// Prisma 7's schema engine is a binary download; Prisma 6.19 ships the same engine
// as WebAssembly (engine: 'js'), which diffs two datamodels without any database.
//
//   node scripts/schema-sql.mjs                      # empty -> prisma/schema.prisma
//   node scripts/schema-sql.mjs --from-git HEAD      # HEAD's schema -> working copy
//   node scripts/schema-sql.mjs --from FILE --to FILE
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

export function schemaDiffSql({ fromSchemaText, toSchemaText, databaseUrl }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'godown-schema-'));
  try {
    const toFile = path.join(dir, 'to.prisma');
    writeFileSync(toFile, toPrisma6Schema(toSchemaText));
    const fromArgs = ['--from-empty'];
    if (fromSchemaText !== undefined) {
      const fromFile = path.join(dir, 'from.prisma');
      writeFileSync(fromFile, toPrisma6Schema(fromSchemaText));
      fromArgs.splice(0, 1, '--from-schema-datamodel', fromFile);
    }
    const configFile = path.join(dir, 'prisma.config.mjs');
    // The JS engine connects through a driver adapter even for a datamodel-to-datamodel
    // diff (it reads the server version); it changes nothing in that database.
    const adapterModule = JSON.stringify(path.join(root, 'node_modules/@prisma/adapter-pg/dist/index.js'));
    writeFileSync(
      configFile,
      `import { PrismaPg } from ${adapterModule};\n` +
        `export default { experimental: { adapter: true }, engine: 'js', schema: ${JSON.stringify(toFile)},\n` +
        `  adapter: async () => new PrismaPg({ connectionString: ${JSON.stringify(databaseUrl)} }) };\n`,
    );
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PRISMA_SCHEMA_ENGINE_BINARY: configFile,
      PRISMA_QUERY_ENGINE_LIBRARY: configFile,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    };
    const cli = path.join(root, 'node_modules/prisma6/build/index.js');
    const result = spawnSync(
      process.execPath,
      [cli, 'migrate', 'diff', ...fromArgs, '--to-schema-datamodel', toFile, '--script', '--config', configFile],
      { env, encoding: 'utf8', cwd: dir },
    );
    if (result.status !== 0) {
      throw new Error(`prisma migrate diff failed:\n${result.stderr}\n${result.stdout}`);
    }
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
  process.stdout.write(schemaDiffSql({ fromSchemaText, toSchemaText, databaseUrl }));
}
