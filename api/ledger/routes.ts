import { z } from 'zod';
import { creditLineVisibleTo } from '../../prisma/credit-lines/store';
import {
  balances,
  periodStatement,
  statement,
  STATEMENT_LINES_MAX,
  STATEMENT_PERIOD_DAYS_MAX,
  STATEMENT_PERIOD_LINES_MAX,
  type Statement,
  type StatementPosition,
} from '../../prisma/ledger/store';
import { statementPartyNames } from '../../prisma/ledger/statement-parties';
import { billsOfLine, type InterestBillRecord } from '../../prisma/credit-lines/interest-billing';
import { InterestBillView, interestBillView } from '../credit-lines/interest-bills';
import { termsChangesInPeriod, type TermsChange } from '../../prisma/credit-lines/terms-versions';
import { ValidationError } from '../../domain/errors';
import { LineIdParams } from '../credit-lines/schemas';
import { RenderedBody, type OtherFormat } from '../http/negotiation';
import { defineRoute } from '../http/route';
import { statementCsv, STATEMENT_CSV_MEDIA_TYPE } from './statement-csv';
import { statementPdf, STATEMENT_PDF_MEDIA_TYPE } from './statement-pdf';
import { CalendarDate, decodeCursor, encodeCursor, MoneySchema, orNull, Timestamp, Uuid } from '../http/schemas';

const LedgerSide = z.enum(['DEBIT', 'CREDIT']);

const LineBalances = z
  .object({
    lineId: Uuid,
    asOf: orNull(CalendarDate).meta({ description: 'null: every entry posted so far' }),
    accounts: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        normalBalance: LedgerSide.meta({
          description: "The side the balance is counted on; balance is in the account's normal-balance terms. A line nets to zero when Σ DEBIT-normal balances = Σ CREDIT-normal balances",
        }),
        balance: MoneySchema,
      }),
    ),
  })
  .meta({ id: 'CreditLineBalances' });

const StatementLine = z.object({
  entryId: Uuid,
  effectiveDate: CalendarDate,
  recordedAt: Timestamp,
  description: z.string(),
  reversesEntryId: Uuid.nullable(),
  lineNo: z.int(),
  side: LedgerSide,
  debit: orNull(MoneySchema),
  credit: orNull(MoneySchema),
  runningBalance: MoneySchema,
});

const LineStatement = z
  .object({
    lineId: Uuid,
    from: CalendarDate,
    to: CalendarDate,
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
    termsChanges: z
      .array(
        z.object({
          versionNo: z.int(),
          effectiveFrom: CalendarDate,
          changedFields: z.array(z.string()),
          worsenings: z.array(z.string()),
          description: z.string(),
        }),
      )
      .meta({ description: "Terms versions that came into force within the period (GET /credit-lines/{lineId}/terms): each day's interest and fees follow the version in force on it" }),
    interestBills: z
      .array(InterestBillView)
      .meta({ description: 'Interest bills written within the period (billedOn from from to to), with what of each is paid today (GET /credit-lines/{lineId}/interest-bills); empty for a line without billing' }),
    nextCursor: z.string().nullable().meta({ description: "Pass as cursor (with the same from and to) for the next page; null on the period's last page" }),
  })
  .meta({
    id: 'CreditLineStatement',
    description:
      "Per account: openingBalance before this page's first line (the period's opening balance on the first page), closingBalance after this page's last line (the period's closing balance on the last page)",
  });

/** Lines in a statement page when the client does not say. */
export const STATEMENT_PAGE_SIZE_DEFAULT = 200;

const StatementQuery = z
  .object({
    from: CalendarDate,
    to: CalendarDate,
    cursor: z.string().max(500).optional(),
    limit: z.coerce.number().int().min(1).max(STATEMENT_LINES_MAX).default(STATEMENT_PAGE_SIZE_DEFAULT).meta({ description: 'Lines in this page, over all accounts (JSON only)' }),
    format: z
      .enum(['json', 'csv', 'pdf'])
      .optional()
      .meta({ description: 'The representation, overriding Accept: json (paged), csv or pdf (the whole period). Anything else: 406' }),
  })
  .refine((period) => period.from <= period.to, { path: ['to'], message: 'must be on or after from' });

const CURSOR_REFUSAL = 'is not a cursor issued by this endpoint for this period; pass nextCursor from the previous page with the same from and to';

function positionOf(cursor: string | undefined, period: { from: string; to: string }): StatementPosition | undefined {
  const decoded = decodeCursor(cursor, ['d', 's', 'l']);
  if (!decoded) return undefined;
  const valid = CalendarDate.safeParse(decoded.d).success && decoded.d >= period.from && decoded.d <= period.to && /^[0-9]{1,18}$/.test(decoded.s) && /^[0-9]{1,9}$/.test(decoded.l);
  if (!valid) throw new ValidationError('query.cursor', CURSOR_REFUSAL);
  return { effectiveDate: decoded.d, entrySeq: decoded.s, lineNo: Number(decoded.l) };
}

function cursorOf(position: StatementPosition | null): string | null {
  return position ? encodeCursor({ d: position.effectiveDate, s: position.entrySeq, l: String(position.lineNo) }) : null;
}

function statementView(lineId: string, found: Statement, termsChanges: TermsChange[], bills: InterestBillRecord[]): z.infer<typeof LineStatement> {
  return {
    lineId,
    from: found.from,
    to: found.to,
    termsChanges,
    interestBills: bills.filter((bill) => bill.billedOn >= found.from && bill.billedOn <= found.to).map(interestBillView),
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
    nextCursor: cursorOf(found.next),
  };
}

const WHOLE_PERIOD =
  `the whole period, never a page (at most ${STATEMENT_PERIOD_DAYS_MAX} days: more is 400 naming query.to; at most ${STATEMENT_PERIOD_LINES_MAX} lines over all accounts: more is 422 statement_too_large)`;

const STATEMENT_FORMATS: OtherFormat[] = [
  {
    format: 'csv',
    mediaType: 'text/csv',
    description: `RFC 4180 CSV of ${WHOLE_PERIOD}: a header row, then per account an OPENING row, one ENTRY row per line with its running balance, a CLOSING row; CRLF line ends`,
    schema: z.string(),
  },
  {
    format: 'pdf',
    mediaType: STATEMENT_PDF_MEDIA_TYPE,
    description: `PDF of ${WHOLE_PERIOD}: lender, seller, period, per account the opening balance, every line with its running balance, the closing balance`,
    schema: z.string().meta({ format: 'binary' }),
  },
];

export const ledgerRoutes = [
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/ledger/balances',
    operationId: 'getCreditLineBalances',
    summary: "Balances of a line's ledger accounts, now or as of a date (lender and seller only)",
    tag: 'Ledger',
    problems: [404],
    params: LineIdParams,
    query: z.object({ asOf: CalendarDate.optional() }),
    success: { status: 200, description: 'One balance per account, by code', schema: LineBalances },
    handler: async ({ db, actor, params, query }) => {
      const line = await creditLineVisibleTo(db, actor.organisationId, params.lineId);
      const accounts = await balances(db, { accountSetId: line.id, asOf: query.asOf });
      return { lineId: line.id, asOf: query.asOf ?? null, accounts: accounts.map((account) => ({ code: account.code, name: account.name, normalBalance: account.normalBalance, balance: account.balance.toJSON() })) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/statement',
    operationId: 'getCreditLineStatement',
    summary:
      'Statement of a line for a period: per account the opening balance, the lines posted with running balances, the closing balance; JSON paged, CSV and PDF whole (lender and seller only)',
    tag: 'Ledger',
    problems: [404, 422],
    params: LineIdParams,
    query: StatementQuery,
    formats: STATEMENT_FORMATS,
    success: {
      status: 200,
      description: 'One page of the statement (at most limit lines over all accounts, in ledger order); dates are effective dates, both inclusive',
      schema: LineStatement,
    },
    handler: async ({ db, actor, params, query, format, now }) => {
      const line = await creditLineVisibleTo(db, actor.organisationId, params.lineId);
      if (format !== 'json') {
        if (query.cursor !== undefined) throw new ValidationError('query.cursor', `pages the JSON statement only; a ${format.toUpperCase()} statement is the whole period: leave cursor out`);
        const whole = await periodStatement(db, { accountSetId: line.id, from: query.from, to: query.to });
        const fileName = `statement-${line.id}-${query.from}-${query.to}.${format}`;
        const changes = await termsChangesInPeriod(db, line.id, query);
        const { bills } = await billsOfLine(db, line.id, line.terms.currency);
        if (format === 'csv') return new RenderedBody(STATEMENT_CSV_MEDIA_TYPE, statementCsv(line.id, whole, changes, bills), fileName);
        const parties = { lineId: line.id, currency: line.terms.currency, ...(await statementPartyNames(db, line)) };
        return new RenderedBody(STATEMENT_PDF_MEDIA_TYPE, await statementPdf(parties, whole, now, changes, bills), fileName);
      }
      const after = positionOf(query.cursor, query);
      const found = await statement(db, { accountSetId: line.id, from: query.from, to: query.to, after, limit: query.limit });
      const { bills } = await billsOfLine(db, line.id, line.terms.currency);
      return statementView(line.id, found, await termsChangesInPeriod(db, line.id, query), bills);
    },
  }),
];
