/**
 * Draws: a seller's request for an advance, reserved against the line's
 * availability at once; lender approvers' decisions; and the state changes the
 * draw workflow makes (approve, reject, expire, disburse or refuse).
 *
 * Concurrency: every change that depends on availability or on the line's
 * status locks the credit_line row FOR UPDATE first (the same row that freeze
 * and close lock), then the draw row — the lock order of prisma/locks.ts. Reserved = Σ amount of REQUESTED and
 * APPROVED draws, read after the lock, so concurrent requests are serialised
 * and can never together exceed availability.
 *
 * Workflow-side changes are idempotent by state: each moves a draw out of one
 * status under a row lock, and a retry that finds the change already made
 * returns the same result and writes nothing. Ledger postings and
 * notifications carry keys derived from the draw's workflow id.
 */
import { randomUUID } from 'node:crypto';
import { isMatured } from '../../domain/delinquency';
import { canApprove, requiredApprovals, type RequiredApprovals } from '../../domain/approval';
import { coverageAfter, disbursementRefusal, reservationsToRefuse } from '../../domain/custody';
import { BusinessRuleError, ConflictError, CurrencyMismatchError, ForbiddenError, NotFoundError, assert } from '../../domain/errors';
import { Money } from '../../domain/money';
import { recordAudit } from '../audit/store';
import { Prisma, type Db } from '../client';
import { creditLineVisibleTo, type CreditLineRecord, type LineActor } from '../credit-lines/store';
import { lineCoverage, type LineCoverageAt } from '../custody/coverage';
import { linePosition } from '../custody/valuation';
import type { Draw, DrawDecision, DrawStatus } from '../generated/client';
import { postEntry } from '../ledger/store';
import { lockDraws, lockLines } from '../locks';
import { notify } from '../notifications/store';
import { recordEvent } from '../events/store';
import { enqueueWorkflowCommands } from '../outbox/store';

export const DRAWS_PAGE_MAX = 200;
const MS_PER_HOUR = 60 * 60 * 1000;
/** Roles of a seller's staff who may ask for money on its lines. */
const REQUESTING_ROLES = ['ADMIN', 'OPERATOR'] as const;

export type DrawRecord = Draw & { decisions: DrawDecision[] };

export const drawWorkflowId = (drawId: string): string => `draw-${drawId}`;
/**
 * The draw workflow's signal that something was decided about the draw (workflows/draws/definitions.ts
 * `decisionRecordedSignal`; a test holds the two names equal): on it the workflow reads the draw again.
 */
export const DRAW_DECISION_SIGNAL_NAME = 'decisionRecorded';

// ─── Requesting ──────────────────────────────────────────────────────────────

export interface DrawRequest {
  amount: Money;
  purpose: string | null;
  lotId: string | null;
  now: Date;
}

/**
 * Reserves `amount` on the line and records the draw (REQUESTED), in the
 * caller's transaction. Refuses with 'insufficient_availability' naming the
 * availability when the amount does not fit.
 */
export async function requestDraw(db: Db, actor: LineActor, lineId: string, request: DrawRequest): Promise<DrawRecord> {
  const line = await lockLineVisibleTo(db, actor.organisationId, lineId);
  if (actor.organisationId !== line.sellerOrganisationId) {
    throw new ForbiddenError(`only the line's seller requests draws on credit line ${line.id}; your organisation is its lender`);
  }
  if (!(REQUESTING_ROLES as readonly string[]).includes(actor.role)) {
    throw new ForbiddenError(`requesting a draw needs role ${REQUESTING_ROLES.join(' or ')}; you are ${actor.role}`);
  }
  if (request.amount.currency !== line.terms.currency) {
    throw new CurrencyMismatchError(line.terms.currency, request.amount.currency, 'the line', 'body.amount.currency');
  }
  requireLineOpenForDraws(line, isoDate(request.now));
  if (request.lotId !== null) await requireLotPledgedToLine(db, request.lotId, line.id);

  const lineRow = await db.creditLine.findUniqueOrThrow({ where: { id: line.id } });
  const position = await linePosition(db, lineRow, { now: request.now, lotsPage: null });
  if (request.amount.gt(position.availability)) {
    throw new BusinessRuleError(
      'insufficient_availability',
      `availability is ${position.availability.roundToScale().format()}${position.noAvailabilityReason ? ` (${position.noAvailabilityReason})` : ''}; requested ${request.amount.format()}`, 'body.amount',
    );
  }
  const id = randomUUID();
  const draw = await db.draw.create({
    data: {
      id,
      creditLineId: line.id,
      requestedByUserId: actor.userId,
      amount: request.amount.amount.toFixed(),
      currency: request.amount.currency,
      purpose: request.purpose,
      lotId: request.lotId,
      requiredApprovals: requiredApprovals(request.amount, line.terms.approvalThresholds),
      approvalDeadline: new Date(request.now.getTime() + line.terms.approvalWindowHours * MS_PER_HOUR),
      workflowId: drawWorkflowId(id),
    },
    include: { decisions: true },
  });
  await recordAudit(db, actor, {
    action: 'draw.requested',
    targetType: 'draw',
    targetId: draw.id,
    after: { creditLineId: line.id, amount: request.amount.toJSON(), requiredApprovals: draw.requiredApprovals, availabilityBefore: position.availability.toJSON() },
  });
  await recordEvent(db, 'draw.requested', {
    subjectId: draw.id,
    parties: [line.lenderOrganisationId, line.sellerOrganisationId],
    requestId: actor.requestId,
    data: { ...drawFacts(draw), requiredApprovals: draw.requiredApprovals, approvalDeadline: draw.approvalDeadline.toISOString() },
  });
  return draw;
}

/**
 * A line takes new draws while ACTIVE and before its maturity date: on that day everything owed falls due
 * (domain/delinquency.ts), so nothing more is lent; a renewal (an amendment of the maturity) lifts it.
 */
function lineRefusal(line: { id: string; status: string; maturityDate: string }, onDate: string): { code: string; message: string } | null {
  if (line.status !== 'ACTIVE') {
    return { code: 'credit_line_not_active', message: `credit line ${line.id} is ${line.status}; draws are made only on an ACTIVE line` };
  }
  if (isMatured(line.maturityDate, onDate)) {
    return {
      code: 'credit_line_matured',
      message: `credit line ${line.id} matures on ${line.maturityDate}; no draws from its maturity date (the date is ${onDate}), when everything owed is due — a renewal (an amendment of maturityDate) lifts this`,
    };
  }
  return null;
}

function requireLineOpenForDraws(line: CreditLineRecord, onDate: string): void {
  const refusal = lineRefusal({ id: line.id, status: line.status, maturityDate: line.terms.maturityDate }, onDate);
  if (refusal) throw new BusinessRuleError(refusal.code, refusal.message);
}

async function requireLotPledgedToLine(db: Db, lotId: string, lineId: string): Promise<void> {
  const lien = await db.lien.findFirst({ where: { lotId, creditLineId: lineId, releasedAt: null } });
  if (!lien) throw new BusinessRuleError('lot_not_pledged_to_line', `lot ${lotId} is not pledged to credit line ${lineId}; a draw may name only a lot pledged to its line`, 'body.lotId');
}

/** Locks the line row (as freeze and close do) before reading it, so status and reservations cannot change under us. */
async function lockLineVisibleTo(db: Db, organisationId: string, lineId: string): Promise<CreditLineRecord> {
  await lockLines(db, [lineId]);
  return creditLineVisibleTo(db, organisationId, lineId);
}

async function lockLine(db: Db, lineId: string): Promise<void> {
  await lockLines(db, [lineId]);
}

async function lockDraw(db: Db, drawId: string): Promise<void> {
  await lockDraws(db, [drawId]);
}

// ─── Reading ─────────────────────────────────────────────────────────────────

/** The draw with its decisions, if the organisation is party to its line; otherwise it does not exist. */
export async function drawVisibleTo(db: Db, organisationId: string, drawId: string): Promise<{ draw: DrawRecord; line: CreditLineRecord }> {
  const draw = await db.draw.findUnique({ where: { id: drawId }, include: { decisions: { orderBy: { decidedAt: 'asc' } } } });
  if (!draw) throw new NotFoundError('draw', drawId);
  try {
    return { draw, line: await creditLineVisibleTo(db, organisationId, draw.creditLineId) };
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError('draw', drawId);
    throw error;
  }
}

/** Draws on a visible line, newest first. */
export async function drawsOfLine(db: Db, organisationId: string, lineId: string, page: { afterDrawId: string | null; limit: number }): Promise<DrawRecord[]> {
  await creditLineVisibleTo(db, organisationId, lineId);
  return db.draw.findMany({
    where: { creditLineId: lineId },
    include: { decisions: { orderBy: { decidedAt: 'asc' } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(page.limit, DRAWS_PAGE_MAX),
    ...(page.afterDrawId ? { cursor: { id: page.afterDrawId }, skip: 1 } : {}),
  });
}

/** REQUESTED draws on the lender's lines that still need approvals, oldest deadline first. */
export async function pendingApprovalsOf(db: Db, lenderOrganisationId: string, page: { afterDrawId: string | null; limit: number }): Promise<DrawRecord[]> {
  const lines = await db.creditLine.findMany({ where: { lenderOrganisationId }, select: { id: true } });
  if (lines.length === 0) return [];
  return db.draw.findMany({
    where: { creditLineId: { in: lines.map((line) => line.id) }, status: 'REQUESTED', requiredApprovals: { gt: 0 } },
    include: { decisions: { orderBy: { decidedAt: 'asc' } } },
    orderBy: [{ approvalDeadline: 'asc' }, { id: 'asc' }],
    take: Math.min(page.limit, DRAWS_PAGE_MAX),
    ...(page.afterDrawId ? { cursor: { id: page.afterDrawId }, skip: 1 } : {}),
  });
}

// ─── Decisions ───────────────────────────────────────────────────────────────

export type DecisionKind = 'APPROVE' | 'REJECT';

/**
 * Records one lender user's decision on a REQUESTED draw, after the approval
 * policy's checks against the database (not the workflow) state. The workflow
 * is told afterwards and reads the tally itself.
 */
export async function recordDecision(
  db: Db,
  actor: LineActor,
  drawId: string,
  input: { decision: DecisionKind; reason: string | null; now: Date },
): Promise<DrawRecord> {
  const { draw: visible, line } = await drawVisibleTo(db, actor.organisationId, drawId);
  await lockDraw(db, visible.id);
  const draw = await db.draw.findUniqueOrThrow({ where: { id: drawId }, include: { decisions: true } });
  const check = canApprove({
    approver: { userId: actor.userId, organisationId: actor.organisationId, role: actor.role },
    draw: { requestedByUserId: draw.requestedByUserId, lenderOrganisationId: line.lenderOrganisationId },
    existingApprovals: draw.decisions.filter((decision) => decision.decision === 'APPROVE').map((decision) => decision.userId),
  });
  if (!check.ok) {
    if (check.reason === 'ALREADY_APPROVED') throw new ConflictError(check.message);
    if (check.reason === 'SELF_APPROVAL') throw new BusinessRuleError('self_approval', check.message);
    throw new ForbiddenError(check.message);
  }
  if (draw.status !== 'REQUESTED') {
    throw new ConflictError(`draw ${draw.id} is ${draw.status}; approvals and rejections are taken only while it is REQUESTED`);
  }
  if (draw.requiredApprovals === 0) {
    throw new ConflictError(`draw ${draw.id} is within the automatic approval threshold and needs no approver`);
  }
  if (input.now.getTime() >= draw.approvalDeadline.getTime()) {
    throw new ConflictError(`the approval window of draw ${draw.id} closed at ${draw.approvalDeadline.toISOString()}`);
  }
  if (draw.decisions.some((decision) => decision.userId === actor.userId)) {
    throw new ConflictError(`user ${actor.userId} has already decided on draw ${draw.id}; each approver decides once`);
  }
  await db.drawDecision.create({ data: { drawId: draw.id, userId: actor.userId, decision: input.decision, reason: input.reason, decidedAt: input.now } });
  await recordAudit(db, actor, {
    action: input.decision === 'APPROVE' ? 'draw.approval_given' : 'draw.rejection_given',
    targetType: 'draw',
    targetId: draw.id,
    after: { decision: input.decision, reason: input.reason },
  });
  return db.draw.findUniqueOrThrow({ where: { id: drawId }, include: { decisions: { orderBy: { decidedAt: 'asc' } } } });
}

// ─── Workflow-side changes (called by activities) ────────────────────────────

export interface DrawForWorkflow {
  drawId: string;
  status: DrawStatus;
  requiredApprovals: RequiredApprovals;
  approvalDeadlineMs: number;
}

/** Null when the draw is not (yet) visible: its request transaction may not have committed. */
export async function drawForWorkflow(db: Db, drawId: string): Promise<DrawForWorkflow | null> {
  const draw = await db.draw.findUnique({ where: { id: drawId } });
  if (!draw) return null;
  assert(draw.requiredApprovals === 0 || draw.requiredApprovals === 1 || draw.requiredApprovals === 2, `draw ${drawId} needs 0, 1 or 2 approvals`);
  return { drawId, status: draw.status, requiredApprovals: draw.requiredApprovals, approvalDeadlineMs: draw.approvalDeadline.getTime() };
}

export interface DecisionTally {
  approverUserIds: string[];
  rejectedByUserId: string | null;
  /**
   * The draw's status and refusal reason as read with the tally: a draw refused while it waited
   * for approvers (its reservation no longer covered) is no longer REQUESTED. Absent from tallies
   * recorded before it was read (workflow histories replay them as they were).
   */
  drawStatus?: DrawStatus;
  refusalReason?: string | null;
}

export async function decisionTally(db: Db, drawId: string): Promise<DecisionTally> {
  const decisions = await db.drawDecision.findMany({ where: { drawId }, orderBy: { decidedAt: 'asc' } });
  const draw = await db.draw.findUnique({ where: { id: drawId }, select: { status: true, refusalReason: true } });
  if (!draw) throw new NotFoundError('draw', drawId);
  return {
    approverUserIds: decisions.filter((decision) => decision.decision === 'APPROVE').map((decision) => decision.userId),
    rejectedByUserId: decisions.find((decision) => decision.decision === 'REJECT')?.userId ?? null,
    drawStatus: draw.status,
    refusalReason: draw.refusalReason,
  };
}

/** The line's lender stands behind every change the workflow makes; no user made it. */
async function auditSystem(db: Db, organisationId: string, action: string, drawId: string, before: DrawStatus, after: Prisma.InputJsonValue): Promise<void> {
  await db.auditRecord.create({
    data: { actorUserId: null, organisationId, action, targetType: 'draw', targetId: drawId, before: { status: before }, after, requestId: null },
  });
}

async function lockedDrawAndLine(db: Db, drawId: string) {
  const draw = await db.draw.findUnique({ where: { id: drawId } });
  if (!draw) throw new NotFoundError('draw', drawId);
  await lockLine(db, draw.creditLineId);
  await lockDraw(db, drawId);
  const locked = await db.draw.findUniqueOrThrow({ where: { id: drawId } });
  const line = await db.creditLine.findUniqueOrThrow({ where: { id: draw.creditLineId } });
  return { draw: locked, line };
}

/**
 * Moves a REQUESTED draw to `to`; returns the status the draw has afterwards.
 * A draw already past REQUESTED is left as it is (a retry, or a race the
 * caller decides about), and nothing is written.
 */
async function settleRequested(
  db: Db,
  drawId: string,
  to: 'APPROVED' | 'REJECTED' | 'EXPIRED',
  tell: ((draw: Draw, line: { sellerOrganisationId: string }) => { kind: string; message: string }) | null,
): Promise<DrawStatus> {
  const { draw, line } = await lockedDrawAndLine(db, drawId);
  if (draw.status !== 'REQUESTED') return draw.status;
  await db.draw.update({ where: { id: drawId }, data: { status: to, decidedAt: new Date() } });
  await auditSystem(db, line.lenderOrganisationId, `draw.${to.toLowerCase()}`, drawId, draw.status, { status: to });
  const eventType = to === 'APPROVED' ? 'draw.approved' : to === 'REJECTED' ? 'draw.rejected' : 'draw.expired';
  await recordEvent(db, eventType, { subjectId: drawId, parties: [line.lenderOrganisationId, line.sellerOrganisationId], data: drawFacts(draw) });
  if (tell) {
    const { kind, message } = tell(draw, line);
    await notify(db, { organisationId: line.sellerOrganisationId, kind, message, subjectType: 'draw', subjectId: drawId, dedupeKey: `${draw.workflowId}:${kind}` });
  }
  return to;
}

const amountOf = (draw: Draw) => Money.of(draw.amount.toFixed(), draw.currency);
const drawFacts = (draw: Draw) => ({ drawId: draw.id, creditLineId: draw.creditLineId, amount: amountOf(draw).toJSON() });

export const approveDrawRow = (db: Db, drawId: string) => settleRequested(db, drawId, 'APPROVED', null);

export const rejectDrawRow = (db: Db, drawId: string) =>
  settleRequested(db, drawId, 'REJECTED', (draw) => ({
    kind: 'draw.rejected',
    message: `draw ${draw.id} of ${amountOf(draw).format()} was rejected by the lender; its reservation is released`,
  }));

export const expireDrawRow = (db: Db, drawId: string) =>
  settleRequested(db, drawId, 'EXPIRED', (draw) => ({
    kind: 'draw.expired',
    message: `draw ${draw.id} of ${amountOf(draw).format()} was not approved before ${draw.approvalDeadline.toISOString()} and expired; its reservation is released`,
  }));

export type DisbursementResult =
  | { status: 'DISBURSED'; disbursementEntryId: string; feeEntryId: string | null }
  | { status: 'REFUSED'; reason: string }
  | { status: Exclude<DrawStatus, 'DISBURSED' | 'REFUSED'> };

function resultOf(draw: Draw): DisbursementResult {
  if (draw.status === 'DISBURSED') {
    assert(draw.disbursementEntryId !== null, `disbursed draw ${draw.id} names its ledger entry`);
    return { status: 'DISBURSED', disbursementEntryId: draw.disbursementEntryId, feeEntryId: draw.feeEntryId };
  }
  if (draw.status === 'REFUSED') {
    assert(draw.refusalReason !== null, `refused draw ${draw.id} says why`);
    return { status: 'REFUSED', reason: draw.refusalReason };
  }
  return { status: draw.status };
}

/**
 * Disburses an APPROVED draw in one transaction: re-checks the line under its
 * lock (ACTIVE, not past maturity on `effectiveDate`, and covered as of `now`:
 * availability counting this draw's reservation zero or more, the shared rule
 * domain/custody.ts disbursementRefusal — so a loss, unpledge or price move
 * since approval cannot turn into an unsecured loan), posts principal
 * (key `<workflowId>:disburse`) and the line's per-draw fee, if any
 * (key `<workflowId>:draw-fee`), and marks the draw DISBURSED; or marks it
 * REFUSED with the reason and tells the seller. Run again after it committed,
 * it finds the draw settled and returns the same result, writing nothing.
 */
export async function disburseDrawRow(db: Db, drawId: string, effectiveDate: string, now: Date): Promise<DisbursementResult> {
  const { draw, line } = await lockedDrawAndLine(db, drawId);
  if (draw.status !== 'APPROVED') return resultOf(draw);
  const refusal = lineRefusal({ id: line.id, status: line.status, maturityDate: isoDate(line.maturityDate) }, effectiveDate) ?? (await coverageRefusal(db, draw, now));
  if (refusal) {
    const reason = `${refusal.code}: ${refusal.message}`;
    await db.draw.update({ where: { id: drawId }, data: { status: 'REFUSED', refusalReason: reason } });
    await auditSystem(db, line.lenderOrganisationId, 'draw.refused', drawId, draw.status, { status: 'REFUSED', reason });
    await recordEvent(db, 'draw.refused', { subjectId: drawId, parties: [line.lenderOrganisationId, line.sellerOrganisationId], data: { ...drawFacts(draw), reason } });
    const message = `draw ${draw.id} of ${amountOf(draw).format()} was approved but not disbursed: ${refusal.message}; its reservation is released`;
    // Both parties: the seller does not get the money, the lender's approval was not acted on.
    await notify(db, { organisationId: line.sellerOrganisationId, kind: 'draw.refused', message, subjectType: 'draw', subjectId: drawId, dedupeKey: `${draw.workflowId}:draw.refused` });
    await notify(db, { organisationId: line.lenderOrganisationId, kind: 'draw.refused', message, subjectType: 'draw', subjectId: drawId, dedupeKey: `${draw.workflowId}:draw.refused:lender` });
    return { status: 'REFUSED', reason };
  }
  const accounts = new Map((await db.ledgerAccount.findMany({ where: { accountSetId: line.id } })).map((account) => [account.code, account.id]));
  const account = (code: string): string => {
    const id = accounts.get(code);
    assert(id !== undefined, `credit line ${line.id} has ledger account ${code}`);
    return id;
  };
  const amount = amountOf(draw);
  const disbursement = await postEntry(db, {
    idempotencyKey: `${draw.workflowId}:disburse`,
    description: `Draw ${draw.id} disbursed`,
    effectiveDate,
    accountSetId: line.id,
    metadata: { drawId: draw.id },
    lines: [
      { accountId: account('LOAN_PRINCIPAL'), side: 'DEBIT', amount },
      { accountId: account('LENDER_FUNDING'), side: 'CREDIT', amount },
    ],
  });
  let feeEntryId: string | null = null;
  if (line.perDrawFee !== null && !line.perDrawFee.isZero()) {
    const fee = Money.of(line.perDrawFee.toFixed(), line.currency).roundToScale();
    const feeEntry = await postEntry(db, {
      idempotencyKey: `${draw.workflowId}:draw-fee`,
      description: `Fee on draw ${draw.id}`,
      effectiveDate,
      accountSetId: line.id,
      metadata: { drawId: draw.id },
      lines: [
        { accountId: account('FEES_RECEIVABLE'), side: 'DEBIT', amount: fee },
        { accountId: account('FEE_INCOME'), side: 'CREDIT', amount: fee },
      ],
    });
    feeEntryId = feeEntry.id;
  }
  await db.draw.update({ where: { id: drawId }, data: { status: 'DISBURSED', disbursementEntryId: disbursement.id, feeEntryId } });
  await auditSystem(db, line.lenderOrganisationId, 'draw.disbursed', drawId, draw.status, { status: 'DISBURSED', disbursementEntryId: disbursement.id, feeEntryId });
  await recordEvent(db, 'draw.disbursed', {
    subjectId: drawId,
    parties: [line.lenderOrganisationId, line.sellerOrganisationId],
    data: { ...drawFacts(draw), disbursementEntryId: disbursement.id, feeEntryId, effectiveDate },
  });
  await notify(db, {
    organisationId: line.sellerOrganisationId,
    kind: 'draw.disbursed',
    message: `draw ${draw.id} of ${amount.format()} was disbursed`,
    subjectType: 'draw',
    subjectId: drawId,
    dedupeKey: `${draw.workflowId}:draw.disbursed`,
  });
  return { status: 'DISBURSED', disbursementEntryId: disbursement.id, feeEntryId };
}

// ─── Reservations the line can no longer cover ───────────────────────────────

export interface RefusedReservation {
  drawId: string;
  workflowId: string;
  amount: Money;
  reason: string;
}

/**
 * After a change that lowered the line's availability below zero (from
 * `before`, read under the same lock) and that nobody could refuse (a buyer's
 * payment took its goods out of the borrowing base, goods left in a
 * liquidation), refuses the reservations the line no longer covers:
 * newest first, as few as bring availability back to zero or more
 * (domain/custody.ts reservationsToRefuse). Each refused draw goes REFUSED
 * with `cause` in its reason, seller and lender are told, `draw.refused` is
 * recorded, and its workflow is signalled through the outbox (in this
 * transaction) so that it stops waiting and finishes. The caller holds the
 * line's lock (prisma/locks.ts); draws are locked after it, level 5.
 * A line that covers its reservations is left as it is.
 */
export async function refuseUncoveredReservations(
  db: Db,
  input: { before: LineCoverageAt; now: Date; cause: string; actor: { userId: string; requestId: string | null } | null },
): Promise<RefusedReservation[]> {
  const coverage = await lineCoverage(db, input.before.lineId, input.now);
  // Only a change that lowered availability below zero (coverageAfter): one that did not (cash that
  // repaid principal on a line a price had left short) leaves the waiting reservations as they are.
  if (coverageAfter({ operation: 'release', before: input.before, after: coverage }).kind === 'kept' || coverage.reservedDraws.isZero()) return [];
  const lineId = input.before.lineId;
  const reserved = await db.draw.findMany({ where: { creditLineId: lineId, status: { in: ['REQUESTED', 'APPROVED'] } }, select: { id: true } });
  await lockDraws(db, reserved.map((draw) => draw.id));
  const locked = await db.draw.findMany({ where: { creditLineId: lineId, status: { in: ['REQUESTED', 'APPROVED'] } } });
  const toRefuse = reservationsToRefuse(
    coverage.availability,
    locked.map((draw) => ({ drawId: draw.id, amount: amountOf(draw), createdAt: draw.createdAt })),
  );
  if (toRefuse.length === 0) return [];
  const line = await db.creditLine.findUniqueOrThrow({ where: { id: lineId }, select: { lenderOrganisationId: true, sellerOrganisationId: true } });
  const byId = new Map(locked.map((draw) => [draw.id, draw]));
  const shortfall =
    `availability fell to ${coverage.availability.roundToScale().format()} ` +
    `(outstanding principal ${coverage.outstandingPrincipal.roundToScale().format()}, reserved draws ${coverage.reservedDraws.roundToScale().format()})`;
  const refused: RefusedReservation[] = [];
  for (const { drawId } of toRefuse) {
    const draw = byId.get(drawId)!;
    const message = `${input.cause}: ${shortfall}; reserved draws the line no longer covers are refused, newest first`;
    const reason = `coverage_insufficient: ${message}`;
    await db.draw.update({ where: { id: drawId }, data: { status: 'REFUSED', refusalReason: reason } });
    await db.auditRecord.create({
      data: {
        actorUserId: input.actor?.userId ?? null,
        organisationId: line.lenderOrganisationId,
        action: 'draw.refused',
        targetType: 'draw',
        targetId: drawId,
        before: { status: draw.status },
        after: { status: 'REFUSED', reason },
        requestId: input.actor?.requestId ?? null,
      },
    });
    await recordEvent(db, 'draw.refused', {
      subjectId: drawId,
      parties: [line.lenderOrganisationId, line.sellerOrganisationId],
      requestId: input.actor?.requestId ?? null,
      data: { ...drawFacts(draw), reason },
    });
    const told = `draw ${draw.id} of ${amountOf(draw).format()} was ${draw.status === 'APPROVED' ? 'approved but ' : ''}refused before disbursement: ${message}; its reservation is released`;
    // Both parties, with the keys the disbursement's refusal uses: a draw is refused once.
    await notify(db, { organisationId: line.sellerOrganisationId, kind: 'draw.refused', message: told, subjectType: 'draw', subjectId: drawId, dedupeKey: `${draw.workflowId}:draw.refused` });
    await notify(db, { organisationId: line.lenderOrganisationId, kind: 'draw.refused', message: told, subjectType: 'draw', subjectId: drawId, dedupeKey: `${draw.workflowId}:draw.refused:lender` });
    refused.push({ drawId, workflowId: draw.workflowId, amount: amountOf(draw), reason });
  }
  // Wakes each workflow waiting for approvers: it reads the draw, finds it REFUSED and finishes.
  await enqueueWorkflowCommands(
    db,
    refused.map((draw) => ({ kind: 'SIGNAL' as const, workflowId: draw.workflowId, signalName: DRAW_DECISION_SIGNAL_NAME, args: [] })),
    { requestId: input.actor?.requestId ?? null, now: input.now },
  );
  return refused;
}

async function coverageRefusal(db: Db, draw: Draw, now: Date): Promise<{ code: string; message: string } | null> {
  const message = disbursementRefusal(await lineCoverage(db, draw.creditLineId, now), amountOf(draw));
  return message === null ? null : { code: 'coverage_insufficient', message };
}

function isoDate(moment: Date): string {
  return moment.toISOString().slice(0, 10);
}

