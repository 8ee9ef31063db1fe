import { Alert, Badge, Button, Card, Descriptions, Space } from 'antd';
import { api, unwrap } from '../../api';
import { useWrite } from '../../components/forms';
import { LoadState, ProblemAlert } from '../../components/Results';
import { useLoad } from '../../components/useLoad';
import { useI18n, type MessageKey } from '../../i18n';
import { useSession } from '../../session';

const BUCKET_BADGE: Record<string, 'success' | 'warning' | 'error'> = {
  CURRENT: 'success',
  DPD_1_30: 'warning',
  DPD_31_60: 'error',
  DPD_61_90: 'error',
  DPD_90_PLUS: 'error',
};

/**
 * A line's maturity and delinquency as the server computes them (GET …/delinquency): what is due,
 * days past due and their bucket, overdue principal and the default interest it has accrued. A lender's
 * ADMIN or APPROVER may start the liquidation of a line in default by days past due.
 */
export function Delinquency({ lineId, reloadKey, onChange }: { lineId: string; reloadKey: number; onChange: () => void }) {
  const { t, money, date, percent } = useI18n();
  const { user } = useSession();
  const write = useWrite();
  const loaded = useLoad(() => unwrap(api.GET('/credit-lines/{lineId}/delinquency', { params: { path: { lineId } } })), [lineId, reloadKey]);
  if (!loaded.data) return <LoadState loading={loaded.loading} error={loaded.error} />;
  const d = loaded.data;
  const canLiquidate = user?.organisation.kind === 'LENDER' && (user.role === 'ADMIN' || user.role === 'APPROVER') && d.status === 'IN_DEFAULT' && d.defaultDue;
  return (
    <Card title={t('delinquency.title')} data-testid="delinquency">
      <Space orientation="vertical" style={{ width: '100%' }}>
        {d.matured && <Alert type={d.overdue ? 'error' : 'warning'} showIcon title={d.overdue ? t('delinquency.overdueNotice', { days: d.daysPastDue }) : t('delinquency.maturedNotice', { date: date(d.maturityDate) })} data-testid="delinquency-notice" />}
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={t('delinquency.asOf')}>{date(d.asOf)}</Descriptions.Item>
          <Descriptions.Item label={t('terms.maturity')}>{date(d.maturityDate)}</Descriptions.Item>
          <Descriptions.Item label={t('delinquency.amountDue')}>
            <span data-testid="delinquency-amount-due">{d.amountDue ? money(d.amountDue) : t('delinquency.notDueYet')}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('delinquency.oldestUnpaid')}>{date(d.oldestUnpaidDueDate)}</Descriptions.Item>
          <Descriptions.Item label={t('delinquency.daysPastDue')}>
            <Badge status={BUCKET_BADGE[d.bucket] ?? 'default'} text={`${d.daysPastDue} · ${t(`bucket.${d.bucket}` as MessageKey)}`} data-testid="delinquency-dpd" />
          </Descriptions.Item>
          <Descriptions.Item label={t('delinquency.billedInterestUnpaid')}>{money(d.billedInterestUnpaid)}</Descriptions.Item>
          <Descriptions.Item label={t('delinquency.overduePrincipal')}>{money(d.overduePrincipal)}</Descriptions.Item>
          <Descriptions.Item label={t('delinquency.owedPrincipal')}>{money(d.owed.principal)}</Descriptions.Item>
          <Descriptions.Item label={t('delinquency.owedInterest')}>{money(d.owed.interest)}</Descriptions.Item>
          <Descriptions.Item label={t('delinquency.owedFees')}>{money(d.owed.fees)}</Descriptions.Item>
          <Descriptions.Item label={t('delinquency.defaultInterestPosted')}>{money(d.defaultInterestPosted)}</Descriptions.Item>
          <Descriptions.Item label={t('delinquency.gracePeriod')}>{t('delinquency.days', { days: d.terms.gracePeriodDays })}</Descriptions.Item>
          <Descriptions.Item label={t('delinquency.defaultSpread')}>{percent(d.terms.defaultInterestSpread)}</Descriptions.Item>
          <Descriptions.Item label={t('delinquency.defaultAfter')}>
            {d.terms.defaultAfterDaysPastDue === null ? t('delinquency.never') : t('delinquency.days', { days: d.terms.defaultAfterDaysPastDue })}
          </Descriptions.Item>
        </Descriptions>
        <ProblemAlert error={write.error} />
        {canLiquidate && (
          <Button
            danger
            loading={write.busy}
            data-testid="start-liquidation"
            onClick={async () => {
              const started = await write.run((key) => unwrap(api.POST('/credit-lines/{lineId}/liquidation', { params: { path: { lineId }, header: { 'Idempotency-Key': key } } })));
              if (started) onChange();
            }}
          >
            {t('delinquency.startLiquidation')}
          </Button>
        )}
      </Space>
    </Card>
  );
}
