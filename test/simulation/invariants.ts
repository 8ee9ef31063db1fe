/**
 * The invariants checked after EVERY step of a simulation, each a named function that answers
 * what it found broken (empty when it holds). SQL reads the world's database as the superuser;
 * API reads go through the app as the lender. They are the rules of docs/domain.md ("Invariants") and issue #11:
 * they must never be weakened to make a run pass.
 */
import { Decimal } from 'decimal.js';
import { dayFraction, type DayCount } from '../../domain/day-count';
import { borrowingBaseQuery } from '../../prisma/custody/valuation';
import type { World } from './world';

export type Invariant = (world: World) => Promise<string[]>;

const D = Decimal.clone({ precision: 80 });
const MINOR_UNIT = new D('0.01');

/** No answer is a 5xx (a start Temporal refuses stays in the workflow outbox: the request still succeeds). */
export async function noServerErrors(world: World): Promise<string[]> {
  return world.serverErrors.map((e) => `${e.status} at step "${e.step}": ${e.request} → ${JSON.stringify(e.body).slice(0, 400)}`);
}

/** What the steps themselves recorded under `name` (see SimCommand.run and the commands that check as they act). */
function recorded(world: World, name: string): string[] {
  return world.ruleViolations.filter((v) => v.startsWith(`${name}: `)).map((v) => v.slice(name.length + 2));
}

/**
 * Availability never goes negative because of anything a party did (only a price move, time or
 * the warehouse's findings may do that): recorded by the step itself, which alone sees
 * availability just before and just after its requests (SimCommand.run).
 */
export async function availabilityNeverNegativeByPartyAction(world: World): Promise<string[]> {
  return recorded(world, 'availabilityNeverNegativeByPartyAction');
}

/**
 * A party's own act never leaves reserved draws uncovered: after it, a line whose availability it
 * lowered below zero holds no reservation (the seller's own acts are refused instead; cash or goods
 * that nobody could refuse refuse the reservations the line no longer covers). Recorded by the
 * step (SimCommand.run), which alone sees the position before and after its requests.
 */
export async function reservationsNeverLeftUncoveredByPartyAction(world: World): Promise<string[]> {
  return recorded(world, 'reservationsNeverLeftUncoveredByPartyAction');
}

/** Uncovered reservations are refused newest first, and as few as cover the line again (checked by the step: SimCommand.run). */
export async function uncoveredReservationsRefusedNewestFirstAndFewest(world: World): Promise<string[]> {
  return recorded(world, 'uncoveredReservationsRefusedNewestFirstAndFewest');
}

/** When availability is short (negative, stale or unpriced collateral), draws stop: no draw is reserved beyond availability (RequestDraw). */
export async function drawsStopWhenNotAvailable(world: World): Promise<string[]> {
  return recorded(world, 'drawsStopWhenNotAvailable');
}

/** Repaying exactly what an OPEN margin call demands cures it (CureMarginCall). */
export async function marginCallCuredByWhatItDemands(world: World): Promise<string[]> {
  return recorded(world, 'marginCallCuredByWhatItDemands');
}

/** One Idempotency-Key, one write, one answer (RepayRetried). */
export async function idempotentWrites(world: World): Promise<string[]> {
  return recorded(world, 'idempotentWrites');
}

/** Every read a party relies on answers: each line's borrowing base (the line itself is read by ledgerPrincipalMatchesLines). */
export async function linesAndBorrowingBasesAnswer(world: World): Promise<string[]> {
  const broken: string[] = [];
  for (const lineId of world.lineIds) {
    const path = `/credit-lines/${lineId}/borrowing-base?view=totals`;
    const res = await world.call(world.lender, 'get', path);
    if (res.status !== 200) broken.push(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  return broken;
}

/**
 * No commodity, warehouse or lot provides more than the line's concentration limit of its borrowing
 * base after the cut, on the exact figures every reader of the borrowing base takes
 * (borrowingBaseQuery); the lots' lending values add up to that base, and every lot with an excess
 * says which limit cut it.
 */
export async function concentrationLimitsHold(world: World): Promise<string[]> {
  const broken: string[] = [];
  for (const lineId of world.lineIds) {
    const [limits] = await world.db.sql<{ commodity: string | null; warehouse: string | null; lot: string | null }>(
      `SELECT concentration_limit_commodity::text AS commodity, concentration_limit_warehouse::text AS warehouse, concentration_limit_lot::text AS lot
         FROM credit_line WHERE id = $1::uuid`,
      [lineId],
    );
    const figures = await borrowingBaseQuery(world.db.prisma, { lineId, now: world.clock.now(), lotsPage: { afterLotId: null, limit: 1000 } });
    const lots = figures.lots ?? [];
    if (lots.length < figures.totals.lotCount) continue;
    const warehouses = new Map(
      (await world.db.sql<{ id: string; warehouse_id: string }>(`SELECT id::text, warehouse_id::text FROM lot WHERE id = ANY($1::uuid[])`, [lots.map((lot) => lot.lotId)])).map((row) => [row.id, row.warehouse_id]),
    );
    const base = new D(figures.totals.borrowingBase.toFixed());
    const sum = lots.reduce((total, lot) => total.plus(lot.lendingValue), new D(0));
    if (!sum.equals(base)) broken.push(`line ${lineId}: its lots lend ${sum.toFixed()} in all, but its borrowing base is ${base.toFixed()}`);
    for (const lot of lots) {
      if (new D(lot.concentrationExcess).gt(0) && !lot.reasons.some((reason) => reason.startsWith('CONCENTRATION_'))) {
        broken.push(`line ${lineId}: lot ${lot.lotId} lost ${lot.concentrationExcess} to the concentration limits without a reason`);
      }
    }
    const dimensions = [
      ['commodity', limits.commodity, (lot: (typeof lots)[number]) => lot.commodityCode],
      ['warehouse', limits.warehouse, (lot: (typeof lots)[number]) => warehouses.get(lot.lotId) ?? '?'],
      ['lot', limits.lot, (lot: (typeof lots)[number]) => lot.lotId],
    ] as const;
    for (const [dimension, limit, keyOf] of dimensions) {
      if (limit === null) continue;
      const groups = new Map<string, Decimal>();
      for (const lot of lots) groups.set(keyOf(lot), (groups.get(keyOf(lot)) ?? new D(0)).plus(lot.lendingValue));
      for (const [key, provided] of groups) {
        if (provided.gt(base.times(limit))) broken.push(`line ${lineId}: ${dimension} ${key} provides ${provided.toFixed()} of a borrowing base of ${base.toFixed()}, above its limit ${limit}`);
      }
    }
  }
  return broken;
}

/**
 * The lender's exposure (GET /portfolio/exposure): by seller, by commodity and by warehouse each
 * sums exactly to its totals; the totals are the lines' outstanding principal (ledger) and their
 * borrowing bases as every other reader sees them (borrowingBaseQuery), rounded once.
 */
export async function exposureSumsToTotals(world: World): Promise<string[]> {
  const broken: string[] = [];
  const res = await world.call(world.lender, 'get', '/portfolio/exposure');
  if (res.status !== 200) return [`GET /portfolio/exposure answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`];
  type Money = { amount: string; currency: string };
  type Figures = Record<'outstandingPrincipal' | 'borrowingBase' | 'collateralValue' | 'eligibleCollateralValue', Money>;
  type Entry = { currency: string; totals: Figures; bySeller: { figures: Figures }[]; byCommodity: { figures: Figures }[]; byWarehouse: { figures: Figures }[] };
  const lines = await world.db.sql<{ id: string; currency: string; principal: string }>(
    `SELECT cl.id::text, cl.currency::text, coalesce(a.balance, 0)::text AS principal FROM credit_line cl
       LEFT JOIN ledger_account a ON a.account_set_id = cl.id AND a.code = 'LOAN_PRINCIPAL'
      WHERE cl.id = ANY($1::uuid[]) AND cl.status IN ('ACTIVE', 'FROZEN', 'IN_DEFAULT')`,
    [world.lineIds],
  );
  const entries = res.body.currencies as Entry[];
  const currencies = [...new Set(lines.map((line) => line.currency))].sort();
  if (JSON.stringify(entries.map((entry) => entry.currency)) !== JSON.stringify(currencies)) broken.push(`exposure is in ${entries.map((entry) => entry.currency).join(', ') || 'no currency'}; the lines in force are in ${currencies.join(', ') || 'none'}`);
  for (const entry of entries) {
    for (const [dimension, groups] of [['bySeller', entry.bySeller], ['byCommodity', entry.byCommodity], ['byWarehouse', entry.byWarehouse]] as const) {
      for (const figure of ['outstandingPrincipal', 'borrowingBase', 'collateralValue', 'eligibleCollateralValue'] as const) {
        const sum = groups.reduce((total, group) => total.plus(group.figures[figure].amount), new D(0));
        if (!sum.equals(entry.totals[figure].amount)) broken.push(`${entry.currency} ${dimension}: ${figure} adds up to ${sum.toFixed()}, not the total ${entry.totals[figure].amount}`);
      }
    }
    const own = lines.filter((line) => line.currency === entry.currency);
    const principal = own.reduce((total, line) => total.plus(line.principal), new D(0));
    if (!principal.equals(entry.totals.outstandingPrincipal.amount)) broken.push(`${entry.currency}: exposure's outstanding principal is ${entry.totals.outstandingPrincipal.amount}, the lines' ledger ${principal.toFixed()}`);
    let base = new D(0);
    for (const line of own) base = base.plus((await borrowingBaseQuery(world.db.prisma, { lineId: line.id, now: world.clock.now(), lotsPage: null })).totals.borrowingBase.toFixed());
    const places = entry.totals.borrowingBase.amount.split('.')[1]?.length ?? 0;
    if (!base.toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN).equals(entry.totals.borrowingBase.amount)) {
      broken.push(`${entry.currency}: exposure's borrowing base is ${entry.totals.borrowingBase.amount}; the lines' borrowing bases add up to ${base.toFixed()}`);
    }
  }
  return broken;
}

/** The ledger nets to zero per currency, and so does every entry. */
export async function ledgerNetsToZeroPerCurrency(world: World): Promise<string[]> {
  const rows = await world.db.sql<{ currency: string; net: string }>(
    `SELECT currency, sum(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END)::text AS net FROM journal_line GROUP BY currency`,
  );
  const entries = await world.db.sql<{ entry_id: string; currency: string; net: string }>(
    `SELECT entry_id::text, currency, sum(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END)::text AS net
       FROM journal_line GROUP BY entry_id, currency HAVING sum(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END) <> 0`,
  );
  return [
    ...rows.filter((r) => !new D(r.net).isZero()).map((r) => `the ledger nets to ${r.net} ${r.currency}, not 0`),
    ...entries.map((e) => `journal entry ${e.entry_id} nets to ${e.net} ${e.currency}`),
  ];
}

/**
 * Ledger principal = the line's outstanding principal, three ways: the journal lines on
 * LOAN_PRINCIPAL, the account's stored balance, the API's outstanding principal, and what the
 * business says (disbursed draws − principal repaid).
 */
export async function ledgerPrincipalMatchesLines(world: World): Promise<string[]> {
  const broken: string[] = [];
  for (const lineId of world.lineIds) {
    const [row] = await world.db.sql<{ from_lines: string; stored: string; disbursed: string; repaid: string }>(
      `SELECT
         (SELECT coalesce(sum(CASE jl.side WHEN 'DEBIT' THEN jl.amount ELSE -jl.amount END), 0) FROM journal_line jl WHERE jl.account_id = a.id)::text AS from_lines,
         a.balance::text AS stored,
         (SELECT coalesce(sum(amount), 0) FROM draw WHERE credit_line_id = $1::uuid AND status = 'DISBURSED')::text AS disbursed,
         (SELECT coalesce(sum(principal_paid), 0) FROM repayment WHERE credit_line_id = $1::uuid)::text AS repaid
       FROM ledger_account a WHERE a.account_set_id = $1::uuid AND a.code = 'LOAN_PRINCIPAL'`,
      [lineId],
    );
    if (!row) {
      broken.push(`line ${lineId} has no LOAN_PRINCIPAL account`);
      continue;
    }
    const fromLines = new D(row.from_lines);
    const business = new D(row.disbursed).minus(row.repaid);
    if (!fromLines.eq(row.stored)) broken.push(`line ${lineId}: LOAN_PRINCIPAL stored balance ${row.stored} ≠ its journal lines ${row.from_lines}`);
    if (!fromLines.eq(business)) broken.push(`line ${lineId}: ledger principal ${row.from_lines} ≠ disbursed ${row.disbursed} − principal repaid ${row.repaid}`);
    const res = await world.call(world.lender, 'get', `/credit-lines/${lineId}`);
    if (res.status !== 200) broken.push(`GET /credit-lines/${lineId} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    else if (!new D(res.body.outstanding.principal.amount).eq(fromLines)) {
      broken.push(`line ${lineId}: GET outstanding principal ${res.body.outstanding.principal.amount} ≠ ledger ${row.from_lines}`);
    }
  }
  return broken;
}

/** Accounts that must not go negative never do (from their journal lines, in normal-balance terms), and stored balances agree. */
export async function accountsThatMustNotGoNegativeDoNot(world: World): Promise<string[]> {
  const rows = await world.db.sql<{ id: string; code: string; set_id: string; from_lines: string; stored: string; guarded: boolean }>(
    `SELECT a.id::text, a.code, a.account_set_id::text AS set_id, a.balance::text AS stored, a.must_not_go_negative AS guarded,
            coalesce(sum(CASE WHEN jl.side::text = a.normal_balance::text THEN jl.amount ELSE -jl.amount END), 0)::text AS from_lines
       FROM ledger_account a LEFT JOIN journal_line jl ON jl.account_id = a.id
      GROUP BY a.id`,
  );
  const broken: string[] = [];
  for (const r of rows) {
    if (r.guarded && new D(r.from_lines).isNegative()) broken.push(`account ${r.code} of line ${r.set_id} is ${r.from_lines}: it must not go negative`);
    if (!new D(r.from_lines).eq(r.stored)) broken.push(`account ${r.code} of line ${r.set_id}: stored balance ${r.stored} ≠ journal lines ${r.from_lines}`);
  }
  return broken;
}

/** Every lot's quantity is the end of an unbroken chain of its custody events, and never negative. */
export async function lotQuantityFollowsCustodyEvents(world: World): Promise<string[]> {
  const rows = await world.db.sql<{ lot_id: string; quantity: string; events: { type: string; before: string; after: string }[] }>(
    `SELECT l.id::text AS lot_id, l.quantity::text AS quantity,
            coalesce(json_agg(json_build_object('type', e.type, 'before', e.quantity_before::text, 'after', e.quantity_after::text) ORDER BY e.seq)
                     FILTER (WHERE e.id IS NOT NULL), '[]') AS events
       FROM lot l LEFT JOIN custody_event e ON e.lot_id = l.id GROUP BY l.id`,
  );
  const broken: string[] = [];
  for (const lot of rows) {
    if (new D(lot.quantity).isNegative()) broken.push(`lot ${lot.lot_id} holds ${lot.quantity}: negative`);
    if (lot.events.length === 0) {
      broken.push(`lot ${lot.lot_id} has no custody event`);
      continue;
    }
    if (!new D(lot.events[0].before).isZero()) broken.push(`lot ${lot.lot_id}: its first event (${lot.events[0].type}) starts from ${lot.events[0].before}, not 0`);
    for (let i = 1; i < lot.events.length; i++) {
      if (!new D(lot.events[i].before).eq(lot.events[i - 1].after)) {
        broken.push(`lot ${lot.lot_id}: event ${i} (${lot.events[i].type}) starts from ${lot.events[i].before} but the one before ended at ${lot.events[i - 1].after}`);
      }
    }
    const last = lot.events[lot.events.length - 1];
    if (!new D(last.after).eq(lot.quantity)) broken.push(`lot ${lot.lot_id} holds ${lot.quantity} but its custody events end at ${last.after}`);
  }
  return broken;
}

/**
 * A lot never holds less than what is sold from it and not yet released (OPEN or PAID sales, whose
 * release is not yet ordered) plus what is authorised to leave and not yet confirmed. A loss
 * allocated to a release order as short (quantity_short) will never leave: it is not outstanding.
 */
export async function lotCoversSoldAndAuthorised(world: World): Promise<string[]> {
  const rows = await world.db.sql<{ lot_id: string; quantity: string; sold: string; authorised: string }>(
    `SELECT l.id::text AS lot_id, l.quantity::text,
            (SELECT coalesce(sum(si.quantity), 0) FROM sale_item si JOIN sale s ON s.id = si.sale_id
              WHERE si.lot_id = l.id AND s.status IN ('OPEN', 'PAID') AND si.release_order_id IS NULL)::text AS sold,
            (SELECT coalesce(sum(ro.quantity_authorised - ro.quantity_released - ro.quantity_short), 0) FROM release_order ro
              WHERE ro.lot_id = l.id AND ro.status = 'OPEN')::text AS authorised
       FROM lot l`,
  );
  const broken = rows
    .filter((r) => new D(r.quantity).lt(new D(r.sold).plus(r.authorised)))
    .map((r) => `lot ${r.lot_id} holds ${r.quantity} but ${r.sold} is sold and not yet released and ${r.authorised} is authorised to leave`);
  // And the lot shows its warehouse that same split (GET /lots/{lotId}, `reserved`), counted here independently.
  for (const r of rows) {
    const res = await world.call(world.warehouse, 'get', `/lots/${r.lot_id}`);
    if (res.status !== 200) {
      broken.push(`GET /lots/${r.lot_id} answered ${res.status} to its warehouse`);
      continue;
    }
    const shown = res.body.reserved as Record<'soldNotReleased' | 'authorisedNotConfirmed' | 'free', { amount: string }>;
    const free = new D(r.quantity).minus(r.sold).minus(r.authorised);
    const sold = new D(shown.soldNotReleased.amount);
    const authorised = new D(shown.authorisedNotConfirmed.amount);
    if (!new D(shown.free.amount).eq(free) || !sold.plus(authorised).eq(new D(r.sold).plus(r.authorised))) {
      broken.push(`lot ${r.lot_id} shows ${JSON.stringify(shown)}; it holds ${r.quantity} with ${r.sold} sold and ${r.authorised} authorised, so ${free.toFixed()} free`);
    }
  }
  return broken;
}

/**
 * Goods leave a lot while it is pledged only under the authorisation of the lender it is pledged
 * to. Whether the lot was pledged is read from its own custody events in order (PLEDGED,
 * UNPLEDGED, SPLIT_IN carrying the parent's line), never from timestamps: lien.pledged_at is the
 * database's clock and lien.released_at the request's.
 */
export async function pledgedGoodsLeaveOnlyWithLenderAuthorisation(world: World): Promise<string[]> {
  const rows = await world.db.sql<{ lot_id: string; events: { id: string; type: string; details: Record<string, unknown> | null }[] }>(
    `SELECT e.lot_id::text, json_agg(json_build_object('id', e.id, 'type', e.type, 'details', e.details) ORDER BY e.seq) AS events
       FROM custody_event e WHERE e.type IN ('PLEDGED', 'UNPLEDGED', 'SPLIT_IN', 'RELEASED') GROUP BY e.lot_id`,
  );
  const broken: string[] = [];
  for (const lot of rows) {
    let pledgedTo: string | null = null;
    for (const event of lot.events) {
      const details = event.details ?? {};
      if (event.type === 'PLEDGED') pledgedTo = String(details.creditLineId);
      else if (event.type === 'UNPLEDGED') pledgedTo = null;
      else if (event.type === 'SPLIT_IN') pledgedTo = (details.creditLineId as string | null) ?? null;
      else if (event.type === 'RELEASED' && pledgedTo !== null && (details.kind !== 'LENDER_AUTHORISATION' || details.creditLineId !== pledgedTo)) {
        broken.push(`goods left lot ${lot.lot_id}, pledged to line ${pledgedTo}, under a ${String(details.kind ?? 'missing')} order of line ${String(details.creditLineId ?? 'none')} (event ${event.id})`);
      }
    }
  }
  return broken;
}

/**
 * Every line accrues every past day exactly once: for each line not CLOSED, one interest_accrual
 * row for every day from its opening to the last day the accrual schedule ran for.
 */
export async function everyPastDayAccruedOnce(world: World): Promise<string[]> {
  if (world.accruedThrough === null) return [];
  const rows = await world.db.sql<{ line_id: string; opened_on: string; status: string; missing: string[] | null; extra: string[] | null }>(
    `SELECT l.id::text AS line_id, l.status::text, to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS opened_on,
            (SELECT array_agg(to_char(d, 'YYYY-MM-DD') ORDER BY d) FROM generate_series((l.created_at AT TIME ZONE 'UTC')::date, $1::date, interval '1 day') d
              WHERE NOT EXISTS (SELECT 1 FROM interest_accrual ia WHERE ia.credit_line_id = l.id AND ia.accrual_date = d::date)) AS missing,
            (SELECT array_agg(to_char(ia.accrual_date, 'YYYY-MM-DD') ORDER BY ia.accrual_date) FROM interest_accrual ia
              WHERE ia.credit_line_id = l.id AND (ia.accrual_date > $1::date OR ia.accrual_date < (l.created_at AT TIME ZONE 'UTC')::date)) AS extra
       FROM credit_line l`,
    [world.accruedThrough],
  );
  const broken: string[] = [];
  for (const r of rows) {
    if (r.status !== 'CLOSED' && r.missing && r.missing.length > 0) broken.push(`line ${r.line_id} (opened ${r.opened_on}) has not accrued ${r.missing.join(', ')} (accrual ran through ${world.accruedThrough})`);
    if (r.extra && r.extra.length > 0) broken.push(`line ${r.line_id} accrued days outside its life: ${r.extra.join(', ')}`);
  }
  return broken;
}

/**
 * The interest posted on a line equals the exact interest on its REAL principal history (the
 * ledger's LOAN_PRINCIPAL at the end of each accrued day, by effective date) within one minor unit.
 * A posting dated into accrued days is restated by the NEXT accrual (docs/money-and-value-dates.md, "Restatement"), so
 * the history is the ledger as it stood when the line last accrued a new day
 * (World.restatedThroughSeq): every posting recorded before that run must be restated by then.
 */
export async function interestEqualsExactInterestOnPrincipalHistory(world: World): Promise<string[]> {
  type Day = {
    date: string;
    principal: string;
    rate: string;
    day_count: DayCount;
    floating: boolean;
    spread: string | null;
    floor: string | null;
    fixing_date: string | null;
    fixing: string | null;
    max_age: number | null;
    flag: string | null;
  };
  const rows = await world.db.sql<{ line_id: string; days: string; principal_days: Day[] | null; posted: string }>(
    `SELECT l.id::text AS line_id,
            (SELECT count(*) FROM interest_accrual ia WHERE ia.credit_line_id = l.id)::text AS days,
            (SELECT json_agg(json_build_object('date', ia.accrual_date::text, 'principal',
               (SELECT coalesce(sum(CASE jl.side WHEN 'DEBIT' THEN jl.amount ELSE -jl.amount END), 0)
                  FROM journal_line jl JOIN journal_entry je ON je.id = jl.entry_id JOIN ledger_account pa ON pa.id = jl.account_id
                 WHERE pa.account_set_id = l.id AND pa.code = 'LOAN_PRINCIPAL' AND je.effective_date <= ia.accrual_date
                   AND je.seq <= coalesce(($1::jsonb ->> l.id::text)::bigint, 0))::text,
               'rate', coalesce(tv.annual_interest_rate, l.annual_interest_rate)::text,
               'day_count', coalesce(tv.day_count, l.day_count)::text,
               'floating', CASE WHEN tv.version_no IS NULL THEN l.reference_rate_id IS NOT NULL ELSE tv.reference_rate_id IS NOT NULL END,
               'spread', CASE WHEN tv.version_no IS NULL THEN l.rate_spread ELSE tv.rate_spread END::text,
               'floor', CASE WHEN tv.version_no IS NULL THEN l.rate_floor ELSE tv.rate_floor END::text,
               'fixing_date', fx.effective_date::text, 'fixing', fx.rate::text, 'max_age', fx.max_fixing_age_days,
               'flag', ia.rate_flag) ORDER BY ia.accrual_date)
               FROM interest_accrual ia
               LEFT JOIN LATERAL (SELECT v.version_no, v.annual_interest_rate, v.day_count, v.reference_rate_id, v.rate_spread, v.rate_floor
                                    FROM credit_terms_version v
                                   WHERE v.credit_line_id = l.id AND v.status = 'AGREED' AND v.effective_from <= ia.accrual_date
                                   ORDER BY v.effective_from DESC, v.version_no DESC LIMIT 1) AS tv ON true
               -- The fixing in force as the day's accrual saw it: posted before that accrual was written.
               LEFT JOIN LATERAL (SELECT f.effective_date, f.rate, rr.max_fixing_age_days
                                    FROM rate_fixing f JOIN reference_rate rr ON rr.id = f.reference_rate_id
                                   WHERE f.reference_rate_id = CASE WHEN tv.version_no IS NULL THEN l.reference_rate_id ELSE tv.reference_rate_id END
                                     AND f.effective_date <= ia.accrual_date AND f.posted_at <= ia.created_at
                                   ORDER BY f.effective_date DESC LIMIT 1) AS fx ON true
              WHERE ia.credit_line_id = l.id) AS principal_days,
            (SELECT coalesce(sum(CASE jl.side WHEN 'CREDIT' THEN jl.amount ELSE -jl.amount END), 0)
               FROM journal_line jl JOIN ledger_account ia_acc ON ia_acc.id = jl.account_id
              WHERE ia_acc.account_set_id = l.id AND ia_acc.code = 'INTEREST_INCOME')::text AS posted
       FROM credit_line l`,
    [JSON.stringify(Object.fromEntries(world.restatedThroughSeq))],
  );
  const broken: string[] = [];
  const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  for (const r of rows) {
    if (r.principal_days === null) continue;
    // Exact: Σ principal × the rate in force that day × the day's fraction of a year under the convention in force, unrounded.
    let exact = new D(0);
    for (const day of r.principal_days) {
      let rate = new D(day.rate);
      let expectedFlag: string | null = null;
      if (day.floating) {
        if (day.fixing === null || day.fixing_date === null || day.spread === null) {
          broken.push(`line ${r.line_id}: ${day.date} accrued on a floating rate with no fixing in force`);
          continue;
        }
        const reference = day.floor === null ? new D(day.fixing) : D.max(day.fixing, day.floor);
        rate = D.max(0, reference.plus(day.spread));
        if (day.max_age !== null && daysBetween(day.fixing_date, day.date) > day.max_age) expectedFlag = 'STALE_FIXING';
      }
      if (day.flag !== expectedFlag) broken.push(`line ${r.line_id}: ${day.date} is flagged ${day.flag ?? 'nothing'}; the fixing of ${day.fixing_date ?? '—'} makes it ${expectedFlag ?? 'nothing'}`);
      const { days, basis } = dayFraction(day.day_count, day.date);
      exact = exact.plus(new D(day.principal).times(rate).times(days).div(basis));
    }
    const diff = new D(r.posted).minus(exact).abs();
    if (diff.gt(MINOR_UNIT)) {
      broken.push(`line ${r.line_id}: interest posted ${r.posted} over ${r.days} days, exact interest on the principal history under each day's terms ${exact.toFixed(6)} (off by ${diff.toFixed(6)})`);
    }
  }
  return broken;
}

/**
 * Default interest (prisma/accrual/default-interest.ts) is the exact interest on the REAL overdue principal
 * history: each charged day's principal is the ledger's principal at the end of that day as its charging run saw
 * it (journal entries recorded before the row), its spread and day count those of the terms version in force on
 * the day, the day is on or after the maturity in force on its charging day; and Σ posted (DEFAULT_INTEREST_INCOME,
 * restatements included) is Σ over the charged days of the principal the ledger NOW gives each at its end —
 * back-dated repayments included — × spread × the day's fraction, recomputed here, within half a minor unit. As
 * for interest, "now" is the ledger as it stood when the line last accrued a new day (World.restatedThroughSeq):
 * a repayment dated into charged days is restated by the next run. A row that only restates (spread 0, the day
 * owing nothing itself) is exempt from the terms checks and adds nothing.
 */
export async function defaultInterestEqualsExactOnOverduePrincipal(world: World): Promise<string[]> {
  type Day = { date: string; principal_charged: string; principal_seen: string; principal_real: string; spread_charged: string; spread_in_force: string | null; day_count: DayCount; day_count_in_force: string; maturity: string; only_restates: boolean };
  const rows = await world.db.sql<{ line_id: string; days: Day[] | null; posted: string }>(
    `SELECT l.id::text AS line_id,
            (SELECT json_agg(json_build_object(
               'date', d.accrual_date::text, 'principal_charged', d.overdue_principal::text, 'spread_charged', d.default_spread::text, 'day_count', d.day_count::text,
               'principal_seen', (SELECT coalesce(sum(CASE jl.side WHEN 'DEBIT' THEN jl.amount ELSE -jl.amount END), 0)
                                    FROM journal_line jl JOIN journal_entry je ON je.id = jl.entry_id JOIN ledger_account pa ON pa.id = jl.account_id
                                   WHERE pa.account_set_id = l.id AND pa.code = 'LOAN_PRINCIPAL' AND je.effective_date <= d.accrual_date AND je.recorded_at <= d.created_at)::text,
               'principal_real', (SELECT coalesce(sum(CASE jl.side WHEN 'DEBIT' THEN jl.amount ELSE -jl.amount END), 0)
                                    FROM journal_line jl JOIN journal_entry je ON je.id = jl.entry_id JOIN ledger_account pa ON pa.id = jl.account_id
                                   WHERE pa.account_set_id = l.id AND pa.code = 'LOAN_PRINCIPAL' AND je.effective_date <= d.accrual_date
                                     AND je.seq <= coalesce(($1::jsonb ->> l.id::text)::bigint, 0))::text,
               'only_restates', d.default_spread = 0 AND EXISTS (SELECT 1 FROM default_interest_restatement r WHERE r.credit_line_id = l.id AND r.restated_by = d.accrual_date),
               'spread_in_force', CASE WHEN tv.version_no IS NULL THEN l.default_interest_spread::text ELSE coalesce(tv.terms->'delinquency'->>'defaultInterestSpread', '0') END,
               'day_count_in_force', coalesce(tv.day_count, l.day_count)::text,
               'maturity', CASE WHEN tc.version_no IS NULL THEN l.maturity_date::text ELSE tc.terms->>'maturityDate' END) ORDER BY d.accrual_date)
               FROM default_interest_accrual d
               LEFT JOIN LATERAL (SELECT v.version_no, v.terms, v.day_count FROM credit_terms_version v
                                   WHERE v.credit_line_id = l.id AND v.status = 'AGREED' AND v.effective_from <= d.accrual_date
                                   ORDER BY v.effective_from DESC, v.version_no DESC LIMIT 1) AS tv ON true
               LEFT JOIN LATERAL (SELECT v.version_no, v.terms FROM credit_terms_version v
                                   WHERE v.credit_line_id = l.id AND v.status = 'AGREED' AND v.effective_from <= d.charged_on
                                   ORDER BY v.effective_from DESC, v.version_no DESC LIMIT 1) AS tc ON true
              WHERE d.credit_line_id = l.id) AS days,
            (SELECT coalesce(sum(CASE jl.side WHEN 'CREDIT' THEN jl.amount ELSE -jl.amount END), 0)
               FROM journal_line jl JOIN ledger_account a ON a.id = jl.account_id
              WHERE a.account_set_id = l.id AND a.code = 'DEFAULT_INTEREST_INCOME')::text AS posted
       FROM credit_line l`,
    [JSON.stringify(Object.fromEntries(world.restatedThroughSeq))],
  );
  const broken: string[] = [];
  for (const r of rows) {
    let exact = new D(0);
    for (const day of r.days ?? []) {
      if (!new D(day.principal_charged).eq(day.principal_seen)) broken.push(`line ${r.line_id}: default interest of ${day.date} charged on ${day.principal_charged}; the principal at its end was ${day.principal_seen}`);
      if (day.only_restates) continue;
      if (day.spread_in_force === null || !new D(day.spread_charged).eq(day.spread_in_force)) broken.push(`line ${r.line_id}: default interest of ${day.date} at ${day.spread_charged}; the spread in force was ${day.spread_in_force}`);
      if (day.day_count !== day.day_count_in_force) broken.push(`line ${r.line_id}: default interest of ${day.date} under ${day.day_count}; the day count in force was ${day.day_count_in_force}`);
      if (day.date < day.maturity) broken.push(`line ${r.line_id}: default interest charged for ${day.date}, before the maturity ${day.maturity}`);
      const { days, basis } = dayFraction(day.day_count, day.date);
      exact = exact.plus(new D(day.principal_real).times(day.spread_charged).times(days).div(basis));
    }
    const diff = new D(r.posted).minus(exact).abs();
    if (diff.gt(MINOR_UNIT.div(2))) {
      broken.push(`line ${r.line_id}: default interest posted ${r.posted}, exact on the real overdue principal history ${exact.toFixed(6)} (off by ${diff.toFixed(6)})`);
    }
  }
  return broken;
}

/**
 * Liquidation only on a priced LTV at or above the liquidation threshold, or once a cure deadline
 * has passed: stale, unpriced or otherwise ineligible collateral never liquidates by itself. A call
 * that went to liquidation on the threshold is checked in the step it appeared in, against the
 * collateral priced at the latest marks (eligible or not).
 */
export async function liquidationOnlyOnPricedLtvOrMissedCure(world: World): Promise<string[]> {
  const broken: string[] = [];
  const early = await world.db.sql<{ id: string; deadline: string; started: string }>(
    `SELECT id::text, cure_deadline::text AS deadline, liquidation_started_at::text AS started FROM margin_call
      WHERE liquidation_reason = 'CURE_DEADLINE_PASSED' AND (cure_deadline IS NULL OR liquidation_started_at < cure_deadline)`,
  );
  broken.push(...early.map((c) => `margin call ${c.id} went to liquidation at ${c.started}, before its cure deadline ${c.deadline}`));
  const pastDue = await world.db.sql<{ id: string; line_id: string }>(
    `SELECT mc.id::text, mc.credit_line_id::text AS line_id FROM margin_call mc
      WHERE mc.liquidation_reason = 'PAST_DUE'
        AND NOT EXISTS (SELECT 1 FROM line_delinquency_event e WHERE e.credit_line_id = mc.credit_line_id AND e.kind = 'DEFAULTED')`,
  );
  broken.push(...pastDue.map((c) => `margin call ${c.id} liquidates line ${c.line_id} as PAST_DUE, but the line never defaulted by days past due`));
  const fresh = await world.db.sql<{ id: string; line_id: string; liquidation_ltv: string }>(
    `SELECT mc.id::text, mc.credit_line_id::text AS line_id, cl.liquidation_ltv::text FROM margin_call mc JOIN credit_line cl ON cl.id = mc.credit_line_id
      WHERE mc.liquidation_reason = 'LIQUIDATION_THRESHOLD' ORDER BY mc.id`,
  );
  for (const call of fresh) {
    if (world.liquidationsSeen.has(call.id)) continue;
    world.liquidationsSeen.add(call.id);
    const res = await world.call(world.lender, 'get', `/credit-lines/${call.line_id}/borrowing-base?view=totals`);
    if (res.status !== 200) continue;
    const collateral = new D(res.body.totals.collateralValue.amount);
    const principal = new D(res.body.totals.outstandingPrincipal.amount);
    // No goods at all with principal outstanding is an infinite priced LTV; goods with no value are unpriced.
    const unpriced = collateral.isZero() && res.body.totals.lotCount > 0;
    if (unpriced || (!collateral.isZero() && principal.div(collateral).lt(call.liquidation_ltv))) {
      broken.push(
        `margin call ${call.id} liquidated line ${call.line_id} on the threshold, but priced at the latest marks its LTV is ` +
          `${collateral.isZero() ? 'unpriced (no collateral value)' : principal.div(collateral).toFixed(4)} < ${call.liquidation_ltv} (eligible collateral ${res.body.totals.eligibleCollateralValue.amount})`,
      );
    }
  }
  return broken;
}

/**
 * How far ahead of now a mark or a count may be dated: the clock skew between the party's clock and
 * ours, the policy of domain/observation-time.ts (5 minutes). A day ahead is never skew.
 */
export const CLOCK_SKEW_ALLOWED_MS = 5 * 60 * 1000;

/**
 * Value dates with rules: money is not dated in the future nor before the line opened (nor any
 * ledger posting after today); marks and stock counts are not dated ahead of now beyond the clock
 * skew; accrual never runs for today or later. "Now" is the simulation's virtual clock; the line's
 * opening is its created_at. The commands that send such dates on purpose record it when the
 * service does not refuse them with a 4xx (Repay, PaySale, PriceMark, Count); here is checked that
 * nothing of it was written.
 */
export async function valueDatesWithinRules(world: World): Promise<string[]> {
  const now = world.clock.now().toISOString();
  const today = world.clock.day();
  const skewed = new Date(world.clock.nowMs() + CLOCK_SKEW_ALLOWED_MS).toISOString();
  const money = await world.db.sql<{ what: string; id: string; on: string; opened: string }>(
    `SELECT r.kind::text || ' repayment' AS what, r.id::text, r.received_on::text AS on, (l.created_at AT TIME ZONE 'UTC')::date::text AS opened
       FROM repayment r JOIN credit_line l ON l.id = r.credit_line_id
      WHERE r.received_on > $1::date OR r.received_on < (l.created_at AT TIME ZONE 'UTC')::date
     UNION ALL
     SELECT 'seller payout', p.id::text, p.paid_on::text, (l.created_at AT TIME ZONE 'UTC')::date::text
       FROM seller_payout p JOIN credit_line l ON l.id = p.credit_line_id
      WHERE p.paid_on > $1::date OR p.paid_on < (l.created_at AT TIME ZONE 'UTC')::date
     UNION ALL
     SELECT 'journal entry (' || left(je.description, 60) || ')', je.id::text, je.effective_date::text, (l.created_at AT TIME ZONE 'UTC')::date::text
       FROM journal_entry je JOIN journal_line jl ON jl.entry_id = je.id JOIN ledger_account a ON a.id = jl.account_id JOIN credit_line l ON l.id = a.account_set_id
      WHERE je.effective_date > $1::date OR je.effective_date < (l.created_at AT TIME ZONE 'UTC')::date
      GROUP BY je.id, l.created_at`,
    [today],
  );
  const ahead = await world.db.sql<{ what: string; id: string; at: string }>(
    `SELECT 'price mark' AS what, id::text, as_of::text AS at FROM price_mark WHERE as_of > $1::timestamptz
     UNION ALL SELECT 'stock count of lot', id::text, last_counted_at::text FROM lot WHERE last_counted_at > $1::timestamptz`,
    [skewed],
  );
  const accrued = await world.db.sql<{ line_id: string; day: string }>(
    `SELECT credit_line_id::text AS line_id, accrual_date::text AS day FROM interest_accrual WHERE accrual_date >= $1::date`,
    [today],
  );
  return [
    ...recorded(world, 'valueDatesWithinRules'),
    ...money.map((m) => `${m.what} ${m.id} is dated ${m.on}: after today (${today}) or before the line opened (${m.opened})`),
    ...ahead.map((a) => `${a.what} ${a.id} is dated ${a.at}, ahead of now (${now}) by more than the clock skew allowed`),
    ...accrued.map((a) => `line ${a.line_id} accrued ${a.day}: today or later (today is ${today})`),
  ];
}

/**
 * Every committed sale and draw has its workflow (started, whatever became of it), once the outbox
 * poller has made its pass at the current time (World.advance runs one at every time it stops at,
 * and every step ends by advancing): a start Temporal refused is retried by that pass. Outbox rows
 * still pending say why, for diagnosis.
 */
export async function everyCommittedSaleAndDrawHasItsWorkflow(world: World): Promise<string[]> {
  if (world.lastOutboxPassMs !== world.clock.nowMs()) {
    return [`the outbox poller has not made a pass at the current time (${world.clock.now().toISOString()}); last at ${world.lastOutboxPassMs === null ? 'never' : new Date(world.lastOutboxPassMs).toISOString()}`];
  }
  const rows = await world.db.sql<{ kind: string; id: string; workflow_id: string; status: string; pending: string | null }>(
    `SELECT x.kind, x.id, x.workflow_id, x.status,
            (SELECT string_agg(format('outbox row %s: %s attempts, next at %s, last error %s', o.id, o.attempts, o.next_attempt_at, coalesce(o.last_error, 'none')), '; ')
               FROM workflow_outbox o WHERE o.workflow_id = x.workflow_id AND o.kind = 'START' AND o.dispatched_at IS NULL) AS pending
       FROM (SELECT 'sale' AS kind, id::text, workflow_id, status::text FROM sale
             UNION ALL SELECT 'draw', id::text, workflow_id, status::text FROM draw) x`,
  );
  return [
    ...world.outboxFailures,
    ...rows
      .filter((r) => !world.temporal.started(r.workflow_id))
      .map((r) => `${r.kind} ${r.id} (${r.status}) has no workflow ${r.workflow_id}${r.pending ? ` (${r.pending})` : ' (and no pending start in the outbox)'}`),
  ];
}

/** No workflow fails or gets stuck on a failed task, and every scheduled run finishes. */
export async function workflowsAndSchedulesFinish(world: World): Promise<string[]> {
  return [
    ...world.temporal.problems().map((p) => `workflow ${p.workflowId} (${p.workflowType}) ${p.status}: ${p.detail.slice(0, 300)}`),
    ...world.temporal.harnessErrors.map((e) => `harness: ${e.slice(0, 300)}`),
    ...world.scheduleFailures.map((f) => `schedule: ${f.slice(0, 400)}`),
  ];
}

/**
 * Every committed change produced its domain event (issue #14): each kind of change counted in its own
 * table equals the count of its event type in the feed, written in the same transaction.
 */
export async function everyChangeHasItsEvent(world: World): Promise<string[]> {
  const rows = await world.db.sql<{ change: string; changes: string; event_type: string; events: string }>(
    `WITH events AS (SELECT type, count(*) AS n FROM domain_event GROUP BY type),
          changes(change, n, event_type) AS (VALUES
            ('draws', (SELECT count(*) FROM draw), 'draw.requested'),
            -- A draw refused at disbursement was approved (decided_at set); one refused while it waited for approvers was not.
            ('draws approved', (SELECT count(*) FROM draw WHERE status IN ('APPROVED', 'DISBURSED') OR (status = 'REFUSED' AND decided_at IS NOT NULL)), 'draw.approved'),
            ('draws rejected', (SELECT count(*) FROM draw WHERE status = 'REJECTED'), 'draw.rejected'),
            ('draws expired', (SELECT count(*) FROM draw WHERE status = 'EXPIRED'), 'draw.expired'),
            ('draws disbursed', (SELECT count(*) FROM draw WHERE status = 'DISBURSED'), 'draw.disbursed'),
            ('draws refused', (SELECT count(*) FROM draw WHERE status = 'REFUSED'), 'draw.refused'),
            ('sales', (SELECT count(*) FROM sale), 'sale.reported'),
            ('sales paid', (SELECT count(*) FROM sale WHERE status IN ('PAID', 'RELEASE_AUTHORISED', 'CLOSED')), 'sale.paid'),
            ('sales lapsed', (SELECT count(*) FROM sale WHERE status = 'LAPSED'), 'sale.lapsed'),
            ('sales closed', (SELECT count(*) FROM sale WHERE status = 'CLOSED'), 'sale.closed'),
            ('receipts', (SELECT count(*) FROM custody_event WHERE type = 'RECEIVED'), 'custody.received'),
            ('adjustments', (SELECT count(*) FROM custody_event WHERE type = 'ADJUSTED'), 'custody.adjusted'),
            ('counts', (SELECT count(*) FROM custody_event WHERE type = 'COUNTED'), 'custody.counted'),
            ('releases', (SELECT count(*) FROM custody_event WHERE type = 'RELEASED'), 'custody.released'),
            ('release confirmations', (SELECT count(*) FROM custody_event WHERE type = 'RELEASED'), 'release.confirmed'),
            ('release orders', (SELECT count(*) FROM release_order), 'release.authorised'),
            ('margin calls opened', (SELECT count(*) FROM margin_call WHERE cure_deadline IS NOT NULL), 'margin_call.opened'),
            ('margin calls cured', (SELECT count(*) FROM margin_call WHERE status = 'CURED'), 'margin_call.cured'),
            ('liquidations', (SELECT count(*) FROM margin_call WHERE status IN ('LIQUIDATING', 'SETTLED')), 'margin_call.liquidating'),
            ('liquidations settled', (SELECT count(*) FROM margin_call WHERE status = 'SETTLED'), 'margin_call.settled'),
            ('price marks', (SELECT count(*) FROM price_mark), 'price_mark.posted'),
            ('amendments proposed', (SELECT count(*) FROM credit_terms_version WHERE version_no > 1), 'terms.amendment_proposed'),
            ('amendments approved', (SELECT count(*) FROM credit_terms_version WHERE approved_by IS NOT NULL), 'terms.amendment_approved'),
            ('amendments accepted', (SELECT count(*) FROM credit_terms_version WHERE accepted_by IS NOT NULL), 'terms.amendment_accepted'),
            ('amendments withdrawn or declined', (SELECT count(*) FROM credit_terms_version WHERE closed_by IS NOT NULL), 'terms.amendment_closed'),
            ('fixings', (SELECT count(*) FROM rate_fixing), 'rate.fixing_posted'))
     SELECT c.change, c.n::text AS changes, c.event_type, coalesce(e.n, 0)::text AS events
       FROM changes c LEFT JOIN events e ON e.type = c.event_type WHERE c.n <> coalesce(e.n, 0)`,
  );
  return rows.map((r) => `${r.changes} ${r.change} but ${r.events} ${r.event_type} events`);
}

/**
 * Interest billing (domain/interest-billing.ts): each bill is exactly what the accrual posted to INTEREST_RECEIVABLE
 * for the days of its period — read here from the ledger by the entries' own metadata (kind interest_accrual,
 * interest_restatement or default_interest, and the accrued day), not through the links the billing store follows;
 * periods follow each other without gap or overlap from the line's opening, each billed the day after it ends and
 * due 0..365 days later; every bill has its credit_line.interest_billed event; and what the API shows billed and
 * unpaid is between zero and the bill and, in all, at most the interest receivable.
 */
export async function billedInterestIsWhatWasPosted(world: World): Promise<string[]> {
  const broken: string[] = [];
  const bills = await world.db.sql<{ line_id: string; billed_on: string; period_from: string; period_to: string; due_date: string; amount: string; posted: string; previous_to: string | null; opened_on: string }>(
    `SELECT b.credit_line_id::text AS line_id, b.billed_on::text, b.period_from::text, b.period_to::text, b.due_date::text, trim_scale(b.amount)::text AS amount,
            (SELECT trim_scale(coalesce(sum(CASE WHEN jl.side = 'DEBIT' THEN jl.amount ELSE -jl.amount END), 0))::text
               FROM journal_entry e JOIN journal_line jl ON jl.entry_id = e.id JOIN ledger_account a ON a.id = jl.account_id
              WHERE a.account_set_id = b.credit_line_id AND a.code = 'INTEREST_RECEIVABLE'
                AND e.metadata->>'kind' IN ('interest_accrual', 'interest_restatement', 'default_interest', 'default_interest_restatement')
                AND (e.metadata->>'accrualDate')::date BETWEEN b.period_from AND b.period_to) AS posted,
            lag(b.period_to::text) OVER (PARTITION BY b.credit_line_id ORDER BY b.billed_on) AS previous_to,
            (SELECT to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM credit_line l WHERE l.id = b.credit_line_id) AS opened_on
       FROM interest_bill b ORDER BY b.credit_line_id, b.billed_on`,
  );
  const dayAfter = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  for (const bill of bills) {
    const what = `line ${bill.line_id}'s bill of ${bill.billed_on}`;
    if (!new D(bill.amount).eq(bill.posted)) broken.push(`${what} is ${bill.amount}, but ${bill.posted} was posted for ${bill.period_from} … ${bill.period_to}`);
    const expectedFrom = bill.previous_to === null ? bill.opened_on : dayAfter(bill.previous_to);
    if (bill.period_from !== expectedFrom) broken.push(`${what} starts on ${bill.period_from}; the day after the previous bill's period (or the opening) is ${expectedFrom}`);
    if (dayAfter(bill.period_to) !== bill.billed_on) broken.push(`${what} covers up to ${bill.period_to}, not the day before it was billed`);
    const dueIn = (Date.parse(bill.due_date) - Date.parse(bill.billed_on)) / 86_400_000;
    if (dueIn < 0 || dueIn > 365) broken.push(`${what} is due ${dueIn} days after it`);
  }
  const [events] = await world.db.sql<{ bills: string; events: string }>(
    `SELECT (SELECT count(*) FROM interest_bill)::text AS bills, (SELECT count(*) FROM domain_event WHERE type = 'credit_line.interest_billed')::text AS events`,
  );
  if (events.bills !== events.events) broken.push(`${events.bills} bills but ${events.events} credit_line.interest_billed events`);
  for (const lineId of new Set(bills.map((bill) => bill.line_id))) {
    const listed = await world.call(world.lender, 'get', `/credit-lines/${lineId}/interest-bills`);
    if (listed.status !== 200) {
      broken.push(`GET /credit-lines/${lineId}/interest-bills answered ${listed.status}`);
      continue;
    }
    const items = listed.body.items as { billedOn: string; amount: { amount: string }; paid: { amount: string }; unpaid: { amount: string } }[];
    let unpaid = new D(0);
    for (const item of items) {
      if (new D(item.unpaid.amount).lt(0) || new D(item.paid.amount).lt(0) || !new D(item.paid.amount).plus(item.unpaid.amount).eq(item.amount.amount)) {
        broken.push(`line ${lineId}'s bill of ${item.billedOn}: paid ${item.paid.amount} + unpaid ${item.unpaid.amount} is not ${item.amount.amount}, or a part is negative`);
      }
      unpaid = unpaid.plus(item.unpaid.amount);
    }
    const [receivable] = await world.db.sql<{ balance: string }>(
      `SELECT coalesce((SELECT balance FROM ledger_account WHERE account_set_id = $1::uuid AND code = 'INTEREST_RECEIVABLE'), 0)::text AS balance`,
      [lineId],
    );
    if (unpaid.gt(receivable.balance)) broken.push(`line ${lineId}: ${unpaid.toFixed()} billed and unpaid, more than the interest receivable ${receivable.balance}`);
  }
  return broken;
}

/** Checked after every step, in this order. */
export const INVARIANTS: Record<string, Invariant> = {
  noServerErrors,
  availabilityNeverNegativeByPartyAction,
  reservationsNeverLeftUncoveredByPartyAction,
  uncoveredReservationsRefusedNewestFirstAndFewest,
  drawsStopWhenNotAvailable,
  marginCallCuredByWhatItDemands,
  idempotentWrites,
  linesAndBorrowingBasesAnswer,
  concentrationLimitsHold,
  exposureSumsToTotals,
  ledgerNetsToZeroPerCurrency,
  ledgerPrincipalMatchesLines,
  accountsThatMustNotGoNegativeDoNot,
  lotQuantityFollowsCustodyEvents,
  lotCoversSoldAndAuthorised,
  pledgedGoodsLeaveOnlyWithLenderAuthorisation,
  everyPastDayAccruedOnce,
  interestEqualsExactInterestOnPrincipalHistory,
  defaultInterestEqualsExactOnOverduePrincipal,
  billedInterestIsWhatWasPosted,
  liquidationOnlyOnPricedLtvOrMissedCure,
  valueDatesWithinRules,
  everyCommittedSaleAndDrawHasItsWorkflow,
  workflowsAndSchedulesFinish,
  everyChangeHasItsEvent,
};

export class InvariantBroken extends Error {
  constructor(
    readonly step: string,
    readonly broken: Record<string, string[]>,
  ) {
    super(
      `after step "${step}":\n` +
        Object.entries(broken)
          .map(([name, found]) => `  ${name}:\n${found.map((f) => `    - ${f}`).join('\n')}`)
          .join('\n'),
    );
    this.name = 'InvariantBroken';
  }
}

/** Runs every invariant; throws InvariantBroken naming each one that does not hold. */
export async function checkInvariants(world: World, step: string): Promise<void> {
  const broken: Record<string, string[]> = {};
  for (const [name, invariant] of Object.entries(INVARIANTS)) {
    if (world.ignoredInvariants.has(name)) continue;
    const found = await invariant(world);
    if (found.length > 0) broken[name] = found;
  }
  if (Object.keys(broken).length > 0) throw new InvariantBroken(step, broken);
}
