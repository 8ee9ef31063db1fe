/**
 * A lender's portfolio: its exposure across its lines in force, by seller, by
 * commodity and by warehouse (domain/exposure.ts, prisma/portfolio/exposure.ts).
 * Lender users only; a seller or a warehouse has no portfolio (403).
 */
import { z } from 'zod';
import type { ExposureFigures as Figures } from '../../domain/exposure';
import { lenderExposure } from '../../prisma/portfolio/exposure';
import { defineRoute } from '../http/route';
import { CurrencyCode, MoneySchema, Timestamp, Uuid } from '../http/schemas';

const ExposureFigures = z
  .object({
    outstandingPrincipal: MoneySchema,
    borrowingBase: MoneySchema,
    collateralValue: MoneySchema,
    eligibleCollateralValue: MoneySchema,
  })
  .meta({
    id: 'ExposureFigures',
    description:
      "outstandingPrincipal: the lines' LOAN_PRINCIPAL balances; by commodity and warehouse, each line's is allocated in proportion to the borrowing base its groups provide. " +
      "borrowingBase: Σ lending value of eligible lots, after each line's concentration cut. collateralValue: Σ collateral value (quantity × price × (1 − haircut)) of every pledged lot, eligible or not. " +
      'eligibleCollateralValue: Σ collateral value of eligible lots, less what the concentration limits cut (the denominator of LTV)',
  });

const CurrencyExposureView = z
  .object({
    currency: CurrencyCode,
    lineCount: z.number().int(),
    totals: ExposureFigures,
    bySeller: z.array(z.object({ sellerOrganisationId: Uuid, sellerName: z.string(), lineCount: z.number().int(), figures: ExposureFigures })),
    byCommodity: z.array(
      z.object({ commodityCode: z.string().nullable().meta({ description: 'null: principal of lines with no borrowing base at all (not covered by any eligible goods)' }), figures: ExposureFigures }),
    ),
    byWarehouse: z.array(
      z.object({
        warehouseId: Uuid.nullable().meta({ description: 'null: principal of lines with no borrowing base at all' }),
        warehouseName: z.string().nullable(),
        figures: ExposureFigures,
      }),
    ),
  })
  .meta({ id: 'CurrencyExposure' });

const PortfolioExposureView = z
  .object({
    asOf: Timestamp,
    currencies: z.array(CurrencyExposureView).meta({
      description:
        "asOf: the instant the lots were valued at. currencies: one entry per currency of the lender's lines in force (ACTIVE, FROZEN, IN_DEFAULT); amounts in different currencies are never added. In each, bySeller, byCommodity and byWarehouse each sum exactly to totals: a valuation total is the exact sum rounded half-even once, allocated over the groups by their exact values (largest remainder)",
    }),
  })
  .meta({ id: 'PortfolioExposure' });

function figuresView(figures: Figures): z.infer<typeof ExposureFigures> {
  return {
    outstandingPrincipal: figures.outstandingPrincipal.toJSON(),
    borrowingBase: figures.borrowingBase.toJSON(),
    collateralValue: figures.collateralValue.toJSON(),
    eligibleCollateralValue: figures.eligibleCollateralValue.toJSON(),
  };
}

export const portfolioRoutes = [
  defineRoute({
    method: 'get',
    path: '/portfolio/exposure',
    operationId: 'getPortfolioExposure',
    summary: "The lender's exposure across its lines in force: outstanding principal, borrowing base and collateral value, in total and by seller, commodity and warehouse (lender users only)",
    tag: 'Portfolio',
    problems: [403],
    success: { status: 200, description: "The lender's exposure as of now, per currency", schema: PortfolioExposureView },
    handler: async ({ db, actor, now }) => {
      const exposure = await lenderExposure(db, actor, now);
      return {
        asOf: now.toISOString(),
        currencies: exposure.currencies.map((entry) => ({
          currency: entry.currency,
          lineCount: entry.lineCount,
          totals: figuresView(entry.totals),
          bySeller: entry.bySeller.map((group) => ({
            sellerOrganisationId: group.sellerOrganisationId,
            sellerName: exposure.sellerNames.get(group.sellerOrganisationId) ?? '',
            lineCount: group.lineCount,
            figures: figuresView(group.figures),
          })),
          byCommodity: entry.byCommodity.map((group) => ({ commodityCode: group.commodityCode, figures: figuresView(group.figures) })),
          byWarehouse: entry.byWarehouse.map((group) => ({
            warehouseId: group.warehouseId,
            warehouseName: group.warehouseId === null ? null : (exposure.warehouseNames.get(group.warehouseId) ?? null),
            figures: figuresView(group.figures),
          })),
        })),
      };
    },
  }),
];
