/**
 * Draw workflow tests run the real workflow in the offline harness with the
 * real activities against a real PostgreSQL. Lines, lots and marks are set up
 * through the API; draws are requested through the store (committed before the
 * workflow starts), so each test drives one workflow by hand.
 */
import path from 'node:path';
import pino from 'pino';
import { Money } from '../../../domain/money';
import { inTransaction } from '../../../prisma/client';
import { requestDraw } from '../../../prisma/draws/store';
import type { DrawWorkflowResult } from '../../../workflows/draws/definitions';
import { createDrawActivities } from '../../../workflows/draws/activities';
import type { TestApi, TestUser } from '../../support/api';
import { startWorkflow, type ActivityImplementations, type WorkflowHarness } from '../../support/workflow-harness';
import type { DrawLine } from '../../draws/factories';

export const drawWorkflowsPath = path.resolve(__dirname, '../../../workflows/draws/workflow.ts');
export const HOUR_MS = 60 * 60 * 1000;

export function actorOf(user: TestUser, organisationKind: 'LENDER' | 'SELLER', role: 'ADMIN' | 'OPERATOR' | 'APPROVER' | 'VIEWER') {
  return { userId: user.userId, organisationId: user.organisationId, organisationKind, role, requestId: null };
}

export async function committedDraw(api: TestApi, line: DrawLine, amount: string) {
  return inTransaction(api.db.prisma, (tx) =>
    requestDraw(tx, actorOf(line.sellerOperator, 'SELLER', 'OPERATOR'), line.lineId, { amount: Money.of(amount, 'USD'), purpose: null, lotId: null, now: new Date() }),
  );
}

export function realActivities(api: TestApi) {
  return createDrawActivities({ prisma: api.db.prisma, logger: pino({ level: 'silent' }) });
}

export async function startDrawWorkflow(
  api: TestApi,
  draw: { id: string; workflowId: string },
  activities: ActivityImplementations = realActivities(api),
): Promise<WorkflowHarness<DrawWorkflowResult>> {
  return startWorkflow<(input: { drawId: string }) => Promise<DrawWorkflowResult>>('drawWorkflow', {
    workflowsPath: drawWorkflowsPath,
    activities,
    args: [{ drawId: draw.id }],
    workflowId: draw.workflowId,
    startTime: Date.now(),
  });
}

/** Activity types the workflow scheduled, in order. */
export function scheduledActivities(harness: WorkflowHarness): string[] {
  return harness.commands().flatMap((command) => (command.scheduleActivity ? [command.scheduleActivity.activityType ?? ''] : []));
}
