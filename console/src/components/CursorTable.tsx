import { Button, Space, Table, type TableProps } from 'antd';
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n';
import { Scroll } from './Scroll';
import { ProblemAlert } from './Results';
import { useLoad } from './useLoad';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const PAGE_SIZE = 20;

/**
 * A list read page by page with the API's cursors (no offsets): previous pages are the cursors
 * already followed. `deps` (filters) start again from the first page.
 */
export function CursorTable<T extends object>({
  fetchPage,
  deps,
  reloadKey,
  ...table
}: { fetchPage: (cursor: string | undefined) => Promise<Page<T>>; deps: unknown[]; reloadKey?: number } & Omit<TableProps<T>, 'dataSource' | 'pagination' | 'loading'>) {
  const { t } = useI18n();
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => setCursors([undefined]), deps);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => fetchPage(cursor), [cursor, reloadKey, ...deps]);
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <ProblemAlert error={page.error} />
      <Scroll>
        <Table<T> showSorterTooltip={{ title: t('list.sortThisPage') }} {...table} dataSource={page.data?.items ?? []} loading={page.loading} pagination={false} size="middle" />
      </Scroll>
      <Space>
        <Button disabled={cursors.length === 1} onClick={() => setCursors((list) => list.slice(0, -1))}>
          {t('list.previous')}
        </Button>
        <Button disabled={!page.data?.nextCursor} onClick={() => setCursors((list) => [...list, page.data?.nextCursor ?? undefined])}>
          {t('list.next')}
        </Button>
      </Space>
    </Space>
  );
}
