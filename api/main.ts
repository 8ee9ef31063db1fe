import path from 'node:path';
import type { Server } from 'node:http';
import { allRoutes, createApp } from './app';
import { scheduleIdempotencyCleanup } from './http/idempotency';
import { createHttpServer } from './server';
import { ConfigError, loadConfig, publicUrlOf } from './config';
import { createLogger } from './logger';
import { createPrismaClient } from '../prisma/client';
import { openDatabase } from '../prisma/database';
import { applyMigrations } from '../prisma/migrate';
import { ConnectedTemporal, connectTemporal } from '../workflows/connection';
import { startWorker, type RunningWorker } from '../workflows/worker';
import { startOutboxPoller, type OutboxPoller } from '../workflows/outbox/poller';
import { startWebhookPoller, type WebhookPoller } from '../workflows/webhooks/deliverer';
import { SecretBox } from '../prisma/secret-box';
import { sealLegacySigningSecrets } from '../prisma/webhooks/store';

type Role = 'all' | 'api' | 'worker';

function roleFrom(argument: string | undefined, configured: Role): Role {
  if (argument === undefined) return configured;
  if (argument === 'all' || argument === 'api' || argument === 'worker') return argument;
  throw new ConfigError(`unknown role "${argument}": use all, api or worker`);
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const role = roleFrom(process.argv[2], config.GODOWN_ROLE);
  const logger = createLogger(config.LOG_LEVEL);
  let giveUp = (reason: string): void => {
    logger.fatal({ reason }, 'the embedded database cannot be brought back: exiting');
    process.exit(1);
  };
  const database = await openDatabase(config, (message) => logger.info(message), {
    checkIntervalMs: config.DATABASE_CHECK_INTERVAL_MS,
    restartsMax: config.EMBEDDED_PG_RESTARTS_MAX,
    onGiveUp: (reason) => giveUp(reason),
    onStateChange: (state) => (state.available ? logger.info('the database is available again') : logger.error({ reason: state.reason }, 'the database is unavailable')),
  });
  const { applied } = await applyMigrations(database.url, { log: (message) => logger.info(message) });
  logger.info({ applied: applied.length }, 'database migrations up to date');
  const prisma = createPrismaClient(database.url, { poolMax: config.DATABASE_POOL_MAX });
  const secrets = config.GODOWN_SECRET_KEY !== undefined ? SecretBox.fromBase64(config.GODOWN_SECRET_KEY) : SecretBox.fromKeyFile(path.join(config.GODOWN_DATA_DIR, 'secret.key'));
  const sealed = await sealLegacySigningSecrets(prisma, secrets);
  if (sealed > 0) logger.info({ sealed }, 'sealed webhook signing secrets stored in clear by an earlier version');
  const temporal = await connectTemporal(
    {
      address: config.TEMPORAL_ADDRESS,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      devServer: config.TEMPORAL_DEV_SERVER,
      dataDir: config.GODOWN_DATA_DIR,
      devServerPort: config.TEMPORAL_DEV_SERVER_PORT,
      devServerUiPort: config.TEMPORAL_UI_PORT,
    },
    logger,
  );
  const temporalStatus = temporal.status();
  let worker: RunningWorker | null = null;
  if (role !== 'api') {
    if (temporal instanceof ConnectedTemporal) {
      worker = await startWorker({
        temporal,
        prisma,
        logger,
        metricsBindAddress: config.WORKER_METRICS_PORT === undefined ? undefined : `${config.HOST}:${config.WORKER_METRICS_PORT}`,
      });
      worker.done.catch((error: unknown) => {
        // A worker that stopped polling must not leave a process that looks healthy.
        logger.fatal({ err: error }, 'Temporal worker stopped unexpectedly');
        process.exit(1);
      });
    } else if (role === 'worker') {
      throw new Error(`the worker needs Temporal: ${temporalStatus.reason}`);
    } else {
      logger.warn({ reason: temporalStatus.reason }, 'no Temporal worker: workflows cannot run until Temporal is reachable');
    }
  }
  let server: Server | null = null;
  let stopIdempotencyCleanup = () => {};
  let outboxPoller: OutboxPoller | null = null;
  let webhookPoller: WebhookPoller | null = null;
  if (role !== 'worker') {
    const webhookTargets = { allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS, deliveryTimeoutMs: config.WEBHOOK_DELIVERY_TIMEOUT_MS };
    const app = createApp({ prisma, logger, temporal, webhookTargets, secrets, publicUrl: publicUrlOf(config) }, allRoutes(), {
      inFlightMax: config.HTTP_IN_FLIGHT_MAX,
      databaseState: database.state,
      trustProxy: config.HTTP_TRUST_PROXY,
    });
    const created = createHttpServer(app, config);
    stopIdempotencyCleanup = scheduleIdempotencyCleanup(prisma, logger);
    // Every API process polls the workflow outbox (they claim disjoint rows): what a request could not
    // start or signal after its commit, or left behind when its process stopped, is dispatched here.
    outboxPoller = startOutboxPoller({ prisma, temporal, logger });
    // Webhooks likewise: deliveries live in the database, any number of processes may deliver them.
    webhookPoller = startWebhookPoller({ prisma, logger, policy: webhookTargets, secrets });
    server = await new Promise<Server>((resolve, reject) => {
      created.once('error', reject);
      created.listen(config.PORT, config.HOST, () => resolve(created));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    logger.info({ url: `http://${config.HOST}:${port}`, database: database.embedded ? 'embedded' : 'DATABASE_URL', temporal: temporalStatus }, 'Godown API listening');
    console.log(`Godown API listening on http://${config.HOST}:${port} (docs: /docs, health: /health)`);
    if (temporal instanceof ConnectedTemporal && temporal.webUiUrl !== null) console.log(`Temporal Web UI on ${temporal.webUiUrl} (development server at ${temporalStatus.address}, data in ${config.GODOWN_DATA_DIR})`);
  }

  let stopping = false;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const forced = setTimeout(() => {
      logger.error('in-flight requests did not finish in time; closing connections');
      server?.closeAllConnections();
    }, config.SHUTDOWN_GRACE_MS);
    forced.unref();
    stopIdempotencyCleanup();
    if (server) {
      const listening = server;
      await new Promise<void>((resolve) => {
        listening.close(() => resolve());
        listening.closeIdleConnections();
      });
    }
    await webhookPoller?.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping the webhook poller failed'));
    await outboxPoller?.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping the workflow outbox poller failed'));
    await worker?.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'worker shutdown failed'));
    await temporal.close().catch((error: unknown) => logger.warn({ err: error }, 'closing Temporal failed'));
    await prisma.$disconnect();
    await database.close();
    logger.info('stopped');
    process.exit(exitCode);
  };
  giveUp = (reason) => {
    // A supervisor (systemd, Docker, Kubernetes) restarts a process that exits non-zero; one that stays up without its database helps nobody.
    logger.fatal({ reason }, 'the embedded database cannot be brought back: exiting');
    void shutdown('database lost', 1).finally(() => process.exit(1));
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
