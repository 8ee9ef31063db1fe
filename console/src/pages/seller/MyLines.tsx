import { Space, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api';
import { CursorTable } from '../../components/CursorTable';
import { useOrganisations } from '../../components/organisations';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n';

const fetchLines = (cursor: string | undefined) => unwrap(api.GET('/credit-lines', { params: { query: { cursor, limit: 20 } } }));

export function MyLines() {
  const { t, money } = useI18n();
  const organisations = useOrganisations();
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('myLines.title')}
      </Typography.Title>
      <CursorTable
        rowKey="id"
        fetchPage={fetchLines}
        deps={[]}
        data-testid="my-lines"
        columns={[
          { title: t('myLines.lender'), key: 'lender', render: (_v, line) => <Link to={`/app/lines/${line.id}`}>{organisations.nameOf(line.lenderOrganisationId)}</Link> },
          { title: t('line.status'), key: 'status', render: (_v, line) => <StatusTag status={line.status} /> },
          { title: t('line.limit'), key: 'limit', align: 'right', render: (_v, line) => money(line.terms.limit) },
          { title: t('terms.maturity'), key: 'maturity', render: (_v, line) => line.terms.maturityDate },
        ]}
      />
    </Space>
  );
}
