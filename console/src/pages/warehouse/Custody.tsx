import { Button, Card, Collapse, Form, Input, Radio, Select, Switch, Typography } from 'antd';
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { components, paths } from '../../../../client';
import { api, unwrap } from '../../api';
import { DECIMAL_PATTERN, useWrite } from '../../components/forms';
import { ProblemAlert } from '../../components/Results';
import { useLoad } from '../../components/useLoad';
import { useI18n, type MessageKey } from '../../i18n';

type Lot = components['schemas']['Lot'];
type Location = components['schemas']['WarehouseLocation'];
type AdjustmentKind = NonNullable<paths['/lots/{lotId}/adjustments']['post']['requestBody']>['content']['application/json']['kind'];

/** Every kind the API takes, each with its label (the Record makes a kind the API adds fail to compile here). */
const ADJUSTMENT_KIND_LABEL: Record<AdjustmentKind, MessageKey> = {
  SHRINKAGE: 'adjustmentKind.SHRINKAGE',
  SPOILAGE: 'adjustmentKind.SPOILAGE',
  DAMAGE: 'adjustmentKind.DAMAGE',
  COUNT_DIFFERENCE: 'adjustmentKind.COUNT_DIFFERENCE',
  CORRECTION: 'adjustmentKind.CORRECTION',
};
export function adjustmentKindLabel(kind: string): MessageKey | null {
  return kind in ADJUSTMENT_KIND_LABEL ? ADJUSTMENT_KIND_LABEL[kind as AdjustmentKind] : null;
}

/** Now as a datetime-local input writes it (the reader's clock and zone, to the minute). */
function localNow(): string {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** An optional note: blank is no note (the API refuses a blank reason). */
const noteOf = (value: string | undefined) => (value && value.trim() !== '' ? value : undefined);

interface FormProps {
  lot: Lot;
  onDone: () => void;
}

/** What the server answered after a write: the lot's quantity as it now stands. */
function Recorded({ lot }: { lot: Lot | null }) {
  const { t, quantity } = useI18n();
  if (!lot) return null;
  return (
    <Typography.Paragraph data-testid="custody-done" role="status">
      {t('custody.done', { quantity: quantity(lot.quantity) })}
    </Typography.Paragraph>
  );
}

function Hint({ children }: { children: ReactNode }) {
  return <Typography.Paragraph type="secondary">{children}</Typography.Paragraph>;
}

interface CountValues {
  countedQuantity: string;
  countedAt: string;
  reason?: string;
}

function StockCountForm({ lot, onDone }: FormProps) {
  const { t } = useI18n();
  const [form] = Form.useForm<CountValues>();
  const write = useWrite();
  const [recorded, setRecorded] = useState<Lot | null>(null);
  return (
    <div data-testid="custody-count">
      <Hint>{t('custody.count.hint')}</Hint>
      <ProblemAlert error={write.error} />
      <Recorded lot={recorded} />
      <Form<CountValues>
        name="stockCount"
        form={form}
        layout="vertical"
        initialValues={{ countedAt: localNow() }}
        onFinish={async (values) => {
          const result = await write.run(
            (key) =>
              unwrap(
                api.POST('/lots/{lotId}/stock-counts', {
                  params: { path: { lotId: lot.id }, header: { 'Idempotency-Key': key } },
                  body: { countedQuantity: { amount: values.countedQuantity, unit: lot.quantity.unit }, countedAt: new Date(values.countedAt).toISOString(), reason: noteOf(values.reason) },
                }),
              ),
            form,
          );
          if (result) {
            setRecorded(result);
            form.resetFields();
            form.setFieldsValue({ countedAt: localNow() });
            onDone();
          }
        }}
      >
        <Form.Item label={t('custody.count.quantity', { unit: lot.quantity.unit })} name="countedQuantity" rules={[{ required: true, pattern: DECIMAL_PATTERN, message: t('form.decimal') }]}>
          <Input inputMode="decimal" />
        </Form.Item>
        <Form.Item label={t('custody.count.countedAt')} name="countedAt" rules={[{ required: true, message: t('form.date') }]}>
          <Input type="datetime-local" />
        </Form.Item>
        <Form.Item label={t('custody.note')} name="reason">
          <Input.TextArea rows={2} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={write.busy} block>
          {t('custody.count.submit')}
        </Button>
      </Form>
    </div>
  );
}

interface AdjustValues {
  kind: AdjustmentKind;
  direction: 'decrease' | 'increase';
  quantityDelta: string;
  reason: string;
}

function AdjustmentForm({ lot, onDone }: FormProps) {
  const { t } = useI18n();
  const [form] = Form.useForm<AdjustValues>();
  const write = useWrite();
  const [recorded, setRecorded] = useState<Lot | null>(null);
  return (
    <div data-testid="custody-adjust">
      <Hint>{t('custody.adjust.hint')}</Hint>
      <ProblemAlert error={write.error} />
      <Recorded lot={recorded} />
      <Form<AdjustValues>
        name="adjustment"
        form={form}
        layout="vertical"
        initialValues={{ kind: 'SHRINKAGE', direction: 'decrease' }}
        onFinish={async (values) => {
          // The quantity is entered without a sign (a phone's decimal keypad has no minus); the direction gives it one.
          const amount = `${values.direction === 'decrease' ? '-' : ''}${values.quantityDelta}`;
          const result = await write.run(
            (key) =>
              unwrap(
                api.POST('/lots/{lotId}/adjustments', {
                  params: { path: { lotId: lot.id }, header: { 'Idempotency-Key': key } },
                  body: { kind: values.kind, quantityDelta: { amount, unit: lot.quantity.unit }, reason: values.reason },
                }),
              ),
            form,
          );
          if (result) {
            setRecorded(result);
            form.resetFields();
            onDone();
          }
        }}
      >
        <Form.Item label={t('custody.adjust.kind')} name="kind" rules={[{ required: true, message: t('form.required') }]}>
          <Select options={(Object.keys(ADJUSTMENT_KIND_LABEL) as AdjustmentKind[]).map((kind) => ({ value: kind, label: t(ADJUSTMENT_KIND_LABEL[kind]) }))} />
        </Form.Item>
        <Form.Item label={t('custody.adjust.direction')} name="direction" rules={[{ required: true, message: t('form.required') }]}>
          <Radio.Group
            options={[
              { value: 'decrease', label: t('custody.adjust.decrease') },
              { value: 'increase', label: t('custody.adjust.increase') },
            ]}
          />
        </Form.Item>
        <Form.Item label={t('custody.adjust.quantity', { unit: lot.quantity.unit })} name="quantityDelta" rules={[{ required: true, pattern: DECIMAL_PATTERN, message: t('form.decimal') }]}>
          <Input inputMode="decimal" />
        </Form.Item>
        <Form.Item label={t('custody.reason')} name="reason" rules={[{ required: true, whitespace: true, message: t('form.required') }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={write.busy} block>
          {t('custody.adjust.submit')}
        </Button>
      </Form>
    </div>
  );
}

interface MoveValues {
  toLocationId: string;
  reason?: string;
}

function MoveForm({ lot, locations, onDone }: FormProps & { locations: Location[] }) {
  const { t } = useI18n();
  const [form] = Form.useForm<MoveValues>();
  const write = useWrite();
  const [moved, setMoved] = useState<Lot | null>(null);
  const nameOf = (id: string) => locations.find((location) => location.id === id)?.name ?? t('common.none');
  return (
    <div data-testid="custody-move">
      <Hint>{t('custody.move.from', { location: nameOf(lot.locationId) })}</Hint>
      <ProblemAlert error={write.error} />
      {moved && (
        <Typography.Paragraph data-testid="custody-done" role="status">
          {t('custody.move.done', { location: nameOf(moved.locationId) })}
        </Typography.Paragraph>
      )}
      <Form<MoveValues>
        name="move"
        form={form}
        layout="vertical"
        onFinish={async (values) => {
          const result = await write.run(
            (key) =>
              unwrap(
                api.POST('/lots/{lotId}/moves', {
                  params: { path: { lotId: lot.id }, header: { 'Idempotency-Key': key } },
                  body: { toLocationId: values.toLocationId, reason: noteOf(values.reason) },
                }),
              ),
            form,
          );
          if (result) {
            setMoved(result);
            form.resetFields();
            onDone();
          }
        }}
      >
        <Form.Item label={t('custody.move.to')} name="toLocationId" rules={[{ required: true, message: t('form.required') }]}>
          {/* Where the lot is now is not offered: moving there is no move. */}
          <Select options={locations.filter((location) => location.id !== lot.locationId).map((location) => ({ value: location.id, label: location.name }))} />
        </Form.Item>
        <Form.Item label={t('custody.note')} name="reason">
          <Input.TextArea rows={2} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={write.busy} block>
          {t('custody.move.submit')}
        </Button>
      </Form>
    </div>
  );
}

interface SplitValues {
  quantity: string;
  receiptNumber: string;
  reason?: string;
}

function SplitForm({ lot, onDone }: FormProps) {
  const { t, quantity } = useI18n();
  const [form] = Form.useForm<SplitValues>();
  const write = useWrite();
  const [child, setChild] = useState<Lot | null>(null);
  return (
    <div data-testid="custody-split">
      <Hint>{t('custody.split.hint')}</Hint>
      <ProblemAlert error={write.error} />
      {child && (
        <Typography.Paragraph data-testid="custody-split-done" role="status">
          {t('custody.split.done', { quantity: quantity(child.quantity), receipt: child.receiptNumber })}{' '}
          <Link to={`/app/lots/${child.id}`} data-testid="split-child">
            {t('custody.split.openLot')}
          </Link>
        </Typography.Paragraph>
      )}
      <Form<SplitValues>
        name="split"
        form={form}
        layout="vertical"
        onFinish={async (values) => {
          const result = await write.run(
            (key) =>
              unwrap(
                api.POST('/lots/{lotId}/splits', {
                  params: { path: { lotId: lot.id }, header: { 'Idempotency-Key': key } },
                  body: { quantity: { amount: values.quantity, unit: lot.quantity.unit }, receiptNumber: values.receiptNumber, reason: noteOf(values.reason) },
                }),
              ),
            form,
          );
          if (result) {
            setChild(result.child);
            form.resetFields();
            onDone();
          }
        }}
      >
        <Form.Item label={t('custody.split.quantity', { unit: lot.quantity.unit })} name="quantity" rules={[{ required: true, pattern: DECIMAL_PATTERN, message: t('form.decimal') }]}>
          <Input inputMode="decimal" />
        </Form.Item>
        <Form.Item label={t('custody.split.receiptNumber')} name="receiptNumber" rules={[{ required: true, whitespace: true, message: t('form.required') }]}>
          <Input />
        </Form.Item>
        <Form.Item label={t('custody.note')} name="reason">
          <Input.TextArea rows={2} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={write.busy} block>
          {t('custody.split.submit')}
        </Button>
      </Form>
    </div>
  );
}

interface InspectValues {
  grade: string;
  qualityHold: boolean;
  reason: string;
}

function InspectionForm({ lot, onDone }: FormProps) {
  const { t } = useI18n();
  const [form] = Form.useForm<InspectValues>();
  const write = useWrite();
  const [inspected, setInspected] = useState<Lot | null>(null);
  const commodities = useLoad(() => unwrap(api.GET('/commodities', { params: { query: { limit: 100 } } })), []);
  const grades = commodities.data?.items.find((commodity) => commodity.code === lot.commodityCode)?.grades ?? [lot.grade];
  return (
    <div data-testid="custody-inspect">
      <ProblemAlert error={write.error ?? commodities.error} />
      {inspected && (
        <Typography.Paragraph data-testid="custody-done" role="status">
          {t(inspected.qualityHold ? 'custody.inspect.doneHeld' : 'custody.inspect.doneClear', { grade: inspected.grade })}
        </Typography.Paragraph>
      )}
      <Form<InspectValues>
        name="inspection"
        form={form}
        layout="vertical"
        initialValues={{ grade: lot.grade, qualityHold: lot.qualityHold }}
        onFinish={async (values) => {
          const result = await write.run(
            (key) =>
              unwrap(
                api.POST('/lots/{lotId}/inspections', {
                  params: { path: { lotId: lot.id }, header: { 'Idempotency-Key': key } },
                  body: { grade: values.grade, qualityHold: values.qualityHold, reason: values.reason },
                }),
              ),
            form,
          );
          if (result) {
            setInspected(result);
            form.setFieldsValue({ grade: result.grade, qualityHold: result.qualityHold, reason: '' });
            onDone();
          }
        }}
      >
        <Form.Item label={t('custody.inspect.grade')} name="grade" rules={[{ required: true, message: t('form.required') }]}>
          <Select options={grades.map((grade) => ({ value: grade, label: grade }))} />
        </Form.Item>
        <Form.Item label={t('custody.inspect.qualityHold')} name="qualityHold" valuePropName="checked">
          <Switch />
        </Form.Item>
        <Form.Item label={t('custody.inspect.reason')} name="reason" rules={[{ required: true, whitespace: true, message: t('form.required') }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={write.busy} block>
          {t('custody.inspect.submit')}
        </Button>
      </Form>
    </div>
  );
}

/**
 * What the warehouse records about a lot in its custody: counts, adjustments, moves, splits and
 * inspections. One panel open at a time, stacked, so that each form is one column on a phone.
 * Every figure shown afterwards is the server's answer; `onDone` reloads the lot and its history.
 */
export function CustodyActions({ lot, locations, onDone }: FormProps & { locations: Location[] }) {
  const { t } = useI18n();
  const [open, setOpen] = useState<string[]>([]);
  return (
    <Card title={t('custody.title')} data-testid="custody">
      {/* One panel at a time, kept by hand: antd's `accordion` makes the headers tabs of a tablist that axe finds malformed. */}
      <Collapse
        activeKey={open}
        onChange={(keys) => setOpen(keys.slice(-1))}
        items={[
          { key: 'count', label: t('custody.count.title'), children: <StockCountForm lot={lot} onDone={onDone} /> },
          { key: 'adjust', label: t('custody.adjust.title'), children: <AdjustmentForm lot={lot} onDone={onDone} /> },
          { key: 'move', label: t('custody.move.title'), children: <MoveForm lot={lot} locations={locations} onDone={onDone} /> },
          { key: 'split', label: t('custody.split.title'), children: <SplitForm lot={lot} onDone={onDone} /> },
          { key: 'inspect', label: t('custody.inspect.title'), children: <InspectionForm lot={lot} onDone={onDone} /> },
        ]}
      />
    </Card>
  );
}
