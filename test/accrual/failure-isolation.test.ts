import request from 'supertest';
import { accrualsOfLine, accrueDate, accrueLineDay, accrueLines } from '../../prisma/accrual/store';
import { reverseEntry } from '../../prisma/ledger/store';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';
import { CLOCK, draw, openLine, repay, type AccruingLine } from './factories';

/**
 * A poisoned line among healthy ones: its repayment of 10 000.00 is dated 1 Nov, before its
 * 36 000.00 was drawn on 3 Nov, so its principal on 1 and 2 Nov is −10 000.00 and no interest
 * can be computed for those days. The healthy lines (36 000.00 each at 12 % ACT/360: 12.00 a
 * day) must accrue all the same, in every path; the poisoned one is recorded, shown on the line,
 * counted in /metrics and told to the lender, and accrues once the bad repayment is reversed.
 */
let api: TestApi;
let lender: TestOrganisation;
let parties: { lenderOrganisationId: string; sellerOrganisationId: string };

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER');
  const seller = await api.organisation('SELLER');
  parties = { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId };
});
afterAll(() => api.close());

async function healthyLine(): Promise<AccruingLine> {
  const line = await openLine(api.db.prisma, parties, { openedOn: '2026-11-01' });
  await draw(api.db.prisma, line, '2026-11-01', '36000.00');
  return line;
}

async function poisonedLine(): Promise<{ line: AccruingLine; badRepaymentId: string }> {
  const line = await openLine(api.db.prisma, parties, { openedOn: '2026-11-01' });
  await draw(api.db.prisma, line, '2026-11-03', '36000.00');
  const badRepayment = await repay(api.db.prisma, line, '2026-11-01', '10000.00');
  return { line, badRepaymentId: badRepayment.id };
}

async function interestPosted(line: AccruingLine): Promise<string[]> {
  return (await accrualsOfLine(api.db.prisma, line.id, { from: '2026-11-01', to: '2026-11-30' })).map((day) => `${day.accrualDate} ${day.postedInterest.toFixedString()}`);
}

async function failingLinesMetric(): Promise<string | undefined> {
  const res = await request(api.app).get('/metrics').expect(200);
  return /^godown_accrual_failing_lines (\S+)$/m.exec(res.text)?.[1];
}

test('a poisoned line in a batch: the healthy lines accrue, the poisoned one is recorded, shown, counted and told, and accrues once fixed', async () => {
  const healthy = [await healthyLine(), await healthyLine()];
  const { line: poisoned, badRepaymentId } = await poisonedLine();
  const before = Number(await failingLinesMetric());

  const counts = await accrueLines(api.db.prisma, '2026-11-02', [healthy[0].id, poisoned.id, healthy[1].id], { now: new Date('2026-11-03T00:30:00Z') });
  expect(counts).toMatchObject({ accrualDate: '2026-11-02', linesAccrued: 2, linesAlreadyAccrued: 0, daysCaughtUp: 2, postedByCurrency: { USD: '48.00' }, linesFailed: 1 });
  expect(counts.failures).toEqual([{ lineId: poisoned.id, reason: expect.stringMatching(/outstanding principal is not negative; got -10\s?000\.00 USD/) }]);
  for (const line of healthy) expect(await interestPosted(line)).toEqual(['2026-11-01 12.00', '2026-11-02 12.00']);
  expect(await interestPosted(poisoned)).toEqual([]);

  // Shown on the line, to its lender.
  const shown = await api.get(lender.admin, `/credit-lines/${poisoned.id}`).expect(200);
  expect(shown.body.accrual).toEqual({
    lastAccruedDate: null,
    failure: {
      accrualDate: '2026-11-02',
      reason: counts.failures[0].reason,
      since: '2026-11-03T00:30:00.000Z',
      lastAttemptAt: '2026-11-03T00:30:00.000Z',
      attempts: 1,
    },
  });
  expect((await api.get(lender.admin, `/credit-lines/${healthy[0].id}`).expect(200)).body.accrual).toEqual({ lastAccruedDate: '2026-11-02', failure: null });
  // Counted in /metrics.
  expect(Number(await failingLinesMetric())).toBe(before + 1);
  // Told to the lender, once.
  const told = await api.get(lender.admin, '/notifications').expect(200);
  const aboutPoisoned = (told.body.items as { kind: string; subjectId: string; message: string }[]).filter((n) => n.subjectId === poisoned.id);
  expect(aboutPoisoned).toEqual([expect.objectContaining({ kind: 'accrual_failed', message: expect.stringContaining(`could not be accrued for 2026-11-02`) })]);

  // Retried by the next run (the nightly one for 3 Nov): still failing, one more attempt, still one notification.
  const next = await accrueDate(api.db.prisma, '2026-11-03', { batchSize: 2, now: new Date('2026-11-04T00:30:00Z') });
  expect(next.failures.map((failure) => failure.lineId)).toContain(poisoned.id);
  for (const line of healthy) expect(await interestPosted(line)).toEqual(['2026-11-01 12.00', '2026-11-02 12.00', '2026-11-03 12.00']);
  const retried = (await api.get(lender.admin, `/credit-lines/${poisoned.id}`).expect(200)).body.accrual.failure;
  expect(retried).toMatchObject({ accrualDate: '2026-11-03', since: '2026-11-03T00:30:00.000Z', lastAttemptAt: '2026-11-04T00:30:00.000Z', attempts: 2 });
  const toldAgain = await api.get(lender.admin, '/notifications').expect(200);
  expect((toldAgain.body.items as { subjectId: string }[]).filter((n) => n.subjectId === poisoned.id)).toHaveLength(1);

  // Fixed: the repayment that predates the money is reversed (effective the same day). The next run accrues it,
  // from its opening: 0.00 on 1 and 2 Nov (no principal), 12.00 on 3 Nov; and the failure is gone.
  await reverseEntry(api.db.prisma, { entryId: badRepaymentId, idempotencyKey: `reverse:${badRepaymentId}`, effectiveDate: '2026-11-01', reason: 'repayment dated before the draw' });
  await accrueLines(api.db.prisma, '2026-11-03', [poisoned.id], { now: new Date('2026-11-05T00:30:00Z') });
  expect(await interestPosted(poisoned)).toEqual(['2026-11-01 0.00', '2026-11-02 0.00', '2026-11-03 12.00']);
  expect((await api.get(lender.admin, `/credit-lines/${poisoned.id}`).expect(200)).body.accrual).toEqual({ lastAccruedDate: '2026-11-03', failure: null });
  expect(Number(await failingLinesMetric())).toBe(before);
});

test('one line at a time: the failure is recorded and thrown, and cleared when the line accrues', async () => {
  const { line, badRepaymentId } = await poisonedLine();
  const now = { now: new Date('2026-11-03T12:00:00Z') };
  await expect(accrueLineDay(api.db.prisma, line.id, '2026-11-01', now)).rejects.toMatchObject({ name: 'InvariantViolation' });
  expect((await api.get(lender.admin, `/credit-lines/${line.id}`).expect(200)).body.accrual.failure).toMatchObject({ accrualDate: '2026-11-01', attempts: 1 });
  await reverseEntry(api.db.prisma, { entryId: badRepaymentId, idempotencyKey: `reverse:${badRepaymentId}`, effectiveDate: '2026-11-01', reason: 'repayment dated before the draw' });
  await accrueLineDay(api.db.prisma, line.id, '2026-11-01', now);
  expect((await api.get(lender.admin, `/credit-lines/${line.id}`).expect(200)).body.accrual).toEqual({ lastAccruedDate: '2026-11-01', failure: null });
});

test('accrual refuses today and later, in every entry point of the store, naming the date', async () => {
  const line = await healthyLine();
  const now = { now: new Date('2026-11-05T10:00:00Z') };
  const refusal = { name: 'ValidationError', field: 'date', reason: expect.stringContaining('at the latest 2026-11-04, the day before today (2026-11-05)') };
  await expect(accrueLineDay(api.db.prisma, line.id, '2026-11-05', now)).rejects.toMatchObject(refusal);
  await expect(accrueLines(api.db.prisma, '2026-11-06', [line.id], now)).rejects.toMatchObject(refusal);
  await expect(accrueDate(api.db.prisma, '2026-11-05', now)).rejects.toMatchObject(refusal);
  expect(await interestPosted(line)).toEqual([]);
  await accrueLineDay(api.db.prisma, line.id, '2026-11-04', CLOCK);
  expect(await interestPosted(line)).toHaveLength(4);
});
