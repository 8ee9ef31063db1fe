/**
 * Draw approval policy: how many lender approvers a draw needs, who may
 * approve it, and when it counts as approved.
 *
 * Small draws are approved automatically, larger ones need one lender
 * approver, the largest two different ones; nobody approves their own request.
 * Expiry of the approval window is a matter of time and belongs to the draw
 * workflow, not here.
 */
import type { ApprovalThresholds } from './credit-terms';
import { assert } from './errors';
import type { Money } from './money';

export type RequiredApprovals = 0 | 1 | 2;

export type UserRole = 'ADMIN' | 'OPERATOR' | 'APPROVER' | 'VIEWER';

/** Roles whose job includes committing the lender's money. */
export const APPROVING_ROLES: readonly UserRole[] = ['APPROVER', 'ADMIN'];

export type ApprovalRefusal = 'NOT_LENDER' | 'ROLE' | 'SELF_APPROVAL' | 'ALREADY_APPROVED';

export type ApprovalCheck = { ok: true } | { ok: false; reason: ApprovalRefusal; message: string };

export type ApprovalOutcome = 'PENDING' | 'APPROVED';

/** Thresholds are inclusive: a draw of exactly `autoApproveUpTo` is approved automatically. */
export function requiredApprovals(amount: Money, thresholds: ApprovalThresholds): RequiredApprovals {
  assert(amount.isPositive(), `a draw amount is greater than zero; got ${amount.format()}`);
  if (amount.lte(thresholds.autoApproveUpTo)) return 0;
  if (amount.lte(thresholds.singleApproverUpTo)) return 1;
  return 2;
}

/** Checks in a fixed order so that the same attempt always gets the same refusal. */
export function canApprove(input: {
  approver: { userId: string; organisationId: string; role: UserRole };
  draw: { requestedByUserId: string; lenderOrganisationId: string };
  existingApprovals: readonly string[];
}): ApprovalCheck {
  const { approver, draw, existingApprovals } = input;
  if (approver.organisationId !== draw.lenderOrganisationId) {
    return refuse('NOT_LENDER', `only users of the line's lender may approve its draws; user ${approver.userId} is not one`);
  }
  if (!APPROVING_ROLES.includes(approver.role)) {
    return refuse('ROLE', `approving a draw needs role ${APPROVING_ROLES.join(' or ')}; user ${approver.userId} has ${approver.role}`);
  }
  if (approver.userId === draw.requestedByUserId) {
    return refuse('SELF_APPROVAL', `user ${approver.userId} requested this draw and cannot also approve it`);
  }
  if (existingApprovals.includes(approver.userId)) {
    return refuse('ALREADY_APPROVED', `user ${approver.userId} has already approved this draw; a second approval must come from someone else`);
  }
  return { ok: true };
}

function refuse(reason: ApprovalRefusal, message: string): ApprovalCheck {
  return { ok: false, reason, message };
}

/** Counts distinct approvers, so a replayed approval never counts twice. */
export function approvalOutcome(required: RequiredApprovals, approverUserIds: readonly string[]): ApprovalOutcome {
  return new Set(approverUserIds).size >= required ? 'APPROVED' : 'PENDING';
}
