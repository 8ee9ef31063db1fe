import { z } from 'zod';
import type { DrawRecord } from '../../prisma/draws/store';
import { MoneySchema, moneyOf, positiveAt, orNull, Timestamp, Uuid } from '../http/schemas';

export const DrawIdParams = z.object({ drawId: Uuid });
export const LineIdParams = z.object({ lineId: Uuid });

export const RequestDrawBody = z
  .object({
    amount: MoneySchema,
    purpose: z.string().trim().min(1).max(500).optional(),
    lotId: Uuid.optional(),
  })
  .superRefine(positiveAt(['amount', 'amount']));

export const DecisionBody = z.object({ reason: z.string().trim().min(1).max(1000).optional() });

export const DrawDecisionView = z.object({
  userId: Uuid,
  decision: z.enum(['APPROVE', 'REJECT']),
  reason: z.string().nullable(),
  decidedAt: Timestamp,
});

export const DrawView = z
  .object({
    id: Uuid,
    creditLineId: Uuid,
    requestedByUserId: Uuid,
    amount: MoneySchema,
    purpose: z.string().nullable(),
    lotId: Uuid.nullable(),
    status: z.enum(['REQUESTED', 'APPROVED', 'DISBURSED', 'REJECTED', 'EXPIRED', 'REFUSED']),
    requiredApprovals: z.number().int().min(0).max(2),
    approvalDeadline: Timestamp,
    workflowId: z.string(),
    disbursementEntryId: Uuid.nullable(),
    feeEntryId: Uuid.nullable(),
    refusalReason: z.string().nullable(),
    decisions: z.array(DrawDecisionView),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Draw', description: 'A draw and the decisions on it; REQUESTED and APPROVED draws are reserved against availability' });

export const DrawWorkflowStateView = z
  .object({
    drawId: Uuid,
    phase: z.string(),
    requiredApprovals: z.number().int().nullable(),
    approverUserIds: z.array(Uuid),
    rejectedByUserId: Uuid.nullable(),
    approvalDeadline: orNull(Timestamp),
    disbursementEntryId: Uuid.nullable(),
    feeEntryId: Uuid.nullable(),
    refusalReason: z.string().nullable(),
  })
  .meta({ id: 'DrawWorkflowState', description: "The draw workflow's own view (Temporal query drawState)" });

export function drawView(draw: DrawRecord): z.infer<typeof DrawView> {
  return {
    id: draw.id,
    creditLineId: draw.creditLineId,
    requestedByUserId: draw.requestedByUserId,
    amount: moneyOf(draw.amount, draw.currency),
    purpose: draw.purpose,
    lotId: draw.lotId,
    status: draw.status,
    requiredApprovals: draw.requiredApprovals,
    approvalDeadline: draw.approvalDeadline.toISOString(),
    workflowId: draw.workflowId,
    disbursementEntryId: draw.disbursementEntryId,
    feeEntryId: draw.feeEntryId,
    refusalReason: draw.refusalReason,
    decisions: draw.decisions.map((decision) => ({ userId: decision.userId, decision: decision.decision, reason: decision.reason, decidedAt: decision.decidedAt.toISOString() })),
    createdAt: draw.createdAt.toISOString(),
    updatedAt: draw.updatedAt.toISOString(),
  };
}
