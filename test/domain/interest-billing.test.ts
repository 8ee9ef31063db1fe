/**
 * Interest billing (domain/interest-billing.ts): billing days, bills of what was posted, worsenings, and bills
 * settled oldest first — by hand, and for any sequence of charges, bills and payments (fast-check).
 */
import fc from 'fast-check';
import {
  allocateBillPayments,
  billsDue,
  billsWithPayments,
  interestBillingProblems,
  interestBillingWorsenings,
  isBillingDay,
  unpaidBilledInterest,
  type InterestBilling,
} from '../../domain/interest-billing';
import { lineDelinquency, NO_DELINQUENCY_TERMS } from '../../domain/delinquency';
import { Money } from '../../domain/money';

const usd = (amount: string | number) => Money.of(String(amount), 'USD');

describe('billing terms', () => {
  test('day of month 1..28 and due after 0..365 days, each refusal naming its field', () => {
    expect(interestBillingProblems({ dayOfMonth: 1, dueAfterDays: 0 })).toEqual([]);
    expect(interestBillingProblems({ dayOfMonth: 28, dueAfterDays: 365 })).toEqual([]);
    expect(interestBillingProblems({ dayOfMonth: 29, dueAfterDays: 366 }).map((p) => p.field)).toEqual(['dayOfMonth', 'dueAfterDays']);
    expect(interestBillingProblems({ dayOfMonth: 0, dueAfterDays: -1 }).map((p) => p.field)).toEqual(['dayOfMonth', 'dueAfterDays']);
    expect(interestBillingProblems({ dayOfMonth: 1.5, dueAfterDays: 10 }).map((p) => p.field)).toEqual(['dayOfMonth']);
  });

  test('billing added, a shorter time to pay or another day of the month is worse for the seller; removed or longer is not', () => {
    const billing = { dayOfMonth: 1, dueAfterDays: 10 };
    expect(interestBillingWorsenings(null, billing)).toEqual(['interestBilling']);
    expect(interestBillingWorsenings(billing, null)).toEqual([]);
    expect(interestBillingWorsenings(null, null)).toEqual([]);
    expect(interestBillingWorsenings(billing, { dayOfMonth: 1, dueAfterDays: 9 })).toEqual(['interestBilling.dueAfterDays']);
    expect(interestBillingWorsenings(billing, { dayOfMonth: 1, dueAfterDays: 11 })).toEqual([]);
    expect(interestBillingWorsenings(billing, { dayOfMonth: 15, dueAfterDays: 10 })).toEqual(['interestBilling.dayOfMonth']);
    expect(interestBillingWorsenings(billing, { dayOfMonth: 28, dueAfterDays: 5 })).toEqual(['interestBilling.dayOfMonth', 'interestBilling.dueAfterDays']);
  });
});

describe('bills due', () => {
  const posted = (perDay: Record<string, string>) => (from: string, to: string) =>
    Object.entries(perDay).reduce((sum, [day, amount]) => (day >= from && day <= to ? sum.plus(usd(amount)) : sum), usd(0));

  test('a billing day bills the days since the previous bill up to the day before, due dueAfterDays later', () => {
    const billing = { dayOfMonth: 1, dueAfterDays: 10 };
    expect(isBillingDay('2026-11-01', billing)).toBe(true);
    expect(isBillingDay('2026-11-02', billing)).toBe(false);
    expect(isBillingDay('2026-11-01', null)).toBe(false);
    const bills = billsDue({
      periodStart: '2026-10-15',
      firstCandidate: '2026-10-16',
      lastCandidate: '2026-12-01',
      billingOn: () => billing,
      postedFor: posted({ '2026-10-15': '10.00', '2026-10-31': '5.01', '2026-11-01': '7.00', '2026-11-30': '0.02' }),
    });
    expect(bills.map((b) => [b.billedOn, b.periodFrom, b.periodTo, b.dueDate, b.amount.toFixedString()])).toEqual([
      ['2026-11-01', '2026-10-15', '2026-10-31', '2026-11-11', '15.01'],
      ['2026-12-01', '2026-11-01', '2026-11-30', '2026-12-11', '7.02'],
    ]);
  });

  test('a period with nothing posted (or less) writes no bill: its days roll into the next; the terms of each day decide', () => {
    // Billing moves from day 1 to day 15 from 2026-11-10 on: 11-01 bills under the old terms, 12-01 is no billing day, 11-15 and 12-15 are.
    const billingOn = (date: string): InterestBilling => (date < '2026-11-10' ? { dayOfMonth: 1, dueAfterDays: 0 } : { dayOfMonth: 15, dueAfterDays: 30 });
    const bills = billsDue({
      periodStart: '2026-10-01',
      firstCandidate: '2026-10-02',
      lastCandidate: '2026-12-15',
      billingOn,
      postedFor: posted({ '2026-11-03': '4.00', '2026-11-05': '-4.00', '2026-11-20': '1.00', '2026-12-10': '2.50' }),
    });
    expect(bills.map((b) => [b.billedOn, b.periodFrom, b.periodTo, b.dueDate, b.amount.toFixedString()])).toEqual([['2026-12-15', '2026-10-01', '2026-12-14', '2027-01-14', '3.50']]);
  });
});

describe('bills settled oldest first', () => {
  test('by hand: 1 033.33 and 1 000.00 billed, 1 533.33 paid over time: the first bill paid, 466.67 of the second', () => {
    const bills = [
      { billedOn: '2026-11-01', dueDate: '2026-11-11', amount: usd('1033.33') },
      { billedOn: '2026-12-01', dueDate: '2026-12-11', amount: usd('1000.00') },
    ];
    const settled = allocateBillPayments(bills, usd('1500.00'));
    expect(settled.map((b) => [b.paid.toFixedString(), b.unpaid.toFixedString()])).toEqual([
      ['1033.33', '0.00'],
      ['466.67', '533.33'],
    ]);
    // Interest owed 1 000.00 of which 466.67 posted after the last bill: 533.33 of the bills unpaid, the newest.
    expect(unpaidBilledInterest({ billed: usd('2033.33'), interestOwed: usd('1000.00'), notBilled: usd('466.67') }).toFixedString()).toBe('533.33');
    expect(unpaidBilledInterest({ billed: usd('2033.33'), interestOwed: usd('400.00'), notBilled: usd('466.67') }).toFixedString()).toBe('0.00');
    expect(unpaidBilledInterest({ billed: usd('10.00'), interestOwed: usd('30.00'), notBilled: usd('-5.00') }).toFixedString()).toBe('10.00');
  });

  /** A reference model: every charge is an item (of a bill, or not billed yet); each payment clears the oldest items first. */
  type Step = { kind: 'charge'; cents: number } | { kind: 'bill' } | { kind: 'pay'; cents: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('charge' as const), cents: fc.integer({ min: 1, max: 100_000 }) }),
    fc.constant({ kind: 'bill' as const }),
    fc.record({ kind: fc.constant('pay' as const), cents: fc.integer({ min: 1, max: 150_000 }) }),
  );

  test('for any sequence of charges, bills and payments, each bill’s unpaid part is the FIFO allocation and never negative', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const items: { bill: number | null; left: number }[] = [];
        const billAmounts: number[] = [];
        let chargedSinceBill = 0;
        let owed = 0;
        for (const s of steps) {
          if (s.kind === 'charge') {
            items.push({ bill: null, left: s.cents });
            owed += s.cents;
            chargedSinceBill += s.cents;
          } else if (s.kind === 'bill') {
            // A bill is what was charged since the previous one, paid or not; nothing charged, no bill.
            if (chargedSinceBill === 0) continue;
            for (const item of items) if (item.bill === null) item.bill = billAmounts.length;
            billAmounts.push(chargedSinceBill);
            chargedSinceBill = 0;
          } else {
            // A payment pays what is owed at most (the rest goes elsewhere in the waterfall), the oldest charges first.
            let pay = Math.min(s.cents, owed);
            owed -= pay;
            for (const item of items) {
              const part = Math.min(item.left, pay);
              item.left -= part;
              pay -= part;
            }
          }
        }
        const cents = (n: number) => usd((n / 100).toFixed(2));
        const expectedUnpaid = billAmounts.map((_, index) => cents(items.filter((item) => item.bill === index).reduce((sum, item) => sum + item.left, 0)).toFixedString());
        const bills = billAmounts.map((amount, index) => ({ billedOn: `2026-${String(1 + Math.floor(index / 28)).padStart(2, '0')}-${String(1 + (index % 28)).padStart(2, '0')}`, dueDate: '2027-01-01', amount: cents(amount) }));
        const billed = bills.reduce((sum, bill) => sum.plus(bill.amount), usd(0));
        const settled = billsWithPayments(bills, unpaidBilledInterest({ billed, interestOwed: cents(owed), notBilled: cents(chargedSinceBill) }));
        expect(settled.map((bill) => bill.unpaid.toFixedString())).toEqual(expectedUnpaid);
        for (const bill of settled) {
          expect(bill.unpaid.isNegative() || bill.paid.isNegative()).toBe(false);
          expect(bill.paid.plus(bill.unpaid).toFixedString()).toBe(bill.amount.toFixedString());
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('days past due with bills', () => {
  const owed = (principal: string, interest: string) => ({ principal: usd(principal), interest: usd(interest), fees: usd(0) });

  test('before maturity an unpaid bill is past due from the day after its due date; principal is not overdue', () => {
    const input = {
      maturityDate: '2027-12-31',
      terms: { ...NO_DELINQUENCY_TERMS, gracePeriodDays: 3, defaultAfterDaysPastDue: 30 },
      owedAtMaturity: owed('0', '0'),
      chargedSinceMaturity: [],
      owedNow: owed('100000.00', '1500.00'),
      bills: [{ dueDate: '2026-11-11', unpaid: usd('1033.33') }],
    };
    expect(lineDelinquency({ ...input, today: '2026-11-11' })).toMatchObject({ daysPastDue: 0, bucket: 'CURRENT', amountDue: usd('1033.33'), oldestUnpaidDueDate: '2026-11-11' });
    expect(lineDelinquency({ ...input, today: '2026-11-14' })).toMatchObject({ daysPastDue: 3, overdue: false });
    expect(lineDelinquency({ ...input, today: '2026-11-15' })).toMatchObject({ daysPastDue: 4, overdue: true, overduePrincipal: usd(0), defaultDue: false });
    expect(lineDelinquency({ ...input, today: '2026-12-11' })).toMatchObject({ daysPastDue: 30, bucket: 'DPD_1_30', defaultDue: true });
  });

  test('after maturity the oldest of the bills and the maturity amount counts; principal overdue only past its own grace period', () => {
    const delinquency = lineDelinquency({
      today: '2027-01-03',
      maturityDate: '2027-01-01',
      terms: { ...NO_DELINQUENCY_TERMS, gracePeriodDays: 3 },
      owedAtMaturity: owed('100000.00', '500.00'),
      chargedSinceMaturity: [],
      owedNow: owed('100000.00', '500.00'),
      bills: [{ dueDate: '2026-12-11', unpaid: usd('400.00') }],
    });
    expect(delinquency).toMatchObject({ oldestUnpaidDueDate: '2026-12-11', daysPastDue: 23, overdue: true, overduePrincipal: usd(0), billedInterestUnpaid: usd('400.00'), amountDue: usd('100500.00') });
  });
});
