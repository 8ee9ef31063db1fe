import { Alert, Space } from 'antd';
import { useMemo } from 'react';
import { api, unwrap } from '../../api';
import { useI18n } from '../../i18n';
import { useLoad } from '../useLoad';
import { Chart } from './Chart';

interface LineLike {
  id: string;
  terms: { currency: string; marginCallLtv: string; targetLtv: string; liquidationLtv: string };
}

const HISTORY_DAYS = 90;
const DAY_MS = 86_400_000;

/**
 * A line's LTV over time against its margin-call, target and liquidation lines, and its borrowing
 * base against outstanding: daily figures from the server (GET /credit-lines/{id}/history). The
 * strings become numbers only to place points on the canvas; labels show the server's strings.
 */
export function LtvHistoryChart({ line }: { line: LineLike }) {
  const { t, percent, amount, date } = useI18n();
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - HISTORY_DAYS * DAY_MS).toISOString().slice(0, 10);
  const history = useLoad(() => unwrap(api.GET('/credit-lines/{lineId}/history', { params: { path: { lineId: line.id }, query: { from, to } } })), [line.id, from, to]);
  const days = history.data?.points ?? [];
  // The thresholds of the history's own answer (the terms in force), not the page's copy.
  const thresholds = history.data?.thresholds ?? line.terms;
  const ltvOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis' as const, renderMode: 'richText' as const, valueFormatter: (value: unknown) => percent(String(value)) },
      legend: {},
      grid: { left: 56, right: 24, top: 40, bottom: 32 },
      xAxis: { type: 'category' as const, data: days.map((day) => date(day.date)) },
      yAxis: { type: 'value' as const, axisLabel: { formatter: (value: number) => percent(String(value)) } },
      series: [
        {
          name: t('history.ltv'),
          type: 'line' as const,
          data: days.map((day) => (day.ltv === null ? null : Number(day.ltv))),
          markLine: {
            symbol: 'none',
            data: [
              { yAxis: Number(thresholds.targetLtv), name: t('terms.targetLtv'), lineStyle: { color: '#389e0d' } },
              { yAxis: Number(thresholds.marginCallLtv), name: t('terms.marginCallLtv'), lineStyle: { color: '#d48806' } },
              { yAxis: Number(thresholds.liquidationLtv), name: t('terms.liquidationLtv'), lineStyle: { color: '#cf1322' } },
            ],
            label: { formatter: '{b}' },
          },
        },
      ],
    }),
    [days, thresholds, percent, date, t],
  );
  const baseOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis' as const, renderMode: 'richText' as const, valueFormatter: (value: unknown) => amount(String(value), line.terms.currency) },
      legend: {},
      grid: { left: 80, right: 24, top: 40, bottom: 32 },
      xAxis: { type: 'category' as const, data: days.map((day) => date(day.date)) },
      yAxis: { type: 'value' as const },
      series: [
        { name: t('line.borrowingBase'), type: 'line' as const, data: days.map((day) => Number(day.borrowingBase.amount)) },
        { name: t('line.outstanding'), type: 'line' as const, data: days.map((day) => Number(day.outstanding.amount)) },
      ],
    }),
    [days, line.terms.currency, amount, date, t],
  );
  if (history.error) return <Alert type="info" showIcon title={t('history.unavailable')} />;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="history">
      <Chart option={ltvOption} label={t('history.ltvChart')} />
      <Chart option={baseOption} label={t('history.baseChart')} />
    </Space>
  );
}
