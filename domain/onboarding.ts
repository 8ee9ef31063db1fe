/**
 * Who may register whom. Trust follows real relationships: the first
 * organisation (a lender) comes from the bootstrap command; a lender's ADMIN
 * onboards its sellers, the warehouses it accepts as collateral managers, and
 * buyers, and each becomes the lender's counterpart. Nobody registers a lender
 * through the API, and no seller, warehouse or buyer registers anyone: a
 * seller that could create its own warehouse could receive goods that do not
 * exist and borrow against them.
 */
export type OrganisationKind = 'LENDER' | 'WAREHOUSE' | 'SELLER' | 'BUYER';
export type UserRole = 'ADMIN' | 'OPERATOR' | 'APPROVER' | 'VIEWER';

/** The kinds a lender onboards as its counterparts. */
export const COUNTERPART_KINDS: readonly OrganisationKind[] = ['SELLER', 'WAREHOUSE', 'BUYER'];

export type RegistrationDecision = { allowed: true } | { allowed: false; reason: string };

export function decideRegistration(registrar: { organisationKind: OrganisationKind; role: UserRole }, kind: OrganisationKind): RegistrationDecision {
  if (registrar.role !== 'ADMIN') {
    return { allowed: false, reason: `only an ADMIN of a LENDER registers organisations; you are ${registrar.role}` };
  }
  if (registrar.organisationKind !== 'LENDER') {
    return {
      allowed: false,
      reason:
        `a ${registrar.organisationKind} does not register organisations: a lender onboards its sellers, ` +
        'the warehouses it accepts as collateral managers, and buyers',
    };
  }
  if (kind === 'LENDER') {
    return { allowed: false, reason: 'a LENDER is never registered through the API; the first organisation comes from the bootstrap command' };
  }
  return { allowed: true };
}

/** How long an invitation to claim an account stays valid. */
export const INVITATION_VALIDITY_HOURS = 72;

export type InvitationState = { claimable: true } | { claimable: false; why: 'claimed' | 'expired' };

/** Claimable once, strictly before it expires. */
export function invitationState(invitation: { expiresAt: Date; claimedAt: Date | null }, now: Date): InvitationState {
  if (invitation.claimedAt !== null) return { claimable: false, why: 'claimed' };
  if (now.getTime() >= invitation.expiresAt.getTime()) return { claimable: false, why: 'expired' };
  return { claimable: true };
}
