import { Badge } from 'antd';
import { useI18n, type MessageKey } from '../i18n';

type BadgeStatus = 'success' | 'processing' | 'error' | 'warning' | 'default';

const STATES: Record<string, BadgeStatus> = {
  ACTIVE: 'success',
  OFFERED: 'processing',
  FROZEN: 'warning',
  IN_DEFAULT: 'error',
  REQUESTED: 'processing',
  APPROVED: 'processing',
  DISBURSED: 'success',
  REJECTED: 'error',
  REFUSED: 'error',
  OPEN: 'warning',
  CURED: 'success',
  LIQUIDATING: 'error',
  PAID: 'processing',
  RELEASE_AUTHORISED: 'processing',
  COMPLETED: 'success',
};

/**
 * A status from the API in the reader's language (`status.<STATUS>`), or as sent when the catalogue
 * has no word for it. The colour is a dot beside dark text, so that the text keeps its contrast.
 */
export function StatusTag({ status }: { status: string }) {
  const { t, has } = useI18n();
  const key = `status.${status}` as MessageKey;
  return <Badge status={STATES[status] ?? 'default'} text={has(key) ? t(key) : status} data-status={status} />;
}
