import { useCallback } from 'react';
import { api, unwrap } from '../../api';
import { CursorTable } from '../../components/CursorTable';
import { useI18n } from '../../i18n';

/** A line's bills of interest, oldest first, each with what of it is paid (payments settle the oldest bill first). */
export function InterestBills({ lineId, reloadKey }: { lineId: string; reloadKey: number }) {
  const { t, money, date } = useI18n();
  const fetchPage = useCallback(
    (cursor: string | undefined) => unwrap(api.GET('/credit-lines/{lineId}/interest-bills', { params: { path: { lineId }, query: { cursor, limit: 50 } } })),
    [lineId],
  );
  return (
    <CursorTable
      rowKey="billedOn"
      fetchPage={fetchPage}
      deps={[lineId]}
      reloadKey={reloadKey}
      data-testid="interest-bills"
      columns={[
        { title: t('bills.billedOn'), key: 'billedOn', render: (_v, bill) => date(bill.billedOn) },
        { title: t('bills.period'), key: 'period', render: (_v, bill) => `${date(bill.periodFrom)} – ${date(bill.periodTo)}` },
        { title: t('bills.dueDate'), key: 'dueDate', render: (_v, bill) => date(bill.dueDate) },
        { title: t('bills.amount'), key: 'amount', align: 'right', render: (_v, bill) => money(bill.amount) },
        { title: t('bills.paid'), key: 'paid', align: 'right', render: (_v, bill) => money(bill.paid) },
        { title: t('bills.unpaid'), key: 'unpaid', align: 'right', render: (_v, bill) => money(bill.unpaid) },
      ]}
    />
  );
}
