import { Button, Card, Descriptions, Select, Space, Timeline, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap } from '../api';
import { CursorTable } from '../components/CursorTable';
import { useWrite } from '../components/forms';
import { useOrganisations } from '../components/organisations';
import { LoadState, ProblemAlert } from '../components/Results';
import { useLoad } from '../components/useLoad';
import { useI18n, type MessageKey } from '../i18n';
import { useSession } from '../session';

function Pledge({ lotId, onDone }: { lotId: string; onDone: () => void }) {
  const { t } = useI18n();
  const organisations = useOrganisations();
  const lines = useLoad(() => unwrap(api.GET('/credit-lines', { params: { query: { limit: 100 } } })), []);
  const [lineId, setLineId] = useState<string | undefined>();
  const write = useWrite();
  const active = (lines.data?.items ?? []).filter((line) => line.status === 'ACTIVE');
  return (
    <Card title={t('pledge.title')} data-testid="pledge">
      <ProblemAlert error={write.error} />
      <Space wrap>
        <Select
          aria-label={t('pledge.line')}
          placeholder={t('pledge.line')}
          style={{ minWidth: 260 }}
          value={lineId}
          onChange={setLineId}
          options={active.map((line) => ({ value: line.id, label: t('pledge.lineOption', { lender: organisations.nameOf(line.lenderOrganisationId), currency: line.terms.currency }) }))}
          data-testid="pledge-line"
        />
        <Button
          type="primary"
          disabled={!lineId}
          loading={write.busy}
          onClick={async () => {
            if (!lineId) return;
            const lien = await write.run((key) => unwrap(api.POST('/lots/{lotId}/pledge', { params: { path: { lotId }, header: { 'Idempotency-Key': key } }, body: { creditLineId: lineId } })));
            if (lien) onDone();
          }}
        >
          {t('pledge.submit')}
        </Button>
      </Space>
    </Card>
  );
}

function History({ lotId, reloadKey }: { lotId: string; reloadKey: number }) {
  const { t, dateTime, quantity } = useI18n();
  const events = useLoad(() => unwrap(api.GET('/lots/{lotId}/events', { params: { path: { lotId }, query: { limit: 100 } } })), [lotId, reloadKey]);
  return (
    <Card title={t('lot.history')}>
      <Timeline
        data-testid="lot-history"
        items={(events.data?.items ?? []).map((event) => ({
          key: event.id,
          content: (
            <span>
              <Typography.Text strong>{t(`custodyEvent.${event.type}` as MessageKey)}</Typography.Text> · {dateTime(event.occurredAt)} · {t('lot.quantityChange', { before: quantity(event.quantityBefore), after: quantity(event.quantityAfter) })}
              {event.reason ? ` · ${event.reason}` : ''}
            </span>
          ),
        }))}
      />
    </Card>
  );
}

export function LotPage() {
  const { lotId = '' } = useParams();
  const { t, dateTime, quantity } = useI18n();
  const { user } = useSession();
  const [reloadKey, setReloadKey] = useState(0);
  const lot = useLoad(() => unwrap(api.GET('/lots/{lotId}', { params: { path: { lotId } } })), [lotId, reloadKey]);
  const fetchOrders = useCallback((cursor: string | undefined) => unwrap(api.GET('/release-orders', { params: { query: { cursor, limit: 20, lotId } } })), [lotId]);
  if (!lot.data) return <LoadState loading={lot.loading} error={lot.error} />;
  const data = lot.data;
  const canPledge = user?.organisation.kind === 'SELLER' && user.role !== 'VIEWER' && data.pledgedToCreditLineId === null;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="lot-title">
        {t('lot.title', { receipt: data.receiptNumber })}
      </Typography.Title>
      <Descriptions bordered size="small" column={{ xs: 1, md: 2 }}>
        <Descriptions.Item label={t('lot.commodity')}>{`${data.commodityCode} · ${data.grade}`}</Descriptions.Item>
        <Descriptions.Item label={t('lot.quantity')}>
          <span data-testid="lot-quantity">{quantity(data.quantity)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('lot.receivedAt')}>{dateTime(data.receivedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('lot.pledgedTo')}>
          {data.pledgedToCreditLineId ? (
            user?.organisation.kind === 'WAREHOUSE' ? (
              <span data-testid="pledged">{t('lot.pledged')}</span>
            ) : (
              <Link to={`/app/lines/${data.pledgedToCreditLineId}`} data-testid="pledged">
                {t('lot.pledged')}
              </Link>
            )
          ) : (
            <span data-testid="not-pledged">{t('lot.notPledged')}</span>
          )}
        </Descriptions.Item>
      </Descriptions>
      {canPledge && <Pledge lotId={data.id} onDone={() => setReloadKey((value) => value + 1)} />}
      <History lotId={data.id} reloadKey={reloadKey} />
      <Card title={t('lot.releaseOrders')}>
        <ReleaseOrderTable fetchPage={fetchOrders} deps={[lotId, reloadKey]} />
      </Card>
    </Space>
  );
}

type OrderPage = Awaited<ReturnType<typeof fetchAnyOrders>>;
const fetchAnyOrders = (cursor: string | undefined) => unwrap(api.GET('/release-orders', { params: { query: { cursor, limit: 20 } } }));

export function ReleaseOrderTable({ fetchPage, deps, extraColumn }: { fetchPage: (cursor: string | undefined) => Promise<OrderPage>; deps: unknown[]; extraColumn?: (order: OrderPage['items'][number]) => React.ReactNode }) {
  const { t, dateTime, quantity } = useI18n();
  return (
    <CursorTable
      rowKey="id"
      fetchPage={fetchPage}
      deps={deps}
      data-testid="release-orders"
      columns={[
        { title: t('release.createdAt'), key: 'created', render: (_v, order) => dateTime(order.createdAt) },
        { title: t('release.kind'), key: 'kind', render: (_v, order) => t(`release.kind.${order.kind}`) },
        { title: t('release.authorised'), key: 'authorised', align: 'right', render: (_v, order) => quantity(order.quantityAuthorised) },
        { title: t('release.released'), key: 'released', align: 'right', render: (_v, order) => quantity(order.quantityReleased) },
        { title: t('release.status'), key: 'status', render: (_v, order) => t(`status.${order.status}`) },
        ...(extraColumn ? [{ title: t('common.actions'), key: 'actions', render: (_v: unknown, order: OrderPage['items'][number]) => extraColumn(order) }] : []),
      ]}
    />
  );
}
