import { Button, Card, Input, Select, Space, Typography } from 'antd';
import { useCallback, useMemo, useState, type HTMLAttributes, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api';
import { CursorTable, PAGE_SIZE } from '../../components/CursorTable';
import { ProblemAlert } from '../../components/Results';
import { useLoad } from '../../components/useLoad';
import { useI18n, type MessageKey } from '../../i18n';
import { AUDIT_ACTIONS, AUDIT_SUBJECT_TYPES } from './auditCodes';

/** GET /users pages read to name the actors (PAGE_SIZE_MAX of the API each): a limit, not a guess at the size. */
const USER_PAGES_MAX = 50;
const USER_PAGE_SIZE = 200;

interface Person {
  name: string;
  email: string;
}

/** Every user of the organisation (deactivated ones too), by id: the feed names its actors by id only. */
async function peopleById(): Promise<Map<string, Person>> {
  const people = new Map<string, Person>();
  let cursor: string | undefined;
  for (let page = 0; page < USER_PAGES_MAX; page += 1) {
    const users = await unwrap(api.GET('/users', { params: { query: { cursor, limit: USER_PAGE_SIZE } } }));
    for (const user of users.items) people.set(user.id, { name: user.name, email: user.email });
    if (!users.nextCursor) break;
    cursor = users.nextCursor;
  }
  return people;
}

/** A table row that a browser test can find by its action. */
type RowProps = HTMLAttributes<HTMLElement> & { 'data-testid': string };

interface Filter {
  action: string;
  targetType: string;
  targetId: string;
  from: string;
  to: string;
}

const NO_FILTER: Filter = { action: '', targetType: '', targetId: '', from: '', to: '' };

/** The console's page for a subject, where it has one that an organisation's ADMIN may open. */
function pathOf(targetType: string, targetId: string): string | null {
  if (targetType === 'credit_line') return `/app/lines/${targetId}`;
  if (targetType === 'lot') return `/app/lots/${targetId}`;
  if (targetType === 'sale') return `/app/sales/${targetId}`;
  return null;
}

/** A filter's control under its visible name (the control carries the same name as its aria-label). */
function FilterField({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
      <Typography.Text>{label}</Typography.Text>
      {children}
    </div>
  );
}

/** What a record kept of its subject before or after the change, as the server stored it. */
function Json({ label, value }: { label: string; value: unknown }) {
  if (value === null || value === undefined) return null;
  return (
    <div>
      <Typography.Text strong>{label}</Typography.Text>
      <pre style={{ margin: 0, maxWidth: 520, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{JSON.stringify(value, null, 2)}</pre>
    </div>
  );
}

/**
 * The organisation's audit trail (its ADMIN): who did what to which subject, when, newest first, as
 * GET /audit records it; filtered by what the API filters on (action, kind of subject, subject,
 * period of UTC days). Actors are named from the organisation's users; an actor the organisation
 * does not have is someone of the other party (a seller accepting the lender's offer).
 */
export function Audit() {
  const { t, has, dateTime } = useI18n();
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const [subjectIdText, setSubjectIdText] = useState('');
  const showOnly = (next: Filter) => {
    setFilter(next);
    setSubjectIdText(next.targetId);
  };
  const people = useLoad(peopleById, []);
  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      unwrap(
        api.GET('/audit', {
          params: {
            query: {
              cursor,
              limit: PAGE_SIZE,
              ...(filter.action ? { action: filter.action } : {}),
              ...(filter.targetType ? { targetType: filter.targetType } : {}),
              ...(filter.targetId ? { targetId: filter.targetId } : {}),
              ...(filter.from ? { from: filter.from } : {}),
              ...(filter.to ? { to: filter.to } : {}),
            },
          },
        }),
      ),
    [filter],
  );
  const actionLabel = useCallback((action: string) => (has(`auditAction.${action}`) ? t(`auditAction.${action}` as MessageKey) : action), [has, t]);
  const subjectLabel = useCallback((targetType: string) => (has(`auditSubject.${targetType}`) ? t(`auditSubject.${targetType}` as MessageKey) : targetType), [has, t]);
  const actionOptions = useMemo(() => AUDIT_ACTIONS.map((action) => ({ value: action, label: `${actionLabel(action)} · ${action}` })), [actionLabel]);
  const personOf = (userId: string | null) => {
    if (userId === null) return <Typography.Text type="secondary">{t('audit.system')}</Typography.Text>;
    const person = people.data?.get(userId);
    if (!person) return <Typography.Text type="secondary">{people.loading ? t('common.loading') : t('audit.outsider')}</Typography.Text>;
    return (
      <span>
        {person.name}
        <br />
        <Typography.Text type="secondary">{person.email}</Typography.Text>
      </span>
    );
  };
  const subjectOf = (targetType: string, targetId: string) => {
    const person = targetType === 'user' ? people.data?.get(targetId) : undefined;
    const path = pathOf(targetType, targetId);
    return (
      <span>
        {subjectLabel(targetType)}
        <br />
        {person ? (
          <Typography.Text>{`${person.name} · ${person.email}`}</Typography.Text>
        ) : path ? (
          <Link to={path}>
            <Typography.Text code>{targetId}</Typography.Text>
          </Link>
        ) : (
          <Typography.Text code>{targetId}</Typography.Text>
        )}
        <br />
        <Button type="link" size="small" style={{ paddingInline: 0 }} onClick={() => showOnly({ ...NO_FILTER, targetType, targetId })} data-testid="audit-subject-history">
          {t('audit.historyOf')}
        </Button>
      </span>
    );
  };
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('audit.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('audit.intro')}</Typography.Paragraph>
      <ProblemAlert error={people.error} />
      <Card title={t('audit.filters')} data-testid="audit-filters">
        <Space wrap align="end">
          <FilterField label={t('audit.action')}>
            <Select
              style={{ width: 300 }}
              showSearch={{ optionFilterProp: 'label' }}
              value={filter.action || undefined}
              onChange={(action?: string) => setFilter({ ...filter, action: action ?? '' })}
              options={actionOptions}
              allowClear
              aria-label={t('audit.action')}
              data-testid="audit-action"
            />
          </FilterField>
          <FilterField label={t('audit.subjectType')}>
            <Select
              style={{ width: 200 }}
              value={filter.targetType || undefined}
              onChange={(targetType?: string) => setFilter({ ...filter, targetType: targetType ?? '' })}
              options={AUDIT_SUBJECT_TYPES.map((type) => ({ value: type, label: subjectLabel(type) }))}
              allowClear
              aria-label={t('audit.subjectType')}
              data-testid="audit-subject-type"
            />
          </FilterField>
          <FilterField label={t('audit.subjectId')}>
            <Input.Search
              style={{ width: 320 }}
              value={subjectIdText}
              onChange={(event) => setSubjectIdText(event.target.value)}
              onSearch={(typed) => setFilter({ ...filter, targetId: typed.trim() })}
              enterButton={t('audit.apply')}
              aria-label={t('audit.subjectId')}
              data-testid="audit-subject-id"
            />
          </FilterField>
          <FilterField label={t('audit.from')}>
            <Input type="date" aria-label={t('audit.from')} value={filter.from} onChange={(event) => setFilter({ ...filter, from: event.target.value })} />
          </FilterField>
          <FilterField label={t('audit.to')}>
            <Input type="date" aria-label={t('audit.to')} value={filter.to} onChange={(event) => setFilter({ ...filter, to: event.target.value })} />
          </FilterField>
          <Button onClick={() => showOnly(NO_FILTER)} disabled={Object.values(filter).every((value) => value === '')}>
            {t('audit.clearFilters')}
          </Button>
        </Space>
        <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
          {t('audit.periodInUtc')}
        </Typography.Paragraph>
      </Card>
      <CursorTable
        rowKey="seq"
        fetchPage={fetchPage}
        deps={[filter]}
        data-testid="audit"
        onRow={(record): RowProps => ({ 'data-testid': `audit-${record.action}` })}
        expandable={{
          expandedRowRender: (record) => (
            <Space wrap align="start" size="large">
              <Json label={t('audit.before')} value={record.before} />
              <Json label={t('audit.after')} value={record.after} />
              {record.requestId && <Typography.Text type="secondary">{t('audit.requestId', { id: record.requestId })}</Typography.Text>}
            </Space>
          ),
          rowExpandable: (record) => record.before !== null || record.after !== null || record.requestId !== null,
        }}
        columns={[
          { title: t('audit.recordedAt'), key: 'recordedAt', render: (_v, record) => dateTime(record.recordedAt) },
          { title: t('audit.actor'), key: 'actor', render: (_v, record) => personOf(record.actorUserId) },
          {
            title: t('audit.action'),
            key: 'action',
            render: (_v, record) => (
              <span>
                {actionLabel(record.action)}
                <br />
                <Typography.Text type="secondary" code>
                  {record.action}
                </Typography.Text>
              </span>
            ),
          },
          { title: t('audit.subject'), key: 'subject', render: (_v, record) => subjectOf(record.targetType, record.targetId) },
        ]}
      />
    </Space>
  );
}
