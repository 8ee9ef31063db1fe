/**
 * What worsens a seller's terms (domain/terms-amendment.ts), and who may do what with an amendment.
 */
import fc from 'fast-check';
import type { Decimal } from 'decimal.js';
import { decideAmendmentAction, decideProposal, effectiveFromProblem, statusAfterApproval, worsenings, type AmendableTerms } from '../../domain/terms-amendment';
import { D, Money } from '../../domain/money';

const d = (value: string) => new D(value);
const usd = (amount: string) => Money.of(amount, 'USD');
const W1 = '00000000-0000-4000-8000-000000000001';
const W2 = '00000000-0000-4000-8000-000000000002';
const SOFR = '00000000-0000-4000-8000-0000000000aa';

function base(overrides: Partial<AmendableTerms> = {}): AmendableTerms {
  return {
    currency: 'USD',
    limit: usd('100000.00'),
    defaultAdvanceRate: d('0.5'),
    advanceRatesByCommodity: { ONIONS: d('0.55') },
    haircut: d('0.10'),
    annualInterestRate: d('0.12'),
    floatingRate: null,
    dayCount: 'ACT_360',
    feeSchedule: { onSale: { kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: usd('0.0004'), unit: 'kg' }, perDraw: usd('25.00') },
    maxMarkAgeHours: 48,
    marginCallLtv: d('0.6'),
    liquidationLtv: d('0.8'),
    targetLtv: d('0.45'),
    curePeriodHours: 72,
    stockCountIntervalDays: 30,
    maturityDate: '2027-12-31',
    approvalThresholds: { autoApproveUpTo: usd('5000.00'), singleApproverUpTo: usd('25000.00') },
    approvalWindowHours: 48,
    waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
    approvedWarehouseIds: [W1],
    ...overrides,
  };
}

describe('worsenings: hand cases', () => {
  test('the same terms worsen nothing', () => {
    expect(worsenings(base(), base())).toEqual([]);
  });

  test('a limit cut and a higher rate are worse; a higher limit and a lower rate are not', () => {
    expect(worsenings(base(), base({ limit: usd('80000.00'), annualInterestRate: d('0.13') }))).toEqual(['limit', 'annualInterestRate']);
    expect(worsenings(base(), base({ limit: usd('120000.00'), annualInterestRate: d('0.11') }))).toEqual([]);
  });

  test("a commodity losing its own rate falls back to the default: worse when the default is lower (0.55 → 0.5)", () => {
    expect(worsenings(base(), base({ advanceRatesByCommodity: {} }))).toEqual(['advanceRatesByCommodity.ONIONS']);
    // A commodity given its own rate above the default is better for it.
    expect(worsenings(base(), base({ advanceRatesByCommodity: { ONIONS: d('0.55'), PEARS: d('0.52') } }))).toEqual([]);
  });

  test('a warehouse removed is worse, one added is not', () => {
    expect(worsenings(base(), base({ approvedWarehouseIds: [] }))).toEqual(['approvedWarehouseIds']);
    expect(worsenings(base(), base({ approvedWarehouseIds: [W1, W2] }))).toEqual([]);
  });

  test('fixed to floating, a new reference rate, a day count or a waterfall change always need the seller', () => {
    const floating = base({ floatingRate: { referenceRateId: SOFR, spread: d('0.02'), floor: null } });
    expect(worsenings(base(), floating)).toEqual(['floatingRate']);
    expect(worsenings(floating, base({ annualInterestRate: d('0.01') }))).toEqual(['floatingRate']);
    expect(worsenings(base(), base({ dayCount: 'ACT_365' }))).toEqual(['dayCount']);
    expect(worsenings(base(), base({ waterfallOrder: ['INTEREST', 'FEES', 'PRINCIPAL'] }))).toEqual(['waterfallOrder']);
  });

  test('on a floating rate: a higher spread or a floor added is worse; a lower spread is not', () => {
    const floating = (spread: string, floor: string | null) => base({ floatingRate: { referenceRateId: SOFR, spread: d(spread), floor: floor === null ? null : d(floor) } });
    expect(worsenings(floating('0.02', null), floating('0.025', null))).toEqual(['floatingRate.spread']);
    expect(worsenings(floating('0.02', null), floating('0.02', '0'))).toEqual(['floatingRate.floor']);
    expect(worsenings(floating('0.02', '0'), floating('0.015', null))).toEqual([]);
  });

  test('fees: a per-draw fee raised, an on-sale fee of another kind or more days are worse', () => {
    expect(worsenings(base(), base({ feeSchedule: { ...base().feeSchedule, perDraw: usd('30.00') } }))).toEqual(['feeSchedule.perDraw']);
    expect(worsenings(base(), base({ feeSchedule: { onSale: { kind: 'PERCENT_OF_PROCEEDS', percent: d('0.1') }, perDraw: usd('25.00') } }))).toEqual(['feeSchedule.onSale']);
    expect(worsenings(base(), base({ feeSchedule: { onSale: null, perDraw: null } }))).toEqual([]);
  });

  test('a storage rate per another unit is worse whatever its figure: it cannot be compared with the old one', () => {
    const storage = (rate: string, unit: string) => base({ feeSchedule: { onSale: { kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: usd(rate), unit }, perDraw: usd('25.00') } });
    expect(worsenings(storage('0.0004', 'kg'), storage('0.0003', 'kg'))).toEqual([]);
    expect(worsenings(storage('0.0004', 'kg'), storage('0.0003', 't'))).toEqual(['feeSchedule.onSale']);
  });
});

/** A money step of whole dollars (1 to 999) from the rate step. */
const dollars = (s: Decimal) => s.times(100_000).toFixed(0);

/** One field moved by a positive step: [worse for the seller, better for the seller]. */
type Move = (terms: AmendableTerms, step: Decimal, hours: number) => { field: string; worse: AmendableTerms; better: AmendableTerms };

const rate = (field: 'defaultAdvanceRate' | 'marginCallLtv' | 'liquidationLtv' | 'targetLtv', lowerIsWorse = true): Move => (terms, step) => {
  const down = { ...terms, [field]: terms[field].minus(step) };
  const up = { ...terms, [field]: terms[field].plus(step) };
  return { field, worse: lowerIsWorse ? down : up, better: lowerIsWorse ? up : down };
};
const period = (field: 'maxMarkAgeHours' | 'curePeriodHours' | 'stockCountIntervalDays' | 'approvalWindowHours'): Move => (terms, _step, hours) => ({
  field,
  worse: { ...terms, [field]: terms[field] - hours },
  better: { ...terms, [field]: terms[field] + hours },
});

const MOVES: Move[] = [
  (t, s) => ({ field: 'limit', worse: { ...t, limit: t.limit.minus(usd(dollars(s))) }, better: { ...t, limit: t.limit.plus(usd(dollars(s))) } }),
  rate('defaultAdvanceRate'),
  rate('marginCallLtv'),
  rate('liquidationLtv'),
  rate('targetLtv'),
  (t, s) => ({ field: 'haircut', worse: { ...t, haircut: t.haircut.plus(s) }, better: { ...t, haircut: t.haircut.minus(s) } }),
  (t, s) => ({ field: 'annualInterestRate', worse: { ...t, annualInterestRate: t.annualInterestRate.plus(s) }, better: { ...t, annualInterestRate: t.annualInterestRate.minus(s) } }),
  (t, s) => ({
    field: 'advanceRatesByCommodity.ONIONS',
    worse: { ...t, advanceRatesByCommodity: { ONIONS: t.advanceRatesByCommodity.ONIONS.minus(s) } },
    better: { ...t, advanceRatesByCommodity: { ONIONS: t.advanceRatesByCommodity.ONIONS.plus(s) } },
  }),
  period('maxMarkAgeHours'),
  period('curePeriodHours'),
  period('stockCountIntervalDays'),
  period('approvalWindowHours'),
  (t, _s, hours) => {
    const shift = (days: number) => new Date(Date.parse(`${t.maturityDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
    return { field: 'maturityDate', worse: { ...t, maturityDate: shift(-hours) }, better: { ...t, maturityDate: shift(hours) } };
  },
  (t, s) => {
    const perDraw = t.feeSchedule.perDraw ?? usd('0.00');
    return {
      field: 'feeSchedule.perDraw',
      worse: { ...t, feeSchedule: { ...t.feeSchedule, perDraw: perDraw.plus(usd(dollars(s))) } },
      better: { ...t, feeSchedule: { ...t.feeSchedule, perDraw: perDraw.minus(usd(dollars(s))) } },
    };
  },
  (t, s) => ({
    field: 'approvalThresholds.autoApproveUpTo',
    worse: { ...t, approvalThresholds: { ...t.approvalThresholds, autoApproveUpTo: t.approvalThresholds.autoApproveUpTo.minus(usd(dollars(s))) } },
    better: { ...t, approvalThresholds: { ...t.approvalThresholds, autoApproveUpTo: t.approvalThresholds.autoApproveUpTo.plus(usd(dollars(s))) } },
  }),
];

// Steps small enough that no moved figure crosses zero or one from the base (worsenings compares, it does not validate).
const step = fc.integer({ min: 1, max: 999 }).map((n) => d(String(n)).dividedBy(100_000));
const hours = fc.integer({ min: 1, max: 20 });
const moveIndex = fc.integer({ min: 0, max: MOVES.length - 1 });

describe('worsenings: properties', () => {
  test('one field moved the costly way is worse in exactly that field; moved the other way it is not worse', () => {
    fc.assert(
      fc.property(moveIndex, step, hours, (index, s, h) => {
        const move = MOVES[index](base(), s, h);
        expect(worsenings(base(), move.worse)).toEqual([move.field]);
        expect(worsenings(base(), move.better)).toEqual([]);
      }),
    );
  });

  test('improvements compose: a chain of better moves is not worse than where it started, and undoing it is worse', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(moveIndex, step, hours), { minLength: 1, maxLength: 8 }), (moves) => {
        let terms = base();
        for (const [index, s, h] of moves) terms = MOVES[index](terms, s, h).better;
        expect(worsenings(base(), terms)).toEqual([]);
        const undone = worsenings(terms, base());
        expect(undone.length).toBeGreaterThan(0);
        // Undoing worsens exactly the fields the chain moved.
        const moved = new Set(moves.map(([index, s, h]) => MOVES[index](base(), s, h).field));
        expect(new Set(undone)).toEqual(moved);
      }),
    );
  });

  test('the same change applied to any terms worsens the same fields (a field is judged on its own)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(moveIndex, step, hours), { maxLength: 5 }), moveIndex, step, hours, (setup, index, s, h) => {
        let terms = base();
        for (const [i, si, hi] of setup) terms = MOVES[i](terms, si, hi).better;
        const move = MOVES[index](terms, s, h);
        expect(worsenings(terms, move.worse)).toEqual([move.field]);
      }),
    );
  });
});

describe('who may do what with an amendment', () => {
  const lender = (role: 'ADMIN' | 'OPERATOR' | 'APPROVER' | 'VIEWER', userId = 'u2') => ({ party: 'LENDER' as const, role, userId });
  const seller = (role: 'ADMIN' | 'OPERATOR') => ({ party: 'SELLER' as const, role, userId: 's1' });

  test("a lender's OPERATOR or ADMIN proposes; an APPROVER, a VIEWER or the seller does not", () => {
    expect(decideProposal('LENDER', 'OPERATOR')).toEqual({ allowed: true });
    expect(decideProposal('LENDER', 'ADMIN')).toEqual({ allowed: true });
    expect(decideProposal('LENDER', 'APPROVER')).toMatchObject({ allowed: false, refusal: 'forbidden' });
    expect(decideProposal('LENDER', 'VIEWER')).toMatchObject({ allowed: false, refusal: 'forbidden' });
    expect(decideProposal('SELLER', 'ADMIN')).toMatchObject({ allowed: false, refusal: 'forbidden' });
  });

  test('a second lender user approves, never the proposer, and a VIEWER never', () => {
    const pending = { status: 'PENDING_APPROVAL' as const, proposedBy: 'u1' };
    expect(decideAmendmentAction('approve', pending, lender('APPROVER'))).toEqual({ allowed: true });
    expect(decideAmendmentAction('approve', pending, lender('ADMIN', 'u1'))).toMatchObject({ allowed: false, refusal: 'own_proposal' });
    expect(decideAmendmentAction('approve', pending, lender('VIEWER'))).toMatchObject({ allowed: false, refusal: 'forbidden' });
    expect(decideAmendmentAction('approve', pending, seller('ADMIN'))).toMatchObject({ allowed: false, refusal: 'forbidden' });
  });

  test("the seller's ADMIN accepts or declines only what waits for its acceptance", () => {
    expect(decideAmendmentAction('accept', { status: 'PENDING_ACCEPTANCE', proposedBy: 'u1' }, seller('ADMIN'))).toEqual({ allowed: true });
    expect(decideAmendmentAction('accept', { status: 'PENDING_APPROVAL', proposedBy: 'u1' }, seller('ADMIN'))).toMatchObject({ allowed: false, refusal: 'wrong_status' });
    expect(decideAmendmentAction('accept', { status: 'PENDING_ACCEPTANCE', proposedBy: 'u1' }, seller('OPERATOR'))).toMatchObject({ allowed: false, refusal: 'forbidden' });
    expect(decideAmendmentAction('decline', { status: 'PENDING_ACCEPTANCE', proposedBy: 'u1' }, seller('ADMIN'))).toEqual({ allowed: true });
  });

  test('approval leads to acceptance only when the seller is worse off; effective dates are today or later', () => {
    expect(statusAfterApproval(true)).toBe('PENDING_ACCEPTANCE');
    expect(statusAfterApproval(false)).toBe('AGREED');
    expect(effectiveFromProblem('2026-12-03', '2026-12-03')).toBeNull();
    expect(effectiveFromProblem('2026-12-02', '2026-12-03')).toMatch(/before today/);
  });
});
