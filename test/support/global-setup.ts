import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../prisma/embedded';
import { applyMigrations } from '../../prisma/migrate';
import { startRunTemporal } from './temporal-server';
import { TEMPLATE_DATABASE, TEST_SERVER_ENV } from './test-server';

/**
 * One real PostgreSQL for the whole run: TEST_DATABASE_URL's server when given
 * (a maintenance-database URL), else a fresh embedded server in a temp folder.
 * Migrations are applied once to a template database; each test file clones it.
 * One real Temporal server too, when the run includes a real-server suite
 * (./temporal-server.ts), started while PostgreSQL starts.
 */
export default async function globalSetup(globalConfig?: Parameters<typeof startRunTemporal>[0]): Promise<void> {
  const temporal = startRunTemporal(globalConfig);
  // Kept whatever happens below, so that teardown stops it.
  temporal.then((started) => ((globalThis as { __godownTemporal?: unknown }).__godownTemporal = started)).catch(() => undefined);
  let serverUrl = process.env.TEST_DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  if (!serverUrl) {
    const parent = mkdtempSync(path.join(tmpdir(), 'godown-test-pg-'));
    // Under root, PostgreSQL runs as the `postgres` user, which must traverse this folder.
    chmodSync(parent, 0o755);
    const dataDir = path.join(parent, 'data');
    // Under root, a clone in a folder the postgres user cannot enter runs a copy of the binaries kept there (prisma/embedded.ts).
    embedded = await startEmbeddedPostgres({ dataDir, rootRunDir: process.env.GODOWN_ROOT_RUN_DIR || undefined });
    serverUrl = embedded.serverUrl;
  }
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const templateUrl = new URL(serverUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  await applyMigrations(templateUrl.toString());
  process.env[TEST_SERVER_ENV] = serverUrl;
  (globalThis as { __godownEmbedded?: EmbeddedDatabase }).__godownEmbedded = embedded;
  await temporal;
}
