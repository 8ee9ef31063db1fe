/**
 * The app the browser tests drive: the Express app (API and built console) on GODOWN_CONSOLE_PORT,
 * an embedded PostgreSQL of its own, and the OFFLINE workflow harness with the real activities, so
 * that draws are approved and disbursed, sales settle and margin calls open and cure.
 *
 * Before it listens on that port it seeds, through the public API, one world per journey and
 * language (./seed.ts) and writes them to GODOWN_CONSOLE_WORLD: Playwright starts the tests once the
 * port answers, so the worlds are there. Run by playwright.config.ts (webServer), with tsx.
 */
import { mkdtempSync, chmodSync, writeFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApp } from '../../api/app';
import { createHttpServer } from '../../api/server';
import { createPrismaClient } from '../../prisma/client';
import { startEmbeddedPostgres } from '../../prisma/embedded';
import { applyMigrations } from '../../prisma/migrate';
import { HarnessTemporal } from '../support/harness-temporal';
import { startOutboxPoller } from '../../workflows/outbox/poller';
import { seedWorlds } from './seed';

const DATABASE_NAME = 'godown_console';
const SERVER_LIMITS = { HTTP_REQUEST_TIMEOUT_MS: 30_000, HTTP_HEADERS_TIMEOUT_MS: 10_000, HTTP_MAX_CONNECTIONS: 512 };

async function main(): Promise<void> {
  const port = Number(process.env.GODOWN_CONSOLE_PORT);
  const worldFile = process.env.GODOWN_CONSOLE_WORLD;
  if (!Number.isInteger(port) || port <= 0 || !worldFile) throw new Error('GODOWN_CONSOLE_PORT and GODOWN_CONSOLE_WORLD must be set (playwright.config.ts sets them)');
  const parent = mkdtempSync(path.join(tmpdir(), 'godown-console-pg-'));
  chmodSync(parent, 0o755);
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(parent, 'data'), rootRunDir: process.env.GODOWN_ROOT_RUN_DIR || undefined });
  await embedded.createDatabaseIfMissing(DATABASE_NAME);
  const databaseUrl = embedded.urlFor(DATABASE_NAME);
  await applyMigrations(databaseUrl);
  const prisma = createPrismaClient(databaseUrl, { poolMax: 10 });
  const temporal = new HarnessTemporal({ databaseUrl });
  const logger = pino({ level: process.env.CONSOLE_LOG_LEVEL ?? 'error' });
  // As in production (api/main.ts): a workflow start that failed after its change committed is retried from the outbox.
  const outboxPoller = startOutboxPoller({ prisma, temporal, logger });
  const app = createApp(
    { prisma, logger, temporal },
    undefined,
    { consoleDir: path.resolve(__dirname, '../../dist/console') },
  );

  // Seeding goes through the same app on a port of its own; the browser's port opens only afterwards.
  const seeding = createHttpServer(app, SERVER_LIMITS).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => seeding.once('listening', resolve));
  const seedUrl = `http://127.0.0.1:${(seeding.address() as AddressInfo).port}`;
  const seedStartedAt = Date.now();
  const worlds = await seedWorlds(seedUrl, prisma);
  console.log(`seeded ${Object.keys(worlds).length} worlds in ${((Date.now() - seedStartedAt) / 1000).toFixed(1)} s`);
  await new Promise<void>((resolve) => seeding.close(() => resolve()));
  writeFileSync(worldFile, JSON.stringify(worlds, null, 2));

  const server = createHttpServer(app, SERVER_LIMITS).listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  console.log(`app under test on http://127.0.0.1:${port}`);

  const stop = async () => {
    server.close();
    await outboxPoller.stop().catch(() => undefined);
    await temporal.close().catch(() => undefined);
    await prisma.$disconnect().catch(() => undefined);
    await embedded.stop().catch(() => undefined);
    rmSync(parent, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
