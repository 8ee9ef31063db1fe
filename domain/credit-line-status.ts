/**
 * A credit line's life. A lender OFFERS a line; it becomes ACTIVE only when
 * the seller accepts it, so that no lender holds a line on a seller unasked.
 *
 *   OFFERED ──accept (seller)──▶ ACTIVE ──freeze──▶ FROZEN ──unfreeze──▶ ACTIVE
 *      │ ╲──decline (seller)──▶ DECLINED              (margin process: IN_DEFAULT ⇄ FROZEN)
 *      ╰──withdraw (lender)──▶ WITHDRAWN
 *   ACTIVE | FROZEN | IN_DEFAULT ──close (lender)──▶ CLOSED
 *
 * Nothing works on a line that was never accepted: no pledge, draw, sale,
 * accrual or margin evaluation. DECLINED, WITHDRAWN and CLOSED are final.
 */
import type { UserRole } from './onboarding';

export type CreditLineStatus = 'OFFERED' | 'DECLINED' | 'WITHDRAWN' | 'ACTIVE' | 'FROZEN' | 'IN_DEFAULT' | 'CLOSED';

export const CREDIT_LINE_STATUSES: readonly CreditLineStatus[] = ['OFFERED', 'DECLINED', 'WITHDRAWN', 'ACTIVE', 'FROZEN', 'IN_DEFAULT', 'CLOSED'];

/** Which party makes a change: the line's lender or its seller. */
export type LineParty = 'LENDER' | 'SELLER';

export type StatusChange = 'accept' | 'decline' | 'withdraw' | 'freeze' | 'unfreeze' | 'close';

interface ChangeRule {
  from: readonly CreditLineStatus[];
  to: CreditLineStatus;
  by: LineParty;
  /** Roles of that party who may make the change. */
  roles: readonly UserRole[];
  pastTense: string;
}

/**
 * The seller accepts or declines with an ADMIN: accepting a line binds the
 * seller organisation to its terms (interest, fees, liens), a decision for
 * whoever holds the organisation's parent account, not for an approver of
 * day-to-day operations. The lender's ADMIN or APPROVER freezes, unfreezes,
 * closes, and withdraws an offer it no longer stands by.
 */
export const STATUS_CHANGES: Record<StatusChange, ChangeRule> = {
  accept: { from: ['OFFERED'], to: 'ACTIVE', by: 'SELLER', roles: ['ADMIN'], pastTense: 'accepted' },
  decline: { from: ['OFFERED'], to: 'DECLINED', by: 'SELLER', roles: ['ADMIN'], pastTense: 'declined' },
  withdraw: { from: ['OFFERED'], to: 'WITHDRAWN', by: 'LENDER', roles: ['ADMIN', 'APPROVER'], pastTense: 'withdrawn' },
  freeze: { from: ['ACTIVE'], to: 'FROZEN', by: 'LENDER', roles: ['ADMIN', 'APPROVER'], pastTense: 'frozen' },
  unfreeze: { from: ['FROZEN'], to: 'ACTIVE', by: 'LENDER', roles: ['ADMIN', 'APPROVER'], pastTense: 'unfrozen' },
  close: { from: ['ACTIVE', 'FROZEN', 'IN_DEFAULT'], to: 'CLOSED', by: 'LENDER', roles: ['ADMIN', 'APPROVER'], pastTense: 'closed' },
};

export type StatusChangeDecision =
  | { allowed: true; to: CreditLineStatus }
  | { allowed: false; refusal: 'forbidden' | 'wrong_status'; reason: string };

/** Whether `party` with `role` may make `change` on a line in `status`, and the status it leads to. */
export function decideStatusChange(change: StatusChange, status: CreditLineStatus, party: LineParty, role: UserRole): StatusChangeDecision {
  const rule = STATUS_CHANGES[change];
  if (party !== rule.by || !rule.roles.includes(role)) {
    return {
      allowed: false,
      refusal: 'forbidden',
      reason: `only ${rule.roles.join(' or ')} of the line's ${rule.by.toLowerCase()} can ${change} it; you are ${role} of its ${party.toLowerCase()}`,
    };
  }
  if (!rule.from.includes(status)) {
    return {
      allowed: false,
      refusal: 'wrong_status',
      reason: `is ${status}; only a line that is ${rule.from.join(' or ')} can be ${rule.pastTense}`,
    };
  }
  return { allowed: true, to: rule.to };
}

/** A line the seller has accepted and that is not closed: it holds liens and principal, accrues and is margin-checked. */
export function isLineInForce(status: CreditLineStatus): boolean {
  return status === 'ACTIVE' || status === 'FROZEN' || status === 'IN_DEFAULT';
}
