/**
 * The world the revaluation, API-latency and draw-contention benchmarks run
 * in: the real app (createApp over the project's Prisma client) listening on
 * loopback, organisations made as the bootstrap command makes them, credit
 * lines opened, commodities registered and marks posted through the API, and
 * the bulk — pledged lots — seeded set-based (one INSERT … SELECT
 * generate_series for the lots and their liens). Outstanding principal is
 * put on a line through the ledger (postEntry), as a disbursement would.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino, { type Logger } from 'pino';
import { createApp } from '../api/app';
import { Money } from '../domain/money';
import { createPrismaClient, inTransaction, type PrismaClient } from '../prisma/client';
import { claimInvitation, createOrganisationWithAdmin, createUser, type OrganisationKind, type UserRole } from '../prisma/identity/store';
import { postEntry } from '../prisma/ledger/store';
import { UnavailableTemporal, type TemporalAccess } from '../workflows/connection';
import { withClient } from './bench-database';

export interface BenchApp {
  baseUrl: string;
  prisma: PrismaClient;
  close(): Promise<void>;
}

/**
 * The app as api/main.ts builds it (Prisma client with a pool of `poolMax`,
 * JSON request logging at `logLevel` — to a file, so that the terminal stays
 * readable, at the same cost as stdout), listening on 127.0.0.1.
 */
export async function startBenchApp(
  databaseUrl: string,
  options: { poolMax: number; temporal?: TemporalAccess; logLevel?: string; logFile?: string },
): Promise<BenchApp> {
  const prisma = createPrismaClient(databaseUrl, { poolMax: options.poolMax });
  const logger: Logger = pino(
    { level: options.logLevel ?? 'info', base: { service: 'godown' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: options.logFile ?? '/dev/null', sync: false }),
  );
  const temporal = options.temporal ?? new UnavailableTemporal('no Temporal in this benchmark', 'godown-bench');
  const app = createApp({ prisma, logger, temporal });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  server.keepAliveTimeout = 60_000;
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    prisma,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await temporal.close();
      await prisma.$disconnect();
      logger.flush();
    },
  };
}

export interface BenchUser {
  userId: string;
  organisationId: string;
  apiKey: string;
}

export async function organisationWithAdmin(prisma: PrismaClient, kind: OrganisationKind): Promise<BenchUser> {
  const created = await inTransaction(prisma, (tx) =>
    createOrganisationWithAdmin(tx, { kind, name: `bench ${kind.toLowerCase()} ${randomUUID().slice(0, 8)}`, admin: { email: `admin-${randomUUID()}@bench.example`, name: 'Admin' } }, null, new Date()).then(
      (organisation) => claimInvitation(tx, organisation.invitation.token, new Date()),
    ),
  );
  return { userId: created.userId, organisationId: created.organisationId, apiKey: created.key.apiKey };
}

export async function userOf(prisma: PrismaClient, admin: BenchUser, role: UserRole): Promise<BenchUser> {
  const user = await inTransaction(prisma, (tx) =>
    createUser(tx, { userId: admin.userId, organisationId: admin.organisationId, requestId: null }, { email: `${role.toLowerCase()}-${randomUUID()}@bench.example`, name: role.toLowerCase(), role }),
  );
  return { userId: user.userId, organisationId: admin.organisationId, apiKey: user.key.apiKey };
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export async function apiCall(baseUrl: string, user: BenchUser, method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiResponse> {
  const headers: Record<string, string> = { Authorization: `Bearer ${user.apiKey}` };
  if (method === 'POST') {
    headers['Content-Type'] = 'application/json';
    headers['Idempotency-Key'] = randomUUID();
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined });
  const text = await response.text();
  return { status: response.status, body: text.length > 0 ? (JSON.parse(text) as unknown) : null };
}

async function expectCreated(response: Promise<ApiResponse>, what: string): Promise<Record<string, unknown>> {
  const { status, body } = await response;
  if (status !== 201) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  return body as Record<string, unknown>;
}

/** The terms every benchmark line has: haircut 0.2, advance 0.5, margin call above LTV 0.6, liquidation at 0.75, target 0.4. */
export function benchLineTerms(limit: string) {
  return {
    currency: 'USD',
    limit,
    defaultAdvanceRate: '0.5',
    haircut: '0.2',
    annualInterestRate: '0.12',
    dayCount: 'ACT_360',
    feeSchedule: { onSale: null, perDraw: null },
    maxMarkAgeHours: 48,
    marginCallLtv: '0.6',
    liquidationLtv: '0.75',
    targetLtv: '0.4',
    curePeriodHours: 72,
    stockCountIntervalDays: 30,
    maturityDate: new Date(Date.now() + 365 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10),
    approvalThresholds: { autoApproveUpTo: '1000.00', singleApproverUpTo: '5000.00' },
    approvalWindowHours: 24,
  };
}

export interface BenchWorld {
  lender: BenchUser;
  seller: BenchUser;
  warehouse: BenchUser;
  warehouseId: string;
  locationId: string;
  commodityCode: string;
  grade: string;
}

/** A seller or warehouse the lender onboards through POST /organisations, its admin's invitation claimed through the API. */
async function counterpartOf(app: BenchApp, lender: BenchUser, kind: 'SELLER' | 'WAREHOUSE'): Promise<BenchUser> {
  const registered = await expectCreated(
    apiCall(app.baseUrl, lender, 'POST', '/organisations', { kind, name: `bench ${kind.toLowerCase()} ${randomUUID().slice(0, 8)}`, admin: { email: `admin-${randomUUID()}@bench.example`, name: 'Admin' } }),
    kind.toLowerCase(),
  );
  const invitation = registered.invitation as { token: string };
  const claimed = await expectCreated(apiCall(app.baseUrl, { ...lender, apiKey: '' }, 'POST', '/invitations/claim', { token: invitation.token }), 'claim');
  return { userId: String(claimed.userId), organisationId: String(registered.organisationId), apiKey: String((claimed.apiKey as { apiKey: string }).apiKey) };
}

export async function benchWorld(app: BenchApp): Promise<BenchWorld> {
  const lender = await organisationWithAdmin(app.prisma, 'LENDER');
  const seller = await counterpartOf(app, lender, 'SELLER');
  const warehouse = await counterpartOf(app, lender, 'WAREHOUSE');
  const created = await expectCreated(apiCall(app.baseUrl, warehouse, 'POST', '/warehouses', { name: 'Bench store' }), 'warehouse');
  const warehouseId = String(created.id);
  const location = await expectCreated(apiCall(app.baseUrl, warehouse, 'POST', `/warehouses/${warehouseId}/locations`, { name: 'Room A', kind: 'STORE_ROOM' }), 'location');
  const commodityCode = `BENCH_${randomUUID().slice(0, 6).toUpperCase()}`;
  await expectCreated(apiCall(app.baseUrl, warehouse, 'POST', '/commodities', { code: commodityCode, name: 'Bench wheat', unit: 'kg', grades: ['A', 'B'] }), 'commodity');
  return { lender, seller, warehouse, warehouseId, locationId: String(location.id), commodityCode, grade: 'A' };
}

/** Offers `count` lines through POST /credit-lines (the bench warehouse approved) and the seller accepts each, `concurrency` at a time; answers their ids in opening order. */
export async function openLines(app: BenchApp, world: BenchWorld, count: number, limit: string, concurrency = 8): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) {
      const line = await expectCreated(
        apiCall(app.baseUrl, world.lender, 'POST', '/credit-lines', { sellerOrganisationId: world.seller.organisationId, terms: { ...benchLineTerms(limit), approvedWarehouseIds: [world.warehouseId] } }),
        'credit line',
      );
      const accepted = await apiCall(app.baseUrl, world.seller, 'POST', `/credit-lines/${String(line.id)}/accept`, {});
      if (accepted.status !== 200) throw new Error(`accept credit line: ${accepted.status} ${JSON.stringify(accepted.body)}`);
      ids[index] = String(line.id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return ids;
}

/**
 * `lotsPerLine` lots of `quantity` kg pledged to each line, in one statement.
 * Every 100th lot is on quality hold (ineligible); all were counted a day ago.
 */
export async function pledgeLots(databaseUrl: string, world: BenchWorld, lineIds: readonly string[], lotsPerLine: number, quantity: string, receiptPrefix = 'BENCH-'): Promise<void> {
  await withClient(databaseUrl, (client) =>
    client.query(
      `WITH lines AS (SELECT id, ordinality - 1 AS n FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ordinality)),
            new_lots AS (
              INSERT INTO lot (id, warehouse_id, location_id, seller_organisation_id, commodity_code, grade, quantity, unit, receipt_number,
                               received_at, quality_hold, last_counted_at, updated_at)
              SELECT gen_random_uuid(), $2, $3, $4, $5, $6, $7::numeric, 'kg', $11 || g, now() - interval '3 days',
                     g % 100 = 99, now() - interval '1 day', now()
                FROM generate_series(0, cardinality($1::uuid[]) * $8::int - 1) AS g
              RETURNING id, receipt_number)
       INSERT INTO lien (id, lot_id, credit_line_id, pledged_by_user_id, pledged_at, lender_consent_user_id, lender_consent_at)
       SELECT gen_random_uuid(), nl.id, lines.id, $9, now() - interval '2 days', $10, now() - interval '2 days'
         FROM new_lots nl JOIN lines ON lines.n = substring(nl.receipt_number FROM length($11) + 1)::int / $8::int`,
      [lineIds, world.warehouseId, world.locationId, world.seller.organisationId, world.commodityCode, world.grade, quantity, lotsPerLine, world.seller.userId, world.lender.userId, receiptPrefix],
    ),
  );
  await withClient(databaseUrl, (client) => client.query('VACUUM ANALYZE'));
}

/** Posts a mark through POST /price-marks. */
export async function postMark(app: BenchApp, world: BenchWorld, pricePerUnit: string): Promise<void> {
  await expectCreated(
    apiCall(app.baseUrl, world.lender, 'POST', '/price-marks', { commodityCode: world.commodityCode, grade: world.grade, currency: 'USD', pricePerUnit, source: 'bench', asOf: new Date().toISOString() }),
    'price mark',
  );
}

/** Puts `amounts[i]` of principal outstanding on `lineIds[i]` (debit LOAN_PRINCIPAL, credit LENDER_FUNDING), `concurrency` at a time. */
export async function drawPrincipals(prisma: PrismaClient, lineIds: readonly string[], amounts: readonly string[], concurrency = 8): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < lineIds.length; index = next++) {
      const lineId = lineIds[index];
      await inTransaction(prisma, async (tx) => {
        const accounts = await tx.ledgerAccount.findMany({ where: { accountSetId: lineId, code: { in: ['LOAN_PRINCIPAL', 'LENDER_FUNDING'] } } });
        const principal = accounts.find((account) => account.code === 'LOAN_PRINCIPAL');
        const funding = accounts.find((account) => account.code === 'LENDER_FUNDING');
        if (!principal || !funding) throw new Error(`credit line ${lineId} has LOAN_PRINCIPAL and LENDER_FUNDING accounts`);
        const amount = Money.of(amounts[index], 'USD');
        await postEntry(tx, {
          idempotencyKey: `bench-principal-${lineId}`,
          description: 'bench: principal outstanding',
          effectiveDate: new Date().toISOString().slice(0, 10),
          accountSetId: lineId,
          lines: [
            { accountId: principal.id, side: 'DEBIT', amount },
            { accountId: funding.id, side: 'CREDIT', amount },
          ],
        });
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, lineIds.length) }, worker));
}
