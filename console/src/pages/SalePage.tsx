import { Button, Card, Descriptions, Form, Input, Space, Table, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap } from '../api';
import { DECIMAL_PATTERN, useWrite } from '../components/forms';
import { LoadState, ProblemAlert } from '../components/Results';
import { StatusTag } from '../components/StatusTag';
import { useInterval, useLoad } from '../components/useLoad';
import { Scroll } from '../components/Scroll';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { Waterfall, type Allocation } from './LinePage';

export function SalePage() {
  const { saleId = '' } = useParams();
  const { t, date, money, quantity, unitPrice } = useI18n();
  const { user } = useSession();
  const sale = useLoad(() => unwrap(api.GET('/sales/{saleId}', { params: { path: { saleId } } })), [saleId]);
  const { reload } = sale;
  const refresh = useCallback(() => reload(), [reload]);
  // Settlement and release run in a workflow after the payment's answer: the status follows it.
  useInterval(refresh, 4000);
  const [form] = Form.useForm();
  const write = useWrite();
  const [allocation, setAllocation] = useState<Allocation | null>(null);
  if (!sale.data) return <LoadState loading={sale.loading} error={sale.error} />;
  const data = sale.data;
  const isLender = user?.organisation.kind === 'LENDER' && user.role !== 'VIEWER';
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Space wrap>
        <Typography.Title level={1} style={{ fontSize: 24, margin: 0 }}>
          {t('sale.title')}
        </Typography.Title>
        <span data-testid="sale-status">
          <StatusTag status={data.status} />
        </span>
      </Space>
      <Descriptions bordered size="small" column={{ xs: 1, md: 2 }}>
        <Descriptions.Item label={t('sale.totalPrice')}>{money(data.totalPrice)}</Descriptions.Item>
        <Descriptions.Item label={t('sale.amountPaid')}>{money(data.amountPaid)}</Descriptions.Item>
        <Descriptions.Item label={t('sale.remainingDue')}>{money(data.remainingDue)}</Descriptions.Item>
        <Descriptions.Item label={t('sale.feeOnSale')}>{money(data.feeOnSale)}</Descriptions.Item>
        <Descriptions.Item label={t('sale.paymentDueDate')}>{date(data.paymentDueDate)}</Descriptions.Item>
        {user?.organisation.kind !== 'WAREHOUSE' && (
          <Descriptions.Item label={t('sale.line')}>
            <Link to={`/app/lines/${data.creditLineId}`}>{t('draw.openLine')}</Link>
          </Descriptions.Item>
        )}
      </Descriptions>
      <Scroll><Table
        rowKey="lotId"
        dataSource={data.items}
        pagination={false}
       
        columns={[
          { title: t('sale.lot'), key: 'lot', render: (_v, item) => <Link to={`/app/lots/${item.lotId}`}>{t('sale.openLot')}</Link> },
          { title: t('sale.quantity'), key: 'quantity', align: 'right', render: (_v, item) => quantity(item.quantity) },
          { title: t('sale.pricePerUnit', { currency: data.currency }), key: 'price', align: 'right', render: (_v, item) => unitPrice(item.pricePerUnit) },
        ]}
      /></Scroll>
      {isLender && data.status === 'OPEN' && (
        <Card title={t('sale.recordPayment')} data-testid="record-payment">
          <ProblemAlert error={write.error} />
          <Form
            form={form}
            layout="vertical"
            initialValues={{ receivedOn: new Date().toISOString().slice(0, 10) }}
            onFinish={async (values: { amount: string; receivedOn: string; reference?: string }) => {
              const recorded = await write.run(
                (key) =>
                  unwrap(
                    api.POST('/sales/{saleId}/payments', {
                      params: { path: { saleId }, header: { 'Idempotency-Key': key } },
                      body: { amount: { amount: values.amount, currency: data.currency }, receivedOn: values.receivedOn, ...(values.reference ? { reference: values.reference } : {}) },
                    }),
                  ),
                form,
              );
              if (recorded) {
                setAllocation(recorded.allocation);
                reload();
              }
            }}
          >
            <Form.Item label={t('repayment.amount', { currency: data.currency })} name="amount" rules={[{ required: true, pattern: DECIMAL_PATTERN, message: t('form.decimal') }]}>
              <Input inputMode="decimal" />
            </Form.Item>
            <Form.Item label={t('repayment.receivedOn')} name="receivedOn" rules={[{ required: true, message: t('form.date') }]}>
              <Input type="date" />
            </Form.Item>
            <Form.Item label={t('repayment.reference')} name="reference">
              <Input />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={write.busy}>
              {t('sale.submitPayment')}
            </Button>
          </Form>
        </Card>
      )}
      {allocation && <Waterfall allocation={allocation} />}
      {(data.payments ?? []).length > 0 && (
        <Card title={t('sale.payments')}>
          {(data.payments ?? []).map((payment) => (
            <Waterfall key={payment.id} allocation={payment.allocation} />
          ))}
        </Card>
      )}
    </Space>
  );
}
