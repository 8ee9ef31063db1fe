/**
 * Telling organisations what the margin process did: one stored notification
 * per organisation, through the notifications store (read and acknowledged
 * through its API). The dedupe key makes a retried activity tell nobody twice.
 */
import type { Db } from '../client';
import { notify, type NewNotification } from '../notifications/store';

export type Tell = NewNotification;

export async function tellOrganisations(db: Db, tells: readonly Tell[]): Promise<void> {
  for (const tell of tells) await notify(db, tell);
}
