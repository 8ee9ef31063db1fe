/**
 * Liens: a seller pledges its lot to a credit line on which it is the
 * borrower; a lot has at most one active lien (the partial unique index
 * lien_one_active_per_lot enforces it whatever code runs). Unpledging a lot
 * of a line with outstanding principal or a reserved draw needs the lender's
 * consent and must leave availability zero or more (the shared coverage rule,
 * prisma/custody/coverage.ts); a lot with goods sold or authorised to leave
 * stays pledged until they have left.
 */
import { checkUnpledge, requireFreeQuantity } from '../../domain/custody';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors';
import { recordAudit } from '../audit/store';
import { Prisma, type Db } from '../client';
import type { Lien } from '../generated/client';
import { lockVisibleLot, requireActingRole, type CustodyActor } from './access';
import { appendEvent, dec } from './store';
import { lineCoverage } from './coverage';
import { lotFreeQuantity } from './reservations';

export async function pledgeLot(db: Db, actor: CustodyActor, lotId: string, input: { creditLineId: string }): Promise<Lien> {
  // The line the lot is pledged to is locked before the lot (prisma/locks.ts).
  const access = await lockVisibleLot(db, actor, lotId, { extraLineIds: [input.creditLineId] });
  requireActingRole(actor, 'pledge a lot');
  if (!access.isSeller) throw new ForbiddenError("only the lot's seller can pledge it");
  const line = await db.creditLine.findUnique({ where: { id: input.creditLineId } });
  if (!line || line.sellerOrganisationId !== actor.organisationId) {
    throw new NotFoundError('credit line', input.creditLineId);
  }
  if (line.status !== 'ACTIVE') throw new BusinessRuleError('credit_line_not_active', `credit line ${line.id} is ${line.status}; goods can be pledged only to an ACTIVE line`);
  const { lot } = access;
  if (lot.activeLien) {
    throw new ConflictError(`lot ${lotId} is already pledged to credit line ${lot.activeLien.creditLineId}; a lot is pledged to one line at a time`);
  }
  if (dec(lot.quantity).isZero()) throw new BusinessRuleError('lot_empty', `lot ${lotId} holds nothing to pledge`);
  let lien: Lien;
  try {
    lien = await db.lien.create({ data: { lotId, creditLineId: line.id, pledgedByUserId: actor.userId } });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new ConflictError(`lot ${lotId} is already pledged; a lot is pledged to one line at a time`);
    }
    throw error;
  }
  const quantity = dec(lot.quantity);
  await appendEvent(db, actor, lotId, { type: 'PLEDGED', quantityBefore: quantity, quantityAfter: quantity, details: { lienId: lien.id, creditLineId: line.id } });
  await recordAudit(db, actor, { action: 'custody.lot.pledged', targetType: 'lien', targetId: lien.id, after: { lotId, creditLineId: line.id } });
  return lien;
}

/** The lender consents to the seller unpledging the lot (only the lender of the lien's line). */
export async function consentToUnpledge(db: Db, actor: CustodyActor, lotId: string, now: Date): Promise<Lien> {
  const access = await lockVisibleLot(db, actor, lotId);
  requireActingRole(actor, 'consent to an unpledge');
  const lien = access.lot.activeLien;
  if (!access.isLender || !lien) throw new ForbiddenError('only the lender the lot is pledged to can consent to unpledging it');
  const updated = await db.lien.update({ where: { id: lien.id }, data: { lenderConsentUserId: actor.userId, lenderConsentAt: now } });
  const quantity = dec(access.lot.quantity);
  await appendEvent(db, actor, lotId, { type: 'UNPLEDGE_CONSENTED', quantityBefore: quantity, quantityAfter: quantity, details: { lienId: lien.id, creditLineId: lien.creditLineId } });
  await recordAudit(db, actor, { action: 'custody.lien.unpledge_consented', targetType: 'lien', targetId: lien.id, after: { lotId, creditLineId: lien.creditLineId } });
  return updated;
}

/**
 * Ends the lot's lien, by the seller (with the lender's recorded consent when
 * the line has principal outstanding or a draw reserved) or by the lender
 * (whose act is its consent). Never while part of the lot is sold or
 * authorised to leave: those goods stay under the line until they leave.
 */
export async function unpledgeLot(db: Db, actor: CustodyActor, lotId: string, now: Date): Promise<Lien> {
  const access = await lockVisibleLot(db, actor, lotId);
  requireActingRole(actor, 'unpledge a lot');
  const lien = access.lot.activeLien;
  if (!lien) throw new BusinessRuleError('lot_not_pledged', `lot ${lotId} is not pledged`);
  if (!access.isSeller && !access.isLender) throw new ForbiddenError('only the seller or the lender can unpledge a lot');
  // lockVisibleLot locked the line before the lot, so concurrent unpledges of its lots cannot each pass the check alone.
  const quantity = dec(access.lot.quantity);
  requireFreeQuantity({ free: await lotFreeQuantity(db, access.lot), quantityRequested: quantity, unit: access.lot.unit, what: 'unpledging takes the whole lot' });
  const before = await lineCoverage(db, lien.creditLineId, now);
  const after = await lineCoverage(db, lien.creditLineId, now, { excludeLotId: lotId });
  checkUnpledge({ before, after, lenderConsents: access.isLender || lien.lenderConsentAt !== null });
  const updated = await db.lien.update({ where: { id: lien.id }, data: { releasedAt: now, releasedByUserId: actor.userId } });
  await appendEvent(db, actor, lotId, { type: 'UNPLEDGED', quantityBefore: quantity, quantityAfter: quantity, details: { lienId: lien.id, creditLineId: lien.creditLineId } });
  await recordAudit(db, actor, { action: 'custody.lot.unpledged', targetType: 'lien', targetId: lien.id, after: { lotId, creditLineId: lien.creditLineId, availabilityAfter: after.availability.amount.toFixed() } });
  return updated;
}
