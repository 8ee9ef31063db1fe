import type { Db } from '../client';
import { NotFoundError } from '../../domain/errors';

/** The names a statement is headed with: the line's lender and seller. */
export async function statementPartyNames(db: Db, line: { lenderOrganisationId: string; sellerOrganisationId: string }): Promise<{ lenderName: string; sellerName: string }> {
  const rows = await db.organisation.findMany({ where: { id: { in: [line.lenderOrganisationId, line.sellerOrganisationId] } }, select: { id: true, name: true } });
  const nameOf = (id: string) => {
    const row = rows.find((organisation) => organisation.id === id);
    if (!row) throw new NotFoundError('organisation', id);
    return row.name;
  };
  return { lenderName: nameOf(line.lenderOrganisationId), sellerName: nameOf(line.sellerOrganisationId) };
}
