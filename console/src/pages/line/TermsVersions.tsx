import { Alert, Button, Card, Form, Input, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api';
import { DECIMAL_PATTERN, useWrite } from '../../components/forms';
import { LoadState, ProblemAlert } from '../../components/Results';
import { Scroll } from '../../components/Scroll';
import { useLoad } from '../../components/useLoad';
import { useI18n, type MessageKey } from '../../i18n';
import { useSession } from '../../session';

type Version = Awaited<ReturnType<typeof loadVersions>>[number];
type Terms = Version['terms'];
type Decision = 'approve' | 'accept' | 'withdraw' | 'decline';

async function loadVersions(lineId: string) {
  return (await unwrap(api.GET('/credit-lines/{lineId}/terms', { params: { path: { lineId }, query: { limit: 200 } } }))).items;
}

/** The amendable fields the form offers, as the form holds them (strings; empty = no limit / never). */
interface AmendmentForm {
  effectiveFrom: string;
  limit: string;
  maturityDate: string;
  annualInterestRate: string;
  gracePeriodDays: string;
  defaultInterestSpread: string;
  defaultAfterDaysPastDue: string;
  concentrationCommodity: string;
  concentrationWarehouse: string;
  concentrationLot: string;
  billingDayOfMonth: string;
  billingDueAfterDays: string;
}

function formOf(terms: Terms, today: string): AmendmentForm {
  return {
    effectiveFrom: today,
    limit: terms.limit.amount,
    maturityDate: terms.maturityDate,
    annualInterestRate: terms.annualInterestRate,
    gracePeriodDays: String(delinquencyOf(terms).gracePeriodDays),
    defaultInterestSpread: delinquencyOf(terms).defaultInterestSpread,
    defaultAfterDaysPastDue: delinquencyOf(terms).defaultAfterDaysPastDue === null ? '' : String(delinquencyOf(terms).defaultAfterDaysPastDue),
    concentrationCommodity: terms.concentrationLimits.commodity ?? '',
    concentrationWarehouse: terms.concentrationLimits.warehouse ?? '',
    concentrationLot: terms.concentrationLimits.lot ?? '',
    billingDayOfMonth: terms.interestBilling ? String(terms.interestBilling.dayOfMonth) : '',
    billingDueAfterDays: terms.interestBilling ? String(terms.interestBilling.dueAfterDays) : '',
  };
}

/** Only what the person changed: the server merges it over the latest agreed version (a group — delinquency, concentration — is sent whole). */
function changesOf(before: AmendmentForm, after: AmendmentForm, currency: string) {
  const changed = (...keys: (keyof AmendmentForm)[]) => keys.some((key) => (after[key] ?? '') !== (before[key] ?? ''));
  const orNull = (value: string) => (value === '' ? null : value);
  return {
    ...(changed('limit') ? { limit: { amount: after.limit, currency } } : {}),
    ...(changed('maturityDate') ? { maturityDate: after.maturityDate } : {}),
    ...(changed('annualInterestRate') ? { annualInterestRate: after.annualInterestRate } : {}),
    ...(changed('gracePeriodDays', 'defaultInterestSpread', 'defaultAfterDaysPastDue')
      ? {
          delinquency: {
            gracePeriodDays: Number(after.gracePeriodDays),
            defaultInterestSpread: after.defaultInterestSpread,
            defaultAfterDaysPastDue: after.defaultAfterDaysPastDue === '' ? null : Number(after.defaultAfterDaysPastDue),
          },
        }
      : {}),
    ...(changed('concentrationCommodity', 'concentrationWarehouse', 'concentrationLot')
      ? { concentrationLimits: { commodity: orNull(after.concentrationCommodity), warehouse: orNull(after.concentrationWarehouse), lot: orNull(after.concentrationLot) } }
      : {}),
    // Both empty: interest is due at maturity only; the server names a missing half (body.terms.interestBilling.…).
    ...(changed('billingDayOfMonth', 'billingDueAfterDays')
      ? {
          interestBilling:
            after.billingDayOfMonth === '' && after.billingDueAfterDays === ''
              ? null
              : { dayOfMonth: Number(after.billingDayOfMonth), dueAfterDays: Number(after.billingDueAfterDays) },
        }
      : {}),
  };
}

const WHOLE = /^\d{1,4}$/;

/** The delinquency terms a line reads back with (the server fills them in; the document lets a request omit them). */
export function delinquencyOf(terms: { delinquency?: { gracePeriodDays: number; defaultInterestSpread: string; defaultAfterDaysPastDue: number | null } }) {
  return terms.delinquency ?? { gracePeriodDays: 0, defaultInterestSpread: '0', defaultAfterDaysPastDue: null };
}

function ProposeAmendment({ lineId, terms, onDone }: { lineId: string; terms: Terms; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<AmendmentForm>();
  const write = useWrite();
  const [nothing, setNothing] = useState(false);
  const initial = formOf(terms, new Date().toISOString().slice(0, 10));
  const decimal = [{ pattern: DECIMAL_PATTERN, message: t('form.decimal') }];
  const whole = [{ pattern: WHOLE, message: t('form.wholeNumber') }];
  return (
    <Card title={t('amend.title')} data-testid="propose-amendment">
      <ProblemAlert error={write.error} />
      {nothing && <Alert type="warning" showIcon title={t('amend.nothingChanged')} />}
      <Form
        form={form}
        layout="vertical"
        initialValues={initial}
        onFinish={async (values) => {
          const changes = changesOf(initial, values, terms.currency);
          setNothing(Object.keys(changes).length === 0);
          if (Object.keys(changes).length === 0) return;
          const version = await write.run(
            (key) => unwrap(api.POST('/credit-lines/{lineId}/terms', { params: { path: { lineId }, header: { 'Idempotency-Key': key } }, body: { effectiveFrom: values.effectiveFrom, terms: changes } })),
            form,
          );
          if (version) onDone();
        }}
      >
        <Space wrap align="start">
          <Form.Item label={t('amend.effectiveFrom')} name="effectiveFrom" rules={[{ required: true, message: t('form.required') }]}>
            <Input type="date" />
          </Form.Item>
          <Form.Item label={t('amend.limit', { currency: terms.currency })} name="limit" rules={decimal}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item label={t('terms.maturity')} name="maturityDate">
            <Input type="date" />
          </Form.Item>
          <Form.Item label={t('terms.interestRate')} name="annualInterestRate" rules={decimal} help={t('amend.fraction')}>
            <Input inputMode="decimal" />
          </Form.Item>
        </Space>
        <Space wrap align="start">
          <Form.Item label={t('delinquency.gracePeriod')} name="gracePeriodDays" rules={whole}>
            <Input inputMode="numeric" />
          </Form.Item>
          <Form.Item label={t('delinquency.defaultSpread')} name="defaultInterestSpread" rules={decimal} help={t('amend.fraction')}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item label={t('delinquency.defaultAfter')} name="defaultAfterDaysPastDue" rules={whole} help={t('amend.emptyForNever')}>
            <Input inputMode="numeric" />
          </Form.Item>
        </Space>
        <Space wrap align="start">
          <Form.Item label={t('concentration.commodity')} name="concentrationCommodity" rules={decimal} help={t('amend.emptyForNone')}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item label={t('concentration.warehouse')} name="concentrationWarehouse" rules={decimal} help={t('amend.emptyForNone')}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item label={t('concentration.lot')} name="concentrationLot" rules={decimal} help={t('amend.emptyForNone')}>
            <Input inputMode="decimal" />
          </Form.Item>
        </Space>
        <Space wrap align="start">
          <Form.Item label={t('amend.billingDay')} name="billingDayOfMonth" rules={whole} help={t('amend.emptyForMaturity')}>
            <Input inputMode="numeric" />
          </Form.Item>
          <Form.Item label={t('amend.billingDueAfter')} name="billingDueAfterDays" rules={whole}>
            <Input inputMode="numeric" />
          </Form.Item>
        </Space>
        <Button type="primary" htmlType="submit" loading={write.busy}>
          {t('amend.submit')}
        </Button>
      </Form>
    </Card>
  );
}

/** What the person signed in may do with a version, as the server's rules allow (the server checks again). */
function decisionsFor(version: Version, user: ReturnType<typeof useSession>['user']): Decision[] {
  if (!user || user.role === 'VIEWER') return [];
  const lender = user.organisation.kind === 'LENDER';
  const sellerAdmin = user.organisation.kind === 'SELLER' && user.role === 'ADMIN';
  const canWithdraw = lender && (user.role === 'ADMIN' || user.role === 'OPERATOR');
  if (version.status === 'PENDING_APPROVAL') return [...(lender && version.proposedBy !== user.id ? (['approve'] as const) : []), ...(canWithdraw ? (['withdraw'] as const) : [])];
  if (version.status === 'PENDING_ACCEPTANCE') return [...(sellerAdmin ? (['accept', 'decline'] as const) : []), ...(canWithdraw ? (['withdraw'] as const) : [])];
  return [];
}

function decide(lineId: string, versionNo: number, decision: Decision, key: string) {
  const params = { path: { lineId, versionNo }, header: { 'Idempotency-Key': key } };
  switch (decision) {
    case 'approve':
      return unwrap(api.POST('/credit-lines/{lineId}/terms/{versionNo}/approve', { params }));
    case 'accept':
      return unwrap(api.POST('/credit-lines/{lineId}/terms/{versionNo}/accept', { params }));
    case 'withdraw':
      return unwrap(api.POST('/credit-lines/{lineId}/terms/{versionNo}/withdraw', { params }));
    case 'decline':
      return unwrap(api.POST('/credit-lines/{lineId}/terms/{versionNo}/decline', { params }));
  }
}

function fieldName(t: ReturnType<typeof useI18n>['t'], has: ReturnType<typeof useI18n>['has'], field: string) {
  const key = `termField.${field}` as MessageKey;
  return has(key) ? t(key) : field;
}

/** A line's terms versions (what was agreed and from when, and every amendment), the decisions open to the reader, and — for a lender's ADMIN or OPERATOR — a form to propose one. */
export function TermsVersions({ lineId, reloadKey, onChange }: { lineId: string; reloadKey: number; onChange: () => void }) {
  const { t, has, date, dateTime } = useI18n();
  const { user } = useSession();
  const write = useWrite();
  const [localKey, setLocalKey] = useState(0);
  const loaded = useLoad(() => loadVersions(lineId), [lineId, reloadKey, localKey]);
  if (!loaded.data) return <LoadState loading={loaded.loading} error={loaded.error} />;
  const versions = loaded.data;
  const latestAgreed = [...versions].reverse().find((version) => version.status === 'AGREED');
  const canPropose = user?.organisation.kind === 'LENDER' && (user.role === 'ADMIN' || user.role === 'OPERATOR');
  const changed = () => {
    setLocalKey((key) => key + 1);
    onChange();
  };
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <ProblemAlert error={write.error} />
      <Scroll>
        <Table
          rowKey="versionNo"
          dataSource={versions}
          pagination={false}
          data-testid="terms-versions"
          columns={[
            { title: t('amend.version'), key: 'versionNo', dataIndex: 'versionNo' },
            { title: t('line.status'), key: 'status', render: (_v, version) => <Tag data-testid={`version-${version.versionNo}-status`}>{t(`amendment.${version.status}` as MessageKey)}</Tag> },
            { title: t('amend.effectiveFrom'), key: 'effectiveFrom', render: (_v, version) => date(version.effectiveFrom) },
            { title: t('amend.proposedAt'), key: 'proposedAt', render: (_v, version) => dateTime(version.proposedAt) },
            {
              title: t('amend.worsenings'),
              key: 'worsenings',
              render: (_v, version) =>
                version.worsenings.length === 0 ? (
                  t('common.none')
                ) : (
                  <Space wrap>
                    {version.worsenings.map((field) => (
                      <Tag key={field}>
                        {fieldName(t, has, field)}
                      </Tag>
                    ))}
                  </Space>
                ),
            },
            {
              title: t('common.actions'),
              key: 'actions',
              render: (_v, version) => (
                <Space wrap>
                  {decisionsFor(version, user).map((decision) => (
                    <Button
                      key={decision}
                      size="small"
                      danger={decision === 'decline' || decision === 'withdraw'}
                      data-testid={`version-${version.versionNo}-${decision}`}
                      loading={write.busy}
                      onClick={async () => {
                        const done = await write.run((key) => decide(lineId, version.versionNo, decision, key));
                        if (done) changed();
                      }}
                    >
                      {t(`amend.${decision}` as MessageKey)}
                    </Button>
                  ))}
                </Space>
              ),
            },
          ]}
        />
      </Scroll>
      {canPropose && latestAgreed && <ProposeAmendment lineId={lineId} terms={latestAgreed.terms} onDone={changed} />}
    </Space>
  );
}
