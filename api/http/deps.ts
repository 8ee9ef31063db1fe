import type { Logger } from 'pino';
import type { PrismaClient } from '../../prisma/client';
import type { TemporalAccess } from '../../workflows/connection';
import type { Metrics } from '../metrics';
import { processSecretBox, type SecretBox } from '../../prisma/secret-box';
import type { WebhookTargetPolicy } from '../../workflows/webhooks/target';

/** Everything a request handler may use; built once at start-up (or per test). */
export interface AppDeps {
  prisma: PrismaClient;
  logger: Logger;
  temporal: TemporalAccess;
  /** Prometheus metrics; createApp makes a registry of its own when none is given. */
  metrics?: Metrics;
  /** The wall clock; tests and the whole-system simulation inject a virtual one. Default: the real clock. */
  clock?: () => Date;
  /** Where webhooks may go and how long a delivery may take; default: public addresses only (workflows/webhooks/target.ts). */
  webhookTargets?: WebhookTargetPolicy;
  /** The console's public URL (GODOWN_PUBLIC_URL), e.g. behind a proxy that rewrites Host; its origin counts as our own for CSRF. */
  publicUrl?: string;
  /**
   * Seals the secrets the service must read back (webhook signing secrets). The service passes the
   * configured key (api/main.ts); without one, a random key for this process (tests, benchmarks,
   * where the API and the deliverer share the process).
   */
  secrets?: SecretBox;
}

export function secretsOf(deps: AppDeps): SecretBox {
  return deps.secrets ?? processSecretBox();
}

/** The instant a request acts at: read once per request so that every rule in it sees the same time. */
export function clockOf(deps: AppDeps): () => Date {
  return deps.clock ?? (() => new Date());
}
