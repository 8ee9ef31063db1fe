/**
 * The domain events of custody (docs/events.md), derived from the custody
 * event each operation appends (store.ts appendEvent): the one place every
 * custody change passes through, in its transaction.
 */
import type { Decimal } from 'decimal.js';
import { quantityOf } from '../../domain/events';
import type { Db } from '../client';
import type { CustodyEventType } from '../generated/client';
import { partiesOfLot, recordEvent } from '../events/store';

export interface AppendedCustodyEvent {
  type: CustodyEventType;
  quantityBefore: Decimal;
  quantityAfter: Decimal;
  reason?: string | null;
  details?: unknown;
  occurredAt: Date;
}

type Details = Record<string, string | boolean | null | undefined>;

export async function publishCustodyEvent(db: Db, lotId: string, event: AppendedCustodyEvent, requestId: string | null): Promise<void> {
  if (!['RECEIVED', 'ADJUSTED', 'COUNTED', 'RELEASE_ORDERED', 'RELEASED'].includes(event.type)) return;
  const lot = await db.lot.findUniqueOrThrow({ where: { id: lotId } });
  const parties = await partiesOfLot(db, lotId);
  const quantity = (amount: Decimal | string) => quantityOf(typeof amount === 'string' ? { toFixed: () => amount } : amount, lot.unit);
  const details = (event.details ?? {}) as Details;
  const common = { subjectId: lotId, parties, requestId };
  switch (event.type) {
    case 'RECEIVED':
      await recordEvent(db, 'custody.received', {
        ...common,
        data: {
          lotId,
          warehouseId: lot.warehouseId,
          sellerOrganisationId: lot.sellerOrganisationId,
          commodityCode: lot.commodityCode,
          grade: lot.grade,
          receiptNumber: lot.receiptNumber,
          quantity: quantity(event.quantityAfter),
          receivedAt: event.occurredAt.toISOString(),
        },
      });
      return;
    case 'ADJUSTED':
      await recordEvent(db, 'custody.adjusted', {
        ...common,
        data: { lotId, kind: String(details.kind), reason: event.reason ?? null, quantityBefore: quantity(event.quantityBefore), quantityAfter: quantity(event.quantityAfter) },
      });
      return;
    case 'COUNTED':
      await recordEvent(db, 'custody.counted', {
        ...common,
        data: {
          lotId,
          countedQuantity: quantity(String(details.countedQuantity)),
          quantityHeldBefore: quantity(event.quantityBefore),
          difference: quantity(String(details.difference)),
          flagged: details.flagged === true,
          countedAt: event.occurredAt.toISOString(),
        },
      });
      return;
    case 'RELEASE_ORDERED': {
      const order = await db.releaseOrder.findUniqueOrThrow({ where: { id: String(details.releaseOrderId) } });
      await recordEvent(db, 'release.authorised', {
        subjectId: order.id,
        parties,
        requestId,
        data: { releaseOrderId: order.id, lotId, kind: order.kind, creditLineId: order.creditLineId, quantityAuthorised: quantity(order.quantityAuthorised.toFixed()) },
      });
      return;
    }
    case 'RELEASED': {
      const order = await db.releaseOrder.findUniqueOrThrow({ where: { id: String(details.releaseOrderId) } });
      const released = quantity(String(details.quantity));
      await recordEvent(db, 'custody.released', {
        ...common,
        data: { lotId, releaseOrderId: order.id, quantityReleased: released, quantityAfter: quantity(event.quantityAfter), releasedAt: event.occurredAt.toISOString() },
      });
      await recordEvent(db, 'release.confirmed', {
        subjectId: order.id,
        parties,
        requestId,
        data: {
          releaseOrderId: order.id,
          lotId,
          quantityConfirmed: released,
          quantityReleasedTotal: quantity(order.quantityReleased.toFixed()),
          status: order.status,
          releasedAt: event.occurredAt.toISOString(),
        },
      });
      return;
    }
  }
}
