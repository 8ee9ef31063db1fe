/**
 * The simulation's commands: every role's operations through the HTTP API, with random but
 * plausible arguments. A command names the entity it acts on by a number (`pick`) taken modulo
 * what exists when it runs, so that any sequence is runnable and shrinks well; an operation the
 * service refuses (a 4xx) is a normal outcome, a 5xx never is.
 *
 * After each command: the after-commit work settles, two minutes of virtual time pass (workflows
 * and schedules run), and every invariant of ./invariants.ts is checked.
 */
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { HOUR_MS } from './clock';
import { CLOCK_SKEW_ALLOWED_MS, checkInvariants } from './invariants';
import { COMMODITY, CURRENCY, type Party, type World } from './world';

/** What the simulation knows exists (refreshed from the database after every step). */
export interface Model {
  lots: string[];
  draws: string[];
  sales: string[];
  releaseOrders: string[];
}

export function emptyModel(): Model {
  return { lots: [], draws: [], sales: [], releaseOrders: [] };
}

async function refreshModel(model: Model, world: World): Promise<void> {
  const ids = async (table: string) => (await world.db.sql<{ id: string }>(`SELECT id::text FROM ${table} ORDER BY created_at, id`)).map((r) => r.id);
  model.lots = await ids('lot');
  model.draws = await ids('draw');
  model.sales = await ids('sale');
  model.releaseOrders = await ids('release_order');
}

const pickOf = <T>(items: T[], pick: number): T | undefined => (items.length === 0 ? undefined : items[pick % items.length]);
const money = (value: Decimal.Value) => new Decimal(value).toDecimalPlaces(2, Decimal.ROUND_DOWN).toFixed(2);
const qty = (value: Decimal.Value) => new Decimal(value).toDecimalPlaces(3, Decimal.ROUND_DOWN).toFixed();

/**
 * A request sent with a date the rules forbid (money dated in the future or before the line opened,
 * an observation dated ahead of now beyond the clock skew) must be refused with a 4xx; anything
 * else is recorded under valueDatesWithinRules (a 5xx is recorded by World.call already).
 */
function expectRefused(w: World, what: string, why: string, answer: { status: number; body: any }): void {
  if (answer.status < 400) w.ruleViolations.push(`valueDatesWithinRules: ${what}, ${why}, answered ${answer.status} instead of a 4xx`);
}

/** Why a value date is outside the rules (null when it is within them): after today or before the line opened. */
function moneyDateOutOfRules(w: World, lineId: string, day: string): string | null {
  const today = w.clock.day();
  const opened = w.lineOpenedOn.get(lineId);
  if (day > today) return `dated ${day}, after today (${today})`;
  if (opened !== undefined && day < opened) return `dated ${day}, before the line opened (${opened})`;
  return null;
}

interface Coverage {
  availability: Decimal;
  reservedDraws: Decimal;
}

/** Availability and reserved draws of each line as the API reports them (null when the read fails: that is caught by an invariant). */
async function availabilities(world: World): Promise<Map<string, Coverage | null>> {
  const found = new Map<string, Coverage | null>();
  for (const lineId of world.lineIds) {
    const res = await world.call(world.lender, 'get', `/credit-lines/${lineId}/borrowing-base?view=totals`);
    found.set(lineId, res.status === 200 ? { availability: new Decimal(res.body.totals.availability.amount), reservedDraws: new Decimal(res.body.totals.reservedDraws.amount) } : null);
  }
  return found;
}

type ReservedDrawRow = {
  id: string;
  line_id: string;
  amount: string;
  created_at: string;
};

/** Draws reserved now (REQUESTED or APPROVED), oldest first. */
async function reservedDraws(world: World): Promise<ReservedDrawRow[]> {
  return world.db.sql<ReservedDrawRow>(
    `SELECT id::text, credit_line_id::text AS line_id, amount::text, to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS created_at
       FROM draw WHERE status IN ('REQUESTED', 'APPROVED') ORDER BY created_at, id`,
  );
}

const olderThan = (a: ReservedDrawRow, b: ReservedDrawRow) => a.created_at < b.created_at || (a.created_at === b.created_at && a.id < b.id);

/**
 * Reservations a line no longer covers are refused newest first, and as few as cover it again
 * (prisma/draws/store.ts refuseUncoveredReservations): every draw of the line still reserved after
 * the step is older than every draw the step refused, and — when the step is one act, which alone
 * moved the figures — availability afterwards is zero or more and would be negative without the
 * oldest refused draw's refusal. Disbursement-time refusals are not reservation refusals.
 */
async function checkReservationRefusals(world: World, step: string, reservedBefore: ReservedDrawRow[], concurrent: boolean): Promise<void> {
  if (reservedBefore.length === 0) return;
  const refusedIds = new Set(
    (
      await world.db.sql<{ id: string }>(
        `SELECT id::text FROM draw WHERE id = ANY($1::uuid[]) AND status = 'REFUSED' AND refusal_reason LIKE '%reserved draws the line no longer covers are refused%'`,
        [reservedBefore.map((d) => d.id)],
      )
    ).map((r) => r.id),
  );
  if (refusedIds.size === 0) return;
  const stillReserved = await reservedDraws(world);
  for (const lineId of new Set(reservedBefore.filter((d) => refusedIds.has(d.id)).map((d) => d.line_id))) {
    const refused = reservedBefore.filter((d) => d.line_id === lineId && refusedIds.has(d.id));
    const oldestRefused = refused[0];
    const newerKept = stillReserved.filter((d) => d.line_id === lineId && !olderThan(d, oldestRefused));
    if (newerKept.length > 0) {
      world.ruleViolations.push(`uncoveredReservationsRefusedNewestFirstAndFewest: "${step}" refused ${refused.map((d) => d.id).join(', ')} but kept the newer ${newerKept.map((d) => d.id).join(', ')}`);
    }
    if (concurrent) continue;
    const res = await world.call(world.lender, 'get', `/credit-lines/${lineId}/borrowing-base?view=totals`);
    if (res.status !== 200) continue;
    // The API shows availability rounded half-even to cents; the refusal judged the exact figure, so only
    // what the rounding cannot blur is a violation: shown < 0 is exactly < 0, shown > amount is exactly ≥ amount.
    const availability = new Decimal(res.body.totals.availability.amount);
    if (availability.isNegative() && stillReserved.some((d) => d.line_id === lineId)) {
      world.ruleViolations.push(`uncoveredReservationsRefusedNewestFirstAndFewest: "${step}" refused ${refused.length} draw(s) on line ${lineId} and left availability at ${availability.toFixed()} with draws still reserved`);
    }
    if (!availability.isNegative() && availability.gt(oldestRefused.amount)) {
      world.ruleViolations.push(`uncoveredReservationsRefusedNewestFirstAndFewest: "${step}" refused draw ${oldestRefused.id} of ${oldestRefused.amount} on line ${lineId}, but availability is ${availability.toFixed()} after it: it was covered`);
    }
  }
}

export abstract class SimCommand implements fc.AsyncCommand<Model, World> {
  /**
   * A party's own act: availability must not go negative because of it. Price marks, time passing
   * (staleness, overdue counts), accrual, inspections (quality holds) and the warehouse's physical
   * findings (counts, adjustments) may make it negative — then draws must stop.
   */
  readonly partyAction: boolean = true;

  abstract act(model: Model, world: World): Promise<void>;
  abstract toString(): string;

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const step = this.toString();
    world.step = step;
    if (process.env.SIM_TRACE) console.log(`  [${world.clock.now().toISOString()}] ${step}`);
    const before = this.partyAction ? await availabilities(world) : null;
    const reservedBefore = await reservedDraws(world);
    await this.act(model, world);
    await world.temporal.settled();
    await checkReservationRefusals(world, step, reservedBefore, this instanceof Concurrently);
    if (before !== null) {
      const after = await availabilities(world);
      for (const [lineId, was] of before) {
        const now = after.get(lineId);
        if (!was || !now || !now.availability.isNegative() || !now.availability.lt(was.availability)) continue;
        world.ruleViolations.push(`availabilityNeverNegativeByPartyAction: "${step}" took line ${lineId} availability from ${was.availability.toFixed()} to ${now.availability.toFixed()}`);
        if (now.reservedDraws.gt(0)) {
          world.ruleViolations.push(
            `reservationsNeverLeftUncoveredByPartyAction: "${step}" took line ${lineId} availability from ${was.availability.toFixed()} to ${now.availability.toFixed()} ` +
              `and left ${now.reservedDraws.toFixed()} of draws reserved (${was.reservedDraws.toFixed()} before)`,
          );
        }
      }
    }
    await world.settle();
    await refreshModel(model, world);
    await checkInvariants(world, step);
  }
}

// ─── Warehouse ────────────────────────────────────────────────────────────────

export class Receive extends SimCommand {
  constructor(readonly quantity: string, readonly grade: '80' | '70', readonly location: number) {
    super();
  }
  async act(_m: Model, w: World) {
    await w.call(w.warehouse, 'post', `/warehouses/${w.warehouseId}/lots`, {
      sellerOrganisationId: w.seller.organisationId,
      commodityCode: COMMODITY,
      grade: this.grade,
      quantity: { amount: this.quantity, unit: 'kg' },
      locationId: w.locationIds[this.location % w.locationIds.length],
      receivedAt: w.clock.now().toISOString(),
      receiptNumber: w.nextReceiptNumber(),
    });
  }
  toString() {
    return `Receive(${this.quantity} kg grade ${this.grade} in location ${this.location})`;
  }
}

export class Inspect extends SimCommand {
  override readonly partyAction = false;
  constructor(readonly lot: number, readonly qualityHold: boolean) {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (lotId) await w.call(w.warehouse, 'post', `/lots/${lotId}/inspections`, { qualityHold: this.qualityHold, reason: 'simulated inspection' });
  }
  toString() {
    return `Inspect(lot #${this.lot}, qualityHold=${this.qualityHold})`;
  }
}

export class Count extends SimCommand {
  override readonly partyAction = false;
  /** `delta` is added to the lot's quantity for the counted figure; `offsetHours` dates the count (negative: back-dated, positive: ahead). */
  constructor(readonly lot: number, readonly delta: string, readonly offsetHours: number) {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (!lotId) return;
    const lot = await w.call(w.warehouse, 'get', `/lots/${lotId}`);
    if (lot.status !== 200) return;
    const counted = Decimal.max(0, new Decimal(lot.body.quantity.amount).plus(this.delta));
    const countedAt = new Date(w.clock.nowMs() + this.offsetHours * HOUR_MS).toISOString();
    const res = await w.call(w.warehouse, 'post', `/lots/${lotId}/stock-counts`, { countedQuantity: { amount: qty(counted), unit: 'kg' }, countedAt, reason: 'simulated count' });
    if (this.offsetHours * HOUR_MS > CLOCK_SKEW_ALLOWED_MS) expectRefused(w, `a count of lot ${lotId}`, `dated ${countedAt}, ahead of now (${w.clock.now().toISOString()})`, res);
  }
  toString() {
    return `Count(lot #${this.lot}, counted = held ${this.delta.startsWith('-') ? '' : '+'}${this.delta}, dated ${this.offsetHours} h from now)`;
  }
}

export class Adjust extends SimCommand {
  override readonly partyAction = false;
  constructor(readonly lot: number, readonly delta: string, readonly kind: 'SHRINKAGE' | 'SPOILAGE' | 'DAMAGE' | 'CORRECTION') {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (lotId) await w.call(w.warehouse, 'post', `/lots/${lotId}/adjustments`, { quantityDelta: { amount: this.delta, unit: 'kg' }, kind: this.kind, reason: 'simulated adjustment' });
  }
  toString() {
    return `Adjust(lot #${this.lot}, ${this.delta} ${this.kind})`;
  }
}

export class Split extends SimCommand {
  constructor(readonly lot: number, readonly fraction: number) {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (!lotId) return;
    const lot = await w.call(w.warehouse, 'get', `/lots/${lotId}`);
    if (lot.status !== 200) return;
    await w.call(w.warehouse, 'post', `/lots/${lotId}/splits`, { quantity: { amount: qty(new Decimal(lot.body.quantity.amount).times(this.fraction)), unit: 'kg' }, receiptNumber: w.nextReceiptNumber(), reason: 'simulated split' });
  }
  toString() {
    return `Split(lot #${this.lot}, ${this.fraction} of it)`;
  }
}

export class Move extends SimCommand {
  constructor(readonly lot: number, readonly location: number) {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (lotId) await w.call(w.warehouse, 'post', `/lots/${lotId}/moves`, { toLocationId: w.locationIds[this.location % w.locationIds.length], reason: 'simulated move' });
  }
  toString() {
    return `Move(lot #${this.lot} to location ${this.location})`;
  }
}

export class ConfirmRelease extends SimCommand {
  constructor(readonly order: number, readonly fraction: number) {
    super();
  }
  async act(m: Model, w: World) {
    const orderId = pickOf(m.releaseOrders, this.order);
    if (!orderId) return;
    const order = await w.call(w.warehouse, 'get', `/release-orders/${orderId}`);
    if (order.status !== 200) return;
    // What went short will never leave (a loss allocated to the order): it is not open.
    const open = new Decimal(order.body.quantityAuthorised.amount).minus(order.body.quantityReleased.amount).minus(order.body.quantityShort.amount);
    await w.call(w.warehouse, 'post', `/release-orders/${orderId}/confirmations`, { quantity: { amount: qty(open.times(this.fraction)), unit: 'kg' }, releasedAt: w.clock.now().toISOString() });
  }
  toString() {
    return `ConfirmRelease(order #${this.order}, ${this.fraction} of what is open)`;
  }
}

// ─── Seller ───────────────────────────────────────────────────────────────────

export class Pledge extends SimCommand {
  constructor(readonly lot: number) {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (lotId) await w.call(w.seller, 'post', `/lots/${lotId}/pledge`, { creditLineId: w.lineIds[0] });
  }
  toString() {
    return `Pledge(lot #${this.lot})`;
  }
}

export class Unpledge extends SimCommand {
  constructor(readonly lot: number, readonly lenderConsents: boolean) {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (!lotId) return;
    if (this.lenderConsents) await w.call(w.lender, 'post', `/lots/${lotId}/unpledge-consent`);
    await w.call(w.seller, 'post', `/lots/${lotId}/unpledge`);
  }
  toString() {
    return `Unpledge(lot #${this.lot}${this.lenderConsents ? ', lender consents first' : ''})`;
  }
}

export class RequestDraw extends SimCommand {
  constructor(readonly amount: string, readonly byOperator: boolean) {
    super();
  }
  async act(_m: Model, w: World) {
    const lineId = w.lineIds[0];
    const before = await w.call(w.lender, 'get', `/credit-lines/${lineId}/borrowing-base?view=totals`);
    const res = await w.call(this.byOperator ? w.sellerOperator : w.seller, 'post', `/credit-lines/${lineId}/draws`, { amount: { amount: this.amount, currency: CURRENCY }, purpose: 'simulated draw' });
    if (res.status === 201 && before.status === 200 && new Decimal(before.body.totals.availability.amount).lt(this.amount)) {
      w.ruleViolations.push(`drawsStopWhenNotAvailable: a draw of ${this.amount} was reserved with availability ${before.body.totals.availability.amount}`);
    }
  }
  toString() {
    return `RequestDraw(${this.amount}${this.byOperator ? ' by the operator' : ''})`;
  }
}

export class ReportSale extends SimCommand {
  constructor(readonly lot: number, readonly fraction: number, readonly pricePerUnit: string, readonly dueInDays: number) {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (!lotId) return;
    const lot = await w.call(w.seller, 'get', `/lots/${lotId}`);
    if (lot.status !== 200) return;
    const quantity = qty(new Decimal(lot.body.quantity.amount).times(this.fraction));
    if (new Decimal(quantity).isZero()) return;
    await w.call(w.seller, 'post', `/credit-lines/${w.lineIds[0]}/sales`, {
      buyerOrganisationId: w.buyer.organisationId,
      items: [{ lotId, quantity: { amount: quantity, unit: 'kg' } }],
      pricePerUnit: { amount: this.pricePerUnit, currency: CURRENCY, unit: 'kg' },
      paymentDueDate: w.clock.day(this.dueInDays),
    });
  }
  toString() {
    return `ReportSale(lot #${this.lot}, ${this.fraction} of it at ${this.pricePerUnit}/kg, due in ${this.dueInDays} d)`;
  }
}

export class SellerOrdersRelease extends SimCommand {
  constructor(readonly lot: number, readonly fraction: number) {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (!lotId) return;
    const lot = await w.call(w.seller, 'get', `/lots/${lotId}`);
    if (lot.status !== 200) return;
    await w.call(w.seller, 'post', `/lots/${lotId}/release-orders`, { quantity: { amount: qty(new Decimal(lot.body.quantity.amount).times(this.fraction)), unit: 'kg' }, reason: 'seller ships' });
  }
  toString() {
    return `SellerOrdersRelease(lot #${this.lot}, ${this.fraction} of it)`;
  }
}

// ─── Lender ───────────────────────────────────────────────────────────────────

export class PriceMark extends SimCommand {
  override readonly partyAction = false;
  /** `asOfOffsetHours`: 0 fresh, about −80 stale (max age 72 h), −10 back-dated, +24 or years ahead forward-dated. */
  constructor(readonly price: string, readonly asOfOffsetHours: number, readonly grade: '80' | '70') {
    super();
  }
  async act(_m: Model, w: World) {
    const asOf = new Date(w.clock.nowMs() + this.asOfOffsetHours * HOUR_MS).toISOString();
    const res = await w.call(w.lender, 'post', '/price-marks', { commodityCode: COMMODITY, grade: this.grade, pricePerUnit: { amount: this.price, currency: CURRENCY, unit: 'kg' }, source: 'simulated market', asOf });
    if (this.asOfOffsetHours * HOUR_MS > CLOCK_SKEW_ALLOWED_MS) expectRefused(w, `a price mark of grade ${this.grade}`, `dated ${asOf}, ahead of now (${w.clock.now().toISOString()})`, res);
  }
  toString() {
    return `PriceMark(${this.price}/kg grade ${this.grade}, as of ${this.asOfOffsetHours} h from now)`;
  }
}

export class DecideDraw extends SimCommand {
  constructor(readonly draw: number, readonly approver: number, readonly decision: 'approve' | 'reject') {
    super();
  }
  async act(m: Model, w: World) {
    const drawId = pickOf(m.draws, this.draw);
    if (!drawId) return;
    const who: Party = [...w.approvers, w.lender][this.approver % (w.approvers.length + 1)];
    await w.call(who, 'post', `/draws/${drawId}/${this.decision}`, { reason: `simulated ${this.decision}` });
  }
  toString() {
    return `DecideDraw(draw #${this.draw}, ${this.decision} by approver ${this.approver})`;
  }
}

export class Repay extends SimCommand {
  /** `valueDateOffsetDays`: 0 today, negative back-dated (into accrued days, or before the line opened), positive ahead. */
  constructor(readonly amount: string, readonly valueDateOffsetDays: number) {
    super();
  }
  async act(_m: Model, w: World) {
    const lineId = w.lineIds[0];
    const receivedOn = w.clock.day(this.valueDateOffsetDays);
    const outOfRules = moneyDateOutOfRules(w, lineId, receivedOn);
    const res = await w.call(w.lender, 'post', `/credit-lines/${lineId}/repayments`, { amount: { amount: this.amount, currency: CURRENCY }, receivedOn, reference: 'simulated wire' });
    if (outOfRules) expectRefused(w, `a repayment of ${this.amount}`, outOfRules, res);
  }
  toString() {
    return `Repay(${this.amount}, value date ${this.valueDateOffsetDays} d from today)`;
  }
}

export class PaySale extends SimCommand {
  constructor(readonly sale: number, readonly fraction: number, readonly valueDateOffsetDays: number) {
    super();
  }
  async act(m: Model, w: World) {
    const saleId = pickOf(m.sales, this.sale);
    if (!saleId) return;
    const sale = await w.call(w.lender, 'get', `/sales/${saleId}`);
    if (sale.status !== 200) return;
    const amount = this.fraction >= 1 ? sale.body.remainingDue.amount : money(new Decimal(sale.body.remainingDue.amount).times(this.fraction));
    if (new Decimal(amount).lte(0)) return;
    const receivedOn = w.clock.day(this.valueDateOffsetDays);
    const outOfRules = moneyDateOutOfRules(w, w.lineIds[0], receivedOn);
    const res = await w.call(w.lender, 'post', `/sales/${saleId}/payments`, { amount: { amount, currency: CURRENCY }, receivedOn, reference: 'simulated buyer payment' });
    if (outOfRules) expectRefused(w, `a payment of ${amount} for sale ${saleId}`, outOfRules, res);
  }
  toString() {
    return `PaySale(sale #${this.sale}, ${this.fraction >= 1 ? 'in full' : `${this.fraction} of what is due`}, value date ${this.valueDateOffsetDays} d from today)`;
  }
}

/**
 * The seller pays exactly what the line's OPEN margin call demands; once that has settled the call
 * must no longer be OPEN (the amount a call demands is the amount that cures it through the waterfall).
 */
export class CureMarginCall extends SimCommand {
  async act(_m: Model, w: World) {
    const lineId = w.lineIds[0];
    const calls = await w.call(w.lender, 'get', `/credit-lines/${lineId}/margin-calls`);
    const open = calls.status === 200 ? (calls.body.items as { id: string; status: string; requiredRepayment: { amount: string } }[]).find((c) => c.status === 'OPEN') : undefined;
    if (!open || new Decimal(open.requiredRepayment.amount).lte(0)) return;
    const demanded = open.requiredRepayment.amount;
    const paid = await w.call(w.lender, 'post', `/credit-lines/${lineId}/repayments`, { amount: { amount: demanded, currency: CURRENCY }, receivedOn: w.clock.day(), reference: 'margin call cure' });
    if (paid.status !== 201) return;
    await w.settle();
    const after = await w.call(w.lender, 'get', `/credit-lines/${lineId}/margin-calls`);
    const still = after.status === 200 ? (after.body.items as { id: string; status: string; requiredRepayment: { amount: string } }[]).find((c) => c.id === open.id) : undefined;
    if (still?.status === 'OPEN') {
      w.ruleViolations.push(`marginCallCuredByWhatItDemands: call ${open.id} demanded ${open.requiredRepayment.amount}; ${demanded} was repaid and it is still OPEN, now asking ${still.requiredRepayment.amount}`);
    }
  }
  toString() {
    return 'CureMarginCall(repay what the open call demands)';
  }
}

/**
 * The lender's approver starts a liquidation of a line past due beyond its default threshold (the path of an
 * uncured margin call); refused (4xx) on a line not IN_DEFAULT by days past due, or already liquidating.
 */
export class StartPastDueLiquidation extends SimCommand {
  override readonly partyAction = false;
  async act(_m: Model, w: World) {
    await w.call(w.approvers[0], 'post', `/credit-lines/${w.lineIds[0]}/liquidation`);
  }
  toString() {
    return 'StartPastDueLiquidation';
  }
}

/** The lender pays the seller part of what it is owed (SELLER_PAYABLE must never go negative). */
export class PayOutSeller extends SimCommand {
  constructor(readonly amount: string) {
    super();
  }
  async act(_m: Model, w: World) {
    await w.call(w.lender, 'post', `/credit-lines/${w.lineIds[0]}/seller-payouts`, { amount: { amount: this.amount, currency: CURRENCY }, paidOn: w.clock.day(), reference: 'simulated payout' });
  }
  toString() {
    return `PayOutSeller(${this.amount})`;
  }
}

/** A repayment sent twice with the same Idempotency-Key (a client retry): the same answer, one repayment. */
export class RepayRetried extends SimCommand {
  constructor(readonly amount: string) {
    super();
  }
  async act(_m: Model, w: World) {
    const key = `sim-retry-${w.clock.nowMs()}`;
    const path = `/credit-lines/${w.lineIds[0]}/repayments`;
    const body = { amount: this.amount, receivedOn: w.clock.day(), reference: 'retried wire' };
    const [first, second] = await Promise.all([w.call(w.lender, 'post', path, body, key), w.call(w.lender, 'post', path, body, key)]);
    const again = await w.call(w.lender, 'post', path, body, key);
    const answers = [first, second, again].filter((a) => a.status < 500);
    const created = answers.filter((a) => a.status === 201).map((a) => a.body?.id as string);
    if (new Set(created).size > 1) w.ruleViolations.push(`idempotentWrites: one Idempotency-Key created repayments ${[...new Set(created)].join(', ')}`);
    if (first.status === 201 && again.status !== 201) w.ruleViolations.push(`idempotentWrites: a replay of a created repayment answered ${again.status}`);
  }
  toString() {
    return `RepayRetried(${this.amount}, the same request three times with one Idempotency-Key)`;
  }
}

export class LenderAuthorisesRelease extends SimCommand {
  constructor(readonly lot: number, readonly fraction: number) {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (!lotId) return;
    const lot = await w.call(w.lender, 'get', `/lots/${lotId}`);
    if (lot.status !== 200) return;
    await w.call(w.lender, 'post', `/lots/${lotId}/release-orders`, { quantity: { amount: qty(new Decimal(lot.body.quantity.amount).times(this.fraction)), unit: 'kg' }, reason: 'lender authorises' });
  }
  toString() {
    return `LenderAuthorisesRelease(lot #${this.lot}, ${this.fraction} of it)`;
  }
}

export class LiquidationSale extends SimCommand {
  constructor(readonly lot: number, readonly fraction: number, readonly pricePerUnit: string) {
    super();
  }
  async act(m: Model, w: World) {
    const lotId = pickOf(m.lots, this.lot);
    if (!lotId) return;
    const lot = await w.call(w.lender, 'get', `/lots/${lotId}`);
    if (lot.status !== 200) return;
    const quantity = qty(new Decimal(lot.body.quantity.amount).times(this.fraction));
    await w.call(w.lender, 'post', `/credit-lines/${w.lineIds[0]}/liquidation-sales`, {
      lotId,
      quantity: { amount: quantity, unit: 'kg' },
      proceeds: { amount: money(new Decimal(quantity).times(this.pricePerUnit)), currency: CURRENCY },
      receivedOn: w.clock.day(),
      reference: 'simulated liquidation',
    });
  }
  toString() {
    return `LiquidationSale(lot #${this.lot}, ${this.fraction} of it at ${this.pricePerUnit}/kg)`;
  }
}

export class ChangeLineStatus extends SimCommand {
  constructor(readonly change: 'freeze' | 'unfreeze' | 'close') {
    super();
  }
  async act(_m: Model, w: World) {
    await w.call(w.lender, 'post', `/credit-lines/${w.lineIds[0]}/${this.change}`);
  }
  toString() {
    return `ChangeLineStatus(${this.change})`;
  }
}

// ─── Terms and rates ──────────────────────────────────────────────────────────

export type TermsChange =
  | { kind: 'rate'; annualInterestRate: string }
  | { kind: 'limit'; limit: string }
  | { kind: 'float'; spread: string; floor: string | null }
  | { kind: 'fixed'; annualInterestRate: string }
  | { kind: 'dayCount'; dayCount: 'ACT_360' | 'ACT_365' | 'ACT_ACT_ISDA' | 'THIRTY_E_360' }
  /** Let the line mature (in 0 to 2 days: it falls due, then overdue as time advances) or renew it (a maturity far on), with its delinquency terms. */
  | { kind: 'maturity'; inDays: number; gracePeriodDays: number; defaultInterestSpread: string; defaultAfterDaysPastDue: number | null }
  | { kind: 'concentration'; commodity: string | null; warehouse: string | null; lot: string | null }
  /** Bill interest monthly on the day of the month `inDays` days on (1..28; past 28: the 1st), due after `dueAfterDays`; or stop billing (inDays null). */
  | { kind: 'billing'; inDays: number | null; dueAfterDays: number };

/**
 * The lender's ADMIN proposes an amendment from today or a few days on, an APPROVER approves it, and
 * the seller's ADMIN accepts it where it waits for that — or declines it, or leaves it pending (the
 * next amendment is then refused with a 409 until it is decided). A limit cut below what is
 * outstanding is the lender's to make: it may take availability below zero (draws stop), so it is
 * not counted as a party act that must keep availability up.
 */
export class AmendTerms extends SimCommand {
  override readonly partyAction = false;
  constructor(
    readonly change: TermsChange,
    readonly effectiveInDays: number,
    readonly approver: number,
    readonly seller: 'accept' | 'decline' | 'leave',
  ) {
    super();
  }
  async act(_m: Model, w: World) {
    const lineId = w.lineIds[0];
    const c = this.change;
    const terms =
      c.kind === 'rate' || c.kind === 'fixed'
        ? { annualInterestRate: c.annualInterestRate, floatingRate: null }
        : c.kind === 'limit'
          ? { limit: { amount: c.limit, currency: CURRENCY }, approvalThresholds: { autoApproveUpTo: { amount: '2000.00', currency: CURRENCY }, singleApproverUpTo: { amount: Decimal.min(c.limit, '10000.00').toFixed(2), currency: CURRENCY } } }
          : c.kind === 'float'
            ? { floatingRate: { referenceRateId: w.referenceRateId, spread: c.spread, floor: c.floor } }
            : c.kind === 'maturity'
              ? {
                  maturityDate: w.clock.day(c.inDays),
                  delinquency: { gracePeriodDays: c.gracePeriodDays, defaultInterestSpread: c.defaultInterestSpread, defaultAfterDaysPastDue: c.defaultAfterDaysPastDue },
                }
            : c.kind === 'concentration'
              ? { concentrationLimits: { commodity: c.commodity, warehouse: c.warehouse, lot: c.lot } }
            : c.kind === 'billing'
              ? { interestBilling: c.inDays === null ? null : { dayOfMonth: billingDayOfMonth(w.clock.day(c.inDays)), dueAfterDays: c.dueAfterDays } }
              : { dayCount: c.dayCount };
    const proposed = await w.call(w.lender, 'post', `/credit-lines/${lineId}/terms`, { effectiveFrom: w.clock.day(this.effectiveInDays), terms });
    if (proposed.status !== 201) return;
    const versionNo = proposed.body.versionNo as number;
    const approved = await w.call(w.approvers[this.approver % w.approvers.length], 'post', `/credit-lines/${lineId}/terms/${versionNo}/approve`);
    if (approved.status !== 200 || approved.body.status !== 'PENDING_ACCEPTANCE' || this.seller === 'leave') return;
    await w.call(w.seller, 'post', `/credit-lines/${lineId}/terms/${versionNo}/${this.seller}`);
  }
  toString() {
    const c = this.change;
    const what =
      c.kind === 'rate' || c.kind === 'fixed'
        ? `rate ${c.annualInterestRate}`
        : c.kind === 'limit'
          ? `limit ${c.limit}`
          : c.kind === 'float'
            ? `SOFR + ${c.spread}${c.floor === null ? '' : ` floor ${c.floor}`}`
            : c.kind === 'maturity'
              ? `maturity day +${c.inDays}, grace ${c.gracePeriodDays}, default +${c.defaultInterestSpread}, in default after ${c.defaultAfterDaysPastDue ?? 'never'}`
            : c.kind === 'concentration'
              ? `concentration limits commodity ${c.commodity ?? '-'}, warehouse ${c.warehouse ?? '-'}, lot ${c.lot ?? '-'}`
            : c.kind === 'billing'
              ? c.inDays === null ? 'no interest billing' : `interest billed on the day of month of day +${c.inDays}, due after ${c.dueAfterDays} days`
              : c.dayCount;
    return `AmendTerms(${what} from day +${this.effectiveInDays}, approver ${this.approver}, seller ${this.seller})`;
  }
}

/** The day of the month of `date` as a billing day (1..28): a day past the 28th bills on the 1st. */
function billingDayOfMonth(date: string): number {
  const day = Number(date.slice(8, 10));
  return day > 28 ? 1 : day;
}

/**
 * The lender's price feed posts a SOFR fixing for today or a few days back (a day already fixed: 409,
 * a normal refusal); one dated ahead must be refused with a 4xx. Accrued days keep the fixing they used.
 */
export class PostFixing extends SimCommand {
  override readonly partyAction = false;
  constructor(readonly rate: string, readonly dayOffset: number) {
    super();
  }
  async act(_m: Model, w: World) {
    const effectiveDate = w.clock.day(this.dayOffset);
    const answer = await w.call(w.lender, 'post', `/reference-rates/${w.referenceRateId}/fixings`, { effectiveDate, rate: this.rate });
    if (this.dayOffset > 0) expectRefused(w, `a SOFR fixing dated ${effectiveDate}`, `after today (${w.clock.day()})`, answer);
  }
  toString() {
    return `PostFixing(SOFR ${this.rate} for day ${this.dayOffset >= 0 ? '+' : ''}${this.dayOffset})`;
  }
}

// ─── Time, schedules, failures, concurrency ───────────────────────────────────

/** Time passes: draws expire, sales lapse, cure periods end, marks go stale, counts fall due, nightly accrual runs. */
export class AdvanceTime extends SimCommand {
  override readonly partyAction = false;
  constructor(readonly hours: number) {
    super();
  }
  async act(_m: Model, w: World) {
    await w.advance(this.hours * HOUR_MS);
  }
  toString() {
    return `AdvanceTime(${this.hours} h${this.hours >= 24 ? ` = ${(this.hours / 24).toFixed(1)} d` : ''})`;
  }
}

/** The accrual schedule's workflow run again for yesterday (a retry or a manual re-run must post nothing twice). */
export class Accrue extends SimCommand {
  override readonly partyAction = false;
  async act(_m: Model, w: World) {
    await w.runAccrual();
  }
  toString() {
    return 'Accrue(yesterday, again)';
  }
}

/** Temporal refuses the next workflow start (whatever asks for it next). */
export class FailNextStart extends SimCommand {
  override readonly partyAction = false;
  async act(_m: Model, w: World) {
    w.temporal.failStarts = 1;
  }
  toString() {
    return 'FailNextStart()';
  }
}

/**
 * Two commands at once (Promise.all): their requests interleave in the database. The pair is a
 * party's own act only when both are: a warehouse's finding (a count, an adjustment) beside a
 * repayment may take availability below zero, and the step cannot tell which did it. Party acts
 * are judged alone in every other step.
 */
export class Concurrently extends SimCommand {
  override readonly partyAction: boolean;
  constructor(readonly first: SimCommand, readonly second: SimCommand) {
    super();
    this.partyAction = first.partyAction && second.partyAction;
  }
  async act(m: Model, w: World) {
    await Promise.all([this.first.act(m, w), this.second.act(m, w)]);
  }
  toString() {
    return `Concurrently(${this.first.toString()}, ${this.second.toString()})`;
  }
}

// ─── Arbitraries ──────────────────────────────────────────────────────────────

const pick = fc.nat({ max: 63 });
const fraction = fc.constantFrom(0.1, 0.25, 0.5, 0.75, 1);
const amount = (min: number, max: number) => fc.integer({ min: min * 100, max: max * 100 }).map((cents) => new Decimal(cents).div(100).toFixed(2));
const price = fc.integer({ min: 30, max: 250 }).map((cents) => new Decimal(cents).div(100).toFixed(2));
const grade = fc.constantFrom<'80' | '70'>('80', '80', '70');
const quantity = fc.oneof(
  fc.integer({ min: 100, max: 30000 }).map(String),
  fc.integer({ min: 1000, max: 3000000 }).map((n) => new Decimal(n).div(100).toFixed()),
);

const saleLikeCommands = () => [
  fc.tuple(pick, fraction, price, fc.integer({ min: 1, max: 10 })).map(([l, f, p, d]) => new ReportSale(l, f, p, d)),
  fc.tuple(pick, fc.boolean()).map(([l, c]) => new Unpledge(l, c)),
  fc.tuple(amount(50, 12000), fc.boolean()).map(([a, o]) => new RequestDraw(a, o)),
  fc.tuple(pick, fraction, fc.constantFrom(0, -1)).map(([s, f, d]) => new PaySale(s, f, d)),
  fc.tuple(amount(10, 10000), fc.constant(0)).map(([a, d]) => new Repay(a, d)),
  fc.tuple(pick, fc.integer({ min: -500, max: -1 }).map(String), fc.constantFrom<'SHRINKAGE' | 'SPOILAGE'>('SHRINKAGE', 'SPOILAGE')).map(([l, d, k]) => new Adjust(l, d, k)),
  fc.tuple(pick, fraction).map(([l, f]) => new Split(l, f)),
  fc.tuple(pick, fraction).map(([o, f]) => new ConfirmRelease(o, f)),
];

/**
 * Every command, weighted towards what builds a position (receive, pledge, mark, draw) and time.
 * `without` leaves out commands by class name (exploration past a known defect only; CI leaves out none).
 */
export function commandArbitraries(without: readonly string[] = []): fc.Arbitrary<SimCommand>[] {
  const all: [string, fc.Arbitrary<SimCommand>, number][] = [
    ['Receive', fc.tuple(quantity, grade, pick).map(([q, g, l]) => new Receive(q, g, l)), 3],
    ['Pledge', pick.map((l) => new Pledge(l)), 3],
    ['PriceMark', fc.tuple(price, fc.constantFrom(0, 0, 0, -80, -10, 24, 24 * 365 * 10), grade).map(([p, o, g]) => new PriceMark(p, o, g)), 3],
    ['RequestDraw', fc.tuple(amount(50, 12000), fc.boolean()).map(([a, o]) => new RequestDraw(a, o)), 3],
    ['DecideDraw', fc.tuple(pick, fc.nat({ max: 2 }), fc.constantFrom<'approve' | 'reject'>('approve', 'approve', 'approve', 'reject')).map(([d, a, k]) => new DecideDraw(d, a, k)), 2],
    ['Inspect', fc.tuple(pick, fc.boolean()).map(([l, h]) => new Inspect(l, h)), 1],
    ['Count', fc.tuple(pick, fc.constantFrom('0', '0', '-50', '-2000', '25.5'), fc.constantFrom(0, -5, 48)).map(([l, d, o]) => new Count(l, d, o)), 1],
    [
      'Adjust',
      fc
        .tuple(pick, fc.oneof(fc.integer({ min: -3000, max: -1 }), fc.integer({ min: 1, max: 200 })).map(String), fc.constantFrom<'SHRINKAGE' | 'SPOILAGE' | 'DAMAGE' | 'CORRECTION'>('SHRINKAGE', 'SPOILAGE', 'DAMAGE', 'CORRECTION'))
        .map(([l, d, k]) => new Adjust(l, d, k)),
      1,
    ],
    ['Split', fc.tuple(pick, fraction).map(([l, f]) => new Split(l, f)), 1],
    ['Move', fc.tuple(pick, pick).map(([l, to]) => new Move(l, to)), 1],
    ['Unpledge', fc.tuple(pick, fc.boolean()).map(([l, c]) => new Unpledge(l, c)), 2],
    ['ReportSale', fc.tuple(pick, fraction, price, fc.integer({ min: 1, max: 10 })).map(([l, f, p, d]) => new ReportSale(l, f, p, d)), 2],
    ['PaySale', fc.tuple(pick, fraction, fc.constantFrom(0, 0, -1, -3, 2)).map(([s, f, d]) => new PaySale(s, f, d)), 2],
    ['Repay', fc.tuple(amount(10, 10000), fc.constantFrom(0, 0, 0, -1, -2, -5, 3, 60, -400)).map(([a, d]) => new Repay(a, d)), 2],
    ['ConfirmRelease', fc.tuple(pick, fraction).map(([o, f]) => new ConfirmRelease(o, f)), 2],
    ['LenderAuthorisesRelease', fc.tuple(pick, fraction).map(([l, f]) => new LenderAuthorisesRelease(l, f)), 1],
    ['SellerOrdersRelease', fc.tuple(pick, fraction).map(([l, f]) => new SellerOrdersRelease(l, f)), 1],
    ['LiquidationSale', fc.tuple(pick, fraction, price).map(([l, f, p]) => new LiquidationSale(l, f, p)), 1],
    ['ChangeLineStatus', fc.constantFrom<'freeze' | 'unfreeze' | 'close'>('freeze', 'unfreeze', 'unfreeze', 'close').map((c) => new ChangeLineStatus(c)), 1],
    ['AdvanceTime', fc.constantFrom(1, 6, 25, 49, 24 * 4).map((h) => new AdvanceTime(h)), 4],
    ['Accrue', fc.constant(new Accrue()), 1],
    [
      'AmendTerms',
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom('0.08', '0.12', '0.15').map((r): TermsChange => ({ kind: 'rate', annualInterestRate: r })),
            fc.constantFrom('20000.00', '100000.00', '150000.00').map((l): TermsChange => ({ kind: 'limit', limit: l })),
            fc.tuple(fc.constantFrom('0.01', '0.02', '-0.01'), fc.constantFrom<string | null>('0', null)).map(([sp, fl]): TermsChange => ({ kind: 'float', spread: sp, floor: fl })),
            fc.constantFrom('0.1', '0.12').map((r): TermsChange => ({ kind: 'fixed', annualInterestRate: r })),
            fc.constantFrom<'ACT_360' | 'ACT_365' | 'ACT_ACT_ISDA' | 'THIRTY_E_360'>('ACT_360', 'ACT_365', 'ACT_ACT_ISDA', 'THIRTY_E_360').map((d): TermsChange => ({ kind: 'dayCount', dayCount: d })),
            fc
              .tuple(fc.constantFrom(0, 1, 2, 120), fc.constantFrom(0, 1, 3), fc.constantFrom('0.02', '0.05', '0'), fc.constantFrom<number | null>(4, 10, null))
              .map(([inDays, grace, spread, after]): TermsChange => ({ kind: 'maturity', inDays, gracePeriodDays: grace, defaultInterestSpread: spread, defaultAfterDaysPastDue: after })),
            // The world's goods are one commodity in one warehouse: a limit on either below 1 cuts the base to zero.
            fc
              .tuple(fc.constantFrom<string | null>(null, null, '1', '0.6'), fc.constantFrom<string | null>(null, null, '1', '0.9'), fc.constantFrom<string | null>(null, '0.25', '0.4', '0.6'))
              .map(([commodity, warehouse, lot]): TermsChange => ({ kind: 'concentration', commodity, warehouse, lot })),
            // Billing days a few days on, so that a run of a few weeks bills, falls past due and pays; or billing removed.
            fc
              .tuple(fc.constantFrom<number | null>(1, 2, 5, null), fc.constantFrom(0, 2, 10))
              .map(([inDays, dueAfterDays]): TermsChange => ({ kind: 'billing', inDays, dueAfterDays })),
          ),
          fc.constantFrom(0, 0, 1, 3),
          fc.nat({ max: 1 }),
          fc.constantFrom<'accept' | 'decline' | 'leave'>('accept', 'accept', 'accept', 'decline', 'leave'),
        )
        .map(([c, e, a, s]) => new AmendTerms(c, e, a, s)),
      2,
    ],
    ['PostFixing', fc.tuple(fc.constantFrom('0.0430', '0.0455', '0.0390', '-0.0050'), fc.constantFrom(0, 0, -1, -4, 1)).map(([r, d]) => new PostFixing(r, d)), 2],
    ['CureMarginCall', fc.constant(new CureMarginCall()), 2],
    ['StartPastDueLiquidation', fc.constant(new StartPastDueLiquidation()), 1],
    ['PayOutSeller', fc.constantFrom('1.00', '100.00', '2500.00', '50000.00').map((a) => new PayOutSeller(a)), 1],
    ['RepayRetried', fc.constantFrom('10.00', '500.00', '3000.00').map((a) => new RepayRetried(a)), 1],
    ['FailNextStart', fc.constant(new FailNextStart()), 1],
    ['Concurrently', fc.tuple(fc.oneof(...saleLikeCommands()), fc.oneof(...saleLikeCommands())).map(([a, b]) => new Concurrently(a, b)), 1],
    // The same lot from two sides at once: a sale locks line → lot, an unpledge lot → line.
    ['Concurrently', fc.tuple(pick, fraction, price, fc.boolean()).map(([l, f, p, c]) => new Concurrently(new ReportSale(l, f, p, 5), new Unpledge(l, c))), 1],
    ['Concurrently', fc.tuple(amount(50, 12000), amount(50, 12000)).map(([a, b]) => new Concurrently(new RequestDraw(a, false), new RequestDraw(b, true))), 1],
  ];
  const unknown = without.filter((name) => !all.some(([n]) => n === name));
  if (unknown.length > 0) throw new Error(`no command named ${unknown.join(', ')}; there are ${[...new Set(all.map(([n]) => n))].join(', ')}`);
  return all.filter(([name]) => !without.includes(name)).flatMap(([, arb, weight]) => Array.from({ length: weight }, () => arb));
}

