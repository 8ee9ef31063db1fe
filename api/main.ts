import type { Server } from 'node:http';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { createPrismaClient } from '../prisma/client';
import { openDatabase } from '../prisma/database';
import { applyMigrations } from '../prisma/migrate';
import { connectTemporal } from '../workflows/connection';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.LOG_LEVEL);
  const database = await openDatabase(config, (message) => logger.info(message));
  const { applied } = await applyMigrations(database.url, { log: (message) => logger.info(message) });
  logger.info({ applied: applied.length }, 'database migrations up to date');
  const prisma = createPrismaClient(database.url, { poolMax: config.DATABASE_POOL_MAX });
  const temporal = await connectTemporal(
    {
      address: config.TEMPORAL_ADDRESS,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      devServer: config.TEMPORAL_DEV_SERVER,
    },
    logger,
  );
  const app = createApp({ prisma, logger, temporal });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(config.PORT, config.HOST, () => resolve(listening));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info({ url: `http://${config.HOST}:${port}`, database: database.embedded ? 'embedded' : 'DATABASE_URL', temporal: temporal.status() }, 'Godown API listening');
  console.log(`Godown API listening on http://${config.HOST}:${port} (docs: /docs, health: /health)`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const forced = setTimeout(() => {
      logger.error('in-flight requests did not finish in time; closing connections');
      server.closeAllConnections();
    }, config.SHUTDOWN_GRACE_MS);
    forced.unref();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await temporal.close().catch((error: unknown) => logger.warn({ err: error }, 'closing Temporal failed'));
    await prisma.$disconnect();
    await database.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('Godown failed to start:', error);
  }
  process.exit(1);
});
