/**
 * A line's statement as CSV (RFC 4180): a header row, then per account (in
 * code order) an OPENING row, one ENTRY row per statement line with its
 * running balance, and a CLOSING row. Records end in CRLF; a field holding a
 * comma, a double quote, CR or LF is quoted, its quotes doubled. Amounts are
 * the JSON statement's decimal strings at the currency's scale, unformatted.
 * After the accounts, one TERMS_CHANGE row per terms version that came into
 * force in the period (the JSON's termsChanges), its description saying what changed, and one INTEREST_BILL
 * row per interest bill written in the period (the JSON's interestBills): billed on effective_date, the amount
 * as debit, what of it is unpaid today as balance.
 */
import type { Statement } from '../../prisma/ledger/store';
import type { TermsChange } from '../../prisma/credit-lines/terms-versions';
import type { InterestBillRecord } from '../../prisma/credit-lines/interest-billing';

export const STATEMENT_CSV_MEDIA_TYPE = 'text/csv; charset=utf-8; header=present';

export const STATEMENT_CSV_COLUMNS = [
  'line_id',
  'account_code',
  'account_name',
  'normal_balance',
  'currency',
  'row_type',
  'effective_date',
  'recorded_at',
  'entry_id',
  'line_no',
  'description',
  'reverses_entry_id',
  'debit',
  'credit',
  'balance',
] as const;

type Row = Record<(typeof STATEMENT_CSV_COLUMNS)[number], string>;

const NEEDS_QUOTES = /[",\r\n]/;
// A spreadsheet runs a cell starting with one of these as a formula (CSV injection): text fields get a
// leading apostrophe. Never applied to amounts, dates or ids, which the service writes itself.
const FORMULA_START = /^[=+\-@\t\r]/;

function field(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function text(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function statementCsv(lineId: string, found: Statement, termsChanges: readonly TermsChange[] = [], bills: readonly InterestBillRecord[] = []): string {
  const rows: Row[] = [];
  for (const account of found.accounts) {
    const base = { line_id: lineId, account_code: account.code, account_name: text(account.name), normal_balance: account.normalBalance, currency: account.currency };
    const none = { recorded_at: '', entry_id: '', line_no: '', description: '', reverses_entry_id: '', debit: '', credit: '' };
    rows.push({ ...base, ...none, row_type: 'OPENING', effective_date: found.from, balance: account.openingBalance.toJSON().amount });
    for (const line of account.lines) {
      rows.push({
        ...base,
        row_type: 'ENTRY',
        effective_date: line.effectiveDate,
        recorded_at: line.recordedAt.toISOString(),
        entry_id: line.entryId,
        line_no: String(line.lineNo),
        description: text(line.description),
        reverses_entry_id: line.reversesEntryId ?? '',
        debit: line.debit?.toJSON().amount ?? '',
        credit: line.credit?.toJSON().amount ?? '',
        balance: line.runningBalance.toJSON().amount,
      });
    }
    rows.push({ ...base, ...none, row_type: 'CLOSING', effective_date: found.to, balance: account.closingBalance.toJSON().amount });
  }
  for (const change of termsChanges) {
    rows.push({
      line_id: lineId, account_code: '', account_name: '', normal_balance: '', currency: '', row_type: 'TERMS_CHANGE',
      effective_date: change.effectiveFrom, recorded_at: '', entry_id: '', line_no: String(change.versionNo),
      description: text(change.description), reverses_entry_id: '', debit: '', credit: '', balance: '',
    });
  }
  for (const bill of bills.filter((b) => b.billedOn >= found.from && b.billedOn <= found.to)) {
    rows.push({
      line_id: lineId, account_code: '', account_name: '', normal_balance: '', currency: bill.amount.currency, row_type: 'INTEREST_BILL',
      effective_date: bill.billedOn, recorded_at: '', entry_id: '', line_no: '',
      description: `interest of ${bill.periodFrom} to ${bill.periodTo}, due ${bill.dueDate}; paid ${bill.paid.toFixedString()}`, reverses_entry_id: '',
      debit: bill.amount.toFixedString(), credit: '', balance: bill.unpaid.toFixedString(),
    });
  }
  const records = [STATEMENT_CSV_COLUMNS.join(','), ...rows.map((row) => STATEMENT_CSV_COLUMNS.map((column) => field(row[column])).join(','))];
  return records.map((record) => `${record}\r\n`).join('');
}
