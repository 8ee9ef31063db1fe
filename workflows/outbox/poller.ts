/**
 * The durable half of the outbox: a loop in every API process that dispatches
 * whatever is due — rows whose dispatch after commit failed (Temporal down, a
 * timeout) and rows whose process stopped between commit and dispatch. Any
 * number of processes may poll: they claim disjoint rows. It also deletes
 * dispatched rows once they are older than the retention, a bounded batch at a time.
 */
import { pruneDispatched } from '../../prisma/outbox/store';
import { OUTBOX_BATCH_MAX, dispatchOutbox, type OutboxDeps } from './dispatcher';

export const OUTBOX_POLL_INTERVAL_MS = 5_000;
/** Dispatched rows are kept this long (for diagnosis), then deleted. */
export const OUTBOX_RETENTION_MS = 7 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;
const PRUNE_BATCH_MAX = 1_000;

export interface OutboxPollerOptions {
  intervalMs?: number;
  batchSize?: number;
}

export interface OutboxPoller {
  /** Resolves once the current pass has finished; no pass starts after. */
  stop(): Promise<void>;
}

export function startOutboxPoller(deps: OutboxDeps, options: OutboxPollerOptions = {}): OutboxPoller {
  const intervalMs = options.intervalMs ?? OUTBOX_POLL_INTERVAL_MS;
  const batchSize = Math.min(OUTBOX_BATCH_MAX, options.batchSize ?? OUTBOX_BATCH_MAX);
  const clock = deps.clock ?? (() => new Date());
  let stopped = false;
  let wake: (() => void) | null = null;
  let prunedAtMs = Number.NEGATIVE_INFINITY;

  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      timer.unref();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const done = (async () => {
    while (!stopped) {
      let fullBatch = false;
      try {
        const report = await dispatchOutbox(deps, { batchSize });
        fullBatch = report.claimed === batchSize;
        const nowMs = clock().getTime();
        if (nowMs - prunedAtMs >= PRUNE_EVERY_MS) {
          await pruneDispatched(deps.prisma, { before: new Date(nowMs - OUTBOX_RETENTION_MS), limit: PRUNE_BATCH_MAX });
          prunedAtMs = nowMs;
        }
      } catch (error) {
        deps.logger.error({ err: error }, 'workflow outbox: poll failed; trying again after the interval');
      }
      // A full batch means more may be due: go on at once; otherwise wait.
      if (!fullBatch && !stopped) await pause();
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await done;
    },
  };
}
