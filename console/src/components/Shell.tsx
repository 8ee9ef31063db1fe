import { BellOutlined, LogoutOutlined } from '@ant-design/icons';
import { Badge, Button, Layout, List, Popover, Select, Space, Typography } from 'antd';
import { useState, type ReactNode } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { api, unwrap } from '../api';
import { LOCALES, useI18n, type Locale, type MessageKey } from '../i18n';
import { useSession, type OrganisationKind } from '../session';
import { useLoad } from './useLoad';

const NAV: Record<OrganisationKind, { path: string; labelKey: MessageKey }[]> = {
  LENDER: [
    { path: '/app/portfolio', labelKey: 'nav.portfolio' },
    { path: '/app/approvals', labelKey: 'nav.approvals' },
    { path: '/app/price-marks', labelKey: 'nav.priceMarks' },
    { path: '/app/reference-rates', labelKey: 'nav.referenceRates' },
    { path: '/app/release-authorisations', labelKey: 'nav.releaseAuthorisations' },
  ],
  WAREHOUSE: [
    { path: '/app/lots', labelKey: 'nav.lots' },
    { path: '/app/receive', labelKey: 'nav.receive' },
    { path: '/app/release-orders', labelKey: 'nav.releaseOrders' },
  ],
  SELLER: [
    { path: '/app/lines', labelKey: 'nav.myLines' },
    { path: '/app/lots', labelKey: 'nav.myLots' },
    { path: '/app/draws', labelKey: 'nav.myDraws' },
  ],
  BUYER: [],
};

/** What an organisation's ADMIN sees besides its kind's pages, whatever the kind. */
const ADMIN_NAV: { path: string; labelKey: MessageKey }[] = [
  { path: '/app/users', labelKey: 'nav.users' },
  { path: '/app/audit', labelKey: 'nav.audit' },
];

export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <Select<Locale>
      aria-label={t('shell.language')}
      value={locale}
      onChange={setLocale}
      options={LOCALES.map((value) => ({ value, label: t(`language.${value}`) }))}
      style={{ width: 120 }}
      data-testid="language-switch"
    />
  );
}

function Notifications() {
  const { t, dateTime } = useI18n();
  const [open, setOpen] = useState(false);
  const notes = useLoad(() => unwrap(api.GET('/notifications', { params: { query: { unacknowledged: 'true', limit: 20 } } })), []);
  const items = notes.data?.items ?? [];
  const content = (
    <List
      size="small"
      style={{ width: 320, maxHeight: 400, overflow: 'auto' }}
      locale={{ emptyText: t('notifications.none') }}
      dataSource={items}
      renderItem={(note) => (
        <List.Item>
          <List.Item.Meta title={t('notifications.kind', { kind: note.kind })} description={`${note.message} · ${dateTime(note.createdAt)}`} />
        </List.Item>
      )}
    />
  );
  return (
    <Popover content={content} title={t('notifications.title')} trigger="click" open={open} onOpenChange={(next) => { setOpen(next); if (next) notes.reload(); }}>
      <Badge count={items.length} size="small">
        <Button type="text" icon={<BellOutlined />} aria-label={t('notifications.open', { count: items.length })} data-testid="notifications" />
      </Badge>
    </Popover>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { user, signOut } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  if (!user) return null;
  const nav = user.role === 'ADMIN' ? [...NAV[user.organisation.kind], ...ADMIN_NAV] : NAV[user.organisation.kind];
  const selected = nav.filter((item) => location.pathname.startsWith(item.path)).map((item) => item.path);
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 12, paddingInline: 12, flexWrap: 'wrap', height: 'auto', minHeight: 64 }}>
        <Link to="/app" style={{ color: '#fff', fontWeight: 600, fontSize: 18 }}>
          {t('app.name')}
        </Link>
        <nav aria-label={t('shell.navigation')} style={{ flex: 1, minWidth: 0 }}>
          {/* Plain links, wrapping on a phone: a collapsing menu would hide focusable items from assistive technology. */}
          <Space wrap size="middle">
            {nav.map((item) => (
              <Link key={item.path} to={item.path} className="shell-nav-link" aria-current={selected.includes(item.path) ? 'page' : undefined}>
                {t(item.labelKey)}
              </Link>
            ))}
          </Space>
        </nav>
        <Space wrap>
          <Notifications />
          <LanguageSwitch />
          <Typography.Text style={{ color: '#fff' }} data-testid="signed-in-as">
            {t('shell.signedInAs', { name: user.displayName || user.email, organisation: user.organisation.name })}
          </Typography.Text>
          <Button
            icon={<LogoutOutlined />}
            onClick={async () => {
              await signOut();
              navigate('/app/sign-in');
            }}
          >
            {t('shell.signOut')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout.Content style={{ padding: 16, maxWidth: 1280, width: '100%', margin: '0 auto' }}>
        <main>{children}</main>
      </Layout.Content>
    </Layout>
  );
}
