import { Button, Card, Form, Input, Space, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { api, unwrap } from '../../api';
import { CursorTable } from '../../components/CursorTable';
import { useWrite } from '../../components/forms';
import { ProblemAlert } from '../../components/Results';
import { useI18n } from '../../i18n';
import { useSession } from '../../session';

type Rate = Awaited<ReturnType<typeof loadRates>>['items'][number];

function loadRates(cursor: string | undefined) {
  return unwrap(api.GET('/reference-rates', { params: { query: { cursor, limit: 50 } } }));
}

/** A fixing as the API takes it: a fraction per year, possibly negative ("0.0431" = 4.31 %). */
const RATE_PATTERN = /^-?\d{1,10}(\.\d{1,10})?$/;

function Fixings({ rate }: { rate: Rate }) {
  const { t, date, dateTime, percent } = useI18n();
  const { user } = useSession();
  const [form] = Form.useForm();
  const write = useWrite();
  const [reloadKey, setReloadKey] = useState(0);
  const fetchPage = useCallback(
    (cursor: string | undefined) => unwrap(api.GET('/reference-rates/{referenceRateId}/fixings', { params: { path: { referenceRateId: rate.id }, query: { cursor, limit: 50 } } })),
    [rate.id],
  );
  const canPost = user?.role === 'ADMIN' || user?.role === 'OPERATOR';
  return (
    <Card title={t('rates.fixingsOf', { code: rate.code, name: rate.name })} data-testid={`fixings-${rate.code}`}>
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Paragraph type="secondary">{t('rates.maxAge', { days: rate.maxFixingAgeDays })}</Typography.Paragraph>
        {canPost && (
          <>
            <ProblemAlert error={write.error} />
            <Form
              form={form}
              layout="inline"
              initialValues={{ effectiveDate: new Date().toISOString().slice(0, 10) }}
              onFinish={async (values: { effectiveDate: string; rate: string }) => {
                const fixing = await write.run(
                  (key) => unwrap(api.POST('/reference-rates/{referenceRateId}/fixings', { params: { path: { referenceRateId: rate.id }, header: { 'Idempotency-Key': key } }, body: values })),
                  form,
                );
                if (fixing) {
                  form.resetFields(['rate']);
                  setReloadKey((key) => key + 1);
                }
              }}
            >
              <Form.Item label={t('rates.effectiveDate')} name="effectiveDate" rules={[{ required: true, message: t('form.required') }]}>
                <Input type="date" />
              </Form.Item>
              <Form.Item label={t('rates.rate')} name="rate" rules={[{ required: true, pattern: RATE_PATTERN, message: t('form.decimal') }]} help={t('amend.fraction')}>
                <Input inputMode="decimal" />
              </Form.Item>
              <Button type="primary" htmlType="submit" loading={write.busy}>
                {t('rates.postFixing')}
              </Button>
            </Form>
          </>
        )}
        <CursorTable
          rowKey="effectiveDate"
          fetchPage={fetchPage}
          deps={[rate.id]}
          reloadKey={reloadKey}
          data-testid={`fixings-table-${rate.code}`}
          columns={[
            { title: t('rates.effectiveDate'), key: 'date', render: (_v, fixing) => date(fixing.effectiveDate) },
            { title: t('rates.rate'), key: 'rate', align: 'right', render: (_v, fixing) => percent(fixing.rate) },
            { title: t('rates.postedAt'), key: 'postedAt', render: (_v, fixing) => dateTime(fixing.postedAt) },
          ]}
        />
      </Space>
    </Card>
  );
}

/** The reference rates the lender registered (SOFR, EURIBOR 3M, LPR 1Y…) for its floating-rate lines, and their fixings. */
export function ReferenceRates() {
  const { t } = useI18n();
  const { user } = useSession();
  const [form] = Form.useForm();
  const write = useWrite();
  const [reloadKey, setReloadKey] = useState(0);
  const [rates, setRates] = useState<Rate[]>([]);
  const fetchPage = useCallback(async (cursor: string | undefined) => {
    const page = await loadRates(cursor);
    setRates(page.items);
    return page;
  }, []);
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('rates.title')}
      </Typography.Title>
      {user?.role === 'ADMIN' && (
        <Card title={t('rates.register')} data-testid="register-rate">
          <ProblemAlert error={write.error} />
          <Form
            form={form}
            layout="inline"
            onFinish={async (values: { code: string; name: string; maxFixingAgeDays: string }) => {
              const rate = await write.run(
                (key) =>
                  unwrap(
                    api.POST('/reference-rates', { params: { header: { 'Idempotency-Key': key } }, body: { code: values.code, name: values.name, maxFixingAgeDays: Number(values.maxFixingAgeDays) } }),
                  ),
                form,
              );
              if (rate) {
                form.resetFields();
                setReloadKey((key) => key + 1);
              }
            }}
          >
            <Form.Item label={t('rates.code')} name="code" rules={[{ required: true, message: t('form.required') }]}>
              <Input />
            </Form.Item>
            <Form.Item label={t('rates.name')} name="name" rules={[{ required: true, message: t('form.required') }]}>
              <Input />
            </Form.Item>
            <Form.Item label={t('rates.maxFixingAgeDays')} name="maxFixingAgeDays" rules={[{ required: true, pattern: /^\d{1,4}$/, message: t('form.wholeNumber') }]}>
              <Input inputMode="numeric" />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={write.busy}>
              {t('rates.submit')}
            </Button>
          </Form>
        </Card>
      )}
      <CursorTable
        rowKey="id"
        fetchPage={fetchPage}
        deps={[]}
        reloadKey={reloadKey}
        data-testid="reference-rates"
        columns={[
          { title: t('rates.code'), key: 'code', dataIndex: 'code' },
          { title: t('rates.name'), key: 'name', dataIndex: 'name' },
          { title: t('rates.maxFixingAgeDays'), key: 'age', align: 'right', dataIndex: 'maxFixingAgeDays' },
        ]}
      />
      {rates.map((rate) => (
        <Fixings key={rate.id} rate={rate} />
      ))}
    </Space>
  );
}
