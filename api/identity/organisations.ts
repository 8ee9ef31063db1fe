import { z } from 'zod';
import { ORGANISATIONS_PAGE_MAX, RELATIONSHIPS, organisationsRelatedTo } from '../../prisma/identity/counterparts';
import { defineRoute } from '../http/route';
import { PageQuery, Uuid, afterIdOf, pageFrom, pageOf } from '../http/schemas';

const OrganisationKind = z.enum(['LENDER', 'WAREHOUSE', 'SELLER', 'BUYER']);

const RelatedOrganisationView = z
  .object({
    id: Uuid,
    kind: OrganisationKind,
    name: z.string(),
    relationships: z.array(z.enum(RELATIONSHIPS)).meta({
      description:
        'Why it is listed: ONBOARDED_BY_YOU (your counterpart), ONBOARDED_YOU (the lender that registered you), CREDIT_LINE (lender or seller of a line with you), ' +
        'APPROVED_WAREHOUSE (its warehouse approved on your line, or yours on its line), CUSTODY (it holds your goods, or you hold its goods), SALE (buyer or seller of a sale with you), ' +
        'BUYER_OF_YOUR_LENDER (a buyer onboarded by a lender you have a line with: a sale may name it)',
    }),
  })
  .meta({ id: 'RelatedOrganisation' });

export const organisationListRoutes = [
  defineRoute({
    method: 'get',
    path: '/organisations',
    operationId: 'listOrganisations',
    summary:
      'The organisations yours deals with, by id: a lender its sellers, warehouses and buyers; a warehouse its lenders and the sellers whose goods it holds or may hold; a seller its lenders, warehouses and the buyers it may sell to; a buyer its lenders and sellers',
    tag: 'Identity',
    query: PageQuery.extend({
      limit: z.coerce.number().int().min(1).max(ORGANISATIONS_PAGE_MAX).default(50),
      kind: OrganisationKind.optional().meta({ description: 'Only organisations of this kind' }),
    }),
    success: { status: 200, description: 'One page of organisations; nextCursor is null on the last', schema: pageOf(RelatedOrganisationView) },
    handler: async ({ db, actor, query }) =>
      pageFrom(await organisationsRelatedTo(db, actor.organisationId, { kind: query.kind, afterId: afterIdOf(query.cursor), limit: query.limit }), query.limit, (row) => row),
  }),
];
