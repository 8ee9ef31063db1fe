import { Tag } from 'antd';
import { useI18n, type MessageKey } from '../i18n';

const COLOURS: Record<string, string> = {
  ACTIVE: 'green',
  OFFERED: 'blue',
  FROZEN: 'orange',
  IN_DEFAULT: 'red',
  CLOSED: 'default',
  REQUESTED: 'blue',
  APPROVED: 'cyan',
  DISBURSED: 'green',
  REJECTED: 'red',
  EXPIRED: 'default',
  REFUSED: 'red',
  OPEN: 'orange',
  CURED: 'green',
  LIQUIDATING: 'red',
  SETTLED: 'default',
  PAID: 'cyan',
  RELEASE_AUTHORISED: 'purple',
  LAPSED: 'default',
  COMPLETED: 'green',
};

/** A status from the API, in the reader's language (`status.<STATUS>`), or as sent when the catalogue has no word for it. */
export function StatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  const key = `status.${status}` as MessageKey;
  let label: string;
  try {
    label = t(key);
  } catch {
    label = status;
  }
  return (
    <Tag color={COLOURS[status] ?? 'default'} data-status={status}>
      {label}
    </Tag>
  );
}
