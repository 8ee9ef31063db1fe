import fc from 'fast-check';
import { approvalOutcome, canApprove, requiredApprovals, type UserRole } from '../../domain/approval';
import { CurrencyMismatchError, InvariantViolation } from '../../domain/errors';
import { D, Money } from '../../domain/money';

const usd = (amount: string) => Money.of(amount, 'USD');

/** The canonical apples line: automatic up to 5 000.00, one approver up to 25 000.00, two above. */
const appleThresholds = () => ({ autoApproveUpTo: usd('5000.00'), singleApproverUpTo: usd('25000.00') });

const LENDER_ORG = 'org-lender';
const SELLER_ORG = 'org-seller';

function attempt(overrides: {
  userId?: string;
  organisationId?: string;
  role?: UserRole;
  requestedByUserId?: string;
  existingApprovals?: string[];
} = {}) {
  return canApprove({
    approver: {
      userId: overrides.userId ?? 'user-anna',
      organisationId: overrides.organisationId ?? LENDER_ORG,
      role: overrides.role ?? 'APPROVER',
    },
    draw: { requestedByUserId: overrides.requestedByUserId ?? 'user-seller-sam', lenderOrganisationId: LENDER_ORG },
    existingApprovals: overrides.existingApprovals ?? [],
  });
}

describe('requiredApprovals', () => {
  test.each([
    ['0.01', 0],
    ['4999.99', 0],
    ['5000.00', 0],
    ['5000.01', 1],
    ['25000.00', 1],
    ['25000.01', 2],
    ['100000.00', 2],
  ] as const)('a draw of %s USD needs %i approvals', (amount, approvals) => {
    expect(requiredApprovals(usd(amount), appleThresholds())).toBe(approvals);
  });

  test('with both thresholds at zero every draw needs two approvers', () => {
    expect(requiredApprovals(usd('0.01'), { autoApproveUpTo: usd('0'), singleApproverUpTo: usd('0') })).toBe(2);
  });

  test('a zero draw is a bug', () => {
    expect(() => requiredApprovals(usd('0'), appleThresholds())).toThrow(InvariantViolation);
  });

  test('a draw in another currency than the thresholds is refused', () => {
    expect(() => requiredApprovals(Money.of('10.00', 'EUR'), appleThresholds())).toThrow(CurrencyMismatchError);
  });

  test('never needs fewer approvals for a larger draw', () => {
    const cents = fc.bigInt({ min: 1n, max: 10n ** 9n });
    fc.assert(
      fc.property(cents, cents, (a, b) => {
        const [smaller, larger] = a <= b ? [a, b] : [b, a];
        const toUsd = (c: bigint) => Money.of(new D(c.toString()).div(100), 'USD');
        expect(requiredApprovals(toUsd(smaller), appleThresholds())).toBeLessThanOrEqual(
          requiredApprovals(toUsd(larger), appleThresholds()),
        );
      }),
    );
  });
});

describe('canApprove', () => {
  test('a lender approver who did not request the draw may approve', () => {
    expect(attempt()).toEqual({ ok: true });
  });

  test('a lender admin may approve', () => {
    expect(attempt({ role: 'ADMIN' })).toEqual({ ok: true });
  });

  test('a user of another organisation is refused as NOT_LENDER', () => {
    expect(attempt({ organisationId: SELLER_ORG })).toMatchObject({ ok: false, reason: 'NOT_LENDER' });
  });

  test.each(['OPERATOR', 'VIEWER'] as const)('a lender %s is refused for ROLE', (role) => {
    expect(attempt({ role })).toEqual({
      ok: false,
      reason: 'ROLE',
      message: `approving a draw needs role APPROVER or ADMIN; user user-anna has ${role}`,
    });
  });

  test('nobody approves their own request', () => {
    expect(attempt({ requestedByUserId: 'user-anna' })).toEqual({
      ok: false,
      reason: 'SELF_APPROVAL',
      message: 'user user-anna requested this draw and cannot also approve it',
    });
  });

  test('the same approver cannot approve twice', () => {
    expect(attempt({ existingApprovals: ['user-anna'] })).toMatchObject({ ok: false, reason: 'ALREADY_APPROVED' });
  });

  test('refusals come in a fixed order: organisation, role, self, repeat', () => {
    const everythingWrong = { organisationId: SELLER_ORG, role: 'VIEWER' as const, requestedByUserId: 'user-anna', existingApprovals: ['user-anna'] };
    expect(attempt(everythingWrong)).toMatchObject({ reason: 'NOT_LENDER' });
    expect(attempt({ ...everythingWrong, organisationId: LENDER_ORG })).toMatchObject({ reason: 'ROLE' });
    expect(attempt({ ...everythingWrong, organisationId: LENDER_ORG, role: 'APPROVER' })).toMatchObject({ reason: 'SELF_APPROVAL' });
  });
});

describe('approvalOutcome', () => {
  test.each([
    [0, [], 'APPROVED'],
    [1, [], 'PENDING'],
    [1, ['user-anna'], 'APPROVED'],
    [2, ['user-anna'], 'PENDING'],
    [2, ['user-anna', 'user-anna'], 'PENDING'],
    [2, ['user-anna', 'user-ben'], 'APPROVED'],
  ] as const)('%i required with approvals %j is %s', (required, approvals, outcome) => {
    expect(approvalOutcome(required, approvals)).toBe(outcome);
  });

  test('approvals admitted by canApprove reach APPROVED after exactly `required` distinct approvers', () => {
    const userId = fc.constantFrom('user-anna', 'user-ben', 'user-carl', 'user-seller-sam');
    fc.assert(
      fc.property(fc.constantFrom(0 as const, 1 as const, 2 as const), fc.array(userId, { maxLength: 6 }), (required, attempts) => {
        const approvals: string[] = [];
        for (const candidate of attempts) {
          if (attempt({ userId: candidate, requestedByUserId: 'user-seller-sam', existingApprovals: approvals }).ok) {
            approvals.push(candidate);
          }
        }
        expect(new Set(approvals).size).toBe(approvals.length);
        expect(approvals).not.toContain('user-seller-sam');
        expect(approvalOutcome(required, approvals)).toBe(approvals.length >= required ? 'APPROVED' : 'PENDING');
      }),
    );
  });
});
