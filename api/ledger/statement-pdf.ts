/**
 * A line's statement as PDF (pdfkit): lender, seller, line and period, then
 * per account (in code order) its opening balance, every statement line
 * (effective date, entry and line number, description, debit, credit,
 * running balance) and its closing balance. Figures are the JSON statement's decimal strings,
 * unformatted, so that they can be matched to the JSON and the CSV.
 *
 * The text is set in Helvetica, one of the PDF standard fonts, which encodes
 * Windows-1252 only: the minus sign is shown as "-", an arrow as "->", any
 * other character outside it as "?" (the JSON and CSV statements carry the
 * text exactly).
 */
import PDFDocument from 'pdfkit';
import type { InterestBillRecord } from '../../prisma/credit-lines/interest-billing';
import type { TermsChange } from '../../prisma/credit-lines/terms-versions';
import type { Statement } from '../../prisma/ledger/store';

export const STATEMENT_PDF_MEDIA_TYPE = 'application/pdf';

export interface StatementParties {
  lineId: string;
  lenderName: string;
  sellerName: string;
  currency: string;
}

// Landscape A4 in points, 36 pt (half an inch) margins: 770 pt of width for the columns.
const MARGIN = 36;
const FONT_SIZE = 8;
const COLUMNS = [
  { key: 'date', title: 'Effective date', width: 62, align: 'left' },
  { key: 'entry', title: 'Entry', width: 168, align: 'left' },
  { key: 'lineNo', title: 'No.', width: 20, align: 'right' },
  { key: 'description', title: 'Description', width: 224, align: 'left' },
  { key: 'debit', title: 'Debit', width: 96, align: 'right' },
  { key: 'credit', title: 'Credit', width: 96, align: 'right' },
  { key: 'balance', title: 'Balance', width: 104, align: 'right' },
] as const;
const CELL_GAP = 4;

type Cells = Partial<Record<(typeof COLUMNS)[number]['key'], string>>;

// Windows-1252 beyond Latin-1's printable range: the characters Helvetica can show besides ASCII and U+00A0–U+00FF.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/** What Helvetica can show: the minus sign becomes a hyphen, an arrow "->", anything else outside Windows-1252 a "?". */
export function pdfText(value: string): string {
  return Array.from(value.replaceAll('\u2212', '-').replaceAll('\u2192', '->'), (char) => {
    const code = char.codePointAt(0)!;
    return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(char) ? char : '?';
  }).join('');
}

export async function statementPdf(
  parties: StatementParties,
  found: Statement,
  generatedAt: Date,
  termsChanges: readonly TermsChange[] = [],
  bills: readonly InterestBillRecord[] = [],
): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: MARGIN,
    info: { Title: `Statement of credit line ${parties.lineId}, ${found.from} to ${found.to}`, Author: 'Godown', CreationDate: generatedAt },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const bottom = () => doc.page.height - MARGIN;
  let y = MARGIN;
  const line = (value: string, size = FONT_SIZE, bold = false) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(size);
    const shown = pdfText(value);
    const height = doc.heightOfString(shown, { width: doc.page.width - 2 * MARGIN });
    if (y + height > bottom()) {
      doc.addPage();
      y = MARGIN;
    }
    doc.text(shown, MARGIN, y, { width: doc.page.width - 2 * MARGIN });
    y += height + 2;
  };
  const row = (cells: Cells, bold = false) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(FONT_SIZE);
    const shown = COLUMNS.map((column) => pdfText(cells[column.key] ?? ''));
    const height = Math.max(...COLUMNS.map((column, index) => (shown[index] ? doc.heightOfString(shown[index], { width: column.width - CELL_GAP }) : 0)), FONT_SIZE);
    if (y + height > bottom()) {
      doc.addPage();
      y = MARGIN;
    }
    let x = MARGIN;
    COLUMNS.forEach((column, index) => {
      if (shown[index]) doc.text(shown[index], x, y, { width: column.width - CELL_GAP, align: column.align });
      x += column.width;
    });
    y += height + 3;
  };

  line('Statement of credit line', 14, true);
  line(`Lender: ${parties.lenderName}`, 10);
  line(`Seller: ${parties.sellerName}`, 10);
  line(`Credit line: ${parties.lineId} (${parties.currency})`, 10);
  line(`Period: ${found.from} to ${found.to} (effective dates, both inclusive)`, 10);
  line(`Generated: ${generatedAt.toISOString()}. Balances are in each account's normal-balance terms.`);
  for (const account of found.accounts) {
    y += 8;
    line(`${account.code} - ${account.name} (normal balance ${account.normalBalance}, ${account.currency})`, 10, true);
    row(Object.fromEntries(COLUMNS.map((column) => [column.key, column.title])), true);
    row({ date: found.from, description: 'Opening balance', balance: account.openingBalance.toJSON().amount }, true);
    for (const posted of account.lines) {
      row({
        date: posted.effectiveDate,
        entry: posted.entryId,
        lineNo: String(posted.lineNo),
        description: posted.reversesEntryId ? `${posted.description} (reverses ${posted.reversesEntryId})` : posted.description,
        debit: posted.debit?.toJSON().amount,
        credit: posted.credit?.toJSON().amount,
        balance: posted.runningBalance.toJSON().amount,
      });
    }
    row({ date: found.to, description: 'Closing balance', balance: account.closingBalance.toJSON().amount }, true);
  }
  if (termsChanges.length > 0) {
    y += 8;
    line('Terms changes in the period', 10, true);
    for (const change of termsChanges) line(change.description);
  }
  // The interest bills written in the period (the JSON's interestBills, the CSV's INTEREST_BILL rows).
  const billed = bills.filter((bill) => bill.billedOn >= found.from && bill.billedOn <= found.to);
  if (billed.length > 0) {
    y += 8;
    line('Interest bills in the period', 10, true);
    for (const bill of billed) {
      line(
        `Billed ${bill.billedOn}: interest of ${bill.periodFrom} to ${bill.periodTo}, ${bill.amount.toFixedString()} ${bill.amount.currency}, due ${bill.dueDate}; ` +
          `paid ${bill.paid.toFixedString()}, unpaid ${bill.unpaid.toFixedString()}`,
      );
    }
  }
  doc.end();
  return finished;
}
