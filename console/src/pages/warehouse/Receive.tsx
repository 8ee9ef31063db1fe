import { Button, Card, Form, Input, Select, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api';
import { DECIMAL_PATTERN, useWrite } from '../../components/forms';
import { useOrganisations } from '../../components/organisations';
import { ProblemAlert } from '../../components/Results';
import { useLoad } from '../../components/useLoad';
import { useI18n } from '../../i18n';

interface ReceiveValues {
  sellerOrganisationId: string;
  warehouseId: string;
  locationId: string;
  commodityCode: string;
  grade: string;
  quantity: string;
  receiptNumber: string;
}

/** Goods arriving at the warehouse: a form built for a tablet or a phone on the floor (one column, large targets). */
export function Receive() {
  const { t, quantity } = useI18n();
  const [form] = Form.useForm<ReceiveValues>();
  const write = useWrite();
  const sellers = useOrganisations('SELLER');
  const warehouses = useLoad(() => unwrap(api.GET('/warehouses', { params: { query: { limit: 100 } } })), []);
  const commodities = useLoad(() => unwrap(api.GET('/commodities', { params: { query: { limit: 100 } } })), []);
  const warehouseId = Form.useWatch('warehouseId', form);
  const commodityCode = Form.useWatch('commodityCode', form);
  const locationPage = useLoad(
    () => (warehouseId ? unwrap(api.GET('/warehouses/{warehouseId}/locations', { params: { path: { warehouseId }, query: { limit: 100 } } })) : Promise.resolve({ items: [], nextCursor: null })),
    [warehouseId],
  );
  const locations = locationPage.data?.items ?? [];
  const commodity = commodities.data?.items.find((item) => item.code === commodityCode);
  const [received, setReceived] = useState<{ id: string; receiptNumber: string; quantity: { amount: string; unit: string } } | null>(null);
  return (
    <Card title={<Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('receive.title')}</Typography.Title>} style={{ maxWidth: 560 }}>
      <ProblemAlert error={write.error} />
      {received && (
        <Typography.Paragraph data-testid="received">
          {t('receive.done', { receipt: received.receiptNumber, quantity: quantity(received.quantity) })} <Link to={`/app/lots/${received.id}`}>{t('receive.openLot')}</Link>
        </Typography.Paragraph>
      )}
      <Form<ReceiveValues>
        form={form}
        layout="vertical"
        size="large"
        onFinish={async (values) => {
          if (!commodity) return;
          const result = await write.run(
            (key) =>
              unwrap(
                api.POST('/warehouses/{warehouseId}/lots', {
                  params: { path: { warehouseId: values.warehouseId }, header: { 'Idempotency-Key': key } },
                  body: {
                    sellerOrganisationId: values.sellerOrganisationId,
                    commodityCode: values.commodityCode,
                    grade: values.grade,
                    quantity: { amount: values.quantity, unit: commodity.unit },
                    locationId: values.locationId,
                    receivedAt: new Date().toISOString(),
                    receiptNumber: values.receiptNumber,
                  },
                }),
              ),
            form,
          );
          if (result) {
            setReceived({ id: result.id, receiptNumber: result.receiptNumber, quantity: result.quantity });
            form.resetFields(['quantity', 'receiptNumber']);
          }
        }}
      >
        <Form.Item label={t('receive.seller')} name="sellerOrganisationId" rules={[{ required: true, message: t('form.required') }]}>
          <Select showSearch={{ optionFilterProp: 'label' }} options={sellers.items.map((seller) => ({ value: seller.id, label: seller.name }))} data-testid="seller" />
        </Form.Item>
        <Form.Item label={t('receive.warehouse')} name="warehouseId" rules={[{ required: true, message: t('form.required') }]}>
          <Select options={(warehouses.data?.items ?? []).map((warehouse) => ({ value: warehouse.id, label: warehouse.name }))} data-testid="warehouse" />
        </Form.Item>
        <Form.Item label={t('receive.location')} name="locationId" rules={[{ required: true, message: t('form.required') }]}>
          <Select options={locations.map((location) => ({ value: location.id, label: location.name }))} data-testid="location" />
        </Form.Item>
        <Form.Item label={t('receive.commodity')} name="commodityCode" rules={[{ required: true, message: t('form.required') }]}>
          <Select options={(commodities.data?.items ?? []).map((item) => ({ value: item.code, label: `${item.name} (${item.code})` }))} data-testid="commodity" />
        </Form.Item>
        <Form.Item label={t('receive.grade')} name="grade" rules={[{ required: true, message: t('form.required') }]}>
          <Select options={(commodity?.grades ?? []).map((grade) => ({ value: grade, label: grade }))} data-testid="grade" />
        </Form.Item>
        <Form.Item label={commodity ? t('receive.quantityIn', { unit: commodity.unit }) : t('receive.quantity')} name="quantity" rules={[{ required: true, pattern: DECIMAL_PATTERN, message: t('form.decimal') }]}>
          <Input inputMode="decimal" />
        </Form.Item>
        <Form.Item label={t('receive.receiptNumber')} name="receiptNumber" rules={[{ required: true, message: t('form.required') }]}>
          <Input />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={write.busy} block>
          {t('receive.submit')}
        </Button>
      </Form>
    </Card>
  );
}
