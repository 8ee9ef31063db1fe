/**
 * A liquidation sale: while a line is in liquidation its lender sells pledged
 * goods without the seller. The lender's release authorisation lets the goods
 * leave custody (prisma/custody/releases.ts), and the proceeds run through the
 * line's waterfall with the sales capability's own repayment code
 * (recordDirectRepayment: fees, then interest, then principal, in the line's
 * order); whatever exceeds what is owed is payable to the seller. The line is
 * then re-evaluated, which ends the liquidation once nothing is owed.
 */
import type { Decimal } from 'decimal.js';
import { BusinessRuleError, ForbiddenError, NotFoundError, ValidationError, assert, requireCurrency } from '../../domain/errors';
import { Money } from '../../domain/money';
import type { WaterfallAllocation } from '../../domain/waterfall';
import { recordAudit } from '../audit/store';
import type { Db } from '../client';
import type { CustodyActor } from '../custody/access';
import { createReleaseOrder } from '../custody/releases';
import type { ReleaseOrder } from '../generated/client';
import { balances, postEntry } from '../ledger/store';
import { requireValueDate, utcDay } from '../../domain/value-dates';
import { recordDirectRepayment } from '../sales/store';
import { evaluateLineMargin, type MarginEvaluation } from './store';

export interface LiquidationSaleInput {
  lotId: string;
  quantity: Decimal;
  /** The unit the quantity was sent in (`body.quantity.unit`): the lot's. */
  quantityUnit: string;
  proceeds: Decimal;
  /** The currency the proceeds were sent in (`body.proceeds.currency`): the line's. */
  currency: string;
  /** 'YYYY-MM-DD': effective date of the ledger entries. */
  receivedOn: string;
  reference?: string;
}

export interface LiquidationSale {
  releaseOrder: ReleaseOrder;
  /** How the proceeds were applied; toSeller includes any excess over what was owed. */
  allocation: WaterfallAllocation;
  repaymentId: string | null;
  evaluation: MarginEvaluation;
}

export async function recordLiquidationSale(db: Db, actor: CustodyActor, lineId: string, input: LiquidationSaleInput, now: Date): Promise<LiquidationSale> {
  await db.$queryRaw`SELECT id FROM credit_line WHERE id = ${lineId}::uuid FOR UPDATE`;
  const line = await db.creditLine.findUnique({ where: { id: lineId } });
  if (!line || (line.lenderOrganisationId !== actor.organisationId && line.sellerOrganisationId !== actor.organisationId)) {
    throw new NotFoundError('credit line', lineId);
  }
  if (actor.organisationId !== line.lenderOrganisationId) throw new ForbiddenError("only the line's lender sells goods in a liquidation");
  const call = await db.marginCall.findFirst({ where: { creditLineId: lineId, status: 'LIQUIDATING' } });
  if (!call) {
    throw new BusinessRuleError('line_not_in_liquidation', `credit line ${lineId} is ${line.status} and not in liquidation; a lender sells pledged goods without the seller only in a liquidation`);
  }
  const lien = await db.lien.findFirst({ where: { lotId: input.lotId, releasedAt: null } });
  if (!lien || lien.creditLineId !== lineId) {
    throw new BusinessRuleError('lot_not_pledged_to_line', `lot ${input.lotId} is not pledged to credit line ${lineId}; a liquidation sells only goods pledged to the line`, 'body.lotId');
  }
  requireCurrency('body.proceeds.currency', input.currency, line.currency);
  const lot = await db.lot.findUniqueOrThrow({ where: { id: input.lotId } });
  if (input.quantityUnit !== lot.unit) throw new ValidationError('body.quantity.unit', `is ${input.quantityUnit}; lot ${lot.id} is held in ${lot.unit}`);
  // Checked before anything is written: proceeds that only go to the seller never reach the repayment's own check.
  requireValueDate('body.receivedOn', input.receivedOn, { today: utcDay(now), earliest: [] });
  const releaseOrder = await createReleaseOrder(db, actor, input.lotId, { quantity: input.quantity, reason: `liquidation sale (margin call ${call.id})` }, { forLiquidationOfMarginCallId: call.id });

  const currency = line.currency;
  const proceeds = Money.of(input.proceeds, currency);
  const owed = await owedOnLine(db, lineId, currency);
  const towardsDebt = Money.min(proceeds, owed.fees.plus(owed.interest).plus(owed.principal));
  const excess = proceeds.minus(towardsDebt);
  let allocation: WaterfallAllocation = { fees: Money.zero(currency), interest: Money.zero(currency), principal: Money.zero(currency), toSeller: Money.zero(currency) };
  let repaymentId: string | null = null;
  if (towardsDebt.isPositive()) {
    const repaid = await recordDirectRepayment(db, actor, lineId, {
      amount: towardsDebt.amount,
      currency,
      receivedOn: input.receivedOn,
      reference: input.reference ?? `liquidation sale ${releaseOrder.id}`,
      today: utcDay(now),
    });
    allocation = repaid.allocation;
    repaymentId = repaid.repayment.id;
  }
  if (excess.isPositive()) {
    await postExcessToSeller(db, lineId, excess, input.receivedOn, releaseOrder.id);
    allocation = { ...allocation, toSeller: allocation.toSeller.plus(excess) };
  }
  await recordAudit(db, actor, {
    action: 'margin_call.liquidation_sale',
    targetType: 'margin_call',
    targetId: call.id,
    after: {
      lotId: input.lotId,
      quantity: input.quantity.toFixed(),
      proceeds: proceeds.toFixedString(),
      releaseOrderId: releaseOrder.id,
      repaymentId,
      fees: allocation.fees.toFixedString(),
      interest: allocation.interest.toFixedString(),
      principal: allocation.principal.toFixedString(),
      toSeller: allocation.toSeller.toFixedString(),
    },
  });
  const evaluation = await evaluateLineMargin(db, { lineId, now, reason: 'LIQUIDATION_PROCEEDS' });
  return { releaseOrder, allocation, repaymentId, evaluation };
}

async function owedOnLine(db: Db, lineId: string, currency: string) {
  const byCode = new Map((await balances(db, { accountSetId: lineId })).map((account) => [account.code, account.balance]));
  const of = (code: string) => byCode.get(code) ?? Money.zero(currency);
  return { fees: of('FEES_RECEIVABLE'), interest: of('INTEREST_RECEIVABLE'), principal: of('LOAN_PRINCIPAL') };
}

/** Proceeds beyond what the line owes: cash in the collection account, owed to the seller. */
async function postExcessToSeller(db: Db, lineId: string, excess: Money, receivedOn: string, releaseOrderId: string): Promise<void> {
  const accounts = await db.ledgerAccount.findMany({ where: { accountSetId: lineId, code: { in: ['COLLECTION', 'SELLER_PAYABLE'] } } });
  const collection = accounts.find((account) => account.code === 'COLLECTION');
  const sellerPayable = accounts.find((account) => account.code === 'SELLER_PAYABLE');
  assert(collection && sellerPayable, `credit line ${lineId} has COLLECTION and SELLER_PAYABLE accounts`);
  await postEntry(db, {
    idempotencyKey: `liquidation-excess:${releaseOrderId}`,
    description: 'Liquidation sale proceeds beyond what the line owes, payable to the seller',
    effectiveDate: receivedOn,
    accountSetId: lineId,
    metadata: { releaseOrderId },
    lines: [
      { accountId: collection.id, side: 'DEBIT', amount: excess },
      { accountId: sellerPayable.id, side: 'CREDIT', amount: excess },
    ],
  });
}
