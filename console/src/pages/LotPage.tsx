import { Badge, Button, Card, Descriptions, Select, Space, Timeline, Typography } from 'antd';
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
import { adjustmentKindLabel, CustodyActions } from './warehouse/Custody';

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

/** A string of an event's details (the server's record of what changed), if it has one. */
function detailOf(details: unknown, key: string): string | null {
  if (details === null || typeof details !== 'object') return null;
  const value = (details as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
}

type CustodyEvent = Awaited<ReturnType<typeof fetchEvents>>['items'][number];
const fetchEvents = (lotId: string) => unwrap(api.GET('/lots/{lotId}/events', { params: { path: { lotId }, query: { limit: 100 } } }));

/** What an event changed, as the server recorded it: quantities, or what was counted, where it moved, which lot it split to. */
function EventFigures({ event, locationName }: { event: CustodyEvent; locationName: (id: string) => string | null }) {
  const { t, quantity } = useI18n();
  const unit = event.quantityAfter.unit;
  const counted = event.type === 'COUNTED' ? detailOf(event.details, 'countedQuantity') : null;
  if (counted !== null) return <>{t('lot.event.counted', { held: quantity(event.quantityBefore), counted: quantity({ amount: counted, unit }) })}</>;
  const change = t('lot.quantityChange', { before: quantity(event.quantityBefore), after: quantity(event.quantityAfter) });
  if (event.type === 'MOVED') {
    const from = detailOf(event.details, 'fromLocationId');
    const to = detailOf(event.details, 'toLocationId');
    const fromName = from ? locationName(from) : null;
    const toName = to ? locationName(to) : null;
    if (fromName !== null && toName !== null) return <>{t('lot.event.moved', { from: fromName, to: toName })}</>;
  }
  const linked = event.type === 'SPLIT_OUT' ? detailOf(event.details, 'toLotId') : event.type === 'SPLIT_IN' ? detailOf(event.details, 'fromLotId') : null;
  if (linked !== null) {
    return (
      <>
        {change} · <Link to={`/app/lots/${linked}`} style={{ textDecoration: 'underline' }}>{t(event.type === 'SPLIT_OUT' ? 'lot.event.splitTo' : 'lot.event.splitFrom')}</Link>
      </>
    );
  }
  return <>{change}</>;
}

function History({ lotId, reloadKey, locationName }: { lotId: string; reloadKey: number; locationName: (id: string) => string | null }) {
  const { t, has, dateTime } = useI18n();
  const events = useLoad(() => fetchEvents(lotId), [lotId, reloadKey]);
  return (
    <Card title={t('lot.history')}>
      <Timeline
        data-testid="lot-history"
        items={(events.data?.items ?? []).map((event, index) => {
          const typeName = has(`custodyEvent.${event.type}`) ? t(`custodyEvent.${event.type}` as MessageKey) : event.type;
          const kind = event.type === 'ADJUSTED' ? adjustmentKindLabel(detailOf(event.details, 'kind') ?? '') : null;
          return {
            key: event.id,
            content: (
              <span data-testid={`lot-event-${index}`}>
                <Typography.Text strong data-testid="event-type">
                  {kind ? t('lot.event.typeWithKind', { type: typeName, kind: t(kind) }) : typeName}
                </Typography.Text>{' '}
                · {dateTime(event.occurredAt)} ·{' '}
                <span data-testid="event-figures">
                  <EventFigures event={event} locationName={locationName} />
                </span>
                {event.reason ? (
                  <>
                    {' · '}
                    <span data-testid="event-reason">{event.reason}</span>
                  </>
                ) : null}
              </span>
            ),
          };
        })}
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
  const isWarehouse = user?.organisation.kind === 'WAREHOUSE';
  const warehouseId = lot.data?.warehouseId;
  // Only the warehouse reads its locations (GET /warehouses/… is its own); others see no location names.
  const locationPage = useLoad(
    () => (isWarehouse && warehouseId ? unwrap(api.GET('/warehouses/{warehouseId}/locations', { params: { path: { warehouseId }, query: { limit: 100 } } })) : Promise.resolve(null)),
    [isWarehouse, warehouseId],
  );
  const locations = locationPage.data?.items ?? [];
  const locationName = (id: string) => locations.find((location) => location.id === id)?.name ?? null;
  if (!lot.data) return <LoadState loading={lot.loading} error={lot.error} />;
  const data = lot.data;
  const reload = () => setReloadKey((value) => value + 1);
  const canPledge = user?.organisation.kind === 'SELLER' && user.role !== 'VIEWER' && data.pledgedToCreditLineId === null;
  const canRecordCustody = isWarehouse && user?.role !== 'VIEWER';
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
        <Descriptions.Item label={t('lot.free')}>
          <span data-testid="lot-free">{quantity(data.reserved.free)}</span>{' '}
          <Typography.Text type="secondary">
            ({t('lot.reservedDetail', { sold: quantity(data.reserved.soldNotReleased), authorised: quantity(data.reserved.authorisedNotConfirmed) })})
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('lot.receivedAt')}>{dateTime(data.receivedAt)}</Descriptions.Item>
        {isWarehouse && (
          <Descriptions.Item label={t('lot.location')}>
            <span data-testid="lot-location">{locationName(data.locationId) ?? t('common.none')}</span>
          </Descriptions.Item>
        )}
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
        <Descriptions.Item label={t('lot.lastCountedAt')}>
          <span data-testid="lot-last-counted">{dateTime(data.lastCountedAt)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('lot.flags')}>
          <Space wrap data-testid="lot-flags">
            {data.qualityHold && <Badge status="warning" text={t('ineligible.QUALITY_HOLD')} />}
            {data.countDifferenceFlag && <Badge status="warning" text={t('ineligible.COUNT_DIFFERENCE_FLAG')} />}
            {!data.qualityHold && !data.countDifferenceFlag && t('common.none')}
          </Space>
        </Descriptions.Item>
        {data.splitFromLotId && (
          <Descriptions.Item label={t('lot.splitFrom')}>
            <Link to={`/app/lots/${data.splitFromLotId}`} data-testid="split-parent">
              {t('lot.openParent')}
            </Link>
          </Descriptions.Item>
        )}
      </Descriptions>
      {canPledge && <Pledge lotId={data.id} onDone={reload} />}
      {canRecordCustody && <CustodyActions key={data.id} lot={data} locations={locations} onDone={reload} />}
      <History lotId={data.id} reloadKey={reloadKey} locationName={locationName} />
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
