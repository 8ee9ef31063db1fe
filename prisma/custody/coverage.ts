/**
 * The one store helper behind the coverage rule (domain/custody.ts
 * coverageAfter): a line's availability, outstanding principal and reserved
 * draws, read with line_borrowing_base() while the caller holds the line's lock
 * (prisma/locks.ts), before and after a change that can reduce coverage.
 *
 * Voluntary changes (unpledge, split, release, sale, disbursement) are refused
 * when they leave a shortfall; physical facts recorded by the warehouse (a
 * loss, a count difference, a quality hold) are recorded whatever the figures,
 * and a shortfall they cause is told to the line's lender and seller.
 */
import { coverageAfter, requireCoverageKept, type CoverageReducer, type LineCoverage } from '../../domain/custody';
import type { Db } from '../client';
import { notify } from '../notifications/store';
import { linePosition } from './valuation';

export interface LineCoverageAt extends LineCoverage {
  lineId: string;
}

/** The line's coverage as of `now`; with `excludeLotId`, as if that lot were unpledged. */
export async function lineCoverage(db: Db, lineId: string, now: Date, options: { excludeLotId?: string } = {}): Promise<LineCoverageAt> {
  const line = await db.creditLine.findUniqueOrThrow({ where: { id: lineId } });
  const position = await linePosition(db, line, { now, excludeLotId: options.excludeLotId ?? null, lotsPage: null });
  return { lineId, availability: position.availability, outstandingPrincipal: position.outstandingPrincipal, reservedDraws: position.reservedDraws };
}

/** Refuses a voluntary change whose result (`after`, read now) lowers availability below zero. */
export async function requireCoverageAfter(db: Db, before: LineCoverageAt, operation: CoverageReducer, now: Date): Promise<LineCoverageAt> {
  const after = await lineCoverage(db, before.lineId, now);
  requireCoverageKept({ operation, before, after });
  return after;
}

/**
 * After a physical fact: if it lowered availability below zero, the line's
 * lender and seller are told (once per custody event) — reserved draws will
 * then be refused at disbursement until the line is covered again.
 */
export async function tellCoverageShortfall(db: Db, before: LineCoverageAt, operation: CoverageReducer, input: { now: Date; lotId: string; eventId: string }): Promise<LineCoverageAt> {
  const after = await lineCoverage(db, before.lineId, input.now);
  const verdict = coverageAfter({ operation, before, after });
  if (verdict.kind === 'shortfall') {
    const line = await db.creditLine.findUniqueOrThrow({ where: { id: before.lineId }, select: { lenderOrganisationId: true, sellerOrganisationId: true } });
    for (const organisationId of [line.lenderOrganisationId, line.sellerOrganisationId]) {
      await notify(db, {
        organisationId,
        kind: 'credit_line.coverage_shortfall',
        message:
          `the ${operation} recorded on lot ${input.lotId} leaves availability at ${after.availability.roundToScale().format()} ` +
          `(outstanding principal ${after.outstandingPrincipal.roundToScale().format()}, reserved draws ${after.reservedDraws.roundToScale().format()}): ` +
          'the line is over its borrowing base and reserved draws are not disbursed until it is covered again',
        subjectType: 'credit_line',
        subjectId: before.lineId,
        dedupeKey: `coverage-shortfall:${input.eventId}:${organisationId}`,
      });
    }
  }
  return after;
}
