import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { AppDeps } from '../../api/http/deps';
import { claimInvitation, createOrganisationWithAdmin, createUser, type OrganisationKind, type UserRole } from '../../prisma/identity/store';
import { inTransaction } from '../../prisma/client';
import { UnavailableTemporal, type TemporalAccess } from '../../workflows/connection';
import { createTestDatabase, type TestDatabase } from './db';

export interface TestUser {
  userId: string;
  organisationId: string;
  apiKey: string;
}

export interface TestOrganisation {
  organisationId: string;
  admin: TestUser;
  /** Adds a user with `role` to this organisation. */
  addUser(role: UserRole, name?: string): Promise<TestUser>;
}

export interface TestApi {
  db: TestDatabase;
  app: Express;
  deps: AppDeps;
  /** A fresh organisation of `kind` with its admin (created directly and its invitation claimed, as after the bootstrap command). */
  organisation(kind: OrganisationKind, name?: string): Promise<TestOrganisation>;
  /**
   * A SELLER, WAREHOUSE or BUYER onboarded by `lender` through the API (POST /organisations), its admin's
   * invitation claimed through POST /invitations/claim: the lender's counterpart, as in production.
   */
  counterpart(lender: TestOrganisation, kind: 'SELLER' | 'WAREHOUSE' | 'BUYER', name?: string): Promise<TestOrganisation>;
  get(user: TestUser, path: string): request.Test;
  /** POST with a fresh Idempotency-Key unless one is given. */
  post(user: TestUser, path: string, body?: unknown, idempotencyKey?: string): request.Test;
  close(): Promise<void>;
}

/** `temporal` may be a factory: the harness (and a real worker) needs the test database's URL, which exists only here. */
export async function createTestApi(
  options: { temporal?: TemporalAccess | ((databaseUrl: string) => TemporalAccess | Promise<TemporalAccess>); poolMax?: number; clock?: () => Date } = {},
): Promise<TestApi> {
  const db = await createTestDatabase({ poolMax: options.poolMax });
  const deps: AppDeps = {
    prisma: db.prisma,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    temporal:
      typeof options.temporal === 'function'
        ? await options.temporal(db.url)
        : (options.temporal ?? new UnavailableTemporal('no Temporal server in tests', 'godown-test')),
    ...(options.clock ? { clock: options.clock } : {}),
  };
  const app = createApp(deps);
  const withUsers = (organisationId: string, admin: TestUser): TestOrganisation => ({
    organisationId,
    admin,
    addUser: async (role, userName = role.toLowerCase()) => {
      const user = await inTransaction(db.prisma, (tx) =>
        createUser(tx, { userId: admin.userId, organisationId, requestId: null }, { email: `${role.toLowerCase()}-${randomUUID()}@example.test`, name: userName, role }),
      );
      return { userId: user.userId, organisationId, apiKey: user.key.apiKey };
    },
  });
  const organisation = async (kind: OrganisationKind, name = `${kind.toLowerCase()} ${randomUUID().slice(0, 8)}`): Promise<TestOrganisation> => {
    const claimed = await inTransaction(db.prisma, async (tx) => {
      const created = await createOrganisationWithAdmin(tx, { kind, name, admin: { email: `admin-${randomUUID()}@example.test`, name: 'Admin' } }, null, new Date());
      return claimInvitation(tx, created.invitation.token, new Date());
    });
    return withUsers(claimed.organisationId, { userId: claimed.userId, organisationId: claimed.organisationId, apiKey: claimed.key.apiKey });
  };
  const counterpart = async (lender: TestOrganisation, kind: 'SELLER' | 'WAREHOUSE' | 'BUYER', name = `${kind.toLowerCase()} ${randomUUID().slice(0, 8)}`) => {
    const registered = await request(app)
      .post('/organisations')
      .set('Authorization', `Bearer ${lender.admin.apiKey}`)
      .set('Idempotency-Key', randomUUID())
      .send({ kind, name, admin: { email: `admin-${randomUUID()}@example.test`, name: 'Admin' } });
    if (registered.status !== 201) throw new Error(`register ${kind}: ${registered.status} ${JSON.stringify(registered.body)}`);
    const claimed = await request(app).post('/invitations/claim').send({ token: registered.body.invitation.token });
    if (claimed.status !== 201) throw new Error(`claim ${kind}: ${claimed.status} ${JSON.stringify(claimed.body)}`);
    const organisationId = registered.body.organisationId as string;
    return withUsers(organisationId, { userId: claimed.body.userId, organisationId, apiKey: claimed.body.apiKey.apiKey });
  };
  return {
    db,
    app,
    deps,
    organisation,
    counterpart,
    get: (user, path) => request(app).get(path).set('Authorization', `Bearer ${user.apiKey}`),
    post: (user, path, body = {}, idempotencyKey = randomUUID()) =>
      request(app).post(path).set('Authorization', `Bearer ${user.apiKey}`).set('Idempotency-Key', idempotencyKey).send(body as object),
    close: async () => {
      await deps.temporal.close();
      await db.close();
    },
  };
}
