/**
 * Sale settlement: one workflow per sale. It waits for the buyer's payments
 * (the API records each one and signals), authorises the release of the sold
 * goods once they are paid for, waits for the warehouse to confirm they left
 * (reminding it, and telling the lender, when that takes too long) and closes
 * the sale; unpaid at the end of its due date, the sale lapses.
 *
 * The workflow decides; every read and write is an activity. It trusts the
 * database, not its signals: a signal only wakes it to re-read the sale, so a
 * lost signal delays nothing past the due date or the next poll.
 */
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { SaleActivities } from './activities';
import {
  custodyChangedSignal,
  paymentRecordedSignal,
  saleSettlementPhaseQuery,
  type SaleSettlementArgs,
  type SaleSettlementOutcome,
  type SaleSettlementPhase,
} from './definitions';

const DAY_MS = 86_400_000;

const activities = proxyActivities<SaleActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    // A refused rule or a broken invariant does not heal by retrying.
    nonRetryableErrorTypes: ['InvariantViolation', 'NotFoundError', 'BusinessRuleError', 'ForbiddenError', 'ValidationError'],
  },
});

export async function saleSettlement(args: SaleSettlementArgs): Promise<SaleSettlementOutcome> {
  const { saleId } = args;
  let phase: SaleSettlementPhase = 'awaiting-payment';
  let woken = false;
  setHandler(paymentRecordedSignal, () => {
    woken = true;
  });
  setHandler(custodyChangedSignal, () => {
    woken = true;
  });
  setHandler(saleSettlementPhaseQuery, () => phase);
  const waitForWakeOr = async (ms: number) => {
    await condition(() => woken, ms);
    woken = false;
  };

  // ── Payment ──
  const lapsesAtMs = Date.parse(`${args.paymentDueDate}T00:00:00Z`) + DAY_MS;
  let { status } = await activities.saleState(saleId);
  while (status === 'OPEN' && Date.now() < lapsesAtMs) {
    await waitForWakeOr(lapsesAtMs - Date.now());
    ({ status } = await activities.saleState(saleId));
  }
  if (status === 'OPEN') ({ status } = await activities.lapseSale(saleId));
  if (status === 'LAPSED') {
    await activities.notifySaleParties(saleId, {
      kind: 'sale.lapsed',
      message: `Sale ${saleId} was not paid in full by ${args.paymentDueDate} and has lapsed: payments received stay applied to the line and the unpaid goods stay pledged.`,
      parties: ['SELLER', 'LENDER', 'BUYER'],
    });
    phase = 'lapsed';
    return { saleId, outcome: 'LAPSED', releaseOrderIds: [], releaseReminded: false };
  }

  // ── Release ──
  const { releaseOrderIds } = await activities.authoriseSaleRelease(saleId);
  await activities.notifySaleParties(saleId, {
    kind: 'sale.release_authorised',
    message: `Sale ${saleId} is paid in full; the release of its goods is authorised (release orders ${releaseOrderIds.join(', ')}). Please confirm the goods leaving.`,
    parties: ['WAREHOUSE', 'SELLER', 'BUYER'],
  });
  phase = 'awaiting-release';
  const remindAtMs = Date.now() + args.releaseReminderAfterMs;
  let releaseReminded = false;
  let progress = await activities.saleReleaseProgress(saleId);
  while (!progress.allReleased) {
    if (!releaseReminded && Date.now() >= remindAtMs) {
      await activities.notifySaleParties(saleId, {
        kind: 'sale.release_overdue',
        message: `The goods of sale ${saleId} were authorised to leave but the warehouse has not confirmed their release (still to leave: ${progress.outstanding.map((o) => `${o.quantityToLeave} of lot ${o.lotId}`).join(', ')}).`,
        parties: ['WAREHOUSE', 'LENDER'],
      });
      releaseReminded = true;
    }
    const untilNextCheck = releaseReminded ? args.releasePollIntervalMs : Math.min(args.releasePollIntervalMs, remindAtMs - Date.now());
    await waitForWakeOr(untilNextCheck);
    progress = await activities.saleReleaseProgress(saleId);
  }
  await activities.closeSale(saleId);
  await activities.notifySaleParties(saleId, {
    kind: 'sale.closed',
    message: `The goods of sale ${saleId} have left custody; the sale is closed.`,
    parties: ['SELLER', 'LENDER', 'BUYER'],
  });
  phase = 'closed';
  return { saleId, outcome: 'CLOSED', releaseOrderIds, releaseReminded };
}
