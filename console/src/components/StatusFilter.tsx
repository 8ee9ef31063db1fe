import { Select } from 'antd';
import { useI18n, type MessageKey } from '../i18n';

/** A list's filter on the statuses the API filters by; cleared, the list shows every status. */
export function StatusFilter<S extends string>({ statuses, value, onChange, labelKey, testId }: { statuses: readonly S[]; value: S | undefined; onChange: (status: S | undefined) => void; labelKey: MessageKey; testId?: string }) {
  const { t } = useI18n();
  return (
    <Select<S>
      allowClear
      aria-label={t(labelKey)}
      placeholder={t(labelKey)}
      style={{ width: 220 }}
      value={value}
      onChange={onChange}
      options={statuses.map((status) => ({ value: status, label: t(`status.${status}` as MessageKey) }))}
      data-testid={testId}
    />
  );
}
