import { useEffect, useState } from 'react';
import { useI18n } from '../i18n';

const SECOND_MS = 1000;

/** Time left until `until` (the server's cure deadline), counting down each second; only the display ticks. */
export function Countdown({ until }: { until: string }) {
  const { t } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), SECOND_MS);
    return () => clearInterval(id);
  }, []);
  const leftMs = new Date(until).getTime() - now;
  if (leftMs <= 0) return <span data-testid="countdown">{t('countdown.passed')}</span>;
  const totalSeconds = Math.floor(leftMs / SECOND_MS);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return (
    <span role="timer" aria-live="off" data-testid="countdown">
      {t('countdown.left', { hours, minutes: String(minutes).padStart(2, '0'), seconds: String(seconds).padStart(2, '0') })}
    </span>
  );
}
