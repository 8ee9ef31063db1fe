import { Alert, Badge, Button, Card, Descriptions, Form, Input, Select, Space, Statistic, Table, Tabs, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap } from '../api';
import { CursorTable } from '../components/CursorTable';
import { DECIMAL_PATTERN, useWrite } from '../components/forms';
import { LtvAgainstThresholds } from '../components/Ltv';
import { useOrganisations } from '../components/organisations';
import { LoadState, ProblemAlert } from '../components/Results';
import { byDecimal, byText } from '../components/sorting';
import { StatusTag } from '../components/StatusTag';
import { useInterval, useLoad } from '../components/useLoad';
import { Scroll } from '../components/Scroll';
import { useI18n, type MessageKey } from '../i18n';
import { useSession } from '../session';
import { Countdown } from '../components/Countdown';
import { LtvHistoryChart } from '../components/charts/LtvHistoryChart';
import { Delinquency } from './line/Delinquency';
import { InterestBills } from './line/InterestBills';
import { delinquencyOf, TermsVersions } from './line/TermsVersions';

type Line = Awaited<ReturnType<typeof loadLine>>;

async function loadLine(lineId: string) {
  const line = await unwrap(api.GET('/credit-lines/{lineId}', { params: { path: { lineId } } }));
  const base = await unwrap(api.GET('/credit-lines/{lineId}/borrowing-base', { params: { path: { lineId }, query: { view: 'full', limit: 200 } } }));
  const calls = await unwrap(api.GET('/credit-lines/{lineId}/margin-calls', { params: { path: { lineId }, query: { limit: 50 } } }));
  return { line, base, calls: calls.items };
}

const todayIso = () => new Date().toISOString().slice(0, 10);

function Totals({ data }: { data: Line }) {
  const { t, money } = useI18n();
  const { line, base } = data;
  const currency = line.terms.currency;
  const openCalls = data.calls.filter((call) => call.status === 'OPEN').length;
  const figures: [MessageKey, { amount: string; currency: string }, string][] = [
    ['line.limit', base.totals.limit, 'limit'],
    ['line.borrowingBase', base.totals.borrowingBase, 'borrowing-base'],
    ['line.outstanding', base.totals.outstandingPrincipal, 'outstanding'],
    ['line.reserved', base.totals.reservedDraws, 'reserved'],
    ['line.availability', base.totals.availability, 'availability'],
  ];
  return (
    <Card>
      <Space wrap size="large">
        {figures.map(([label, value, id]) => (
          <Statistic key={id} title={t(label)} value={money(value)} data-testid={`total-${id}`} />
        ))}
        <div>
          <Typography.Text type="secondary">{t('line.ltv')}</Typography.Text>
          <div>
            <LtvAgainstThresholds ltv={base.totals.ltv} marginCallLtv={line.terms.marginCallLtv} liquidationLtv={line.terms.liquidationLtv} targetLtv={line.terms.targetLtv} openCalls={openCalls} />
          </div>
        </div>
      </Space>
    </Card>
  );
}

function Collateral({ data }: { data: Line }) {
  const { t, dateTime, money, quantity, unitPrice } = useI18n();
  const currency = data.line.terms.currency;
  return (
    <Scroll><Table
      rowKey="lotId"
      dataSource={data.base.lots ?? []}
      pagination={false}
     
      data-testid="collateral"
      columns={[
        { title: t('lot.receiptNumber'), key: 'receipt', sorter: byText((lot) => lot.receiptNumber), render: (_v, lot) => <Link to={`/app/lots/${lot.lotId}`}>{lot.receiptNumber}</Link> },
        { title: t('lot.commodity'), key: 'commodity', render: (_v, lot) => `${lot.commodityCode} · ${lot.grade}` },
        { title: t('lot.quantity'), key: 'quantity', align: 'right', render: (_v, lot) => quantity(lot.quantity) },
        { title: t('lot.price'), key: 'price', align: 'right', render: (_v, lot) => unitPrice(lot.pricePerUnit) },
        { title: t('lot.markAsOf'), key: 'mark', sorter: byText((lot) => lot.markAsOf), render: (_v, lot) => dateTime(lot.markAsOf) },
        { title: t('lot.collateralValue'), key: 'collateral', align: 'right', sorter: byDecimal((lot) => lot.collateralValue.amount), render: (_v, lot) => money(lot.collateralValue) },
        { title: t('lot.lendingValue'), key: 'lending', align: 'right', sorter: byDecimal((lot) => lot.lendingValue.amount), render: (_v, lot) => money(lot.lendingValue) },
        {
          title: t('lot.eligibility'),
          key: 'eligible',
          render: (_v, lot) =>
            lot.eligible ? (
              <Badge status="success" text={t('lot.eligible')} />
            ) : (
              <Space wrap>
                {lot.reasons.map((reason) => (
                  <Badge status="error" key={reason} text={t(`ineligible.${reason}`)} />
                ))}
              </Space>
            ),
        },
      ]}
    /></Scroll>
  );
}

function RequestDraw({ data, onDone }: { data: Line; onDone: () => void }) {
  const { t, amount, money } = useI18n();
  const [form] = Form.useForm();
  const write = useWrite();
  const [result, setResult] = useState<string | null>(null);
  const currency = data.line.terms.currency;
  return (
    <Card title={t('draw.request')} data-testid="request-draw">
      <Typography.Paragraph data-testid="availability-before">{t('draw.availabilityNow', { availability: money(data.base.totals.availability) })}</Typography.Paragraph>
      <ProblemAlert error={write.error} />
      {result && <Typography.Paragraph data-testid="draw-result">{result}</Typography.Paragraph>}
      <Form
        form={form}
        layout="vertical"
        onFinish={async (values: { amount: string; purpose?: string }) => {
          const draw = await write.run(
            (key) =>
              unwrap(
                api.POST('/credit-lines/{lineId}/draws', {
                  params: { path: { lineId: data.line.id }, header: { 'Idempotency-Key': key } },
                  body: { amount: { amount: values.amount, currency }, ...(values.purpose ? { purpose: values.purpose } : {}) },
                }),
              ),
            form,
          );
          if (draw) {
            setResult(t('draw.requested', { amount: amount(draw.amount.amount, currency), status: t(`status.${draw.status}` as MessageKey) }));
            form.resetFields();
            onDone();
          }
        }}
      >
        <Form.Item label={t('draw.amount', { currency })} name="amount" rules={[{ required: true, pattern: DECIMAL_PATTERN, message: t('form.decimal') }]}>
          <Input inputMode="decimal" />
        </Form.Item>
        <Form.Item label={t('draw.purpose')} name="purpose">
          <Input />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={write.busy}>
          {t('draw.submit')}
        </Button>
      </Form>
    </Card>
  );
}

function Draws({ data, reloadKey }: { data: Line; reloadKey: number }) {
  const { t, money, dateTime } = useI18n();
  const fetchPage = useCallback(
    (cursor: string | undefined) => unwrap(api.GET('/credit-lines/{lineId}/draws', { params: { path: { lineId: data.line.id }, query: { cursor, limit: 20 } } })),
    [data.line.id],
  );
  return (
    <CursorTable
      rowKey="id"
      fetchPage={fetchPage}
      deps={[data.line.id]}
      reloadKey={reloadKey}
      data-testid="draws"
      columns={[
        { title: t('draw.createdAt'), key: 'created', sorter: byText((draw) => draw.createdAt), render: (_v, draw) => dateTime(draw.createdAt) },
        { title: t('draw.amountColumn'), key: 'amount', align: 'right', sorter: byDecimal((draw) => draw.amount.amount), render: (_v, draw) => money(draw.amount) },
        { title: t('draw.status'), key: 'status', sorter: byText((draw) => draw.status), render: (_v, draw) => <StatusTag status={draw.status} /> },
        { title: t('draw.approvals'), key: 'approvals', render: (_v, draw) => t('draw.approvalsOf', { given: draw.decisions.filter((d) => d.decision === 'APPROVE').length, required: draw.requiredApprovals }) },
        { title: t('draw.purpose'), key: 'purpose', render: (_v, draw) => draw.purpose ?? t('common.none') },
      ]}
    />
  );
}

function MarginCalls({ data }: { data: Line }) {
  const { t, dateTime, money } = useI18n();
  return (
    <Scroll><Table
      rowKey="id"
      dataSource={data.calls}
      pagination={false}
     
      data-testid="margin-calls"
      columns={[
        { title: t('call.openedAt'), key: 'opened', sorter: byText((call) => call.openedAt), render: (_v, call) => dateTime(call.openedAt) },
        { title: t('call.status'), key: 'status', render: (_v, call) => <StatusTag status={call.status} /> },
        { title: t('call.cause'), key: 'cause', render: (_v, call) => t(`call.cause.${call.cause}`) },
        { title: t('call.requiredRepayment'), key: 'required', align: 'right', sorter: byDecimal((call) => call.requiredRepayment.amount), render: (_v, call) => money(call.requiredRepayment) },
        { title: t('call.cureDeadline'), key: 'deadline', render: (_v, call) => (call.cureDeadline ? <span>{dateTime(call.cureDeadline)} {call.status === 'OPEN' && <Countdown until={call.cureDeadline} />}</span> : t('common.none')) },
      ]}
    /></Scroll>
  );
}

function Sales({ data, reloadKey }: { data: Line; reloadKey: number }) {
  const { t, date, money } = useI18n();
  const fetchPage = useCallback(
    (cursor: string | undefined) => unwrap(api.GET('/credit-lines/{lineId}/sales', { params: { path: { lineId: data.line.id }, query: { cursor, limit: 20 } } })),
    [data.line.id],
  );
  return (
    <CursorTable
      rowKey="id"
      fetchPage={fetchPage}
      deps={[data.line.id]}
      reloadKey={reloadKey}
      data-testid="sales"
      columns={[
        { title: t('sale.sale'), key: 'id', render: (_v, sale) => <Link to={`/app/sales/${sale.id}`}>{t('sale.open')}</Link> },
        { title: t('sale.totalPrice'), key: 'total', align: 'right', sorter: byDecimal((sale) => sale.totalPrice.amount), render: (_v, sale) => money(sale.totalPrice) },
        { title: t('sale.amountPaid'), key: 'paid', align: 'right', sorter: byDecimal((sale) => sale.amountPaid.amount), render: (_v, sale) => money(sale.amountPaid) },
        { title: t('sale.paymentDueDate'), key: 'due', sorter: byText((sale) => sale.paymentDueDate), render: (_v, sale) => date(sale.paymentDueDate) },
        { title: t('sale.status'), key: 'status', sorter: byText((sale) => sale.status), render: (_v, sale) => <StatusTag status={sale.status} /> },
      ]}
    />
  );
}

function ReportSale({ data, onDone }: { data: Line; onDone: () => void }) {
  const { t, quantity } = useI18n();
  const [form] = Form.useForm();
  const write = useWrite();
  const buyers = useOrganisations('BUYER');
  const currency = data.line.terms.currency;
  const lots = data.base.lots ?? [];
  const unitOf = (lotId: string) => lots.find((lot) => lot.lotId === lotId)?.quantity.unit ?? '';
  return (
    <Card title={t('sale.report')} data-testid="report-sale">
      <ProblemAlert error={write.error} />
      <Form
        form={form}
        layout="vertical"
        onFinish={async (values: { buyerOrganisationId: string; lotId: string; quantity: string; pricePerUnit: string; paymentDueDate: string }) => {
          const sale = await write.run(
            (key) =>
              unwrap(
                api.POST('/credit-lines/{lineId}/sales', {
                  params: { path: { lineId: data.line.id }, header: { 'Idempotency-Key': key } },
                  body: { buyerOrganisationId: values.buyerOrganisationId, items: [{ lotId: values.lotId, quantity: { amount: values.quantity, unit: unitOf(values.lotId) } }], pricePerUnit: { amount: values.pricePerUnit, currency, unit: unitOf(values.lotId) }, paymentDueDate: values.paymentDueDate },
                }),
              ),
            form,
          );
          if (sale) {
            form.resetFields();
            onDone();
          }
        }}
      >
        <Form.Item label={t('sale.buyer')} name="buyerOrganisationId" rules={[{ required: true, message: t('form.required') }]}>
          <Select showSearch={{ optionFilterProp: 'label' }} options={buyers.items.map((buyer) => ({ value: buyer.id, label: buyer.name }))} />
        </Form.Item>
        <Form.Item label={t('sale.lot')} name="lotId" rules={[{ required: true, message: t('form.required') }]}>
          <Select options={lots.map((lot) => ({ value: lot.lotId, label: `${lot.receiptNumber} · ${quantity(lot.quantity)}` }))} />
        </Form.Item>
        <Form.Item label={t('sale.quantity')} name="quantity" rules={[{ required: true, pattern: DECIMAL_PATTERN, message: t('form.decimal') }]}>
          <Input inputMode="decimal" />
        </Form.Item>
        <Form.Item label={t('sale.pricePerUnit', { currency })} name="pricePerUnit" rules={[{ required: true, pattern: DECIMAL_PATTERN, message: t('form.decimal') }]}>
          <Input inputMode="decimal" />
        </Form.Item>
        <Form.Item label={t('sale.paymentDueDate')} name="paymentDueDate" rules={[{ required: true, pattern: /^\d{4}-\d{2}-\d{2}$/, message: t('form.date') }]}>
          <Input type="date" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={write.busy}>
          {t('sale.submit')}
        </Button>
      </Form>
    </Card>
  );
}

/** The lender records cash the seller paid in directly; the allocation shown is the server's waterfall. */
function RecordRepayment({ data, onDone }: { data: Line; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const write = useWrite();
  const [allocation, setAllocation] = useState<Allocation | null>(null);
  const currency = data.line.terms.currency;
  return (
    <Card title={t('repayment.record')} data-testid="record-repayment">
      <ProblemAlert error={write.error} />
      <Form
        form={form}
        layout="vertical"
        initialValues={{ receivedOn: todayIso() }}
        onFinish={async (values: { amount: string; receivedOn: string; reference?: string }) => {
          const recorded = await write.run(
            (key) =>
              unwrap(
                api.POST('/credit-lines/{lineId}/repayments', {
                  params: { path: { lineId: data.line.id }, header: { 'Idempotency-Key': key } },
                  body: { amount: { amount: values.amount, currency }, receivedOn: values.receivedOn, ...(values.reference ? { reference: values.reference } : {}) },
                }),
              ),
            form,
          );
          if (recorded) {
            setAllocation(recorded.allocation);
            form.resetFields();
            onDone();
          }
        }}
      >
        <Form.Item label={t('repayment.amount', { currency })} name="amount" rules={[{ required: true, pattern: DECIMAL_PATTERN, message: t('form.decimal') }]}>
          <Input inputMode="decimal" />
        </Form.Item>
        <Form.Item label={t('repayment.receivedOn')} name="receivedOn" rules={[{ required: true, message: t('form.date') }]}>
          <Input type="date" />
        </Form.Item>
        <Form.Item label={t('repayment.reference')} name="reference">
          <Input />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={write.busy}>
          {t('repayment.submit')}
        </Button>
      </Form>
      {allocation && <Waterfall allocation={allocation} />}
    </Card>
  );
}

type Money = { amount: string; currency: string };
export type Allocation = { fees: Money; interest: Money; principal: Money; toSeller: Money };

export function Waterfall({ allocation }: { allocation: Allocation }) {
  const { t, money } = useI18n();
  return (
    <Descriptions title={t('waterfall.title')} bordered size="small" column={1} data-testid="waterfall">
      <Descriptions.Item label={t('waterfall.fees')}>{money(allocation.fees)}</Descriptions.Item>
      <Descriptions.Item label={t('waterfall.interest')}>{money(allocation.interest)}</Descriptions.Item>
      <Descriptions.Item label={t('waterfall.principal')}>{money(allocation.principal)}</Descriptions.Item>
      <Descriptions.Item label={t('waterfall.toSeller')}>{money(allocation.toSeller)}</Descriptions.Item>
    </Descriptions>
  );
}

function Statement({ data }: { data: Line }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(() => `${todayIso().slice(0, 8)}01`);
  const [to, setTo] = useState(todayIso);
  const href = (format: 'csv' | 'pdf') => `/credit-lines/${data.line.id}/statement?${new URLSearchParams({ from, to, format }).toString()}`;
  return (
    <Space wrap align="end" data-testid="statement">
      <label>
        {t('statement.from')}
        <Input type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
      </label>
      <label>
        {t('statement.to')}
        <Input type="date" value={to} onChange={(event) => setTo(event.target.value)} />
      </label>
      <a href={href('csv')} download data-testid="statement-csv">
        {t('statement.csv')}
      </a>
      <a href={href('pdf')} download data-testid="statement-pdf">
        {t('statement.pdf')}
      </a>
    </Space>
  );
}

function Terms({ data }: { data: Line }) {
  const { t, percent, date, money } = useI18n();
  const terms = data.line.terms;
  const delinquency = delinquencyOf(terms);
  return (
    <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} data-testid="terms">
      <Descriptions.Item label={t('line.limit')}>{money(terms.limit)}</Descriptions.Item>
      <Descriptions.Item label={t('terms.advanceRate')}>{percent(terms.defaultAdvanceRate)}</Descriptions.Item>
      <Descriptions.Item label={t('terms.haircut')}>{percent(terms.haircut)}</Descriptions.Item>
      <Descriptions.Item label={t('terms.interestRate')}>{percent(terms.annualInterestRate)}</Descriptions.Item>
      <Descriptions.Item label={t('terms.dayCount')}>{terms.dayCount}</Descriptions.Item>
      <Descriptions.Item label={t('terms.marginCallLtv')}>{percent(terms.marginCallLtv)}</Descriptions.Item>
      <Descriptions.Item label={t('terms.targetLtv')}>{percent(terms.targetLtv)}</Descriptions.Item>
      <Descriptions.Item label={t('terms.liquidationLtv')}>{percent(terms.liquidationLtv)}</Descriptions.Item>
      <Descriptions.Item label={t('terms.curePeriod')}>{t('terms.hours', { hours: terms.curePeriodHours })}</Descriptions.Item>
      <Descriptions.Item label={t('terms.maxMarkAge')}>{t('terms.hours', { hours: terms.maxMarkAgeHours })}</Descriptions.Item>
      <Descriptions.Item label={t('terms.maturity')}>{date(terms.maturityDate)}</Descriptions.Item>
      <Descriptions.Item label={t('terms.floatingRate')}>
        {terms.floatingRate ? t('terms.floatingOver', { spread: percent(terms.floatingRate.spread), floor: terms.floatingRate.floor === null ? t('common.none') : percent(terms.floatingRate.floor) }) : t('terms.fixed')}
      </Descriptions.Item>
      <Descriptions.Item label={t('terms.interestBilling')}>
        {terms.interestBilling ? t('terms.billedMonthly', { day: terms.interestBilling.dayOfMonth, days: terms.interestBilling.dueAfterDays }) : t('terms.interestAtMaturity')}
      </Descriptions.Item>
      <Descriptions.Item label={t('delinquency.gracePeriod')}>{t('delinquency.days', { days: delinquency.gracePeriodDays })}</Descriptions.Item>
      <Descriptions.Item label={t('delinquency.defaultSpread')}>{percent(delinquency.defaultInterestSpread)}</Descriptions.Item>
      <Descriptions.Item label={t('delinquency.defaultAfter')}>
        {delinquency.defaultAfterDaysPastDue === null ? t('delinquency.never') : t('delinquency.days', { days: delinquency.defaultAfterDaysPastDue })}
      </Descriptions.Item>
      <Descriptions.Item label={t('concentration.commodity')}>{percent(terms.concentrationLimits.commodity)}</Descriptions.Item>
      <Descriptions.Item label={t('concentration.warehouse')}>{percent(terms.concentrationLimits.warehouse)}</Descriptions.Item>
      <Descriptions.Item label={t('concentration.lot')}>{percent(terms.concentrationLimits.lot)}</Descriptions.Item>
    </Descriptions>
  );
}

export function LinePage() {
  const { lineId = '' } = useParams();
  const { t } = useI18n();
  const { user } = useSession();
  const organisations = useOrganisations();
  const loaded = useLoad(() => loadLine(lineId), [lineId]);
  const [reloadKey, setReloadKey] = useState(0);
  const { reload } = loaded;
  const refresh = useCallback(() => {
    reload();
    setReloadKey((key) => key + 1);
  }, [reload]);
  // Workflows (approval, disbursement, revaluation) finish after the answer: the figures follow them.
  useInterval(refresh, 4000);
  useEffect(() => setReloadKey(0), [lineId]);
  if (!loaded.data) return <LoadState loading={loaded.loading} error={loaded.error} />;
  const data = loaded.data;
  const isSeller = user?.organisation.kind === 'SELLER';
  const isLender = user?.organisation.kind === 'LENDER';
  const canWrite = user?.role !== 'VIEWER';
  const tabs = [
    { key: 'collateral', label: t('line.tab.collateral'), children: <Collateral data={data} /> },
    { key: 'draws', label: t('line.tab.draws'), children: <Draws data={data} reloadKey={reloadKey} /> },
    { key: 'sales', label: t('line.tab.sales'), children: <Sales data={data} reloadKey={reloadKey} /> },
    { key: 'calls', label: t('line.tab.marginCalls'), children: <MarginCalls data={data} /> },
    { key: 'history', label: t('line.tab.history'), children: <LtvHistoryChart line={data.line} /> },
    { key: 'bills', label: t('line.tab.interestBills'), children: <InterestBills lineId={data.line.id} reloadKey={reloadKey} /> },
    { key: 'statement', label: t('line.tab.statement'), children: <Statement data={data} /> },
    {
      key: 'terms',
      label: t('line.tab.terms'),
      children: (
        <Space orientation="vertical" style={{ width: '100%' }} size="middle">
          <Terms data={data} />
          <TermsVersions lineId={data.line.id} reloadKey={reloadKey} onChange={refresh} />
        </Space>
      ),
    },
  ];
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Space wrap align="center">
        <Typography.Title level={1} style={{ fontSize: 24, margin: 0 }} data-testid="line-title">
          {t('line.title', { seller: organisations.nameOf(data.line.sellerOrganisationId), lender: organisations.nameOf(data.line.lenderOrganisationId) })}
        </Typography.Title>
        <StatusTag status={data.line.status} />
      </Space>
      <Totals data={data} />
      {data.base.totals.noAvailabilityReason && (
        <Alert type="warning" showIcon title={t(`noAvailability.${data.base.totals.noAvailabilityReason}` as MessageKey)} data-testid="no-availability-reason" />
      )}
      <Delinquency lineId={data.line.id} reloadKey={reloadKey} onChange={refresh} />
      {isSeller && canWrite && (
        <Space wrap align="start" style={{ width: '100%' }}>
          <RequestDraw data={data} onDone={refresh} />
          <ReportSale data={data} onDone={refresh} />
        </Space>
      )}
      {isLender && canWrite && <RecordRepayment data={data} onDone={refresh} />}
      <Tabs items={tabs} />
    </Space>
  );
}
