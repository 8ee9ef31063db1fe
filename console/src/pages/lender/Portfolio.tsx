import { Badge, Space, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api';
import { CursorTable } from '../../components/CursorTable';
import { LtvAgainstThresholds } from '../../components/Ltv';
import { useOrganisations } from '../../components/organisations';
import { byCount, byDecimal, byText } from '../../components/sorting';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n';
import { DelinquencyBuckets } from './DelinquencyBuckets';
import { Exposure } from './Exposure';

type Line = Awaited<ReturnType<typeof loadPage>>['items'][number];

/** One page of lines with, per line, its totals (the server's borrowing base view) and its open calls. */
async function loadPage(cursor: string | undefined) {
  const lines = await unwrap(api.GET('/credit-lines', { params: { query: { cursor, limit: 20 } } }));
  const items = await Promise.all(
    lines.items.map(async (line) => {
      const live = line.status !== 'OFFERED' && line.status !== 'DECLINED' && line.status !== 'WITHDRAWN';
      const [base, calls] = await Promise.all([
        live ? unwrap(api.GET('/credit-lines/{lineId}/borrowing-base', { params: { path: { lineId: line.id }, query: { view: 'totals' } } })) : Promise.resolve(null),
        unwrap(api.GET('/margin-calls', { params: { query: { creditLineId: line.id, status: 'OPEN', limit: 20 } } })),
      ]);
      return { ...line, totals: base?.totals ?? null, openCalls: calls.items.length };
    }),
  );
  return { items, nextCursor: lines.nextCursor };
}

export function Portfolio() {
  const { t, money } = useI18n();
  const organisations = useOrganisations();
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('portfolio.title')}
      </Typography.Title>
      <CursorTable<Line>
        rowKey="id"
        fetchPage={loadPage}
        deps={[]}
        data-testid="portfolio"
        columns={[
          { title: t('portfolio.seller'), key: 'seller', sorter: byText((line) => organisations.nameOf(line.sellerOrganisationId)), render: (_value, line) => <Link to={`/app/lines/${line.id}`}>{organisations.nameOf(line.sellerOrganisationId)}</Link> },
          { title: t('line.status'), key: 'status', sorter: byText((line) => line.status), render: (_value, line) => <StatusTag status={line.status} /> },
          { title: t('line.limit'), key: 'limit', align: 'right', sorter: byDecimal((line) => line.terms.limit.amount), render: (_value, line) => money(line.terms.limit) },
          { title: t('line.outstanding'), key: 'outstanding', align: 'right', sorter: byDecimal((line) => line.totals?.outstandingPrincipal.amount), render: (_value, line) => money(line.totals?.outstandingPrincipal) },
          { title: t('line.availability'), key: 'availability', align: 'right', sorter: byDecimal((line) => line.totals?.availability.amount), render: (_value, line) => money(line.totals?.availability) },
          {
            title: t('line.ltv'),
            key: 'ltv',
            sorter: byDecimal((line) => line.totals?.ltv),
            render: (_value, line) =>
              line.totals ? (
                <LtvAgainstThresholds ltv={line.totals.ltv} marginCallLtv={line.terms.marginCallLtv} liquidationLtv={line.terms.liquidationLtv} targetLtv={line.terms.targetLtv} openCalls={line.openCalls} />
              ) : (
                t('common.none')
              ),
          },
          {
            title: t('portfolio.openCalls'),
            key: 'calls',
            sorter: byCount((line) => line.openCalls),
            render: (_value, line) => <Badge count={line.openCalls} showZero color={line.openCalls > 0 ? 'red' : 'green'} data-testid="open-calls" />,
          },
        ]}
      />
      <DelinquencyBuckets />
      <Exposure />
    </Space>
  );
}
