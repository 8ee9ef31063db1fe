import { Button, Card, Form, Input, Space, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { api, unwrap } from '../../api';
import { Chart } from '../../components/charts/Chart';
import { byDecimal, byText } from '../../components/sorting';
import { CursorTable } from '../../components/CursorTable';
import { DECIMAL_PATTERN, useWrite } from '../../components/forms';
import { ProblemAlert } from '../../components/Results';
import { useLoad } from '../../components/useLoad';
import { useI18n } from '../../i18n';

const HISTORY_POINTS_MAX = 200;

function MarkHistory({ commodityCode, grade, currency }: { commodityCode: string; grade: string; currency: string }) {
  const { t, amount, dateTime } = useI18n();
  const marks = useLoad(
    () => (commodityCode ? unwrap(api.GET('/price-marks', { params: { query: { commodityCode, ...(grade ? { grade } : {}), ...(currency ? { currency } : {}), limit: HISTORY_POINTS_MAX } } })) : Promise.resolve({ items: [], nextCursor: null })),
    [commodityCode, grade, currency],
  );
  const points = useMemo(() => [...(marks.data?.items ?? [])].sort((a, b) => a.asOf.localeCompare(b.asOf)), [marks.data]);
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' as const, renderMode: 'richText' as const, valueFormatter: (value: unknown) => amount(String(value), currency || (points[0]?.pricePerUnit.currency ?? '')) },
      grid: { left: 64, right: 24, top: 24, bottom: 32 },
      xAxis: { type: 'category' as const, data: points.map((mark) => dateTime(mark.asOf)) },
      yAxis: { type: 'value' as const, scale: true },
      series: [{ name: t('marks.price'), type: 'line' as const, data: points.map((mark) => Number(mark.pricePerUnit.amount)) }],
    }),
    [points, amount, dateTime, currency, t],
  );
  if (!commodityCode) return <Typography.Paragraph type="secondary">{t('marks.pickCommodity')}</Typography.Paragraph>;
  return <Chart option={option} label={t('marks.chart', { commodity: commodityCode })} />;
}

export function PriceMarks() {
  const { t, dateTime, unitPrice } = useI18n();
  const [form] = Form.useForm();
  const write = useWrite();
  const [filter, setFilter] = useState({ commodityCode: '', grade: '', currency: '' });
  const [reloadKey, setReloadKey] = useState(0);
  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      unwrap(
        api.GET('/price-marks', {
          params: { query: { cursor, limit: 20, ...(filter.commodityCode ? { commodityCode: filter.commodityCode } : {}), ...(filter.grade ? { grade: filter.grade } : {}), ...(filter.currency ? { currency: filter.currency } : {}) } },
        }),
      ),
    [filter],
  );
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('marks.title')}
      </Typography.Title>
      <Card title={t('marks.post')} data-testid="post-mark">
        <ProblemAlert error={write.error} />
        <Form
          form={form}
          layout="inline"
          onFinish={async ({ currency, pricePerUnit, unit, ...values }: { commodityCode: string; grade: string; currency: string; pricePerUnit: string; unit: string; source: string }) => {
            const mark = await write.run(
              (key) => unwrap(api.POST('/price-marks', { params: { header: { 'Idempotency-Key': key } }, body: { ...values, pricePerUnit: { amount: pricePerUnit, currency, unit }, asOf: new Date().toISOString() } })),
              form,
            );
            if (mark) {
              setFilter({ commodityCode: mark.commodityCode, grade: mark.grade, currency: mark.pricePerUnit.currency });
              setReloadKey((value) => value + 1);
            }
          }}
        >
          <Form.Item label={t('marks.commodity')} name="commodityCode" rules={[{ required: true, message: t('form.required') }]}>
            <Input />
          </Form.Item>
          <Form.Item label={t('marks.grade')} name="grade" rules={[{ required: true, message: t('form.required') }]}>
            <Input />
          </Form.Item>
          <Form.Item label={t('marks.currency')} name="currency" rules={[{ required: true, pattern: /^[A-Z]{3}$/, message: t('form.currency') }]}>
            <Input maxLength={3} />
          </Form.Item>
          <Form.Item label={t('marks.pricePerUnit')} name="pricePerUnit" rules={[{ required: true, pattern: DECIMAL_PATTERN, message: t('form.decimal') }]}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item label={t('marks.unit')} name="unit" rules={[{ required: true, message: t('form.required') }]}>
            <Input />
          </Form.Item>
          <Form.Item label={t('marks.source')} name="source" rules={[{ required: true, message: t('form.required') }]}>
            <Input />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={write.busy}>
            {t('marks.submit')}
          </Button>
        </Form>
      </Card>
      <Card title={t('marks.history')}>
        <Space wrap>
          <Input aria-label={t('marks.commodity')} placeholder={t('marks.commodity')} value={filter.commodityCode} onChange={(event) => setFilter({ ...filter, commodityCode: event.target.value.toUpperCase() })} />
          <Input aria-label={t('marks.grade')} placeholder={t('marks.grade')} value={filter.grade} onChange={(event) => setFilter({ ...filter, grade: event.target.value })} />
          <Input aria-label={t('marks.currency')} placeholder={t('marks.currency')} value={filter.currency} onChange={(event) => setFilter({ ...filter, currency: event.target.value.toUpperCase() })} />
        </Space>
        <MarkHistory key={reloadKey} {...filter} />
        <CursorTable
          rowKey="id"
          fetchPage={fetchPage}
          deps={[filter]}
          reloadKey={reloadKey}
          data-testid="marks"
          columns={[
            { title: t('marks.asOf'), key: 'asOf', sorter: byText((mark) => mark.asOf), render: (_v, mark) => dateTime(mark.asOf) },
            { title: t('marks.commodity'), key: 'commodity', render: (_v, mark) => `${mark.commodityCode} · ${mark.grade}` },
            { title: t('marks.pricePerUnit'), key: 'price', align: 'right', sorter: byDecimal((mark) => mark.pricePerUnit.amount), render: (_v, mark) => unitPrice(mark.pricePerUnit) },
            { title: t('marks.source'), key: 'source', dataIndex: 'source' },
          ]}
        />
      </Card>
    </Space>
  );
}
