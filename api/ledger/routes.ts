import { z } from 'zod';
import { creditLineVisibleTo } from '../../prisma/credit-lines/store';
import { balances, statement, type Statement } from '../../prisma/ledger/store';
import { LineIdParams } from '../credit-lines/schemas';
import { defineRoute } from '../http/route';
import { IsoDate, MoneySchema, Uuid } from '../http/schemas';

const LedgerSide = z.enum(['DEBIT', 'CREDIT']);

const LineBalances = z
  .object({
    lineId: Uuid,
    asOf: IsoDate.nullable().meta({ description: 'null: every entry posted so far' }),
    accounts: z.array(z.object({ code: z.string(), balance: MoneySchema.meta({ description: "In the account's normal-balance terms" }) })),
  })
  .meta({ id: 'CreditLineBalances' });

const StatementLine = z.object({
  entryId: Uuid,
  effectiveDate: IsoDate,
  recordedAt: z.string(),
  description: z.string(),
  reversesEntryId: Uuid.nullable(),
  lineNo: z.int(),
  side: LedgerSide,
  debit: MoneySchema.nullable(),
  credit: MoneySchema.nullable(),
  runningBalance: MoneySchema,
});

const LineStatement = z
  .object({
    lineId: Uuid,
    from: IsoDate,
    to: IsoDate,
    accounts: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        normalBalance: LedgerSide,
        openingBalance: MoneySchema,
        lines: z.array(StatementLine),
        closingBalance: MoneySchema,
      }),
    ),
  })
  .meta({ id: 'CreditLineStatement' });

const StatementQuery = z
  .object({ from: IsoDate, to: IsoDate })
  .refine((period) => period.from <= period.to, { path: ['to'], message: 'must be on or after from' });

function statementView(lineId: string, found: Statement): z.infer<typeof LineStatement> {
  return {
    lineId,
    from: found.from,
    to: found.to,
    accounts: found.accounts.map((account) => ({
      code: account.code,
      name: account.name,
      normalBalance: account.normalBalance,
      openingBalance: account.openingBalance.toJSON(),
      lines: account.lines.map((posted) => ({
        entryId: posted.entryId,
        effectiveDate: posted.effectiveDate,
        recordedAt: posted.recordedAt.toISOString(),
        description: posted.description,
        reversesEntryId: posted.reversesEntryId,
        lineNo: posted.lineNo,
        side: posted.side,
        debit: posted.debit?.toJSON() ?? null,
        credit: posted.credit?.toJSON() ?? null,
        runningBalance: posted.runningBalance.toJSON(),
      })),
      closingBalance: account.closingBalance.toJSON(),
    })),
  };
}

export const ledgerRoutes = [
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/ledger/balances',
    operationId: 'getCreditLineBalances',
    summary: "Balances of a line's ledger accounts, now or as of a date (lender and seller only)",
    tag: 'Ledger',
    problems: [404],
    params: LineIdParams,
    query: z.object({ asOf: IsoDate.optional() }),
    success: { status: 200, description: 'One balance per account, by code', schema: LineBalances },
    handler: async ({ db, actor, params, query }) => {
      const line = await creditLineVisibleTo(db, actor.organisationId, params.lineId);
      const accounts = await balances(db, { accountSetId: line.id, asOf: query.asOf });
      return { lineId: line.id, asOf: query.asOf ?? null, accounts: accounts.map((account) => ({ code: account.code, balance: account.balance.toJSON() })) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/statement',
    operationId: 'getCreditLineStatement',
    summary: 'Statement of a line for a period: per account the opening balance, every line posted, the closing balance (lender and seller only)',
    tag: 'Ledger',
    problems: [404, 422],
    params: LineIdParams,
    query: StatementQuery,
    success: { status: 200, description: 'The statement; dates are effective dates, both inclusive', schema: LineStatement },
    handler: async ({ db, actor, params, query }) => {
      const line = await creditLineVisibleTo(db, actor.organisationId, params.lineId);
      return statementView(line.id, await statement(db, { accountSetId: line.id, from: query.from, to: query.to }));
    },
  }),
];
