/**
 * Who may see and act on a lot. A warehouse sees the lots in its warehouses, a
 * seller its own lots, a lender the lots pledged to its lines; anyone else gets
 * 404 (the lot's existence is not disclosed).
 */
import { ForbiddenError, NotFoundError } from '../../domain/errors';
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
 * Locks the lot row (SELECT … FOR UPDATE) for the rest of the transaction, so
 * that concurrent releases, adjustments and pledges of one lot run one after
 * another and each sees the quantity the previous one left. Then checks that
 * the actor can see it.
 */
export async function lockVisibleLot(db: Db, actor: CustodyActor, lotId: string): Promise<LotAccess> {
  const locked = await db.$queryRaw<{ id: string }[]>`SELECT id::text FROM lot WHERE id = ${lotId}::uuid FOR UPDATE`;
  if (locked.length === 0) throw new NotFoundError('lot', lotId);
  return visibleLot(db, actor, lotId);
}

export function requireActingRole(actor: CustodyActor, what: string): void {
  if (actor.role === 'VIEWER') throw new ForbiddenError(`a VIEWER cannot ${what}; ask an OPERATOR, APPROVER or ADMIN of your organisation`);
}

export function requireWarehouseOf(access: LotAccess, actor: CustodyActor, what: string): void {
  requireActingRole(actor, what);
  if (!access.isWarehouse) throw new ForbiddenError(`only the warehouse holding the lot can ${what}`);
}
