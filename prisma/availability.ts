/**
 * The database cannot be reached or is shutting down: not a bug of the
 * request, and retrying later may succeed. The edge answers 503 with
 * Retry-After; every other database error stays a 500.
 */
export class DatabaseUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`the database is unavailable: ${reason}`);
  }
}

// Socket errors of a connection that cannot be made or was cut.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNABORTED']);
// PostgreSQL SQLSTATEs: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections; class 08 connection exceptions.
const SQLSTATE_UNAVAILABLE = /^(57P0[123]|53300|08[0-9A-Z]{3})$/;
// Prisma's codes: P1001 cannot reach, P1002 timed out, P1017 server closed the connection, P2024 no pooled connection in time.
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1017', 'P2024']);
// @prisma/adapter-pg's error kinds for the same conditions.
const ADAPTER_KINDS: Record<string, (fields: { host?: unknown; port?: unknown }) => string> = {
  DatabaseNotReachable: ({ host, port }) => `cannot reach the database server${host ? ` at ${String(host)}${port ? `:${String(port)}` : ''}` : ''}`,
  ConnectionClosed: () => 'the database server closed the connection',
  SocketTimeout: () => 'the connection to the database timed out',
  TooManyConnections: () => 'the database server has no free connection',
};
// pg's own errors for a connection that ended under a query, which carry no code.
const PG_MESSAGES = [/Connection terminated/i, /connection timeout/i, /Client has encountered a connection error/i, /terminating connection due to administrator command/i];

/**
 * The reason `error` (or anything it wraps: Prisma's known-request errors
 * carry the driver adapter's error, which carries pg's) means the database is
 * unavailable, or null when it is some other failure.
 */
export function databaseUnavailableReason(error: unknown, depth = 0): string | null {
  if (error instanceof DatabaseUnavailableError) return error.reason;
  if (!error || typeof error !== 'object' || depth > 6) return null;
  const fields = error as { code?: unknown; kind?: unknown; originalCode?: unknown; message?: unknown; cause?: unknown; meta?: unknown };
  const code = typeof fields.code === 'string' ? fields.code : null;
  const originalCode = typeof fields.originalCode === 'string' ? fields.originalCode : null;
  const message = typeof fields.message === 'string' ? fields.message.trim().split('\n').filter((line) => line.trim() !== '').pop() ?? '' : '';
  if (code && SOCKET_CODES.has(code)) return `connection failed (${code})`;
  for (const sqlState of [code, originalCode]) if (sqlState && SQLSTATE_UNAVAILABLE.test(sqlState)) return `PostgreSQL ${sqlState}: ${message || 'connection refused'}`;
  if (code && PRISMA_UNAVAILABLE.has(code)) return `${code}: ${message}`;
  // P2028 also names transactions that expired or closed (bugs); only "could not start in time" means every connection was busy.
  if (code === 'P2028' && /Unable to start a transaction in the given time/.test(message)) return 'every database connection stayed busy: no transaction could start in time';
  if (typeof fields.kind === 'string' && Object.hasOwn(ADAPTER_KINDS, fields.kind)) return ADAPTER_KINDS[fields.kind](fields as { host?: unknown; port?: unknown });
  if (PG_MESSAGES.some((pattern) => pattern.test(message))) return message;
  const meta = fields.meta as { driverAdapterError?: unknown } | undefined;
  for (const inner of [fields.cause, meta?.driverAdapterError, (meta?.driverAdapterError as { cause?: unknown } | undefined)?.cause]) {
    const reason = inner === error ? null : databaseUnavailableReason(inner, depth + 1);
    if (reason) return reason;
  }
  return null;
}
