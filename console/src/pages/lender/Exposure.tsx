import { Table, Tabs, Typography } from 'antd';
import { api, unwrap } from '../../api';
import { LoadState } from '../../components/Results';
import { useLoad } from '../../components/useLoad';
import { useI18n } from '../../i18n';

type Exposure = Awaited<ReturnType<typeof loadExposure>>;
type CurrencyExposure = Exposure['currencies'][number];
type Figures = CurrencyExposure['totals'];
interface Row {
  key: string;
  name: string;
  figures: Figures;
}

function loadExposure() {
  return unwrap(api.GET('/portfolio/exposure'));
}

/** The lender's exposure by seller, commodity and warehouse, as the server computed it (each dimension sums to the totals). */
export function Exposure() {
  const { t, money } = useI18n();
  const exposure = useLoad(loadExposure, []);
  if (!exposure.data) return <LoadState loading={exposure.loading} error={exposure.error} />;
  const figureColumns = [
    { title: t('exposure.outstanding'), key: 'outstanding', align: 'right' as const, render: (_value: unknown, row: Row) => money(row.figures.outstandingPrincipal) },
    { title: t('exposure.borrowingBase'), key: 'base', align: 'right' as const, render: (_value: unknown, row: Row) => money(row.figures.borrowingBase) },
    { title: t('exposure.collateralValue'), key: 'collateral', align: 'right' as const, render: (_value: unknown, row: Row) => money(row.figures.collateralValue) },
    { title: t('exposure.eligibleCollateralValue'), key: 'eligible', align: 'right' as const, render: (_value: unknown, row: Row) => money(row.figures.eligibleCollateralValue) },
  ];
  const table = (rows: Row[], totals: Figures, testId: string) => (
    <Table<Row>
      data-testid={testId}
      size="small"
      pagination={false}
      rowKey="key"
      dataSource={[...rows, { key: 'total', name: t('exposure.total'), figures: totals }]}
      columns={[{ title: t('exposure.group'), key: 'name', render: (_value, row) => row.name }, ...figureColumns]}
    />
  );
  return (
    <section aria-labelledby="exposure-title">
      <Typography.Title level={2} style={{ fontSize: 20 }} id="exposure-title">
        {t('exposure.title')}
      </Typography.Title>
      {exposure.data.currencies.length === 0 ? (
        <Typography.Paragraph>{t('exposure.none')}</Typography.Paragraph>
      ) : (
        exposure.data.currencies.map((entry) => (
          <Tabs
            key={entry.currency}
            items={[
              {
                key: 'seller',
                label: t('exposure.bySeller', { currency: entry.currency }),
                children: table(entry.bySeller.map((group) => ({ key: group.sellerOrganisationId, name: group.sellerName, figures: group.figures })), entry.totals, 'exposure-by-seller'),
              },
              {
                key: 'commodity',
                label: t('exposure.byCommodity', { currency: entry.currency }),
                children: table(entry.byCommodity.map((group) => ({ key: group.commodityCode ?? 'none', name: group.commodityCode ?? t('exposure.notCovered'), figures: group.figures })), entry.totals, 'exposure-by-commodity'),
              },
              {
                key: 'warehouse',
                label: t('exposure.byWarehouse', { currency: entry.currency }),
                children: table(entry.byWarehouse.map((group) => ({ key: group.warehouseId ?? 'none', name: group.warehouseName ?? t('exposure.notCovered'), figures: group.figures })), entry.totals, 'exposure-by-warehouse'),
              },
            ]}
          />
        ))
      )}
    </section>
  );
}
