import { Space, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api';
import { StatusFilter } from '../../components/StatusFilter';
import { useI18n } from '../../i18n';
import { ReleaseOrderTable } from '../LotPage';

const STATUSES = ['OPEN', 'COMPLETED'] as const;
type Status = (typeof STATUSES)[number];

/**
 * The releases the lender authorised (a paid sale's goods, a liquidation) and the seller's
 * instructions on its collateral: what was authorised, what the warehouse confirmed left, and
 * which are still open. The warehouse confirms; the lender follows.
 */
export function ReleaseAuthorisations() {
  const { t } = useI18n();
  const [status, setStatus] = useState<Status | undefined>('OPEN');
  const fetchPage = useCallback((cursor: string | undefined) => unwrap(api.GET('/release-orders', { params: { query: { cursor, limit: 20, ...(status ? { status } : {}) } } })), [status]);
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('releaseAuthorisations.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('releaseAuthorisations.intro')}</Typography.Paragraph>
      <StatusFilter statuses={STATUSES} value={status} onChange={setStatus} labelKey="releaseAuthorisations.filterStatus" testId="release-status-filter" />
      <ReleaseOrderTable fetchPage={fetchPage} deps={[status]} extraColumn={(order) => <Link to={`/app/lots/${order.lotId}`}>{t('release.openLot')}</Link>} />
    </Space>
  );
}
