/**
 * Versions of a line's terms (domain/terms-amendment.ts): version 1 when the
 * line is offered, amendments proposed, approved, accepted, withdrawn or
 * declined, and applied.
 *
 * Every day's computation reads the version in force on it: accrual looks the
 * version up by date (prisma/accrual/store.ts, termsOfDaySql). The credit_line
 * row holds the version in force today, which valuation, availability, draws,
 * fees and margin read: a version is copied onto it ("applied") when it is
 * agreed on or after its effective date, and otherwise by applyDueTermsVersions,
 * which the daily accrual calls first for each batch of lines (accrueLines).
 */
import { decideAmendmentAction, decideProposal, statusAfterApproval, worsenings, type AmendableTerms, type AmendmentAction, type AmendmentStatus } from '../../domain/terms-amendment';
import { isLineInForce } from '../../domain/credit-line-status';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors';
import { utcDay } from '../../domain/value-dates';
import type { FloatingRate } from '../../domain/credit-terms';
import { recordAudit } from '../audit/store';
import { recordEvent } from '../events/store';
import { notify } from '../notifications/store';
import type { Db } from '../client';
import {
  LINE_INCLUDE,
  creditLineFromRow,
  creditTermsAsJson,
  creditTermsFromJson,
  requireWarehouseCounterparts,
  termsColumns,
  type CreditLineRecord,
  type CreditTermsJson,
  type LineActor,
  type StoredCreditTermsJson,
} from './store';

export const TERMS_VERSIONS_PAGE_MAX = 200;

export type TermsVersionJson = CreditTermsJson & { approvedWarehouseIds: string[] };

export interface TermsVersionRecord {
  creditLineId: string;
  versionNo: number;
  status: AmendmentStatus;
  /** 'YYYY-MM-DD' */
  effectiveFrom: string;
  terms: AmendableTerms;
  worsensForSeller: boolean;
  worsenings: string[];
  proposedBy: string | null;
  proposedAt: Date;
  approvedBy: string | null;
  approvedAt: Date | null;
  acceptedBy: string | null;
  acceptedAt: Date | null;
  closedBy: string | null;
  closedAt: Date | null;
  appliedAt: Date | null;
}

type VersionRow = {
  credit_line_id: string;
  version_no: number;
  status: AmendmentStatus;
  effective_from: string;
  terms: StoredCreditTermsJson & { approvedWarehouseIds: string[] };
  worsens_for_seller: boolean;
  worsenings: string[];
  proposed_by: string | null;
  proposed_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  accepted_by: string | null;
  accepted_at: Date | null;
  closed_by: string | null;
  closed_at: Date | null;
  applied_at: Date | null;
};

const VERSION_COLUMNS = `credit_line_id::text, version_no, status, effective_from::text, terms, worsens_for_seller, worsenings,
  proposed_by::text, proposed_at, approved_by::text, approved_at, accepted_by::text, accepted_at, closed_by::text, closed_at, applied_at`;

function versionFromRow(row: VersionRow): TermsVersionRecord {
  const { approvedWarehouseIds, ...terms } = row.terms;
  return {
    creditLineId: row.credit_line_id,
    versionNo: row.version_no,
    status: row.status,
    effectiveFrom: row.effective_from,
    terms: { ...creditTermsFromJson(terms), approvedWarehouseIds },
    worsensForSeller: row.worsens_for_seller,
    worsenings: row.worsenings,
    proposedBy: row.proposed_by,
    proposedAt: row.proposed_at,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    acceptedBy: row.accepted_by,
    acceptedAt: row.accepted_at,
    closedBy: row.closed_by,
    closedAt: row.closed_at,
    appliedAt: row.applied_at,
  };
}

export function termsVersionJson(terms: AmendableTerms): TermsVersionJson {
  return { ...creditTermsAsJson(terms), approvedWarehouseIds: [...terms.approvedWarehouseIds].sort() };
}

function amendableOf(line: CreditLineRecord): AmendableTerms {
  return { ...line.terms, approvedWarehouseIds: line.approvedWarehouseIds };
}

async function insertVersion(
  db: Db,
  line: Pick<CreditLineRecord, 'id'>,
  version: { versionNo: number; status: AmendmentStatus; effectiveFrom: string; terms: AmendableTerms; worsenings: string[]; proposedBy: string | null; proposedAt: Date; appliedAt: Date | null },
): Promise<void> {
  const floating = version.terms.floatingRate ?? null;
  await db.$executeRawUnsafe(
    `INSERT INTO credit_terms_version (id, credit_line_id, version_no, effective_from, status, terms, annual_interest_rate, day_count,
                                       reference_rate_id, rate_spread, rate_floor, worsens_for_seller, worsenings, proposed_by, proposed_at, applied_at)
     VALUES (gen_random_uuid(), $1::uuid, $2, $3::date, $4, $5::jsonb, $6::numeric, $7::"DayCountConvention", $8::uuid, $9::numeric, $10::numeric, $11, $12::text[], $13::uuid, $14, $15)`,
    line.id,
    version.versionNo,
    version.effectiveFrom,
    version.status,
    JSON.stringify(termsVersionJson(version.terms)),
    version.terms.annualInterestRate.toFixed(),
    version.terms.dayCount,
    floating?.referenceRateId ?? null,
    floating?.spread.toFixed() ?? null,
    floating?.floor?.toFixed() ?? null,
    version.worsenings.length > 0,
    version.worsenings,
    version.proposedBy,
    version.proposedAt,
    version.appliedAt,
  );
}

/** Version 1: the terms a line is offered with, in force from the day it opens. */
export async function recordFirstVersion(db: Db, line: CreditLineRecord, proposedBy: string | null): Promise<void> {
  await insertVersion(db, line, {
    versionNo: 1,
    status: 'AGREED',
    effectiveFrom: utcDay(line.createdAt),
    terms: amendableOf(line),
    worsenings: [],
    proposedBy,
    proposedAt: line.createdAt,
    appliedAt: line.createdAt,
  });
}

/** A line written before versions existed gets its version 1 from what it holds, the first time it is amended. */
async function ensureFirstVersion(db: Db, line: CreditLineRecord): Promise<void> {
  const [{ count }] = await db.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS count FROM credit_terms_version WHERE credit_line_id = ${line.id}::uuid`;
  if (count === 0) await recordFirstVersion(db, line, null);
}

// ─── Reading ─────────────────────────────────────────────────────────────────

async function versionsWhere(db: Db, condition: string, ...values: unknown[]): Promise<TermsVersionRecord[]> {
  const rows = await db.$queryRawUnsafe<VersionRow[]>(`SELECT ${VERSION_COLUMNS} FROM credit_terms_version WHERE ${condition}`, ...values);
  return rows.map(versionFromRow);
}

/** One page of the line's versions, oldest first, after `afterVersionNo` when paging (the line's visibility is the caller's). */
export async function termsVersionsPage(db: Db, lineId: string, page: { afterVersionNo: number | null; limit: number }): Promise<TermsVersionRecord[]> {
  return versionsWhere(
    db,
    'credit_line_id = $1::uuid AND version_no > $2 ORDER BY version_no LIMIT $3',
    lineId,
    page.afterVersionNo ?? 0,
    Math.min(page.limit, TERMS_VERSIONS_PAGE_MAX),
  );
}

/** The agreed version with the latest effective date (what later amendments change), or null for a line without versions. */
async function latestAgreedVersion(db: Db, lineId: string): Promise<TermsVersionRecord | null> {
  const [version] = await versionsWhere(db, `credit_line_id = $1::uuid AND status = 'AGREED' ORDER BY effective_from DESC, version_no DESC LIMIT 1`, lineId);
  return version ?? null;
}

/** The terms an amendment of the line starts from: its latest agreed version (perhaps not in force yet), or what it holds. */
export async function amendmentBase(db: Db, line: CreditLineRecord): Promise<{ terms: AmendableTerms; effectiveFrom: string }> {
  const latest = await latestAgreedVersion(db, line.id);
  return latest ? { terms: latest.terms, effectiveFrom: latest.effectiveFrom } : { terms: amendableOf(line), effectiveFrom: utcDay(line.createdAt) };
}

// ─── Proposing and deciding ──────────────────────────────────────────────────

async function lockLine(db: Db, organisationId: string, lineId: string): Promise<CreditLineRecord> {
  await db.$queryRaw`SELECT id FROM credit_line WHERE id = ${lineId}::uuid FOR UPDATE`;
  const row = await db.creditLine.findFirst({
    where: { id: lineId, OR: [{ lenderOrganisationId: organisationId }, { sellerOrganisationId: organisationId }] },
    include: LINE_INCLUDE,
  });
  if (!row) throw new NotFoundError('credit line', lineId);
  return creditLineFromRow(row);
}

/** A floating rate names one of the lender's reference rates, with a fixing in force on the day it takes effect. */
export async function requireUsableFloatingRate(db: Db, lenderOrganisationId: string, floating: FloatingRate | null | undefined, effectiveFrom: string): Promise<void> {
  if (!floating) return;
  const [rate] = await db.$queryRaw<{ fixings: number }[]>`
    SELECT (SELECT count(*)::int FROM rate_fixing f WHERE f.reference_rate_id = r.id AND f.effective_date <= ${effectiveFrom}::date) AS fixings
      FROM reference_rate r WHERE r.id = ${floating.referenceRateId}::uuid AND r.lender_organisation_id = ${lenderOrganisationId}::uuid`;
  if (!rate) {
    throw new BusinessRuleError('reference_rate_unknown', `terms.floatingRate.referenceRateId: ${floating.referenceRateId} is not a reference rate your organisation registered (POST /reference-rates)`, 'body.terms.floatingRate.referenceRateId');
  }
  if (rate.fixings === 0) {
    throw new BusinessRuleError(
      'reference_rate_without_fixing',
      `terms.floatingRate.referenceRateId: reference rate ${floating.referenceRateId} has no fixing on or before ${effectiveFrom}; post one (POST /reference-rates/{id}/fixings) before the rate takes effect`, 'body.terms.floatingRate.referenceRateId',
    );
  }
}

/**
 * Proposes `terms` (the whole new version, consistent: the API edge merged and checked them) from
 * `effectiveFrom` (today or later; the edge checked it). PENDING_APPROVAL until a second lender user approves.
 */
export async function proposeAmendment(
  db: Db,
  actor: LineActor,
  lineId: string,
  input: { effectiveFrom: string; terms: AmendableTerms },
  now: Date,
): Promise<TermsVersionRecord> {
  const line = await lockLine(db, actor.organisationId, lineId);
  const party = actor.organisationId === line.lenderOrganisationId ? 'LENDER' : 'SELLER';
  const decision = decideProposal(party, actor.role);
  if (!decision.allowed) throw new ForbiddenError(`credit line ${line.id}: ${decision.reason}`);
  if (!isLineInForce(line.status)) throw new ConflictError(`credit line ${line.id} is ${line.status}; only a line in force (ACTIVE, FROZEN, IN_DEFAULT) is amended`);
  await ensureFirstVersion(db, line);
  const [pending] = await versionsWhere(db, `credit_line_id = $1::uuid AND status IN ('PENDING_APPROVAL', 'PENDING_ACCEPTANCE')`, line.id);
  if (pending) {
    throw new ConflictError(`credit line ${line.id} has amendment ${pending.versionNo} ${pending.status}; it is approved, accepted, withdrawn or declined before another is proposed`);
  }
  const base = await amendmentBase(db, line);
  if (input.effectiveFrom < base.effectiveFrom) {
    throw new BusinessRuleError(
      'amendment_before_agreed_version',
      `effectiveFrom ${input.effectiveFrom} is before ${base.effectiveFrom}, from which an agreed version is in force; an amendment takes effect on or after it`, 'body.effectiveFrom',
    );
  }
  if (input.terms.currency !== line.terms.currency) throw new BusinessRuleError('amendment_changes_currency', `a line's currency (${line.terms.currency}) is never amended`);
  await requireWarehouseCounterparts(db, line.lenderOrganisationId, [...input.terms.approvedWarehouseIds]);
  await requireUsableFloatingRate(db, line.lenderOrganisationId, input.terms.floatingRate, input.effectiveFrom);
  const [{ next }] = await db.$queryRaw<{ next: number }[]>`SELECT coalesce(max(version_no), 0)::int + 1 AS next FROM credit_terms_version WHERE credit_line_id = ${line.id}::uuid`;
  const worse = worsenings(base.terms, input.terms);
  await insertVersion(db, line, { versionNo: next, status: 'PENDING_APPROVAL', effectiveFrom: input.effectiveFrom, terms: input.terms, worsenings: worse, proposedBy: actor.userId, proposedAt: now, appliedAt: null });
  const [version] = await versionsWhere(db, 'credit_line_id = $1::uuid AND version_no = $2', line.id, next);
  await recordAudit(db, actor, { action: 'credit_line.terms.propose', targetType: 'credit_line', targetId: line.id, after: { versionNo: next, effectiveFrom: input.effectiveFrom, terms: termsVersionJson(input.terms), worsenings: worse } });
  await recordEvent(db, 'terms.amendment_proposed', {
    subjectId: line.id,
    parties: [line.lenderOrganisationId, line.sellerOrganisationId],
    requestId: actor.requestId,
    data: eventData(version),
  });
  await notify(db, {
    organisationId: line.lenderOrganisationId,
    kind: 'terms_amendment_proposed',
    message: `Amendment ${next} of credit line ${line.id}, effective ${input.effectiveFrom}, waits for a second lender user's approval.`,
    subjectType: 'credit_line',
    subjectId: line.id,
    dedupeKey: `terms-proposed:${line.id}:${next}`,
  });
  await notify(db, {
    organisationId: line.sellerOrganisationId,
    kind: 'terms_amendment_proposed',
    message: `Your lender proposes amendment ${next} of credit line ${line.id}, effective ${input.effectiveFrom}${worse.length > 0 ? `; it worsens ${worse.join(', ')} and needs your acceptance once approved` : ''}.`,
    subjectType: 'credit_line',
    subjectId: line.id,
    dedupeKey: `terms-proposed-seller:${line.id}:${next}`,
  });
  return version;
}

/** Approves, accepts, withdraws or declines amendment `versionNo` of the line. */
export async function actOnAmendment(
  db: Db,
  actor: LineActor,
  lineId: string,
  versionNo: number,
  action: Exclude<AmendmentAction, 'propose'>,
  now: Date,
): Promise<TermsVersionRecord> {
  const line = await lockLine(db, actor.organisationId, lineId);
  const [version] = await versionsWhere(db, 'credit_line_id = $1::uuid AND version_no = $2', line.id, versionNo);
  if (!version || version.versionNo === 1) throw new NotFoundError('terms amendment', `${line.id}/${versionNo}`);
  const party = actor.organisationId === line.lenderOrganisationId ? 'LENDER' : 'SELLER';
  const decision = decideAmendmentAction(action, version, { party, role: actor.role, userId: actor.userId });
  if (!decision.allowed && decision.refusal === 'forbidden') throw new ForbiddenError(`amendment ${versionNo} of credit line ${line.id}: ${decision.reason}`);
  if (!decision.allowed) throw new ConflictError(`amendment ${versionNo} of credit line ${line.id} ${decision.reason}`);
  const today = utcDay(now);
  let status: AmendmentStatus;
  let set: string;
  if (action === 'approve' || action === 'accept') {
    status = action === 'approve' ? statusAfterApproval(version.worsensForSeller) : 'AGREED';
    if (status === 'AGREED' && version.effectiveFrom < today) {
      throw new BusinessRuleError(
        'amendment_effective_date_passed',
        `amendment ${versionNo} of credit line ${line.id} was to take effect on ${version.effectiveFrom}, before it was agreed (today is ${today}); withdraw it and propose it again from today or later`,
      );
    }
    set = action === 'approve' ? 'approved_by = $3::uuid, approved_at = $4' : 'accepted_by = $3::uuid, accepted_at = $4';
  } else {
    status = action === 'withdraw' ? 'WITHDRAWN' : 'DECLINED';
    set = 'closed_by = $3::uuid, closed_at = $4';
  }
  await db.$executeRawUnsafe(`UPDATE credit_terms_version SET status = $5, ${set} WHERE credit_line_id = $1::uuid AND version_no = $2`, line.id, versionNo, actor.userId, now, status);
  const [changed] = await versionsWhere(db, 'credit_line_id = $1::uuid AND version_no = $2', line.id, versionNo);
  const audit = { action: `credit_line.terms.${action}`, targetType: 'credit_line', targetId: line.id, before: { versionNo, status: version.status }, after: { versionNo, status } };
  await recordAudit(db, actor, audit);
  const counterpart = party === 'LENDER' ? line.sellerOrganisationId : line.lenderOrganisationId;
  await recordAudit(db, { ...actor, organisationId: counterpart }, audit);
  const parties = [line.lenderOrganisationId, line.sellerOrganisationId];
  if (action === 'approve') await recordEvent(db, 'terms.amendment_approved', { subjectId: line.id, parties, requestId: actor.requestId, data: eventData(changed) });
  if (action === 'accept') await recordEvent(db, 'terms.amendment_accepted', { subjectId: line.id, parties, requestId: actor.requestId, data: eventData(changed) });
  if (action === 'withdraw' || action === 'decline') await recordEvent(db, 'terms.amendment_closed', { subjectId: line.id, parties, requestId: actor.requestId, data: eventData(changed) });
  await notify(db, {
    organisationId: counterpart,
    kind: `terms_amendment_${status.toLowerCase()}`,
    message:
      status === 'PENDING_ACCEPTANCE'
        ? `Amendment ${versionNo} of credit line ${line.id} (effective ${version.effectiveFrom}) was approved by your lender and worsens ${version.worsenings.join(', ')}: accept or decline it.`
        : `Amendment ${versionNo} of credit line ${line.id} (effective ${version.effectiveFrom}) is ${status}.`,
    subjectType: 'credit_line',
    subjectId: line.id,
    dedupeKey: `terms-${action}:${line.id}:${versionNo}`,
  });
  if (status === 'AGREED' && version.effectiveFrom <= today) await applyDueTermsVersions(db, now, [line.id]);
  const [result] = await versionsWhere(db, 'credit_line_id = $1::uuid AND version_no = $2', line.id, versionNo);
  return result;
}

function eventData(version: TermsVersionRecord) {
  return {
    creditLineId: version.creditLineId,
    versionNo: version.versionNo,
    status: version.status,
    effectiveFrom: version.effectiveFrom,
    worsensForSeller: version.worsensForSeller,
    worsenings: version.worsenings,
  };
}

// ─── Applying ────────────────────────────────────────────────────────────────

/**
 * Copies onto each line (or each of `onlyLineIds`) the agreed version in force today when it has not been applied
 * yet, and marks every agreed version due by today applied: valuation, draws, fees and margin read the
 * line's row. Answers how many lines changed.
 */
export async function applyDueTermsVersions(db: Db, now: Date, onlyLineIds?: readonly string[]): Promise<number> {
  const today = utcDay(now);
  const due = await db.$queryRawUnsafe<VersionRow[]>(
    `SELECT DISTINCT ON (credit_line_id) ${VERSION_COLUMNS} FROM credit_terms_version v
      WHERE status = 'AGREED' AND effective_from <= $1::date
        AND ($2::uuid[] IS NULL OR credit_line_id = ANY($2::uuid[]))
        AND EXISTS (SELECT 1 FROM credit_terms_version u WHERE u.credit_line_id = v.credit_line_id AND u.status = 'AGREED'
                       AND u.effective_from <= $1::date AND u.applied_at IS NULL)
      ORDER BY credit_line_id, effective_from DESC, version_no DESC`,
    today,
    onlyLineIds ? [...onlyLineIds] : null,
  );
  let changed = 0;
  for (const version of due.map(versionFromRow)) {
    if (version.appliedAt === null) {
      const { approvedWarehouseIds, ...terms } = version.terms;
      const { currency: _currency, ...columns } = termsColumns(terms);
      await db.creditLine.update({ where: { id: version.creditLineId }, data: columns });
      await db.creditLineAdvanceRate.deleteMany({ where: { creditLineId: version.creditLineId } });
      await db.creditLineAdvanceRate.createMany({
        data: Object.entries(terms.advanceRatesByCommodity).map(([commodityCode, rate]) => ({ creditLineId: version.creditLineId, commodityCode, advanceRate: rate.toFixed() })),
      });
      await db.creditLineApprovedWarehouse.deleteMany({ where: { creditLineId: version.creditLineId } });
      await db.creditLineApprovedWarehouse.createMany({ data: approvedWarehouseIds.map((warehouseId) => ({ creditLineId: version.creditLineId, warehouseId })) });
      const line = await db.creditLine.findUniqueOrThrow({ where: { id: version.creditLineId }, select: { lenderOrganisationId: true, sellerOrganisationId: true } });
      await recordEvent(db, 'terms.amendment_effective', {
        subjectId: version.creditLineId,
        parties: [line.lenderOrganisationId, line.sellerOrganisationId],
        requestId: null,
        data: eventData(version),
      });
      for (const organisationId of [line.lenderOrganisationId, line.sellerOrganisationId]) {
        await notify(db, {
          organisationId,
          kind: 'terms_amendment_effective',
          message: `Version ${version.versionNo} of credit line ${version.creditLineId}'s terms is in force from ${version.effectiveFrom}.`,
          subjectType: 'credit_line',
          subjectId: version.creditLineId,
          dedupeKey: `terms-effective:${version.creditLineId}:${version.versionNo}:${organisationId}`,
        });
      }
      changed += 1;
    }
    await db.$executeRaw`
      UPDATE credit_terms_version SET applied_at = ${now}
       WHERE credit_line_id = ${version.creditLineId}::uuid AND status = 'AGREED' AND effective_from <= ${today}::date AND applied_at IS NULL`;
  }
  return changed;
}

// ─── Statements ──────────────────────────────────────────────────────────────

/** A version that came into force within a statement's period. */
export interface TermsChange {
  versionNo: number;
  effectiveFrom: string;
  /** Top-level terms fields that differ from the version before it. */
  changedFields: string[];
  worsenings: string[];
  description: string;
}

/** The agreed amendments of the line in force from a day within from–to (inclusive), in date order. */
export async function termsChangesInPeriod(db: Db, lineId: string, period: { from: string; to: string }): Promise<TermsChange[]> {
  const agreed = await versionsWhere(db, `credit_line_id = $1::uuid AND status = 'AGREED' AND effective_from <= $2::date ORDER BY effective_from, version_no`, lineId, period.to);
  const changes: TermsChange[] = [];
  for (const [index, version] of agreed.entries()) {
    if (index === 0 || version.effectiveFrom < period.from) continue;
    const before = termsVersionJson(agreed[index - 1].terms) as Record<string, unknown>;
    const after = termsVersionJson(version.terms) as Record<string, unknown>;
    const changedFields = Object.keys(after).filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
    const shown = changedFields.map((field) => `${field} ${brief(before[field])} → ${brief(after[field])}`).join('; ');
    changes.push({
      versionNo: version.versionNo,
      effectiveFrom: version.effectiveFrom,
      changedFields,
      worsenings: version.worsenings,
      description: `Terms version ${version.versionNo} in force from ${version.effectiveFrom}: ${shown || 'no field changed'}`,
    });
  }
  return changes;
}

function brief(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}
