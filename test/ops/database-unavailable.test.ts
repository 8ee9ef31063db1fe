// One typed mapping for "the database cannot be reached": 503 with Retry-After, never 500.
import { problemFromError } from '../../api/http/problem';
import { DatabaseUnavailableError, databaseUnavailableReason } from '../../prisma/availability';

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

describe('databaseUnavailableReason', () => {
  test.each([
    ['a refused socket', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect', errno: -111 }), 'connection failed (ECONNREFUSED)'],
    ['PostgreSQL shutting down (57P01)', pgError('57P01', 'terminating connection due to administrator command'), 'PostgreSQL 57P01: terminating connection due to administrator command'],
    ['PostgreSQL starting up (57P03)', pgError('57P03', 'the database system is starting up'), 'PostgreSQL 57P03: the database system is starting up'],
    ['a connection exception (08006)', pgError('08006', 'connection failure'), 'PostgreSQL 08006: connection failure'],
    [
      "Prisma's error wrapping the adapter's",
      Object.assign(new Error("Raw query failed. Code: `N/A`. Message: `Can't reach database server at 127.0.0.1:1`"), {
        code: 'P2010',
        meta: { driverAdapterError: Object.assign(new Error('DatabaseNotReachable'), { cause: { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 } }) },
      }),
      'cannot reach the database server at 127.0.0.1:1',
    ],
    ['a pool that never frees a connection (P2028, could not start)', Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), { code: 'P2028' }), 'every database connection stayed busy: no transaction could start in time'],
    ['pg: the connection ended under a query', new Error('Connection terminated unexpectedly'), 'Connection terminated unexpectedly'],
  ])('%s is unavailability', (_name, error, reason) => {
    expect(databaseUnavailableReason(error)).toBe(reason);
  });

  test.each([
    ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
    ['an expired transaction (P2028, a bug of ours)', Object.assign(new Error('Transaction API error: Transaction already closed'), { code: 'P2028' })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a string', 'boom'],
  ])('%s is not', (_name, error) => {
    expect(databaseUnavailableReason(error)).toBeNull();
  });
});

test('the edge answers 503 problem+json with Retry-After, not 500, and does not log it as a bug', () => {
  expect(problemFromError(new DatabaseUnavailableError('the embedded PostgreSQL exited (signal SIGKILL)'))).toEqual({
    problem: {
      type: 'urn:godown:problem:database_unavailable',
      title: 'Service unavailable',
      status: 503,
      detail: 'the database is unavailable (the embedded PostgreSQL exited (signal SIGKILL)); retry in 5 s (a POST retried with the same Idempotency-Key acts at most once)',
      code: 'database_unavailable',
    },
    headers: { 'Retry-After': '5' },
    internal: false,
  });
});
