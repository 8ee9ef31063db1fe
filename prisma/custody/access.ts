/**
 * Who may see and act on a lot. A warehouse sees the lots in its warehouses, a
 * seller its own lots, a lender the lots pledged to its lines; anyone else gets
 * 404 (the lot's existence is not disclosed).
 */
import { ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors';
import { lockLines, lockLots } from '../locks';
import type { Db } from '../client';
import type { Lot, Lien, Warehouse } from '../generated/client';
import type { AuditActor } from '../audit/store';
import type { OrganisationKind, UserRole } from '../identity/store';

export interface CustodyActor extends AuditActor {
  organisationKind: OrganisationKind;
  role: UserRole;
}

export interface LotWithParties extends Lot {
  warehouse: Warehouse;
  activeLien: (Lien & { lenderOrganisationId: string; sellerOrganisationId: string }) | null;
}

export interface LotAccess {
  lot: LotWithParties;
  isWarehouse: boolean;
  isSeller: boolean;
  isLender: boolean;
}

export async function loadLot(db: Db, lotId: string): Promise<LotWithParties | null> {
  const lot = await db.lot.findUnique({ where: { id: lotId }, include: { warehouse: true, liens: { where: { releasedAt: null } } } });
  if (!lot) return null;
  const { liens, ...rest } = lot;
  const lien = liens[0] ?? null;
  let activeLien: LotWithParties['activeLien'] = null;
  if (lien) {
    const line = await db.creditLine.findUniqueOrThrow({ where: { id: lien.creditLineId }, select: { lenderOrganisationId: true, sellerOrganisationId: true } });
    activeLien = { ...lien, ...line };
  }
  return { ...rest, activeLien };
}

export function accessOf(actor: CustodyActor, lot: LotWithParties): LotAccess {
  return {
    lot,
    isWarehouse: lot.warehouse.organisationId === actor.organisationId,
    isSeller: lot.sellerOrganisationId === actor.organisationId,
    isLender: lot.activeLien?.lenderOrganisationId === actor.organisationId,
  };
}

/** The lot as `actor` may see it, or 404. */
export async function visibleLot(db: Db, actor: CustodyActor, lotId: string): Promise<LotAccess> {
  const lot = await loadLot(db, lotId);
  if (!lot) throw new NotFoundError('lot', lotId);
  const access = accessOf(actor, lot);
  if (!access.isWarehouse && !access.isSeller && !access.isLender) throw new NotFoundError('lot', lotId);
  return access;
}

/**
 * Locks the lot for the rest of the transaction in the lock order of
 * prisma/locks.ts: first the line its active lien points at (and any
 * `extraLineIds`, e.g. the line a pledge is for), then the lot. Concurrent
 * releases, adjustments, pledges and sales of one lot then run one after
 * another, each seeing the quantity and the line's figures the previous one
 * left. If the lien moved between reading it and locking the lot (a pledge or
 * unpledge committed in between), the line now concerned is not locked and
 * cannot be locked after the lot: the request is refused as a conflict.
 * Then checks that the actor can see the lot.
 */
export async function lockVisibleLot(db: Db, actor: CustodyActor, lotId: string, options: { extraLineIds?: readonly string[] } = {}): Promise<LotAccess> {
  const lienBefore = await db.lien.findFirst({ where: { lotId, releasedAt: null }, select: { creditLineId: true } });
  const lineIds = await lockLines(db, [...(lienBefore ? [lienBefore.creditLineId] : []), ...(options.extraLineIds ?? [])]);
  const locked = await lockLots(db, [lotId]);
  if (locked.length === 0) throw new NotFoundError('lot', lotId);
  const access = await visibleLot(db, actor, lotId);
  const lineNow = access.lot.activeLien?.creditLineId;
  if (lineNow !== undefined && !lineIds.includes(lineNow)) {
    throw new ConflictError(`lot ${lotId} was pledged to credit line ${lineNow} while this request ran; try again`);
  }
  return access;
}

export function requireActingRole(actor: CustodyActor, what: string): void {
  if (actor.role === 'VIEWER') throw new ForbiddenError(`a VIEWER cannot ${what}; ask an OPERATOR, APPROVER or ADMIN of your organisation`);
}

export function requireWarehouseOf(access: LotAccess, actor: CustodyActor, what: string): void {
  requireActingRole(actor, what);
  if (!access.isWarehouse) throw new ForbiddenError(`only the warehouse holding the lot can ${what}`);
}
