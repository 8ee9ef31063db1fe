import path from 'node:path';
import { Client } from 'pg';
import type { Config } from '../api/config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded';

export interface OpenDatabase {
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

const EMBEDDED_DATABASE_NAME = 'godown';

/** DATABASE_URL when given; otherwise the embedded PostgreSQL under GODOWN_DATA_DIR. */
export async function openDatabase(
  config: Pick<Config, 'DATABASE_URL' | 'GODOWN_DATA_DIR' | 'EMBEDDED_PG_PORT'>,
  log: (message: string) => void,
): Promise<OpenDatabase> {
  if (config.DATABASE_URL) {
    return { url: config.DATABASE_URL, embedded: false, close: async () => undefined };
  }
  const dataDir = path.resolve(config.GODOWN_DATA_DIR, 'postgres');
  const runningUrl = embeddedUrl(config.EMBEDDED_PG_PORT, EMBEDDED_DATABASE_NAME);
  if (await canConnect(runningUrl)) {
    // `npm start` already runs the embedded server (e.g. for `npm run bootstrap`): use it, leave it running.
    return { url: runningUrl, embedded: true, close: async () => undefined };
  }
  log(`starting embedded PostgreSQL in ${dataDir} on port ${config.EMBEDDED_PG_PORT}`);
  const server: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir, port: config.EMBEDDED_PG_PORT });
  await server.createDatabaseIfMissing(EMBEDDED_DATABASE_NAME);
  return { url: server.urlFor(EMBEDDED_DATABASE_NAME), embedded: true, close: () => server.stop() };
}

function embeddedUrl(port: number, databaseName: string): string {
  return `postgresql://postgres:godown@127.0.0.1:${port}/${databaseName}`;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
