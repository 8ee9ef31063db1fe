/**
 * The organisations an organisation deals with, so that nobody has to learn a
 * counterpart's id out of band: a lender its onboarded sellers, warehouses and
 * buyers; a warehouse the lenders that onboarded it and the sellers whose goods
 * it holds or may hold (its warehouse approved on their lines); a seller its
 * lenders, the warehouses approved on its lines or holding its goods, and the
 * buyers its lenders onboarded (a sale names one); a buyer its lenders and the
 * sellers it bought from. Each comes with why it is listed.
 */
import { Prisma, type Db } from '../client';
import type { OrganisationKind } from '../generated/client';

export const ORGANISATIONS_PAGE_MAX = 200;

export const RELATIONSHIPS = [
  'ONBOARDED_BY_YOU',
  'ONBOARDED_YOU',
  'CREDIT_LINE',
  'APPROVED_WAREHOUSE',
  'CUSTODY',
  'SALE',
  'BUYER_OF_YOUR_LENDER',
] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];

export interface RelatedOrganisation {
  id: string;
  kind: OrganisationKind;
  name: string;
  relationships: Relationship[];
}

export async function organisationsRelatedTo(
  db: Db,
  organisationId: string,
  filter: { kind?: OrganisationKind; afterId: string | null; limit: number },
): Promise<RelatedOrganisation[]> {
  const me = Prisma.sql`${organisationId}::uuid`;
  return db.$queryRaw<RelatedOrganisation[]>(Prisma.sql`
    WITH related(id, relationship) AS (
      SELECT counterpart_organisation_id, 'ONBOARDED_BY_YOU' FROM counterpart WHERE lender_organisation_id = ${me}
      UNION ALL SELECT lender_organisation_id, 'ONBOARDED_YOU' FROM counterpart WHERE counterpart_organisation_id = ${me}
      UNION ALL SELECT seller_organisation_id, 'CREDIT_LINE' FROM credit_line WHERE lender_organisation_id = ${me}
      UNION ALL SELECT lender_organisation_id, 'CREDIT_LINE' FROM credit_line WHERE seller_organisation_id = ${me}
      UNION ALL SELECT w.organisation_id, 'APPROVED_WAREHOUSE'
                  FROM credit_line_approved_warehouse a JOIN credit_line l ON l.id = a.credit_line_id JOIN warehouse w ON w.id = a.warehouse_id
                 WHERE l.seller_organisation_id = ${me}
      UNION ALL SELECT l.seller_organisation_id, 'APPROVED_WAREHOUSE'
                  FROM credit_line_approved_warehouse a JOIN credit_line l ON l.id = a.credit_line_id JOIN warehouse w ON w.id = a.warehouse_id
                 WHERE w.organisation_id = ${me}
      UNION ALL SELECT w.organisation_id, 'CUSTODY' FROM lot JOIN warehouse w ON w.id = lot.warehouse_id WHERE lot.seller_organisation_id = ${me}
      UNION ALL SELECT lot.seller_organisation_id, 'CUSTODY' FROM lot JOIN warehouse w ON w.id = lot.warehouse_id WHERE w.organisation_id = ${me}
      UNION ALL SELECT buyer_organisation_id, 'SALE' FROM sale WHERE seller_organisation_id = ${me}
      UNION ALL SELECT seller_organisation_id, 'SALE' FROM sale WHERE buyer_organisation_id = ${me}
      UNION ALL SELECT c.counterpart_organisation_id, 'BUYER_OF_YOUR_LENDER'
                  FROM counterpart c JOIN credit_line l ON l.lender_organisation_id = c.lender_organisation_id
                 WHERE l.seller_organisation_id = ${me} AND c.counterpart_kind = 'BUYER'
    )
    SELECT o.id::text AS id, o.kind, o.name, array_agg(DISTINCT r.relationship ORDER BY r.relationship) AS relationships
      FROM related r JOIN organisation o ON o.id = r.id
     WHERE o.id <> ${me}
       ${filter.kind ? Prisma.sql`AND o.kind = ${filter.kind}::"OrganisationKind"` : Prisma.empty}
       ${filter.afterId ? Prisma.sql`AND o.id > ${filter.afterId}::uuid` : Prisma.empty}
     GROUP BY o.id, o.kind, o.name
     ORDER BY o.id
     LIMIT ${Math.min(filter.limit, ORGANISATIONS_PAGE_MAX) + 1}`);
}
