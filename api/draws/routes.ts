import { parseMoney, isCurrency } from '../../domain/money';
import { ValidationError } from '../../domain/errors';
import { drawsOfLine, drawVisibleTo, pendingApprovalsOf, recordDecision, requestDraw, type DecisionKind, type DrawRecord } from '../../prisma/draws/store';
import { decisionRecordedSignal, drawStateQuery, DRAW_WORKFLOW_TYPE, type DrawWorkflowInput, type DrawWorkflowState } from '../../workflows/draws/definitions';
import { defineRoute, type HandlerContext } from '../http/route';
import { WorkflowStartView, workflowStartView } from '../outbox/views';
import { decodeCursor, encodeCursor, pageOf, PageQuery, Uuid } from '../http/schemas';
import { DecisionBody, DrawIdParams, DrawView, DrawWorkflowStateView, LineIdParams, RequestDrawBody, drawView } from './schemas';

const TAG = 'Draws';
const DrawDetail = DrawView.extend({
  workflowStart: WorkflowStartView.nullable().meta({ description: "Where the start of the draw's approval workflow stands" }),
}).meta({ id: 'DrawDetail' });

function pageCursor(cursor: string | undefined): string | null {
  const position = decodeCursor(cursor, ['drawId']);
  if (position && !Uuid.safeParse(position.drawId).success) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
  return position?.drawId ?? null;
}

function page(draws: DrawRecord[], limit: number) {
  const last = draws.at(-1);
  return { items: draws.map(drawView), nextCursor: draws.length === limit && last ? encodeCursor({ drawId: last.id }) : null };
}

function decisionRoute(decision: DecisionKind) {
  const verb = decision === 'APPROVE' ? 'approve' : 'reject';
  return defineRoute({
    method: 'post',
    path: `/draws/{drawId}/${verb}`,
    operationId: `${verb}Draw`,
    summary: `${decision === 'APPROVE' ? 'Approve' : 'Reject'} a REQUESTED draw (ADMIN or APPROVER of the line's lender; never the requester; once per user); the draw workflow is signalled`,
    tag: TAG,
    problems: [403, 404, 409, 422],
    params: DrawIdParams,
    body: DecisionBody,
    success: { status: 200, description: 'The draw with the decision recorded; the workflow decides what follows', schema: DrawView },
    handler: async ({ db, actor, params, body, outbox, now }: HandlerContext<typeof DrawIdParams, undefined, typeof DecisionBody>) => {
      // Recorded even while Temporal is unavailable: the draw exists and its workflow is running or in the
      // outbox; it reads the tally from the database when signalled (the signal is dispatched after commit)
      // and once more at the approval deadline, so an approver's decision made in time always counts.
      const draw = await recordDecision(db, actor, params.drawId, { decision, reason: body.reason ?? null, now });
      await outbox.signal(draw.workflowId, decisionRecordedSignal.name);
      return drawView(draw);
    },
  });
}

export const drawRoutes = [
  defineRoute({
    method: 'post',
    path: '/credit-lines/{lineId}/draws',
    operationId: 'requestDraw',
    summary: "Request a draw on a line (seller ADMIN or OPERATOR): the amount is reserved at once if availability allows, and the draw's approval workflow starts",
    tag: TAG,
    problems: [403, 404, 422, 503],
    params: LineIdParams,
    body: RequestDrawBody,
    success: { status: 201, description: 'The draw, REQUESTED and reserved', schema: DrawView },
    handler: async ({ db, actor, deps, params, body, outbox, now }) => {
      // Refused (503) before anything is reserved when this process has no Temporal at all: a draw reserves
      // availability and promises the seller money that only its workflow approves, disburses or expires.
      // A lender would rather the seller asked again than see a draw nobody can act on. A start that fails
      // once the draw is committed (Temporal briefly unreachable) is retried from the outbox.
      deps.temporal.workflows();
      if (!isCurrency(body.amount.currency)) throw new ValidationError('body.amount.currency', `"${body.amount.currency}" is not a supported ISO 4217 currency`);
      const amount = parseMoney(body.amount.amount, body.amount.currency, 'body.amount.amount');
      const draw = await requestDraw(db, actor, params.lineId, { amount, purpose: body.purpose ?? null, lotId: body.lotId ?? null, now });
      // Written to the outbox with the draw and started once it has committed, so the line's row lock is
      // never held across a call to Temporal.
      const workflowInput: DrawWorkflowInput = { drawId: draw.id };
      await outbox.start(DRAW_WORKFLOW_TYPE, { workflowId: draw.workflowId, args: [workflowInput] });
      return drawView(draw);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/draws',
    operationId: 'listDrawsOfLine',
    summary: 'Draws on a line, newest first (lender and seller of the line)',
    tag: TAG,
    problems: [404],
    params: LineIdParams,
    query: PageQuery,
    success: { status: 200, description: 'A page of draws', schema: pageOf(DrawView) },
    handler: async ({ db, actor, params, query }) =>
      page(await drawsOfLine(db, actor.organisationId, params.lineId, { afterDrawId: pageCursor(query.cursor), limit: query.limit }), query.limit),
  }),
  // Before /draws/{drawId}, so that the literal path is not taken for an id.
  defineRoute({
    method: 'get',
    path: '/draws/pending-approvals',
    operationId: 'listPendingApprovals',
    summary: "REQUESTED draws on your lender organisation's lines that await approval, earliest deadline first",
    tag: TAG,
    query: PageQuery,
    success: { status: 200, description: 'A page of draws', schema: pageOf(DrawView) },
    handler: async ({ db, actor, query }) =>
      page(actor.organisationKind === 'LENDER' ? await pendingApprovalsOf(db, actor.organisationId, { afterDrawId: pageCursor(query.cursor), limit: query.limit }) : [], query.limit),
  }),
  defineRoute({
    method: 'get',
    path: '/draws/{drawId}',
    operationId: 'getDraw',
    summary: 'A draw with its decisions (lender and seller of its line)',
    tag: TAG,
    problems: [404],
    params: DrawIdParams,
    success: { status: 200, description: 'The draw', schema: DrawDetail },
    handler: async ({ db, actor, params }) => {
      const { draw } = await drawVisibleTo(db, actor.organisationId, params.drawId);
      return { ...drawView(draw), workflowStart: await workflowStartView(db, draw.workflowId) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/draws/{drawId}/workflow',
    operationId: 'getDrawWorkflowState',
    summary: "The draw workflow's own state (Temporal query), for diagnosis; the database answers GET /draws/{drawId}",
    tag: TAG,
    problems: [404, 503],
    params: DrawIdParams,
    success: { status: 200, description: 'The workflow state', schema: DrawWorkflowStateView },
    handler: async ({ db, actor, deps, params }) => {
      const { draw } = await drawVisibleTo(db, actor.organisationId, params.drawId);
      const { approvalDeadlineMs, ...state } = await deps.temporal.workflows().query<DrawWorkflowState>(draw.workflowId, drawStateQuery.name);
      return { ...state, approvalDeadline: approvalDeadlineMs === null ? null : new Date(approvalDeadlineMs).toISOString() };
    },
  }),
  decisionRoute('APPROVE'),
  decisionRoute('REJECT'),
];
