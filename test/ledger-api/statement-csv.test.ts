import fc from 'fast-check';
import { Money } from '../../domain/money';
import { statementCsv } from '../../api/ledger/statement-csv';
import type { Statement } from '../../prisma/ledger/store';

const usd = (amount: string) => Money.of(amount, 'USD');

function statementWith(description: string, accountName = 'Loan principal outstanding'): Statement {
  return {
    accountSetId: '00000000-0000-4000-8000-000000000001',
    from: '2026-11-01',
    to: '2026-11-30',
    next: null,
    accounts: [
      {
        accountId: '00000000-0000-4000-8000-000000000002',
        code: 'LOAN_PRINCIPAL',
        name: accountName,
        normalBalance: 'DEBIT',
        currency: 'USD',
        openingBalance: usd('100.00'),
        lines: [
          {
            entryId: '00000000-0000-4000-8000-000000000003',
            effectiveDate: '2026-11-02',
            recordedAt: new Date('2026-11-02T09:30:00.123Z'),
            description,
            reversesEntryId: null,
            lineNo: 1,
            side: 'CREDIT',
            debit: null,
            credit: usd('40.00'),
            runningBalance: usd('60.00'),
          },
        ],
        closingBalance: usd('60.00'),
      },
    ],
  };
}

const HEADER = 'line_id,account_code,account_name,normal_balance,currency,row_type,effective_date,recorded_at,entry_id,line_no,description,reverses_entry_id,debit,credit,balance';
const LINE = '00000000-0000-4000-8000-0000000000aa';

describe('statement CSV (RFC 4180)', () => {
  test('header row, opening, one row per line with its running balance, closing; every record ends in CRLF', () => {
    expect(statementCsv(LINE, statementWith('Repayment')).split('\r\n')).toEqual([
      HEADER,
      `${LINE},LOAN_PRINCIPAL,Loan principal outstanding,DEBIT,USD,OPENING,2026-11-01,,,,,,,,100.00`,
      `${LINE},LOAN_PRINCIPAL,Loan principal outstanding,DEBIT,USD,ENTRY,2026-11-02,2026-11-02T09:30:00.123Z,00000000-0000-4000-8000-000000000003,1,Repayment,,,40.00,60.00`,
      `${LINE},LOAN_PRINCIPAL,Loan principal outstanding,DEBIT,USD,CLOSING,2026-11-30,,,,,,,,60.00`,
      '',
    ]);
  });

  test('a field with a comma, a quote, CR or LF is quoted and its quotes doubled', () => {
    const csv = statementCsv(LINE, statementWith('Payment, "first"\r\npart'));
    expect(csv.split('\r\n')[2]).toBe(`${LINE},LOAN_PRINCIPAL,Loan principal outstanding,DEBIT,USD,ENTRY,2026-11-02,2026-11-02T09:30:00.123Z,00000000-0000-4000-8000-000000000003,1,"Payment, ""first""`);
  });

  test('text a spreadsheet would run as a formula starts with an apostrophe; amounts never do', () => {
    const csv = statementCsv(LINE, statementWith('=HYPERLINK("x")', '+name'));
    expect(csv).toContain(`,'+name,DEBIT,`);
    expect(csv).toContain(`,"'=HYPERLINK(""x"")",,,40.00,60.00\r\n`);
  });

  test('property: any description reads back exactly (after the formula guard) from its quoted field', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ',', '"', '\r', '\n', ' ', 'é', '=') }), (description) => {
        const record = statementCsv(LINE, statementWith(description)).split(HEADER + '\r\n')[1];
        const guarded = /^[=+\-@\t\r]/.test(description) ? `'${description}` : description;
        const quoted = /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
        expect(record).toContain(`,1,${quoted},,,40.00,60.00\r\n`);
      }),
    );
  });
});
