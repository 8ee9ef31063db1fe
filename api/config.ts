import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** Requests in flight before load shedding, when HTTP_IN_FLIGHT_MAX is not set (also createApp's default). */
export const HTTP_IN_FLIGHT_MAX_DEFAULT = 200;

const ConfigSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// connection URL')
    .optional(),
  DATABASE_POOL_MAX: positiveInt.max(500).default(20),
  GODOWN_DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_PORT: port.default(54320),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port, e.g. localhost:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('godown'),
  TEMPORAL_DEV_SERVER: z.enum(['auto', 'off']).default('auto'),
  /** Without TEMPORAL_ADDRESS: the ports of the development server this process runs (frontend, Web UI). */
  TEMPORAL_DEV_SERVER_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  WORKER_METRICS_PORT: port.optional(),
  GODOWN_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_GRACE_MS: positiveInt.max(600_000).default(10_000),
  /** Only under root: where the postgres user's copy of the PostgreSQL binaries and (when GODOWN_DATA_DIR is out of its reach) the data live. */
  GODOWN_ROOT_RUN_DIR: z.string().min(1).default('/var/lib/godown'),
  /** How often the service checks that the database answers (readiness reports what it saw). */
  DATABASE_CHECK_INTERVAL_MS: positiveInt.min(100).max(600_000).default(5_000),
  /** Restarts in a row of a crashed embedded PostgreSQL before the service exits non-zero. */
  EMBEDDED_PG_RESTARTS_MAX: z.coerce.number().int().min(0).max(100).default(3),
  /** Time to receive a whole request (headers and body): a body trickled slower than this is cut off with 408. */
  HTTP_REQUEST_TIMEOUT_MS: positiveInt.min(1_000).max(600_000).default(30_000),
  /** Time to receive a request's headers. */
  HTTP_HEADERS_TIMEOUT_MS: positiveInt.min(1_000).max(600_000).default(10_000),
  /** Open connections the server accepts at once; more are closed on arrival. */
  HTTP_MAX_CONNECTIONS: positiveInt.max(100_000).default(1_000),
  /** Requests in flight at once; more are answered 503 with Retry-After (load shedding). /health and /ready are exempt. */
  HTTP_IN_FLIGHT_MAX: positiveInt.max(100_000).default(HTTP_IN_FLIGHT_MAX_DEFAULT),
  /** Lets webhooks go to private, loopback and link-local addresses (tests, local development); never in production. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /**
   * The key (32 bytes, base64) that seals secrets the service must read back (webhook signing secrets)
   * before they are stored. Without it, a key file `secret.key` in GODOWN_DATA_DIR is made on first
   * start and used after; in production give it from your secret store and keep it out of backups of the database.
   */
  GODOWN_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=?$/, 'must be 32 bytes in base64 (openssl rand -base64 32)')
    .optional(),
  /** Longest wait for a webhook receiver's answer; longer counts as a failed attempt. */
  WEBHOOK_DELIVERY_TIMEOUT_MS: positiveInt.min(100).max(60_000).default(10_000),
  /**
   * Where people reach the console, e.g. https://godown.example.com: the base of invitation links, and an
   * origin the CSRF check accepts besides the request's own. Default: http://localhost:PORT.
   */
  GODOWN_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://godown.example.com' }).optional(),
  /**
   * Express's `trust proxy`: "false" (default: the peer is the client), "true", a hop count, or addresses/subnets
   * ("loopback, 10.0.0.0/8"). Decides the client address sign-in limits count and whether a request came over TLS.
   */
  HTTP_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value): boolean | number | string => (value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value)),
}).refine((config) => config.HTTP_HEADERS_TIMEOUT_MS <= config.HTTP_REQUEST_TIMEOUT_MS, {
  path: ['HTTP_HEADERS_TIMEOUT_MS'],
  message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS',
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** The console's public base URL, without a trailing slash. */
export function publicUrlOf(config: Pick<Config, 'GODOWN_PUBLIC_URL' | 'PORT'>): string {
  return (config.GODOWN_PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}

/** The link that opens the console's invitation page; the token travels in the fragment, which browsers never send to a server. */
export function invitationLinkOf(config: Pick<Config, 'GODOWN_PUBLIC_URL' | 'PORT'>, token: string): string {
  return `${publicUrlOf(config)}/accept-invitation#token=${token}`;
}

/** Reads configuration once, at start-up; a bad value stops start-up naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = ConfigSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
