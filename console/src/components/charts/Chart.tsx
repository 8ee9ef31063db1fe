import { useEffect, useRef } from 'react';
import { echarts } from './echarts';

type Option = Parameters<ReturnType<typeof echarts.init>['setOption']>[0];

/**
 * A canvas chart. Tooltips are rich text, not HTML: ECharts' HTML tooltips write inline style
 * attributes, which the Content-Security-Policy refuses. `label` names the chart for screen readers;
 * the same figures are in a table next to it.
 */
export function Chart({ option, label, height = 320 }: { option: Option; label: string; height?: number }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const chart = echarts.init(element.current, undefined, { renderer: 'canvas' });
    chart.setOption(option);
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [option]);
  return <div ref={element} role="img" aria-label={label} style={{ width: '100%', height }} />;
}
