import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors';
import { decideRegistration, invitationState, INVITATION_VALIDITY_HOURS } from '../../domain/onboarding';
import type { Db } from '../client';
import type { OrganisationKind, UserRole } from '../generated/client';
import { recordAudit, type AuditActor } from '../audit/store';
import { passwordProblem } from '../../domain/sign-in';
import { hashPassword } from './passwords';
import { endSessionsOfUser } from './sessions';

export type { OrganisationKind, UserRole };

/** `gdk_<key id, 32 hex>_<secret, 43 base64url chars>`; only the secret's SHA-256 is stored. */
const API_KEY_PATTERN = /^gdk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface IssuedApiKey {
  id: string;
  label: string;
  /** Shown once, never stored. */
  apiKey: string;
}

export interface AuthenticatedUser {
  userId: string;
  organisationId: string;
  organisationKind: OrganisationKind;
  role: UserRole;
}

// Writing last_used_at on every request would turn reads into writes on one
// hot row; a minute's resolution is what an admin reviewing keys needs.
const LAST_USED_RESOLUTION_SECONDS = 60;

export async function issueApiKey(db: Db, userId: string, label: string): Promise<IssuedApiKey> {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  await db.apiKey.create({ data: { id, userId, label, secretHash: hashSecret(secret) } });
  return { id, label, apiKey: `gdk_${id.replace(/-/g, '')}_${secret}` };
}

function keyIdFromHex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The user behind an API key, or null when the key is malformed, unknown, revoked or its user deactivated. */
interface ApiKeyRow {
  key_id: string;
  secret_hash: string;
  last_used_age_seconds: number | null;
  user_id: string;
  organisation_id: string;
  organisation_kind: OrganisationKind;
  role: UserRole;
}

export async function authenticateApiKey(db: Db, apiKey: string): Promise<AuthenticatedUser | null> {
  const match = API_KEY_PATTERN.exec(apiKey);
  if (!match) return null;
  // Every request runs this: one statement for the key, its user and organisation (revoked keys and
  // deactivated users never match), and the key's age of use read by the server's clock.
  const [key] = await db.$queryRaw<ApiKeyRow[]>`
    SELECT k.id::text AS key_id, k.secret_hash,
           extract(epoch FROM now() - k.last_used_at)::float8 AS last_used_age_seconds,
           u.id::text AS user_id, u.organisation_id::text AS organisation_id, o.kind::text AS organisation_kind, u.role::text AS role
      FROM api_key k
      JOIN app_user u ON u.id = k.user_id AND u.deactivated_at IS NULL
      JOIN organisation o ON o.id = u.organisation_id
     WHERE k.id = ${keyIdFromHex(match[1])}::uuid AND k.revoked_at IS NULL`;
  if (!key) return null;
  const expected = Buffer.from(key.secret_hash, 'hex');
  const actual = Buffer.from(hashSecret(match[2]), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  if (key.last_used_age_seconds === null || key.last_used_age_seconds >= LAST_USED_RESOLUTION_SECONDS) {
    // The row just read says whether a write is due; most requests skip this round trip.
    await db.$executeRaw`
      UPDATE api_key SET last_used_at = now()
      WHERE id = ${key.key_id}::uuid AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS}))`;
  }
  return {
    userId: key.user_id,
    organisationId: key.organisation_id,
    organisationKind: key.organisation_kind,
    role: key.role,
  };
}

export interface NewUser {
  email: string;
  name: string;
  role: UserRole;
}

async function assertEmailFree(db: Db, email: string): Promise<void> {
  if (await db.user.findUnique({ where: { email } })) {
    throw new ConflictError(`a user with email ${email} already exists; emails identify one user across Godown`);
  }
}

export interface IssuedInvitation {
  id: string;
  expiresAt: Date;
  /** `gdi_<invitation id, 32 hex>_<secret, 43 base64url chars>`. Shown once, never stored: only the secret's SHA-256 is. */
  token: string;
}

const INVITATION_TOKEN_PATTERN = /^gdi_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

/** A one-time invitation for `userId` to claim their account, valid for INVITATION_VALIDITY_HOURS from `now`. */
async function issueInvitation(db: Db, userId: string, createdByUserId: string | null, now: Date): Promise<IssuedInvitation> {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + INVITATION_VALIDITY_HOURS * 60 * 60 * 1000);
  await db.invitation.create({ data: { id, userId, secretHash: hashSecret(secret), expiresAt, createdByUserId, createdAt: now } });
  return { id, expiresAt, token: `gdi_${id.replace(/-/g, '')}_${secret}` };
}

export interface CreatedOrganisation {
  organisationId: string;
  adminUserId: string;
  invitation: IssuedInvitation;
}

/**
 * Creates an organisation with its parent (ADMIN) account and an invitation
 * for that admin to claim it. No API key exists until the admin claims the
 * invitation, so whoever creates the organisation never holds its credentials.
 * Who may create what is decided by the callers: the bootstrap command (the
 * first organisation) and `registerCounterpart` (a lender's counterparts).
 */
export async function createOrganisationWithAdmin(
  db: Db,
  input: { kind: OrganisationKind; name: string; admin: Omit<NewUser, 'role'> },
  actor: AuditActor | null,
  now: Date,
): Promise<CreatedOrganisation> {
  const email = input.admin.email.toLowerCase();
  await assertEmailFree(db, email);
  const organisation = await db.organisation.create({ data: { kind: input.kind, name: input.name } });
  const admin = await db.user.create({
    data: { organisationId: organisation.id, email, name: input.admin.name, role: 'ADMIN' },
  });
  const invitation = await issueInvitation(db, admin.id, actor?.userId ?? null, now);
  const auditActor = actor ?? { userId: admin.id, organisationId: organisation.id, requestId: null };
  const after = { kind: organisation.kind, name: organisation.name, adminUserId: admin.id, adminEmail: email, invitationId: invitation.id, invitationExpiresAt: invitation.expiresAt.toISOString() };
  await recordAudit(db, auditActor, { action: 'organisation.create', targetType: 'organisation', targetId: organisation.id, after });
  if (actor && actor.organisationId !== organisation.id) {
    // The new organisation's own feed shows how it came to exist.
    await recordAudit(db, { ...actor, organisationId: organisation.id }, { action: 'organisation.create', targetType: 'organisation', targetId: organisation.id, after });
  }
  return { organisationId: organisation.id, adminUserId: admin.id, invitation };
}

/**
 * A lender's ADMIN registers a seller, warehouse or buyer: the organisation,
 * its admin with an invitation, and the counterpart relation. Anyone else is
 * refused (domain/onboarding.ts says why).
 */
export async function registerCounterpart(
  db: Db,
  actor: AuditActor & { organisationKind: OrganisationKind; role: UserRole },
  input: { kind: OrganisationKind; name: string; admin: Omit<NewUser, 'role'> },
  now: Date,
): Promise<CreatedOrganisation> {
  const decision = decideRegistration(actor, input.kind);
  if (!decision.allowed) throw new ForbiddenError(decision.reason);
  const created = await createOrganisationWithAdmin(db, input, actor, now);
  await recordCounterpart(db, { lenderOrganisationId: actor.organisationId, counterpartOrganisationId: created.organisationId, kind: input.kind, createdByUserId: actor.userId });
  return created;
}

/** Records that `counterpartOrganisationId` is the lender's seller, warehouse or buyer. */
export async function recordCounterpart(
  db: Db,
  input: { lenderOrganisationId: string; counterpartOrganisationId: string; kind: OrganisationKind; createdByUserId: string | null },
): Promise<void> {
  await db.counterpart.create({
    data: {
      lenderOrganisationId: input.lenderOrganisationId,
      counterpartOrganisationId: input.counterpartOrganisationId,
      counterpartKind: input.kind,
      createdByUserId: input.createdByUserId,
    },
  });
}

/** The kinds of counterpart `organisationIds` are to the lender; an id missing from the map is none of its counterparts. */
export async function counterpartKinds(db: Db, lenderOrganisationId: string, organisationIds: string[]): Promise<Map<string, OrganisationKind>> {
  const rows = await db.counterpart.findMany({ where: { lenderOrganisationId, counterpartOrganisationId: { in: organisationIds } } });
  return new Map(rows.map((row) => [row.counterpartOrganisationId, row.counterpartKind]));
}

export interface ClaimedAccount {
  userId: string;
  organisationId: string;
  key: IssuedApiKey;
}

interface InvitationRow {
  id: string;
  user_id: string;
  secret_hash: string;
  expires_at: Date;
  claimed_at: Date | null;
  organisation_id: string;
  deactivated_at: Date | null;
}

const UNKNOWN_INVITATION = 'is not a valid invitation token; ask the organisation that registered you for a new invitation';

interface TakenInvitation {
  invitationId: string;
  userId: string;
  organisationId: string;
  email: string;
}

/**
 * Takes an invitation for its one use. The row is locked, so two concurrent
 * uses of one token give one account. Unknown, forged, used and expired tokens
 * are refused; the secret is compared in constant time. Whatever the caller
 * does next commits or rolls back with the use.
 */
async function takeInvitation(db: Db, token: string, now: Date): Promise<TakenInvitation> {
  const match = INVITATION_TOKEN_PATTERN.exec(token);
  if (!match) throw new ValidationError('body.token', UNKNOWN_INVITATION);
  const [invitation] = await db.$queryRaw<(InvitationRow & { email: string })[]>`
    SELECT i.id::text, i.user_id::text, i.secret_hash, i.expires_at, i.claimed_at, u.organisation_id::text, u.deactivated_at, u.email
      FROM invitation i JOIN app_user u ON u.id = i.user_id
     WHERE i.id = ${keyIdFromHex(match[1])}::uuid
       FOR UPDATE OF i`;
  const expected = Buffer.from(invitation?.secret_hash ?? '0'.repeat(64), 'hex');
  const actual = Buffer.from(hashSecret(match[2]), 'hex');
  const secretMatches = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!invitation || !secretMatches) throw new ValidationError('body.token', UNKNOWN_INVITATION);
  const state = invitationState({ expiresAt: invitation.expires_at, claimedAt: invitation.claimed_at }, now);
  if (!state.claimable && state.why === 'claimed') {
    throw new BusinessRuleError('invitation_already_claimed', `invitation ${invitation.id} was claimed at ${invitation.claimed_at?.toISOString()}; an invitation is used once`);
  }
  if (!state.claimable) {
    throw new BusinessRuleError('invitation_expired', `invitation ${invitation.id} expired at ${invitation.expires_at.toISOString()}; ask for a new invitation`);
  }
  if (invitation.deactivated_at) throw new BusinessRuleError('user_deactivated', `the invited user ${invitation.user_id} has been deactivated`);
  await db.invitation.update({ where: { id: invitation.id }, data: { claimedAt: now } });
  return { invitationId: invitation.id, userId: invitation.user_id, organisationId: invitation.organisation_id, email: invitation.email };
}

/** Claims an invitation for an integration: its user's API key, returned once. */
export async function claimInvitation(db: Db, token: string, now: Date): Promise<ClaimedAccount> {
  const invitation = await takeInvitation(db, token, now);
  const key = await issueApiKey(db, invitation.userId, 'claimed from invitation');
  await recordAudit(db, { userId: invitation.userId, organisationId: invitation.organisationId, requestId: null }, {
    action: 'invitation.claim',
    targetType: 'invitation',
    targetId: invitation.invitationId,
    after: { claimedAt: now.toISOString(), apiKeyId: key.id },
  });
  return { userId: invitation.userId, organisationId: invitation.organisationId, key };
}

/**
 * Accepts an invitation for the console: sets the invited user's password
 * (first one, or a reset) and ends every session the user had, since whoever
 * held the old password may hold one of them. The caller signs the user in.
 */
export async function acceptInvitation(db: Db, input: { token: string; password: string; requestId: string | null }, now: Date): Promise<{ userId: string; organisationId: string }> {
  const invitation = await takeInvitation(db, input.token, now);
  const problem = passwordProblem(input.password, invitation.email);
  if (problem) throw new ValidationError('body.password', problem);
  const passwordHash = await hashPassword(input.password);
  await db.user.update({ where: { id: invitation.userId }, data: { passwordHash, passwordChangedAt: now } });
  const sessionsEnded = await endSessionsOfUser(db, invitation.userId);
  const actor = { userId: invitation.userId, organisationId: invitation.organisationId, requestId: input.requestId };
  await recordAudit(db, actor, { action: 'invitation.accept', targetType: 'invitation', targetId: invitation.invitationId, after: { claimedAt: now.toISOString() } });
  await recordAudit(db, actor, { action: 'user.password_set', targetType: 'user', targetId: invitation.userId, after: { passwordChangedAt: now.toISOString(), sessionsEnded } });
  return { userId: invitation.userId, organisationId: invitation.organisationId };
}

/**
 * An ADMIN issues a new invitation for an existing user of its organisation:
 * to set a first password, or to reset a forgotten one. Older invitations of
 * the user that are still open end now, so that only the newest token works.
 */
export async function reissueInvitation(db: Db, actor: AuditActor, userId: string, now: Date): Promise<IssuedInvitation> {
  const user = await userOfOrganisation(db, actor.organisationId, userId);
  if (user.deactivatedAt) throw new ConflictError(`user ${userId} is deactivated; reactivate is not supported, create a new user`);
  const superseded = await db.invitation.updateMany({ where: { userId, claimedAt: null, expiresAt: { gt: now } }, data: { expiresAt: now } });
  const invitation = await issueInvitation(db, userId, actor.userId, now);
  await recordAudit(db, actor, {
    action: 'invitation.issue',
    targetType: 'invitation',
    targetId: invitation.id,
    after: { userId, expiresAt: invitation.expiresAt.toISOString(), supersededInvitations: superseded.count },
  });
  return invitation;
}

export async function createUser(db: Db, actor: AuditActor, input: NewUser): Promise<{ userId: string; key: IssuedApiKey }> {
  const email = input.email.toLowerCase();
  await assertEmailFree(db, email);
  const user = await db.user.create({
    data: { organisationId: actor.organisationId, email, name: input.name, role: input.role },
  });
  const key = await issueApiKey(db, user.id, 'initial key');
  await recordAudit(db, actor, {
    action: 'user.create',
    targetType: 'user',
    targetId: user.id,
    after: { email, name: input.name, role: input.role },
  });
  return { userId: user.id, key };
}

async function userOfOrganisation(db: Db, organisationId: string, userId: string) {
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user || user.organisationId !== organisationId) throw new NotFoundError('user', userId);
  return user;
}

export async function issueKeyForUser(db: Db, actor: AuditActor, userId: string, label: string): Promise<IssuedApiKey> {
  const user = await userOfOrganisation(db, actor.organisationId, userId);
  if (user.deactivatedAt) throw new ConflictError(`user ${userId} is deactivated; reactivate is not supported, create a new user`);
  const key = await issueApiKey(db, userId, label);
  await recordAudit(db, actor, { action: 'api_key.issue', targetType: 'api_key', targetId: key.id, after: { userId, label } });
  return key;
}

/** An ADMIN revokes any key of its organisation; anyone else only their own. */
export async function revokeApiKey(db: Db, actor: AuditActor & { role: UserRole }, keyId: string): Promise<void> {
  const key = await db.apiKey.findUnique({ where: { id: keyId }, include: { user: true } });
  const visible = key && key.user.organisationId === actor.organisationId && (actor.role === 'ADMIN' || key.userId === actor.userId);
  if (!key || !visible) throw new NotFoundError('api key', keyId);
  if (key.revokedAt) return;
  const revokedAt = new Date();
  await db.apiKey.update({ where: { id: keyId }, data: { revokedAt } });
  await recordAudit(db, actor, {
    action: 'api_key.revoke',
    targetType: 'api_key',
    targetId: keyId,
    before: { revokedAt: null },
    after: { revokedAt: revokedAt.toISOString() },
  });
}

export async function deactivateUser(db: Db, actor: AuditActor, userId: string): Promise<void> {
  if (userId === actor.userId) throw new ForbiddenError('an admin cannot deactivate their own account; ask another admin');
  const user = await userOfOrganisation(db, actor.organisationId, userId);
  if (user.deactivatedAt) return;
  const deactivatedAt = new Date();
  await db.user.update({ where: { id: userId }, data: { deactivatedAt } });
  await recordAudit(db, actor, {
    action: 'user.deactivate',
    targetType: 'user',
    targetId: userId,
    before: { deactivatedAt: null },
    after: { deactivatedAt: deactivatedAt.toISOString() },
  });
}

export interface UserSummary {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  createdAt: Date;
  deactivatedAt: Date | null;
  /** Whether the user can sign in to the console (a password was set through an invitation); never the hash. */
  passwordSet: boolean;
  lastSignInAt: Date | null;
  /** The user's newest invitation while it is unclaimed: OPEN until it expires or a newer one supersedes it. */
  invitation: { state: 'OPEN' | 'EXPIRED'; expiresAt: Date } | null;
}

/** One page of an organisation's users in id order, with where each stands with signing in at `now`. */
export async function listUsers(db: Db, organisationId: string, page: { afterId: string | null; limit: number }, now: Date): Promise<UserSummary[]> {
  const users = await db.user.findMany({
    where: { organisationId, ...(page.afterId ? { id: { gt: page.afterId } } : {}) },
    orderBy: { id: 'asc' },
    take: page.limit,
    select: {
      id: true,
      email: true,
      name: true,
      role: true,
      createdAt: true,
      deactivatedAt: true,
      passwordHash: true,
      lastSignInAt: true,
      invitations: { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 1, select: { expiresAt: true, claimedAt: true } },
    },
  });
  return users.map(({ passwordHash, invitations: [newest], ...user }) => {
    const state = newest ? invitationState(newest, now) : null;
    return {
      ...user,
      passwordSet: passwordHash !== null,
      invitation: newest && state && (state.claimable || state.why === 'expired') ? { state: state.claimable ? 'OPEN' : 'EXPIRED', expiresAt: newest.expiresAt } : null,
    };
  });
}

export interface ApiKeySummary {
  id: string;
  userId: string;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** An ADMIN sees every key of its organisation; anyone else only their own. Secrets are never returned. */
export async function listApiKeys(
  db: Db,
  actor: { userId: string; organisationId: string; role: UserRole },
  page: { afterId: string | null; limit: number },
): Promise<ApiKeySummary[]> {
  return db.apiKey.findMany({
    where: {
      ...(actor.role === 'ADMIN' ? { user: { organisationId: actor.organisationId } } : { userId: actor.userId }),
      ...(page.afterId ? { id: { gt: page.afterId } } : {}),
    },
    orderBy: { id: 'asc' },
    take: page.limit,
    select: { id: true, userId: true, label: true, createdAt: true, lastUsedAt: true, revokedAt: true },
  });
}
