/**
 * One simulated world per run: a fresh database cloned from the migrated template, the Express app
 * in-process with the virtual clock (AppDeps.clock), workflows in the offline harness on the same
 * clock (./sim-temporal.ts), and the parties: a lender (admin, two approvers), a seller (admin,
 * operator), a warehouse operator (admin) with one warehouse of two locations, and a buyer.
 *
 * Every HTTP answer passes through `call`, which records any 5xx: no answer may be a 5xx (a workflow
 * start Temporal refuses stays in the outbox, retried by the poller's pass in `advance`; the request
 * itself succeeds).
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import type { DayCount } from '../../domain/day-count';
import { createApp } from '../../api/app';
import type { AppDeps } from '../../api/http/deps';
import { inTransaction } from '../../prisma/client';
import { claimInvitation, createOrganisationWithAdmin, createUser, type UserRole } from '../../prisma/identity/store';
import { dispatchOutbox } from '../../workflows/outbox/dispatcher';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { DAY_MS, HOUR_MS, MINUTE_MS, VirtualClock, virtualStart } from './clock';
import { SimTemporal } from './sim-temporal';

export interface Party {
  userId: string;
  organisationId: string;
  apiKey: string;
  label: string;
}

export interface HttpAnswer {
  status: number;
  body: any;
}

export interface ServerError {
  step: string;
  request: string;
  status: number;
  body: unknown;
}

export const COMMODITY = 'APPLE_SIM';
export const CURRENCY = 'USD';

/** The line's terms, as the lender offers them (wire shape of POST /credit-lines), `approvedWarehouseIds` the warehouses whose goods it lends against. */
export function lineTerms(clock: VirtualClock, approvedWarehouseIds: string[], dayCount: DayCount = 'ACT_360') {
  return {
    approvedWarehouseIds,
    currency: CURRENCY,
    limit: { amount: '100000.00', currency: CURRENCY },
    defaultAdvanceRate: '0.5',
    advanceRatesByCommodity: {},
    haircut: '0.1',
    annualInterestRate: '0.12',
    dayCount,
    feeSchedule: { onSale: { kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: { amount: '0.002', currency: CURRENCY, unit: 'kg' } }, perDraw: { amount: '5.00', currency: CURRENCY } },
    maxMarkAgeHours: 72,
    marginCallLtv: '0.7',
    liquidationLtv: '0.85',
    targetLtv: '0.5',
    curePeriodHours: 48,
    stockCountIntervalDays: 30,
    maturityDate: clock.day(365),
    approvalThresholds: { autoApproveUpTo: { amount: '2000.00', currency: CURRENCY }, singleApproverUpTo: { amount: '10000.00', currency: CURRENCY } },
    approvalWindowHours: 24,
    waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
  };
}

/** Days a SOFR fixing stays fresh in the simulation: older, the day accrues on it flagged STALE_FIXING. */
export const REFERENCE_RATE_MAX_AGE_DAYS = 3;

export class World {
  readonly serverErrors: ServerError[] = [];
  /** Rules a step broke that only the step itself can see (availability before and after it, a draw reserved beyond availability). */
  readonly ruleViolations: string[] = [];
  /** Margin calls already checked by liquidationOnlyOnPricedLtvOrMissedCure. */
  readonly liquidationsSeen = new Set<string>();
  /** Failures of scheduled runs (accrual, margin check, stock-count monitor). */
  readonly scheduleFailures: string[] = [];
  /** The last day the accrual schedule has run for (the day before its run). */
  accruedThrough: string | null = null;
  /**
   * Per line, the last journal entry (seq) recorded before the accrual run that last accrued a new
   * day for it: postings up to it are restated; later ones dated into accrued days wait, by design,
   * for the next accrual.
   */
  readonly restatedThroughSeq = new Map<string, string>();
  /** Virtual time of the outbox dispatcher's last pass (World.advance), and what it could not dispatch. */
  lastOutboxPassMs: number | null = null;
  readonly outboxFailures: string[] = [];
  /**
   * Invariants not checked: ONLY for `npm run simulate -- --ignore name` while exploring past a
   * known defect whose fix is pending; CI never ignores any.
   */
  ignoredInvariants = new Set<string>();
  /** The step being run, for the record of server errors. */
  step = 'setup';
  lender!: Party;
  approvers!: Party[];
  seller!: Party;
  sellerOperator!: Party;
  warehouse!: Party;
  buyer!: Party;
  warehouseId!: string;
  locationIds!: string[];
  lineIds: string[] = [];
  /** The lender's reference rate (SOFR, maxFixingAgeDays REFERENCE_RATE_MAX_AGE_DAYS) for AmendTerms to float over and PostFixing to fix. */
  referenceRateId!: string;
  /** The day (UTC) each line opened: its created_at, the database's clock. */
  readonly lineOpenedOn = new Map<string, string>();
  private receiptSeq = 0;
  /** The line's day-count convention. */
  dayCount: DayCount = 'ACT_360';

  private constructor(
    readonly db: TestDatabase,
    readonly clock: VirtualClock,
    readonly temporal: SimTemporal,
    readonly app: Express,
  ) {}

  /** `dayCount`: the line's day-count convention (each sequence draws one). */
  static async create(options: { dayCount?: DayCount } = {}): Promise<World> {
    const db = await createTestDatabase({ poolMax: 8 });
    const clock = new VirtualClock(virtualStart());
    const temporal = new SimTemporal(db.url, clock);
    const deps: AppDeps = { prisma: db.prisma, logger: pino({ level: process.env.SIM_LOG_LEVEL ?? 'silent' }), temporal, clock: () => clock.now() };
    const world = new World(db, clock, temporal, createApp(deps));
    world.dayCount = options.dayCount ?? 'ACT_360';
    await world.populate();
    return world;
  }

  async close(): Promise<void> {
    await this.temporal.close();
    await this.db.close();
  }

  nextReceiptNumber(): string {
    this.receiptSeq += 1;
    return `WR-SIM-${this.receiptSeq}`;
  }

  /** One HTTP call as `who`; a 5xx is recorded (and still returned, so the step can go on). */
  async call(who: Party, method: 'get' | 'post', path: string, body?: unknown, idempotencyKey: string = randomUUID()): Promise<HttpAnswer> {
    let req = request(this.app)[method](path).set('Authorization', `Bearer ${who.apiKey}`);
    if (method === 'post') req = req.set('Idempotency-Key', idempotencyKey).send((body ?? {}) as object);
    const res = await req;
    if (process.env.SIM_TRACE) {
      const code = (res.body as { code?: string })?.code;
      console.log(`    ${who.label} ${method.toUpperCase()} ${path} → ${res.status}${code ? ` ${code}` : ''}${res.status >= 400 && res.status !== 404 ? `: ${String((res.body as { detail?: string })?.detail ?? '').slice(0, 160)}` : ''}`);
    }
    if (res.status >= 500) {
      this.serverErrors.push({ step: this.step, request: `${who.label} ${method.toUpperCase()} ${path} ${body === undefined ? '' : JSON.stringify(body)}`, status: res.status, body: res.body });
    }
    return { status: res.status, body: res.body };
  }

  /**
   * Lets `ms` of virtual time pass, an hour at a time: at each time the outbox poller makes a pass
   * (a start Temporal refused is retried once due), every workflow advances with the clock, and the
   * schedules run as Temporal would: accrual at 00:30 for the day before, the margin check at 01:00,
   * the stock-count monitor every 6 hours.
   */
  async advance(ms: number): Promise<void> {
    const target = this.clock.nowMs() + ms;
    while (this.clock.nowMs() < target) {
      const now = this.clock.nowMs();
      const next = Math.min(target, nextScheduleTime(now), now + HOUR_MS);
      this.clock.set(next);
      await this.pollOutbox();
      await this.temporal.catchUp();
      await this.runSchedulesDueAt(next);
    }
  }

  /** One pass of the outbox poller (workflows/outbox/poller.ts) at the virtual time: every due row, a batch at a time. */
  async pollOutbox(): Promise<void> {
    const deps = { prisma: this.db.prisma, temporal: this.temporal, logger: pino({ level: 'silent' }), clock: () => this.clock.now() };
    try {
      for (let pass = 0; pass < 20; pass++) {
        const report = await dispatchOutbox(deps);
        await this.temporal.settled();
        if (report.claimed === 0) break;
      }
    } catch (error) {
      this.outboxFailures.push(`outbox pass at ${this.clock.now().toISOString()}: ${(error as Error).message}`);
    }
    this.lastOutboxPassMs = this.clock.nowMs();
  }

  /** Lets a request's after-commit work (workflow starts, signals) reach the workflows, and them run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      await this.temporal.settled();
    }
    await this.advance(2 * MINUTE_MS);
  }

  /** The accrual schedule's run for the day before now (also a command: a re-run must post nothing twice). */
  async runAccrual(): Promise<void> {
    const date = this.clock.day(-1);
    const latest = async () =>
      new Map((await this.db.sql<{ line_id: string; day: string }>(`SELECT credit_line_id::text AS line_id, max(accrual_date)::text AS day FROM interest_accrual GROUP BY credit_line_id`)).map((r) => [r.line_id, r.day]));
    const [{ seq }] = await this.db.sql<{ seq: string }>(`SELECT coalesce(max(seq), 0)::text AS seq FROM journal_entry`);
    const accruedBefore = await latest();
    const failure = await this.temporal.runScheduled('dailyAccrualWorkflow', 'daily-interest-accrual', [{ date }]);
    // A line that accrued a new day has restated every posting made before this run (docs/money-and-value-dates.md, "Restatement": the next accrual restates).
    for (const [lineId, day] of await latest()) if (accruedBefore.get(lineId) !== day) this.restatedThroughSeq.set(lineId, seq);
    if (failure) this.scheduleFailures.push(`accrual for ${date}: ${failure}`);
    if (this.accruedThrough === null || date > this.accruedThrough) this.accruedThrough = date;
  }

  private async runSchedulesDueAt(ms: number): Promise<void> {
    const ofDay = ms % DAY_MS;
    if (ofDay === 30 * MINUTE_MS) await this.runAccrual();
    if (ofDay === HOUR_MS) {
      const failure = await this.temporal.runScheduled('dailyMarginCheckWorkflow', 'daily-margin-check', [{}]);
      if (failure) this.scheduleFailures.push(`margin check: ${failure}`);
    }
    if (ofDay % (6 * HOUR_MS) === 0) {
      const failure = await this.temporal.runScheduled('stockCountMonitorWorkflow', 'stock-count-monitor', [{}]);
      if (failure) this.scheduleFailures.push(`stock-count monitor: ${failure}`);
    }
  }

  /** The lender: created directly and its admin's invitation claimed, as after the bootstrap command. */
  private async lenderOrganisation(): Promise<Party> {
    const created = await inTransaction(this.db.prisma, async (tx) => {
      const registered = await createOrganisationWithAdmin(tx, { kind: 'LENDER', name: `lender ${randomUUID().slice(0, 6)}`, admin: { email: `admin-${randomUUID()}@sim.test`, name: 'lender admin' } }, null, this.clock.now());
      return claimInvitation(tx, registered.invitation.token, this.clock.now());
    });
    return { userId: created.userId, organisationId: created.organisationId, apiKey: created.key.apiKey, label: 'lender-admin' };
  }

  /**
   * A counterpart the lender onboards, as in production: POST /organisations by the lender's ADMIN
   * answers the admin's invitation, which the admin claims with POST /invitations/claim.
   */
  private async counterpart(kind: 'SELLER' | 'WAREHOUSE' | 'BUYER', label: string): Promise<Party> {
    const registered = await this.must(this.lender, '/organisations', { kind, name: `${label} ${randomUUID().slice(0, 6)}`, admin: { email: `admin-${randomUUID()}@sim.test`, name: `${label} admin` } });
    const claimed = await request(this.app).post('/invitations/claim').send({ token: registered.invitation.token });
    if (claimed.status !== 201) throw new Error(`world setup: claiming the ${kind} invitation answered ${claimed.status} ${JSON.stringify(claimed.body)}`);
    return { userId: claimed.body.userId, organisationId: registered.organisationId, apiKey: claimed.body.apiKey.apiKey, label: `${label}-admin` };
  }

  /** A further user of `admin`'s organisation (created directly, as test/support/api.ts does). */
  private async addUser(admin: Party, role: UserRole, label: string): Promise<Party> {
    const user = await inTransaction(this.db.prisma, (tx) =>
      createUser(tx, { userId: admin.userId, organisationId: admin.organisationId, requestId: null }, { email: `${label}-${randomUUID()}@sim.test`, name: label, role }),
    );
    return { userId: user.userId, organisationId: admin.organisationId, apiKey: user.key.apiKey, label };
  }

  private async must(who: Party, path: string, body: unknown): Promise<any> {
    const res = await this.call(who, 'post', path, body);
    if (res.status !== 201 && res.status !== 200) throw new Error(`world setup: POST ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** The parties (the lender as after the bootstrap command, its counterparts onboarded by it), the warehouse and the line. */
  private async populate(): Promise<void> {
    this.lender = await this.lenderOrganisation();
    this.approvers = [await this.addUser(this.lender, 'APPROVER', 'lender-approver-1'), await this.addUser(this.lender, 'APPROVER', 'lender-approver-2')];
    this.seller = await this.counterpart('SELLER', 'seller');
    this.sellerOperator = await this.addUser(this.seller, 'OPERATOR', 'seller-operator');
    this.warehouse = await this.counterpart('WAREHOUSE', 'warehouse');
    this.buyer = await this.counterpart('BUYER', 'buyer');
    this.warehouseId = (await this.must(this.warehouse, '/warehouses', { name: 'Cold store' })).id;
    this.locationIds = [
      (await this.must(this.warehouse, `/warehouses/${this.warehouseId}/locations`, { name: 'Room A', kind: 'STORE_ROOM' })).id,
      (await this.must(this.warehouse, `/warehouses/${this.warehouseId}/locations`, { name: 'Cold 1', kind: 'COLD_ROOM' })).id,
    ];
    await this.must(this.warehouse, '/commodities', { code: COMMODITY, name: 'Apples', unit: 'kg', grades: ['80', '70'] });
    this.lineIds.push(await openLine(this));
    // Registered once the clock is at the line's opening, and fixed on that day, so that the line may float from it.
    this.referenceRateId = (await this.must(this.lender, '/reference-rates', { code: 'SOFR', name: 'Secured Overnight Financing Rate', maxFixingAgeDays: REFERENCE_RATE_MAX_AGE_DAYS })).id;
    await this.must(this.lender, `/reference-rates/${this.referenceRateId}/fixings`, { effectiveDate: this.clock.day(), rate: '0.0430' });
    await this.openingPosition();
  }

  /**
   * Where every run starts, so that short sequences reach deep states: 60 000 kg of grade 80
   * pledged to the line, 8 000 kg of grade 70 received but not pledged, both grades marked fresh
   * (borrowing base 60 000 × 1.20 × (1 − 0.1) × 0.5 = 32 400.00: enough principal for daily
   * interest to pass 10.00, where issue #11's first accrual defect lives).
   */
  private async openingPosition(): Promise<void> {
    const receive = async (quantity: string, grade: string) =>
      (
        await this.must(this.warehouse, `/warehouses/${this.warehouseId}/lots`, {
          sellerOrganisationId: this.seller.organisationId,
          commodityCode: COMMODITY,
          grade,
          quantity: { amount: quantity, unit: 'kg' },
          locationId: this.locationIds[0],
          receivedAt: this.clock.now().toISOString(),
          receiptNumber: this.nextReceiptNumber(),
        })
      ).id as string;
    const pledged = await receive('60000', '80');
    await receive('8000', '70');
    await this.must(this.seller, `/lots/${pledged}/pledge`, { creditLineId: this.lineIds[0] });
    for (const [grade, pricePerUnit] of [['80', '1.20'], ['70', '1.00']]) {
      await this.must(this.lender, '/price-marks', { commodityCode: COMMODITY, grade, pricePerUnit: { amount: pricePerUnit, currency: CURRENCY, unit: 'kg' }, source: 'opening mark', asOf: this.clock.now().toISOString() });
    }
    await this.settle();
  }
}

/**
 * How a credit line comes to exist: the lender offers it (POST /credit-lines, terms listing the
 * world's warehouse as approved) and the seller's ADMIN accepts it (POST /credit-lines/{id}/accept).
 *
 * The line's opening day is its created_at, the DATABASE's clock (see the README): the virtual
 * clock is brought up to it, so that "before the line opened" is judged on one time line.
 */
export async function openLine(world: World): Promise<string> {
  const offered = await world.call(world.lender, 'post', '/credit-lines', {
    sellerOrganisationId: world.seller.organisationId,
    terms: lineTerms(world.clock, [world.warehouseId], world.dayCount),
  });
  if (offered.status !== 201) throw new Error(`world setup: offering the line answered ${offered.status} ${JSON.stringify(offered.body)}`);
  const lineId = offered.body.id as string;
  const accepted = await world.call(world.seller, 'post', `/credit-lines/${lineId}/accept`);
  if (accepted.status !== 200 || accepted.body.status !== 'ACTIVE') throw new Error(`world setup: accepting the line answered ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const [{ created_at_ms }] = await world.db.sql<{ created_at_ms: string }>(`SELECT (extract(epoch FROM created_at) * 1000)::bigint::text AS created_at_ms FROM credit_line WHERE id = $1::uuid`, [lineId]);
  if (Number(created_at_ms) > world.clock.nowMs()) world.clock.set(Number(created_at_ms));
  world.lineOpenedOn.set(lineId, new Date(Number(created_at_ms)).toISOString().slice(0, 10));
  return lineId;
}

/** The next time at which a schedule fires: 00:30 (accrual), 01:00 (margin check), every 6 hours (stock counts). */
function nextScheduleTime(nowMs: number): number {
  const dayStart = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const candidates = [dayStart + 30 * MINUTE_MS, dayStart + HOUR_MS, dayStart + 6 * HOUR_MS, dayStart + 12 * HOUR_MS, dayStart + 18 * HOUR_MS, dayStart + DAY_MS];
  return Math.min(...candidates.filter((t) => t > nowMs), dayStart + DAY_MS + 30 * MINUTE_MS);
}
