/**
 * A lender's exposure across its lines in force (domain/exposure.ts): the
 * lines' outstanding principal and their pledged lots valued by the same
 * valued_lots() as every borrowing base, with the same concentration cut
 * (prisma/custody/valuation.ts, concentrationCuts), grouped by line, commodity
 * and warehouse in one statement.
 */
import { portfolioExposure, type CurrencyExposure, type ExposureCell, type LineExposureInput } from '../../domain/exposure';
import { ForbiddenError, assert } from '../../domain/errors';
import { D, Money } from '../../domain/money';
import type { Db } from '../client';
import type { CustodyActor } from '../custody/access';
import { concentrationCuts, LOAN_PRINCIPAL_ACCOUNT_CODE } from '../custody/valuation';

export interface LenderExposure {
  currencies: CurrencyExposure[];
  sellerNames: Map<string, string>;
  warehouseNames: Map<string, string>;
}

interface LineRow {
  id: string;
  seller_organisation_id: string;
  seller_name: string;
  currency: string;
  outstanding_principal: string;
  concentration_limit_commodity: string | null;
  concentration_limit_warehouse: string | null;
  concentration_limit_lot: string | null;
}

interface CellRow {
  line_id: string;
  commodity_code: string;
  warehouse_id: string;
  warehouse_name: string;
  collateral_value: string;
  eligible_collateral_value: string;
  lending_value: string;
}

/** Only a lender has a portfolio; it sees its own lines in force (ACTIVE, FROZEN, IN_DEFAULT) and nothing else. */
export async function lenderExposure(db: Db, actor: Pick<CustodyActor, 'organisationId' | 'organisationKind'>, now: Date): Promise<LenderExposure> {
  if (actor.organisationKind !== 'LENDER') throw new ForbiddenError("exposure is a lender's view of its own lines; your organisation is not a lender");
  const lines = await db.$queryRaw<LineRow[]>`
    SELECT cl.id::text AS id, cl.seller_organisation_id::text AS seller_organisation_id, o.name AS seller_name, cl.currency::text AS currency,
           trim_scale(coalesce(a.balance, 0))::text AS outstanding_principal,
           trim_scale(cl.concentration_limit_commodity)::text AS concentration_limit_commodity,
           trim_scale(cl.concentration_limit_warehouse)::text AS concentration_limit_warehouse,
           trim_scale(cl.concentration_limit_lot)::text AS concentration_limit_lot
      FROM credit_line cl
      JOIN organisation o ON o.id = cl.seller_organisation_id
      LEFT JOIN ledger_account a ON a.account_set_id = cl.id AND a.code = ${LOAN_PRINCIPAL_ACCOUNT_CODE}
     WHERE cl.lender_organisation_id = ${actor.organisationId}::uuid AND cl.status IN ('ACTIVE', 'FROZEN', 'IN_DEFAULT')
     ORDER BY cl.id`;
  if (lines.length === 0) return { currencies: [], sellerNames: new Map(), warehouseNames: new Map() };
  const lineIds = lines.map((line) => line.id);
  const cells = await db.$queryRaw<CellRow[]>`
    SELECT v.credit_line_id::text AS line_id, v.commodity_code, w.id::text AS warehouse_id, w.name AS warehouse_name,
           trim_scale(sum(v.collateral_value))::text AS collateral_value,
           trim_scale(coalesce(sum(v.collateral_value) FILTER (WHERE v.eligible), 0))::text AS eligible_collateral_value,
           trim_scale(sum(v.lending_value))::text AS lending_value
      FROM valued_lots(${lineIds}::uuid[], ${now}::timestamptz, NULL) v
      JOIN lot l ON l.id = v.lot_id
      JOIN warehouse w ON w.id = l.warehouse_id
     GROUP BY v.credit_line_id, v.commodity_code, w.id, w.name`;
  const limitOf = (value: string | null) => (value === null ? null : new D(value));
  const cuts = await concentrationCuts(
    db,
    lines.map((line) => ({ lineId: line.id, limits: { commodity: limitOf(line.concentration_limit_commodity), warehouse: limitOf(line.concentration_limit_warehouse), lot: limitOf(line.concentration_limit_lot) } })),
    { now },
  );
  const cellsOf = new Map<string, ExposureCell[]>();
  for (const row of cells) {
    const cell = {
      commodityCode: row.commodity_code,
      warehouseId: row.warehouse_id,
      collateralValue: new D(row.collateral_value),
      eligibleCollateralValue: new D(row.eligible_collateral_value),
      borrowingBase: new D(row.lending_value),
    };
    const list = cellsOf.get(row.line_id);
    if (list) list.push(cell);
    else cellsOf.set(row.line_id, [cell]);
  }
  const inputs: LineExposureInput[] = lines.map((line) => {
    const lineCells = cellsOf.get(line.id) ?? [];
    const cut = cuts.get(line.id);
    if (cut) {
      for (const lot of cut.lots.values()) {
        const cell = lineCells.find((entry) => entry.commodityCode === lot.commodityCode && entry.warehouseId === lot.warehouseId);
        assert(cell !== undefined, `line ${line.id}: a lot cut by concentration limits belongs to a valued (commodity, warehouse)`);
        cell.borrowingBase = cell.borrowingBase.minus(lot.excess);
        cell.eligibleCollateralValue = cell.eligibleCollateralValue.minus(lot.collateralExcess);
      }
    }
    return {
      lineId: line.id,
      sellerOrganisationId: line.seller_organisation_id,
      currency: line.currency,
      outstandingPrincipal: Money.of(line.outstanding_principal, line.currency),
      cells: lineCells,
    };
  });
  return {
    currencies: portfolioExposure(inputs),
    sellerNames: new Map(lines.map((line) => [line.seller_organisation_id, line.seller_name])),
    warehouseNames: new Map(cells.map((row) => [row.warehouse_id, row.warehouse_name])),
  };
}
