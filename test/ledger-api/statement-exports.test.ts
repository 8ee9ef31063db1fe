/**
 * A line's statement as CSV and PDF carries exactly the JSON statement's
 * figures, for a line with a real history made through the API and the
 * workflows (offline harness, real activities): a draw disbursed with its fee,
 * a day accrued, a sale paid through the waterfall, a direct repayment, and
 * the next day's accrual restating the first (the payments were dated into it).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { accrueLineDay } from '../../prisma/accrual/store';
import { periodStatement } from '../../prisma/ledger/store';
import { pdfText } from '../../api/ledger/statement-pdf';
import { createTestApi, type TestApi, type TestOrganisation, type TestUser } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { drawLine, usd, type DrawLine } from '../draws/factories';

let api: TestApi;
let temporal: HarnessTemporal;
let line: DrawLine;
let buyer: TestOrganisation;
let warehouseAdmin: TestUser;

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const today = isoDay(Date.now());
const tomorrow = isoDay(Date.now() + DAY_MS);
const startOfDay = (day: string, plusDays: number) => new Date(Date.parse(`${day}T00:00:00Z`) + plusDays * DAY_MS);

interface JsonLine {
  entryId: string;
  effectiveDate: string;
  recordedAt: string;
  description: string;
  reversesEntryId: string | null;
  lineNo: number;
  side: 'DEBIT' | 'CREDIT';
  debit: { amount: string; currency: string } | null;
  credit: { amount: string; currency: string } | null;
  runningBalance: { amount: string; currency: string };
}
interface JsonAccount {
  code: string;
  name: string;
  normalBalance: 'DEBIT' | 'CREDIT';
  openingBalance: { amount: string; currency: string };
  lines: JsonLine[];
  closingBalance: { amount: string; currency: string };
}

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => (temporal = new HarnessTemporal({ databaseUrl })), poolMax: 10 });
  line = await drawLine(api);
  buyer = await api.counterpart(line.world.lender, 'BUYER');
  warehouseAdmin = line.world.warehouse.admin;

  // 800.00 is approved automatically and disbursed with the line's 25.00 fee per draw.
  const draw = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('800.00'), purpose: 'harvest wages' }).expect(201);
  await temporal.handle(draw.body.workflowId).settled();
  expect((await api.db.prisma.draw.findUniqueOrThrow({ where: { id: draw.body.id } })).status).toBe('DISBURSED');

  // Today is accrued as if it were over: 800.00 × 0.12 ÷ 360 = 0.2666… → 0.27.
  await accrueLineDay(api.db.prisma, line.lineId, today, { now: startOfDay(today, 1) });

  const sale = await api
    .post(line.world.seller.admin, `/credit-lines/${line.lineId}/sales`, {
      buyerOrganisationId: buyer.organisationId,
      items: [{ lotId: line.lotId, quantity: { amount: '2000', unit: 'kg' } }],
      totalPrice: { amount: '7000.00', currency: 'USD' },
      paymentDueDate: isoDay(Date.now() + 10 * DAY_MS),
    })
    .expect(201);
  await temporal.settled();
  // The buyer's first 500.00: fees 25.00, interest 0.27, principal 500.00 − 25.00 − 0.27 = 474.73.
  const paid = await api.post(line.world.lender.admin, `/sales/${sale.body.id}/payments`, { amount: { amount: '500.00', currency: 'USD' }, receivedOn: today }).expect(201);
  await temporal.settled();
  expect(paid.body.allocation).toEqual({ fees: { amount: '25.00', currency: 'USD' }, interest: { amount: '0.27', currency: 'USD' }, principal: { amount: '474.73', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } });
  const repaid = await api.post(line.world.lender.admin, `/credit-lines/${line.lineId}/repayments`, { amount: { amount: '100.00', currency: 'USD' }, receivedOn: today }).expect(201);
  expect(repaid.body.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '0.00', currency: 'USD' }, principal: { amount: '100.00', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } });

  // Tomorrow's accrual also restates today, whose principal the payments dated today changed.
  await accrueLineDay(api.db.prisma, line.lineId, tomorrow, { now: startOfDay(tomorrow, 1) });
}, 120_000);
afterAll(() => api.close());

function statementPath(from: string, to: string, extra = ''): string {
  return `/credit-lines/${line.lineId}/statement?from=${from}&to=${to}${extra}`;
}

/** The JSON statement of the period, its pages (of `pageSize` lines) joined: per account the first opening, every line, the last closing. */
async function jsonStatement(from: string, to: string, pageSize: number): Promise<JsonAccount[]> {
  let accounts: JsonAccount[] | null = null;
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: request.Response = await api.get(line.world.lender.admin, statementPath(from, to, `&limit=${pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).expect(200);
    const page = res.body.accounts as JsonAccount[];
    if (!accounts) accounts = page.map((account) => ({ ...account, lines: [...account.lines] }));
    else
      accounts.forEach((account, index) => {
        account.lines.push(...page[index].lines);
        account.closingBalance = page[index].closingBalance;
      });
    cursor = res.body.nextCursor;
    pages += 1;
  } while (cursor);
  expect(pages).toBeGreaterThan(1);
  return accounts!;
}

/** RFC 4180 records: fields split on commas outside quotes, "" inside quotes is one quote, records end in CRLF. */
function parseCsv(text: string): string[][] {
  expect(text.endsWith('\r\n')).toBe(true);
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      fields.push(field);
      records.push(fields);
      fields = [];
      field = '';
      i += 1;
    } else {
      expect(char).not.toBe('\n');
      field += char;
    }
  }
  return records;
}

/** The rows the CSV must hold for the JSON statement, column by column. */
function expectedCsvRows(accounts: JsonAccount[], from: string, to: string): string[][] {
  return accounts.flatMap((account) => {
    const base = [line.lineId, account.code, account.name, account.normalBalance, account.openingBalance.currency];
    return [
      [...base, 'OPENING', from, '', '', '', '', '', '', '', account.openingBalance.amount],
      ...account.lines.map((posted) => [
        ...base,
        'ENTRY',
        posted.effectiveDate,
        posted.recordedAt,
        posted.entryId,
        String(posted.lineNo),
        posted.description,
        posted.reversesEntryId ?? '',
        posted.debit?.amount ?? '',
        posted.credit?.amount ?? '',
        posted.runningBalance.amount,
      ]),
      [...base, 'CLOSING', to, '', '', '', '', '', '', '', account.closingBalance.amount],
    ];
  });
}

const binary = (res: request.Response, callback: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
};

function pdfItems(pdf: Buffer): { pages: string[][]; info: Record<string, unknown> } {
  const script = path.join(__dirname, '../support/pdf-text.mjs');
  return JSON.parse(execFileSync(process.execPath, [script], { input: pdf, maxBuffer: 64 * 1024 * 1024 }).toString('utf8'));
}

const AMOUNT = /^-?[0-9]+\.[0-9]{2}$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

describe('the statement of a line with a real history', () => {
  test('the JSON statement has the hand-computed principal history: 800.00 drawn, 474.73 and 100.00 repaid, 225.27 left', async () => {
    const accounts = await jsonStatement(today, tomorrow, 3);
    const principal = accounts.find((account) => account.code === 'LOAN_PRINCIPAL')!;
    expect(principal.openingBalance.amount).toBe('0.00');
    expect(principal.lines.map((posted) => [posted.debit?.amount ?? null, posted.credit?.amount ?? null, posted.runningBalance.amount])).toEqual([
      ['800.00', null, '800.00'],
      [null, '474.73', '325.27'],
      [null, '100.00', '225.27'],
    ]);
    expect(principal.closingBalance.amount).toBe('225.27');
    const fees = accounts.find((account) => account.code === 'FEES_RECEIVABLE')!;
    expect(fees.lines.map((posted) => posted.runningBalance.amount)).toEqual(['25.00', '0.00']);
    // Two accruals and a restatement: interest income has at least three lines.
    expect(accounts.find((account) => account.code === 'INTEREST_INCOME')!.lines.length).toBeGreaterThanOrEqual(3);
  });

  test.each([
    ['the two days', () => today, () => tomorrow],
    ['tomorrow alone (opening balances carried from today)', () => tomorrow, () => tomorrow],
  ])('CSV of %s: one row per line with its running balance, opening and closing per account, exactly the JSON (its pages joined)', async (_name, fromOf, toOf) => {
    const [from, to] = [fromOf(), toOf()];
    const accounts = await jsonStatement(from, to, 2);
    const res = await api.get(line.world.lender.admin, statementPath(from, to, '&format=csv')).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers['content-disposition']).toBe(`attachment; filename=statement-${line.lineId}-${from}-${to}.csv`);
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual([
      'line_id', 'account_code', 'account_name', 'normal_balance', 'currency', 'row_type', 'effective_date', 'recorded_at',
      'entry_id', 'line_no', 'description', 'reverses_entry_id', 'debit', 'credit', 'balance',
    ]);
    expect(rows).toEqual(expectedCsvRows(accounts, from, to));
    if (from === tomorrow) expect(rows.find((row) => row[1] === 'LOAN_PRINCIPAL' && row[5] === 'OPENING')![14]).toBe('225.27');
  });

  test('PDF: lender, seller, period, and per account the opening balance, every line with its running balance, the closing balance, exactly the JSON', async () => {
    const accounts = await jsonStatement(today, tomorrow, 4);
    const res = await api.get(line.world.seller.admin, statementPath(today, tomorrow)).set('Accept', 'application/pdf').buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers.vary).toMatch(/Accept/);
    const pdf = res.body as Buffer;
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const { pages, info } = pdfItems(pdf);
    const items = pages.flat();
    const names = await api.db.prisma.organisation.findMany({ where: { id: { in: [line.world.lender.organisationId, line.world.seller.organisationId] } } });
    const nameOf = (id: string) => names.find((row) => row.id === id)!.name;
    expect(items.slice(0, 5)).toEqual([
      'Statement of credit line',
      `Lender: ${nameOf(line.world.lender.organisationId)}`,
      `Seller: ${nameOf(line.world.seller.organisationId)}`,
      `Credit line: ${line.lineId} (USD)`,
      `Period: ${today} to ${tomorrow} (effective dates, both inclusive)`,
    ]);
    expect(info.Title).toBe(`Statement of credit line ${line.lineId}, ${today} to ${tomorrow}`);
    // Every figure, date and entry, in the JSON's order and nothing else of their shape.
    expect(items.filter((item) => AMOUNT.test(item))).toEqual(
      accounts.flatMap((account) => [
        account.openingBalance.amount,
        ...account.lines.flatMap((posted) => [(posted.debit ?? posted.credit)!.amount, posted.runningBalance.amount]),
        account.closingBalance.amount,
      ]),
    );
    expect(items.filter((item) => DATE.test(item))).toEqual(accounts.flatMap((account) => [today, ...account.lines.map((posted) => posted.effectiveDate), tomorrow]));
    // A description naming a sale (its id) may wrap just before the id, which is then a text item of its
    // own: how Helvetica's widths fall depends on the id's characters. Such ids are the descriptions'.
    const idsInDescriptions = new Set(accounts.flatMap((account) => account.lines.flatMap((posted) => posted.description.match(UUID_ANYWHERE) ?? [])));
    expect(items.filter((item) => UUID.test(item) && !idsInDescriptions.has(item))).toEqual(
      accounts.flatMap((account) => account.lines.map((posted) => posted.entryId)).filter((id) => !idsInDescriptions.has(id)),
    );
    for (const account of accounts) {
      expect(items).toContain(`${account.code} - ${account.name} (normal balance ${account.normalBalance}, USD)`);
    }
    // Descriptions may wrap over several text items (at a space or a hyphen); joined they are the JSON's text as Helvetica shows it.
    const squeezed = (value: string) => value.replace(/\s+/g, '');
    const text = squeezed(items.join(''));
    for (const posted of accounts.flatMap((account) => account.lines)) expect(text).toContain(squeezed(pdfText(posted.description)));
    expect(text).toContain(squeezed(`(${today} 800.00 USD -> 225.27 USD), -0.19 USD`));
  });
});

describe('choosing the representation', () => {
  test('?format= wins over Accept; Accept alone chooses; JSON without either', async () => {
    const viaFormat = await api.get(line.lenderViewer, statementPath(today, tomorrow, '&format=csv')).set('Accept', 'application/pdf').expect(200);
    expect(viaFormat.headers['content-type']).toMatch(/^text\/csv/);
    const viaAccept = await api.get(line.sellerViewer, statementPath(today, tomorrow)).set('Accept', 'text/csv').expect(200);
    expect(viaAccept.text).toBe(viaFormat.text);
    const json = await api.get(line.lenderViewer, statementPath(today, tomorrow)).expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    const jsonByFormat = await api.get(line.lenderViewer, statementPath(today, tomorrow, '&format=json')).set('Accept', 'text/csv').expect(200);
    expect(jsonByFormat.body).toEqual(json.body);
  });

  test('an unknown format or an Accept that offers nothing we have is 406 problem+json naming query.format or header.Accept', async () => {
    const format = await api.get(line.world.lender.admin, statementPath(today, tomorrow, '&format=xlsx')).expect(406);
    expect(format.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(format.body).toMatchObject({ status: 406, code: 'not_acceptable', errors: [{ path: 'query.format', reason: 'is "xlsx"; one of json, csv, pdf is offered' }] });
    const accept = await api.get(line.world.lender.admin, statementPath(today, tomorrow)).set('Accept', 'text/html').expect(406);
    expect(accept.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(accept.body.errors).toEqual([{ path: 'header.Accept', reason: 'is "text/html"; one of application/json, text/csv, application/pdf is offered (or ?format=json|csv|pdf)' }]);
  });

  test('a CSV or PDF is the whole period: a cursor is refused naming query.cursor', async () => {
    const res = await api.get(line.world.lender.admin, statementPath(today, tomorrow, '&format=pdf&cursor=abc')).expect(400);
    expect(res.body.errors).toEqual([{ path: 'query.cursor', reason: 'pages the JSON statement only; a PDF statement is the whole period: leave cursor out' }]);
  });
});

describe('bounds and access', () => {
  test('a whole-period statement covers at most 366 days: 367 is 400 naming query.to, 366 is answered', async () => {
    const from = isoDay(Date.now() - 365 * DAY_MS);
    await api.get(line.world.lender.admin, statementPath(from, today, '&format=csv')).expect(200);
    const longer = isoDay(Date.now() - 366 * DAY_MS);
    const res = await api.get(line.world.lender.admin, statementPath(longer, today, '&format=csv')).expect(400);
    expect(res.body.errors).toEqual([{ path: 'query.to', reason: `makes a period of 367 days (${longer} to ${today}); a whole-period statement covers at most 366 days: ask for shorter periods` }]);
    // The JSON pages any period.
    await api.get(line.world.lender.admin, statementPath(longer, today)).expect(200);
  });

  test('more lines than the bound is refused as statement_too_large, never cut; exactly the bound is whole', async () => {
    const { accounts } = await periodStatement(api.db.prisma, { accountSetId: line.lineId, from: today, to: tomorrow });
    const lineCount = accounts.reduce((sum, account) => sum + account.lines.length, 0);
    const whole = await periodStatement(api.db.prisma, { accountSetId: line.lineId, from: today, to: tomorrow }, lineCount);
    expect(whole.accounts.reduce((sum, account) => sum + account.lines.length, 0)).toBe(lineCount);
    await expect(periodStatement(api.db.prisma, { accountSetId: line.lineId, from: today, to: tomorrow }, lineCount - 1)).rejects.toMatchObject({ code: 'statement_too_large' });
  });

  test("only the line's lender and seller read it (VIEWERs too); the warehouse and the buyer get 404, no key 401", async () => {
    for (const reader of [line.lenderViewer, line.sellerViewer]) {
      await api.get(reader, statementPath(today, tomorrow, '&format=pdf')).buffer(true).parse(binary).expect(200);
    }
    for (const stranger of [warehouseAdmin, buyer.admin]) {
      for (const format of ['json', 'csv', 'pdf']) {
        const res = await api.get(stranger, statementPath(today, tomorrow, `&format=${format}`)).expect(404);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    }
    await request(api.app).get(statementPath(today, tomorrow, '&format=csv')).expect(401);
  });
});

describe('the OpenAPI document', () => {
  test('documents the statement as JSON, CSV and PDF, the format parameter, and 406', async () => {
    const res = await request(api.app).get('/openapi.json').expect(200);
    const operation = res.body.paths['/credit-lines/{lineId}/statement'].get;
    expect(Object.keys(operation.responses['200'].content)).toEqual(['application/json', 'text/csv', 'application/pdf']);
    expect(operation.responses['200'].content['application/pdf'].schema).toEqual({ type: 'string', format: 'binary' });
    expect(operation.responses['406'].content['application/problem+json']).toBeDefined();
    expect(operation.parameters.find((parameter: { name: string }) => parameter.name === 'format').schema.enum).toEqual(['json', 'csv', 'pdf']);
  });
});
