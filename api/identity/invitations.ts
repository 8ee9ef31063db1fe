/**
 * POST /invitations/claim: the one request made without an API key. Whoever
 * holds an invitation's token claims the invited user's first API key, once.
 *
 * Not mounted through `defineRoute`, which authenticates every request and
 * scopes Idempotency-Keys to the caller's organisation: here there is no caller
 * yet. The claim is idempotent by itself: a token gives at most one key; a
 * repeated claim changes nothing and is refused (`invitation_already_claimed`).
 * The key is never stored anywhere, so a lost response means a new invitation.
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { inTransaction } from '../../prisma/client';
import { claimInvitation } from '../../prisma/identity/store';
import { clockOf, type AppDeps } from '../http/deps';
import { HttpProblem, ProblemSchema, zodIssuesToFieldProblems } from '../http/problem';
import { Uuid } from '../http/schemas';

const ClaimInvitationBody = z.object({
  token: z.string().max(200).meta({ description: 'The invitation token "gdi_…" given once to whoever registered your organisation or user' }),
});

export const ClaimedAccount = z
  .object({
    userId: Uuid,
    organisationId: Uuid,
    apiKey: z.object({ id: Uuid, label: z.string(), apiKey: z.string().meta({ description: 'Shown once; store it now' }) }),
  })
  .meta({ id: 'ClaimedAccount' });

export function registerInvitationClaim(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/invitations/claim',
    operationId: 'claimInvitation',
    summary: "Claim an invitation: the invited user's first API key, shown once (no API key needed)",
    tags: ['Identity'],
    security: [],
    request: { body: { content: { 'application/json': { schema: ClaimInvitationBody } }, required: true } },
    responses: {
      201: { description: 'The account is claimed; its first API key (shown once)', content: { 'application/json': { schema: ClaimedAccount } } },
      ...Object.fromEntries(
        [
          [400, 'Malformed, unknown or forged token'],
          [422, 'The invitation was already claimed, has expired, or its user was deactivated'],
          [500, 'Unexpected error (logged with the request id)'],
        ].map(([status, description]) => [status, { description: String(description), content: { 'application/problem+json': { schema: ProblemSchema } } }]),
      ),
    },
  });
}

export function mountInvitationClaim(router: Router, deps: AppDeps): void {
  router.post('/invitations/claim', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const parsed = ClaimInvitationBody.safeParse(req.body ?? {});
      if (!parsed.success) {
        const errors = zodIssuesToFieldProblems('body', parsed.error);
        throw new HttpProblem(400, 'validation_failed', 'Invalid request', errors.map((e) => `${e.path} ${e.reason}`).join('; '), errors);
      }
      const claimed = await inTransaction(deps.prisma, (tx) => claimInvitation(tx, parsed.data.token, clockOf(deps)()));
      res.status(201).set('Cache-Control', 'no-store').json(ClaimedAccount.parse({ userId: claimed.userId, organisationId: claimed.organisationId, apiKey: claimed.key }));
    } catch (error) {
      next(error);
    }
  });
}
