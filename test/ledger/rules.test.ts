import fc from 'fast-check';
import { Money } from '../../domain/money';
import {
  canonicalEntryContent,
  isIsoDate,
  reversalLines,
  runningBalances,
  signedMovement,
  validateEntryProposal,
  type EntryProposal,
} from '../../domain/ledger';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const usd = (amount: string) => Money.of(amount, 'USD');

const proposal: EntryProposal = {
  idempotencyKey: 'k-1',
  description: 'Draw',
  effectiveDate: '2026-01-10',
  metadata: { drawId: 'd-1', approvers: ['x', 'y'] },
  lines: [
    { accountId: A, side: 'DEBIT', amount: usd('100.00') },
    { accountId: B, side: 'CREDIT', amount: usd('100.00') },
  ],
};

describe('canonical entry content (what an idempotency key stands for)', () => {
  test('ignores line order, key order in metadata, trailing zeros, upper-case ids and the key itself', () => {
    const sameContent: EntryProposal = {
      ...proposal,
      idempotencyKey: 'another key',
      metadata: { approvers: ['x', 'y'], drawId: 'd-1' },
      lines: [
        { accountId: B.toUpperCase(), side: 'CREDIT', amount: usd('100') },
        { accountId: A, side: 'DEBIT', amount: usd('100.0') },
      ],
    };
    expect(canonicalEntryContent(sameContent)).toBe(canonicalEntryContent(proposal));
  });

  test('changes with any part of the content', () => {
    const base = canonicalEntryContent(proposal);
    const variants: EntryProposal[] = [
      { ...proposal, description: 'Draw ' },
      { ...proposal, effectiveDate: '2026-01-11' },
      { ...proposal, metadata: { drawId: 'd-2', approvers: ['x', 'y'] } },
      { ...proposal, metadata: { drawId: 'd-1', approvers: ['y', 'x'] } },
      { ...proposal, accountSetId: A },
      { ...proposal, reversesEntryId: B },
      { ...proposal, lines: [{ ...proposal.lines[0], amount: usd('100.01') }, { ...proposal.lines[1], amount: usd('100.01') }] },
      { ...proposal, lines: [{ ...proposal.lines[0], side: 'CREDIT' }, { ...proposal.lines[1], side: 'DEBIT' }] },
    ];
    for (const variant of variants) expect(canonicalEntryContent(variant)).not.toBe(base);
  });
});

test('a line on the normal side raises the balance, on the other side lowers it', () => {
  expect(signedMovement('DEBIT', 'DEBIT', usd('5.00')).toFixedString()).toBe('5.00');
  expect(signedMovement('DEBIT', 'CREDIT', usd('5.00')).toFixedString()).toBe('-5.00');
  expect(signedMovement('CREDIT', 'CREDIT', usd('5.00')).toFixedString()).toBe('5.00');
  expect(signedMovement('CREDIT', 'DEBIT', usd('5.00')).toFixedString()).toBe('-5.00');
  expect(runningBalances(usd('10.00'), 'CREDIT', [
    { side: 'CREDIT', amount: usd('2.50') },
    { side: 'DEBIT', amount: usd('20.00') },
  ]).map((m) => m.toFixedString())).toEqual(['12.50', '-7.50']);
});

test('an entry and its reversal together move no account (property)', () => {
  const lineArb = fc.record({
    accountId: fc.constantFrom(A, B),
    side: fc.constantFrom('DEBIT' as const, 'CREDIT' as const),
    cents: fc.integer({ min: 1, max: 1_000_000 }),
  });
  fc.assert(
    fc.property(fc.array(lineArb, { minLength: 1, maxLength: 6 }), (generated) => {
      const lines = generated.map((l) => ({ accountId: l.accountId, side: l.side, amount: usd((l.cents / 100).toFixed(2)) }));
      const both = [...lines, ...reversalLines(lines)];
      for (const accountId of [A, B]) {
        const net = both
          .filter((l) => l.accountId === accountId)
          .reduce((sum, l) => sum.plus(signedMovement('DEBIT', l.side, l.amount)), Money.zero('USD'));
        expect(net.isZero()).toBe(true);
      }
    }),
    { numRuns: 200 },
  );
});

test('amounts beyond the 20 integer digits the ledger stores are refused', () => {
  const huge = usd('100000000000000000000.00');
  expect(() => validateEntryProposal({ ...proposal, lines: [{ ...proposal.lines[0], amount: huge }, { ...proposal.lines[1], amount: huge }] })).toThrow(
    'has 21 integer digits; at most 20 fit the ledger',
  );
});

test('effective dates are real calendar dates', () => {
  expect(['2026-01-31', '2028-02-29'].map(isIsoDate)).toEqual([true, true]);
  expect(['2026-02-29', '2026-13-01', '2026-1-05', '20260105', '2026-01-05T00:00:00Z'].map(isIsoDate)).toEqual([false, false, false, false, false]);
});
