import request from 'supertest';
import fc from 'fast-check';
import { allRoutes, createApp } from '../../api/app';
import { ACCOUNT_LOCKOUT, lockedUntil } from '../../domain/sign-in';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';
import { PASSWORD, personOf } from './support';

let now = new Date('2026-12-03T09:00:00.000Z');
const advance = (minutes: number) => {
  now = new Date(now.getTime() + minutes * 60_000);
};
let api: TestApi;
let lender: TestOrganisation;
// Trusts the test's X-Forwarded-For, so that each test signs in from an address of its own.
let proxied: ReturnType<typeof createApp>;

beforeAll(async () => {
  api = await createTestApi({ clock: () => now });
  lender = await api.organisation('LENDER');
  proxied = createApp(api.deps, allRoutes(), { trustProxy: 'loopback' });
});
afterAll(() => api.close());

const from = (address: string, email: string, password: string) =>
  request(proxied).post('/auth/login').set('X-Forwarded-For', address).send({ email, password });

describe('lockout per account', () => {
  test('five failures within 15 minutes lock the account for 15 minutes from the fifth, even for the right password; then it signs in', async () => {
    const person = await personOf(api, lender, 'APPROVER');
    for (let failure = 1; failure <= 5; failure += 1) {
      expect({ failure, status: (await from('198.51.100.1', person.email, 'not the password at all')).status }).toEqual({ failure, status: 401 });
      advance(1);
    }
    // Fifth failure at +4 min: locked until +19 min. It is now +5 min.
    const locked = await from('198.51.100.2', person.email, PASSWORD);
    expect({ status: locked.status, code: locked.body.code, retryAfter: locked.headers['retry-after'], cookie: locked.headers['set-cookie'] }).toEqual({
      status: 429,
      code: 'too_many_attempts',
      retryAfter: String(14 * 60),
      cookie: undefined,
    });
    advance(13.5);
    expect((await from('198.51.100.3', person.email, PASSWORD)).headers['retry-after']).toBe('30');
    advance(0.5);
    expect((await from('198.51.100.3', person.email, PASSWORD)).status).toBe(200);
  });

  test('four failures do not lock, and a successful sign-in starts the count afresh', async () => {
    const person = await personOf(api, lender, 'OPERATOR');
    for (let failure = 1; failure <= 4; failure += 1) expect((await from('198.51.100.10', person.email, 'not the password at all')).status).toBe(401);
    expect((await from('198.51.100.10', person.email, PASSWORD)).status).toBe(200);
    for (let failure = 1; failure <= 4; failure += 1) expect((await from('198.51.100.10', person.email, 'not the password at all')).status).toBe(401);
    expect((await from('198.51.100.10', person.email, PASSWORD)).status).toBe(200);
  });

  test('failures more than 15 minutes apart never add up to a lock', async () => {
    const person = await personOf(api, lender, 'VIEWER');
    for (let failure = 1; failure <= 8; failure += 1) {
      expect((await from('198.51.100.20', person.email, 'not the password at all')).status).toBe(401);
      advance(4);
    }
    expect((await from('198.51.100.20', person.email, PASSWORD)).status).toBe(200);
  });

  test('an unknown email is locked exactly like a known one, so the lock tells nothing about which emails exist', async () => {
    const person = await personOf(api, lender, 'VIEWER');
    const answers = async (email: string, address: string) => {
      const seen: [number, string | undefined][] = [];
      for (let attempt = 1; attempt <= 6; attempt += 1) {
        const res = await from(address, email, 'not the password at all');
        seen.push([res.status, res.headers['retry-after']]);
      }
      return seen;
    };
    const expected = [[401, undefined], [401, undefined], [401, undefined], [401, undefined], [401, undefined], [429, String(15 * 60)]];
    expect(await answers(person.email, '198.51.100.30')).toEqual(expected);
    expect(await answers('ghost@nowhere.example', '198.51.100.31')).toEqual(expected);
    advance(15);
  });
});

describe('lockout per address', () => {
  test('fifty failures from one address within 15 minutes, on any accounts, refuse that address for 15 minutes; other addresses still sign in', async () => {
    const person = await personOf(api, lender, 'APPROVER');
    for (let failure = 1; failure <= 50; failure += 1) {
      // A different account each time, so that no account reaches its own limit.
      const res = await from('203.0.113.7', `guess-${failure}@nowhere.example`, 'not the password at all');
      expect({ failure, status: res.status }).toEqual({ failure, status: 401 });
    }
    const refused = await from('203.0.113.7', person.email, PASSWORD);
    expect({ status: refused.status, code: refused.body.code, retryAfter: refused.headers['retry-after'] }).toEqual({ status: 429, code: 'too_many_attempts', retryAfter: String(15 * 60) });
    expect((await from('203.0.113.8', person.email, PASSWORD)).status).toBe(200);
    advance(15);
    expect((await from('203.0.113.7', person.email, PASSWORD)).status).toBe(200);
  });

  test('failures are counted in the database, where every process sees them', async () => {
    const rows = await api.db.sql<{ n: string }>("SELECT count(*)::text AS n FROM sign_in_failure WHERE client_address = '203.0.113.7'");
    expect(rows[0].n).toBe('50');
  });

  test('concurrent wrong guesses at one account never get past the limit', async () => {
    const person = await personOf(api, lender, 'OPERATOR');
    const answers = await Promise.all(Array.from({ length: 12 }, () => from('198.51.100.40', person.email, 'not the password at all')));
    expect(answers.map((res) => res.status).sort()).toEqual([...Array(5).fill(401), ...Array(7).fill(429)]);
  });
});

describe('the lockout rule', () => {
  test('never locks with fewer than the limit of failures, and any lock ends lockMinutes after the failure that started it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60 * 60 }), { maxLength: 12 }), fc.integer({ min: 0, max: 90 * 60 }), (offsets, nowOffset) => {
        const start = Date.UTC(2026, 11, 3);
        const failures = offsets.map((seconds) => new Date(start + seconds * 1000));
        const at = new Date(start + nowOffset * 1000);
        const until = lockedUntil(failures, at, ACCOUNT_LOCKOUT);
        if (failures.length < ACCOUNT_LOCKOUT.failuresMax) expect(until).toBeNull();
        if (until) {
          expect(until.getTime()).toBeGreaterThan(at.getTime());
          const started = new Date(until.getTime() - ACCOUNT_LOCKOUT.lockMinutes * 60_000);
          expect(failures.some((failure) => failure.getTime() === started.getTime())).toBe(true);
          const inWindow = failures.filter((f) => f.getTime() <= started.getTime() && f.getTime() > started.getTime() - ACCOUNT_LOCKOUT.windowMinutes * 60_000);
          expect(inWindow.length).toBeGreaterThanOrEqual(ACCOUNT_LOCKOUT.failuresMax);
        }
      }),
    );
  });
});
