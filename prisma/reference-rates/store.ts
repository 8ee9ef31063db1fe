/**
 * Reference rates a lender registers for its floating-rate lines, and their
 * fixings: append-only, one per rate and effective date, each in force from
 * its date until the next (domain/interest-rate.ts). A fixing is posted by the
 * lender's ADMIN or OPERATOR (the price-feed user), dated today or earlier.
 */
import type { Decimal } from 'decimal.js';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors';
import { D } from '../../domain/money';
import { requireIsoDate } from '../../domain/ledger';
import { recordAudit } from '../audit/store';
import { recordEvent } from '../events/store';
import type { Db } from '../client';
import type { LineActor } from '../credit-lines/store';

export const REFERENCE_RATES_PAGE_MAX = 200;
export const FIXINGS_PAGE_MAX = 366;

export interface ReferenceRateRecord {
  id: string;
  lenderOrganisationId: string;
  code: string;
  name: string;
  maxFixingAgeDays: number;
  createdAt: Date;
}

export interface FixingRecord {
  referenceRateId: string;
  effectiveDate: string;
  rate: Decimal;
  postedBy: string;
  postedAt: Date;
}

function requireLender(actor: LineActor, roles: readonly string[], what: string): void {
  if (actor.organisationKind !== 'LENDER' || !roles.includes(actor.role)) {
    throw new ForbiddenError(`only ${roles.join(' or ')} of a LENDER ${what}; you are ${actor.role} of a ${actor.organisationKind}`);
  }
}

export async function registerReferenceRate(db: Db, actor: LineActor, input: { code: string; name: string; maxFixingAgeDays: number }): Promise<ReferenceRateRecord> {
  requireLender(actor, ['ADMIN'], 'registers reference rates');
  const existing = await db.referenceRate.findUnique({ where: { lenderOrganisationId_code: { lenderOrganisationId: actor.organisationId, code: input.code } } });
  if (existing) throw new ConflictError(`your organisation already registered reference rate ${input.code} (${existing.id})`);
  const rate = await db.referenceRate.create({ data: { lenderOrganisationId: actor.organisationId, ...input } });
  await recordAudit(db, actor, { action: 'reference_rate.register', targetType: 'reference_rate', targetId: rate.id, after: input });
  return rate;
}

export async function referenceRatesOf(db: Db, organisationId: string, page: { afterId: string | null; limit: number }): Promise<ReferenceRateRecord[]> {
  return db.referenceRate.findMany({
    where: { lenderOrganisationId: organisationId, ...(page.afterId ? { id: { gt: page.afterId } } : {}) },
    orderBy: { id: 'asc' },
    take: Math.min(page.limit, REFERENCE_RATES_PAGE_MAX),
  });
}

/** The reference rate, if `organisationId` registered it; to anyone else it does not exist. */
export async function referenceRateOf(db: Db, organisationId: string, referenceRateId: string): Promise<ReferenceRateRecord> {
  const rate = await db.referenceRate.findFirst({ where: { id: referenceRateId, lenderOrganisationId: organisationId } });
  if (!rate) throw new NotFoundError('reference rate', referenceRateId);
  return rate;
}

/** Posts a fixing in force from `effectiveDate` (today or earlier). A date already fixed is refused: fixings are never changed. */
export async function postFixing(db: Db, actor: LineActor, referenceRateId: string, input: { effectiveDate: string; rate: Decimal }, today: string): Promise<FixingRecord> {
  requireLender(actor, ['ADMIN', 'OPERATOR'], 'posts rate fixings');
  const reference = await referenceRateOf(db, actor.organisationId, referenceRateId);
  requireIsoDate(input.effectiveDate, 'effectiveDate');
  if (input.effectiveDate > today) {
    throw new BusinessRuleError('fixing_dated_ahead', `a fixing is posted once known: effectiveDate ${input.effectiveDate} is after today (${today})`, 'body.effectiveDate');
  }
  await db.$queryRaw`SELECT id FROM reference_rate WHERE id = ${reference.id}::uuid FOR UPDATE`;
  const existing = await db.rateFixing.findUnique({ where: { referenceRateId_effectiveDate: { referenceRateId: reference.id, effectiveDate: new Date(`${input.effectiveDate}T00:00:00Z`) } } });
  if (existing) {
    throw new ConflictError(`${reference.code} already has a fixing for ${input.effectiveDate} (${existing.rate.toFixed()}); fixings are append-only and never changed`);
  }
  const fixing = await db.rateFixing.create({
    data: { referenceRateId: reference.id, effectiveDate: new Date(`${input.effectiveDate}T00:00:00Z`), rate: input.rate.toFixed(), postedBy: actor.userId },
  });
  await recordAudit(db, actor, { action: 'reference_rate.fixing', targetType: 'reference_rate', targetId: reference.id, after: { effectiveDate: input.effectiveDate, rate: input.rate.toFixed() } });
  await recordEvent(db, 'rate.fixing_posted', {
    subjectId: reference.id,
    parties: [reference.lenderOrganisationId],
    requestId: actor.requestId,
    data: { referenceRateId: reference.id, code: reference.code, effectiveDate: input.effectiveDate, rate: input.rate.toFixed() },
  });
  return fixingFrom(fixing);
}

/** A page of the rate's fixings, by effective date, after `afterDate` when paging, within from–to (inclusive) when given. */
export async function fixingsPage(db: Db, referenceRateId: string, page: { from?: string; to?: string; afterDate: string | null; limit: number }): Promise<FixingRecord[]> {
  const gt = page.afterDate ?? undefined;
  const rows = await db.rateFixing.findMany({
    where: {
      referenceRateId,
      effectiveDate: {
        ...(page.from ? { gte: new Date(`${page.from}T00:00:00Z`) } : {}),
        ...(page.to ? { lte: new Date(`${page.to}T00:00:00Z`) } : {}),
        ...(gt ? { gt: new Date(`${gt}T00:00:00Z`) } : {}),
      },
    },
    orderBy: { effectiveDate: 'asc' },
    take: Math.min(page.limit, FIXINGS_PAGE_MAX) + 1,
  });
  return rows.map(fixingFrom);
}

function fixingFrom(row: { referenceRateId: string; effectiveDate: Date; rate: { toFixed(): string }; postedBy: string; postedAt: Date }): FixingRecord {
  return { referenceRateId: row.referenceRateId, effectiveDate: row.effectiveDate.toISOString().slice(0, 10), rate: new D(row.rate.toFixed()), postedBy: row.postedBy, postedAt: row.postedAt };
}
