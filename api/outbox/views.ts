/**
 * How a GET shows where the start of an object's workflow stands: PENDING
 * while it waits in the workflow outbox (Temporal unreachable; the dispatcher
 * keeps trying), STARTED once Temporal has it.
 */
import { z } from 'zod';
import type { Db } from '../../prisma/client';
import { workflowStartState } from '../../prisma/outbox/store';
import { orNull, Timestamp } from '../http/schemas';

export const WorkflowStartView = z
  .object({
    status: z.enum(['PENDING', 'STARTED']).meta({ description: 'PENDING: committed, not yet started in Temporal; the outbox keeps trying' }),
    attempts: z.number().int().meta({ description: 'Dispatch attempts so far' }),
    nextAttemptAt: orNull(Timestamp).meta({ description: 'When the next attempt is due (PENDING only)' }),
  })
  .meta({ id: 'WorkflowStart' });

/** Null for an object whose workflow was started before the outbox existed. */
export async function workflowStartView(db: Db, workflowId: string): Promise<z.infer<typeof WorkflowStartView> | null> {
  const start = await workflowStartState(db, workflowId);
  return start && { status: start.status, attempts: start.attempts, nextAttemptAt: start.nextAttemptAt?.toISOString() ?? null };
}
