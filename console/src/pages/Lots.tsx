import { Badge, Input, Space, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../api';
import { CursorTable } from '../components/CursorTable';
import { useOrganisations } from '../components/organisations';
import { byText } from '../components/sorting';
import { useI18n } from '../i18n';
import { useSession } from '../session';

/** Lots in my custody (warehouse) or mine (seller), filtered by commodity; phone-width friendly (scrolls sideways). */
export function Lots() {
  const { t, dateTime, quantity } = useI18n();
  const { user } = useSession();
  const organisations = useOrganisations();
  const [commodityCode, setCommodityCode] = useState('');
  const fetchPage = useCallback(
    (cursor: string | undefined) => unwrap(api.GET('/lots', { params: { query: { cursor, limit: 20, ...(commodityCode ? { commodityCode } : {}) } } })),
    [commodityCode],
  );
  const isWarehouse = user?.organisation.kind === 'WAREHOUSE';
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {isWarehouse ? t('lots.title') : t('lots.myTitle')}
      </Typography.Title>
      <Input
        aria-label={t('lots.filterCommodity')}
        placeholder={t('lots.filterCommodity')}
        value={commodityCode}
        onChange={(event) => setCommodityCode(event.target.value.toUpperCase())}
        style={{ maxWidth: 280 }}
        allowClear
      />
      <CursorTable
        rowKey="id"
        fetchPage={fetchPage}
        deps={[commodityCode]}
        data-testid="lots"
        columns={[
          { title: t('lot.receiptNumber'), key: 'receipt', sorter: byText((lot) => lot.receiptNumber), render: (_v, lot) => <Link to={`/app/lots/${lot.id}`}>{lot.receiptNumber}</Link> },
          { title: t('lot.commodity'), key: 'commodity', render: (_v, lot) => `${lot.commodityCode} · ${lot.grade}` },
          { title: t('lot.quantity'), key: 'quantity', align: 'right', render: (_v, lot) => <span data-testid="lot-quantity">{quantity(lot.quantity)}</span> },
          ...(isWarehouse ? [{ title: t('lot.seller'), key: 'seller', render: (_v: unknown, lot: { sellerOrganisationId: string }) => organisations.nameOf(lot.sellerOrganisationId) }] : []),
          { title: t('lot.receivedAt'), key: 'received', render: (_v, lot) => dateTime(lot.receivedAt) },
          {
            title: t('lot.flags'),
            key: 'flags',
            render: (_v, lot) => (
              <Space wrap>
                {lot.qualityHold && <Badge status="warning" text={t('ineligible.QUALITY_HOLD')} />}
                {lot.countDifferenceFlag && <Badge status="warning" text={t('ineligible.COUNT_DIFFERENCE_FLAG')} />}
              </Space>
            ),
          },
        ]}
      />
    </Space>
  );
}
