import { Badge, Tooltip } from 'antd';
import { useI18n } from '../i18n';

/**
 * The line's LTV as the server computed it, against its thresholds; which band it is in is the
 * server's comparison too (the open margin call), the colour only follows the call's presence.
 */
export function LtvAgainstThresholds({ ltv, marginCallLtv, liquidationLtv, targetLtv, openCalls }: { ltv: string | null; marginCallLtv: string; liquidationLtv: string; targetLtv: string; openCalls: number }) {
  const { t, percent } = useI18n();
  return (
    <Tooltip title={t('ltv.thresholds', { target: percent(targetLtv), marginCall: percent(marginCallLtv), liquidation: percent(liquidationLtv) })}>
      <span tabIndex={0} data-testid="ltv">
        <Badge status={openCalls > 0 ? 'error' : 'success'} text={ltv === null ? t('ltv.infinite') : percent(ltv)} />{' '}
        <span>{t('ltv.marginCallAt', { marginCall: percent(marginCallLtv) })}</span>
      </span>
    </Tooltip>
  );
}
