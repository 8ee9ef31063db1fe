import { z } from 'zod';
import { ForbiddenError, ValidationError } from '../../domain/errors';
import {
  createUser,
  registerCounterpart,
  deactivateUser,
  issueKeyForUser,
  listApiKeys,
  listUsers,
  reissueInvitation,
  revokeApiKey,
} from '../../prisma/identity/store';
import { requireAdmin } from '../http/auth';
import { defineRoute } from '../http/route';
import { decodeCursor, encodeCursor, orNull, pageOf, PageQuery, Timestamp, Uuid } from '../http/schemas';

const OrganisationKind = z.enum(['LENDER', 'WAREHOUSE', 'SELLER', 'BUYER']);
const UserRole = z.enum(['ADMIN', 'OPERATOR', 'APPROVER', 'VIEWER']);
const Email = z.email('must be an email address').max(254);
const Name = z.string().trim().min(1, 'must not be blank').max(200);

const IssuedKey = z
  .object({
    id: Uuid,
    label: z.string(),
    apiKey: z.string().optional().meta({ description: 'Shown once, in the first response only; a replay of the request omits it. Store it now' }),
  })
  .meta({ id: 'IssuedApiKey' });

const Invitation = z
  .object({
    id: Uuid,
    expiresAt: Timestamp,
    token: z
      .string()
      .optional()
      .meta({ description: 'The token: for the console (POST /invitations/accept, a password) or an integration (POST /invitations/claim, an API key). Shown once, in the first response only: a replay omits it, and Godown stores only its hash. Hand it to the invited admin only' }),
  })
  .meta({ id: 'Invitation' });

const Me = z.object({ userId: Uuid, organisationId: Uuid, organisationKind: OrganisationKind, role: UserRole }).meta({ id: 'Me' });

const UserView = z
  .object({
    id: Uuid,
    email: z.string(),
    name: z.string(),
    role: UserRole,
    createdAt: Timestamp,
    deactivatedAt: orNull(Timestamp),
    passwordSet: z.boolean().meta({ description: 'Whether the user has set a console password (through an invitation)' }),
    lastSignInAt: orNull(Timestamp),
    invitation: z
      .object({ state: z.enum(['OPEN', 'EXPIRED']), expiresAt: Timestamp })
      .nullable()
      .meta({ description: "The user's newest invitation while unclaimed: OPEN until it expires or a newer one supersedes it, then EXPIRED (issue a new one); null once claimed or when none was issued" }),
  })
  .meta({ id: 'User' });

const ApiKeyView = z
  .object({ id: Uuid, userId: Uuid, label: z.string(), createdAt: Timestamp, lastUsedAt: orNull(Timestamp), revokedAt: orNull(Timestamp) })
  .meta({ id: 'ApiKey' });

const iso = (date: Date | null) => (date ? date.toISOString() : null);

function afterIdOf(cursor: string | undefined): string | null {
  const position = decodeCursor(cursor, ['id']);
  if (position && !Uuid.safeParse(position.id).success) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
  return position?.id ?? null;
}

function nextCursorOf(items: { id: string }[], limit: number): string | null {
  const last = items.at(-1);
  return items.length === limit && last ? encodeCursor({ id: last.id }) : null;
}

export const identityRoutes = [
  defineRoute({
    method: 'get',
    path: '/me',
    operationId: 'getMe',
    summary: 'Who the API key belongs to',
    tag: 'Identity',
    success: { status: 200, description: 'The calling user', schema: Me },
    handler: async ({ actor }) => ({
      userId: actor.userId,
      organisationId: actor.organisationId,
      organisationKind: actor.organisationKind,
      role: actor.role,
    }),
  }),
  defineRoute({
    method: 'post',
    path: '/organisations',
    operationId: 'registerOrganisation',
    summary: "Onboard a counterpart (lender ADMIN): a SELLER, a WAREHOUSE you accept as collateral manager, or a BUYER, with an invitation for its admin",
    tag: 'Identity',
    problems: [403, 409],
    body: z.object({
      kind: OrganisationKind,
      name: Name,
      admin: z.object({ email: Email, name: Name }),
    }),
    success: {
      status: 201,
      description: "The organisation (now your counterpart), its admin, and the admin's one-time invitation to claim the account",
      schema: z.object({ organisationId: Uuid, adminUserId: Uuid, invitation: Invitation }).meta({ id: 'RegisteredOrganisation' }),
    },
    handler: async ({ db, actor, body, now }) => {
      const created = await registerCounterpart(db, actor, body, now);
      // The token is answered once: the request executor stores the response without it (api/http/idempotency.ts).
      return {
        organisationId: created.organisationId,
        adminUserId: created.adminUserId,
        invitation: { id: created.invitation.id, expiresAt: created.invitation.expiresAt.toISOString(), token: created.invitation.token },
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/users',
    operationId: 'listUsers',
    summary: "List your organisation's users (ADMIN)",
    tag: 'Identity',
    problems: [403],
    query: PageQuery,
    success: { status: 200, description: 'Users', schema: pageOf(UserView) },
    handler: async ({ db, actor, query, now }) => {
      requireAdmin(actor, 'list users');
      const users = await listUsers(db, actor.organisationId, { afterId: afterIdOf(query.cursor), limit: query.limit }, now);
      return {
        items: users.map((user) => ({
          ...user,
          createdAt: user.createdAt.toISOString(),
          deactivatedAt: iso(user.deactivatedAt),
          lastSignInAt: iso(user.lastSignInAt),
          invitation: user.invitation && { state: user.invitation.state, expiresAt: user.invitation.expiresAt.toISOString() },
        })),
        nextCursor: nextCursorOf(users, query.limit),
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users',
    operationId: 'createUser',
    summary: 'Create a user (child account) in your organisation (ADMIN)',
    tag: 'Identity',
    problems: [403, 409],
    body: z.object({ email: Email, name: Name, role: UserRole }),
    success: { status: 201, description: 'The user and their first API key (shown once)', schema: z.object({ userId: Uuid, apiKey: IssuedKey }) },
    handler: async ({ db, actor, body }) => {
      requireAdmin(actor, 'create users');
      const created = await createUser(db, actor, body);
      return { userId: created.userId, apiKey: { id: created.key.id, label: created.key.label, apiKey: created.key.apiKey } };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users/{userId}/deactivate',
    operationId: 'deactivateUser',
    summary: 'Deactivate a user; their keys stop working (ADMIN)',
    tag: 'Identity',
    problems: [403, 404],
    params: z.object({ userId: Uuid }),
    success: { status: 200, description: 'Deactivated', schema: z.object({ userId: Uuid, deactivated: z.literal(true) }) },
    handler: async ({ db, actor, params }) => {
      requireAdmin(actor, 'deactivate users');
      await deactivateUser(db, actor, params.userId);
      return { userId: params.userId, deactivated: true as const };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users/{userId}/invitations',
    operationId: 'issueInvitation',
    summary:
      "Issue a new one-time invitation for a user of your organisation (ADMIN): to set a first console password, or to reset a forgotten one. Older open invitations of the user end; when it is accepted, the user's sessions end",
    tag: 'Identity',
    problems: [403, 404, 409],
    params: z.object({ userId: Uuid }),
    success: {
      status: 201,
      description: 'The invitation; hand its token (or the console link GODOWN_PUBLIC_URL/accept-invitation#token=…) to the user only',
      schema: Invitation,
    },
    handler: async ({ db, actor, params, now }) => {
      requireAdmin(actor, 'issue invitations');
      const invitation = await reissueInvitation(db, actor, params.userId, now);
      return { id: invitation.id, expiresAt: invitation.expiresAt.toISOString(), token: invitation.token };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api-keys',
    operationId: 'listApiKeys',
    summary: 'List API keys: your own, or all of your organisation for an ADMIN (secrets are never shown again)',
    tag: 'Identity',
    query: PageQuery,
    success: { status: 200, description: 'Keys', schema: pageOf(ApiKeyView) },
    handler: async ({ db, actor, query }) => {
      const keys = await listApiKeys(db, actor, { afterId: afterIdOf(query.cursor), limit: query.limit });
      return {
        items: keys.map((key) => ({ ...key, createdAt: key.createdAt.toISOString(), lastUsedAt: iso(key.lastUsedAt), revokedAt: iso(key.revokedAt) })),
        nextCursor: nextCursorOf(keys, query.limit),
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users/{userId}/api-keys',
    operationId: 'issueApiKey',
    summary: 'Issue another API key for a user (ADMIN, or the user themself)',
    tag: 'Identity',
    problems: [403, 404, 409],
    params: z.object({ userId: Uuid }),
    body: z.object({ label: Name }),
    success: { status: 201, description: 'The key (shown once)', schema: IssuedKey },
    handler: async ({ db, actor, params, body }) => {
      if (actor.role !== 'ADMIN' && actor.userId !== params.userId) {
        throw new ForbiddenError('only an ADMIN can issue keys for another user');
      }
      const key = await issueKeyForUser(db, actor, params.userId, body.label);
      return { id: key.id, label: key.label, apiKey: key.apiKey };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api-keys/{keyId}/revoke',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key (ADMIN, or the key owner)',
    tag: 'Identity',
    problems: [403, 404],
    params: z.object({ keyId: Uuid }),
    success: { status: 200, description: 'Revoked', schema: z.object({ keyId: Uuid, revoked: z.literal(true) }) },
    handler: async ({ db, actor, params }) => {
      await revokeApiKey(db, actor, params.keyId);
      return { keyId: params.keyId, revoked: true as const };
    },
  }),
];
