import { Space, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api';
import { StatusFilter } from '../../components/StatusFilter';
import { CursorTable } from '../../components/CursorTable';
import { byDecimal, byText } from '../../components/sorting';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n';

const STATUSES = ['REQUESTED', 'APPROVED', 'DISBURSED', 'REJECTED', 'EXPIRED', 'REFUSED'] as const;
type DrawStatus = (typeof STATUSES)[number];

export function MyDraws() {
  const { t, money, dateTime } = useI18n();
  const [status, setStatus] = useState<DrawStatus | undefined>();
  const fetchPage = useCallback((cursor: string | undefined) => unwrap(api.GET('/draws', { params: { query: { cursor, limit: 20, ...(status ? { status } : {}) } } })), [status]);
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('myDraws.title')}
      </Typography.Title>
      <StatusFilter statuses={STATUSES} value={status} onChange={setStatus} labelKey="myDraws.filterStatus" />
      <CursorTable
        rowKey="id"
        fetchPage={fetchPage}
        deps={[status]}
        data-testid="my-draws"
        columns={[
          { title: t('draw.createdAt'), key: 'created', sorter: byText((draw) => draw.createdAt), render: (_v, draw) => dateTime(draw.createdAt) },
          { title: t('draw.line'), key: 'line', render: (_v, draw) => <Link to={`/app/lines/${draw.creditLineId}`}>{t('draw.openLine')}</Link> },
          { title: t('draw.amountColumn'), key: 'amount', align: 'right', sorter: byDecimal((draw) => draw.amount.amount), render: (_v, draw) => money(draw.amount) },
          { title: t('draw.status'), key: 'status', sorter: byText((draw) => draw.status), render: (_v, draw) => <StatusTag status={draw.status} /> },
        ]}
      />
    </Space>
  );
}
