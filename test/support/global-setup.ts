import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../prisma/embedded';
import { applyMigrations } from '../../prisma/migrate';
import { TEMPLATE_DATABASE, TEST_SERVER_ENV } from './test-server';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * One real PostgreSQL for the whole run: TEST_DATABASE_URL's server when given
 * (a maintenance-database URL), else a fresh embedded server in a temp folder.
 * Migrations are applied once to a template database; each test file clones it.
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.TEST_DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  if (!serverUrl) {
    const parent = mkdtempSync(path.join(tmpdir(), 'godown-test-pg-'));
    // Under root, PostgreSQL runs as the `postgres` user, which must traverse this folder.
    chmodSync(parent, 0o755);
    const dataDir = path.join(parent, 'data');
    embedded = await startEmbeddedPostgres({ dataDir, port: await freePort() });
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
}
