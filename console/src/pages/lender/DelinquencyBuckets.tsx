import { Card, Space, Table, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api';
import { useOrganisations } from '../../components/organisations';
import { LoadState } from '../../components/Results';
import { Scroll } from '../../components/Scroll';
import { useLoad } from '../../components/useLoad';
import { useI18n, type MessageKey } from '../../i18n';

type Portfolio = Awaited<ReturnType<typeof loadDelinquency>>;

function loadDelinquency() {
  return unwrap(api.GET('/portfolio/delinquency'));
}

/** The lender's lines in force by days past due (current, 1–30, 31–60, 61–90, 90+), and the lines past due, as the server computed them. */
export function DelinquencyBuckets() {
  const { t, money, date } = useI18n();
  const organisations = useOrganisations();
  const loaded = useLoad(loadDelinquency, []);
  if (!loaded.data) return <LoadState loading={loaded.loading} error={loaded.error} />;
  const portfolio: Portfolio = loaded.data;
  return (
    <Card title={t('dpd.title')} data-testid="portfolio-delinquency">
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Paragraph>{t('dpd.summary', { date: date(portfolio.asOf), lines: portfolio.lineCount, pastDue: portfolio.pastDueLineCount })}</Typography.Paragraph>
        <Scroll>
          <Table
            size="small"
            rowKey="bucket"
            pagination={false}
            dataSource={portfolio.buckets}
            data-testid="dpd-buckets"
            columns={[
              { title: t('dpd.bucket'), key: 'bucket', render: (_v, row) => t(`bucket.${row.bucket}` as MessageKey) },
              { title: t('dpd.lines'), key: 'lines', align: 'right', dataIndex: 'lineCount' },
              { title: t('dpd.owed'), key: 'owed', align: 'right', render: (_v, row) => (row.owed.length === 0 ? t('common.none') : row.owed.map((amount) => money(amount)).join(' · ')) },
            ]}
          />
        </Scroll>
        {portfolio.pastDueLines.length > 0 && (
          <Scroll>
            <Table
              size="small"
              rowKey="creditLineId"
              pagination={false}
              dataSource={portfolio.pastDueLines}
              data-testid="past-due-lines"
              columns={[
                { title: t('portfolio.seller'), key: 'line', render: (_v, line) => <Link to={`/app/lines/${line.creditLineId}`}>{organisations.nameOf(line.sellerOrganisationId)}</Link> },
                { title: t('delinquency.daysPastDue'), key: 'dpd', align: 'right', dataIndex: 'daysPastDue' },
                { title: t('dpd.bucket'), key: 'bucket', render: (_v, line) => t(`bucket.${line.bucket}` as MessageKey) },
                { title: t('delinquency.amountDue'), key: 'due', align: 'right', render: (_v, line) => money(line.amountDue) },
                { title: t('delinquency.oldestUnpaid'), key: 'oldest', render: (_v, line) => date(line.oldestUnpaidDueDate) },
              ]}
            />
          </Scroll>
        )}
      </Space>
    </Card>
  );
}
