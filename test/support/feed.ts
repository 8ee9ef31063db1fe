import { feedHorizon } from '../../prisma/events/store';
import type { TestDatabase } from './db';

/**
 * Waits until the event feed's horizon has passed every event recorded so far in `db`. The horizon
 * is the cluster's oldest running transaction (prisma/events/store.ts), and other test files'
 * databases share the cluster: one of their transactions may hold it back for a while, and a feed
 * read meanwhile rightly shows nothing newer. A test that asserts what the feed shows after its own
 * writes waits here first, as any consumer of the feed would read on until it caught up.
 */
export async function feedPassed(db: TestDatabase, timeoutMs = 60_000): Promise<void> {
  const [{ last }] = await db.sql<{ last: string | null }>('SELECT max(tx_id)::text AS last FROM domain_event');
  if (last === null) return;
  const deadline = Date.now() + timeoutMs;
  while ((await feedHorizon(db.prisma)).txId < BigInt(last)) {
    if (Date.now() > deadline) throw new Error(`the feed's horizon did not pass transaction ${last} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
