import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createPrismaClient, type PrismaClient } from '../../prisma/client';
import { TEMPLATE_DATABASE, testServerUrl } from './test-server';

export interface TestDatabase {
  url: string;
  prisma: PrismaClient;
  /** Runs raw SQL as the superuser on this database (for asserting what the database itself refuses). */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A fresh database cloned from the migrated template: each test file owns its data. */
export async function createTestDatabase(options: { poolMax?: number } = {}): Promise<TestDatabase> {
  const serverUrl = testServerUrl();
  const name = `godown_t_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const prisma = createPrismaClient(url.toString(), { poolMax: options.poolMax ?? 10 });
  const raw = new Client({ connectionString: url.toString() });
  await raw.connect();
  return {
    url: url.toString(),
    prisma,
    sql: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
      (await raw.query(text, params)).rows as T[],
    async close() {
      await prisma.$disconnect();
      await raw.end();
      const dropper = new Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => dropper.end());
    },
  };
}

/** An empty database (no migrations), for testing the migration runner itself. */
export async function createEmptyDatabase(): Promise<{ url: string; query(text: string): Promise<Record<string, unknown>[]>; close(): Promise<void> }> {
  const serverUrl = testServerUrl();
  const name = `godown_e_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  return {
    url: url.toString(),
    query: async (text) => (await client.query(text)).rows,
    async close() {
      await client.end();
      const dropper = new Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => dropper.end());
    },
  };
}
