import { CopyOutlined } from '@ant-design/icons';
import { Alert, App, Badge, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Tag, Typography, type ButtonProps } from 'antd';
import { useCallback, useState, type HTMLAttributes } from 'react';
import { api, unwrap } from '../../api';
import { CursorTable, PAGE_SIZE } from '../../components/CursorTable';
import { useWrite } from '../../components/forms';
import { ProblemAlert } from '../../components/Results';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n';
import { useSession, type UserRole } from '../../session';

/** The roles POST /users accepts (api/identity/routes.ts UserRole). */
const ROLES: UserRole[] = ['ADMIN', 'OPERATOR', 'APPROVER', 'VIEWER'];

/** A table row that a browser test can find by its person. */
type RowProps = HTMLAttributes<HTMLElement> & { 'data-testid': string };

interface IssuedInvitation {
  name: string;
  /** Null when the server answered a replay, which never carries the token again. */
  link: string | null;
  expiresAt: string;
}

/**
 * The console's own page for the token: the link api/config.ts invitationLinkOf hands out, on this
 * origin. The token travels in the fragment, which the browser never sends to a server.
 */
function invitationLinkOf(token: string): string {
  return `${window.location.origin}/accept-invitation#token=${encodeURIComponent(token)}`;
}

/** The one time an invitation's link can be read: copy it now, it is never shown again. */
function InvitationModal({ issued, onClose }: { issued: IssuedInvitation | null; onClose(): void }) {
  const { t, dateTime } = useI18n();
  const { message } = App.useApp();
  const copy = async (link: string) => {
    try {
      await navigator.clipboard.writeText(link);
      message.success(t('invite.copied'));
    } catch {
      message.error(t('invite.copyFailed'));
    }
  };
  return (
    <Modal
      open={issued !== null}
      title={issued ? t('invite.title', { name: issued.name }) : undefined}
      onCancel={onClose}
      mask={{ closable: false }}
      destroyOnHidden
      footer={
        <Button type="primary" onClick={onClose} data-testid="invitation-close">
          {t('invite.close')}
        </Button>
      }
    >
      {issued && (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="invitation">
          {issued.link ? (
            <>
              <Alert type="warning" showIcon title={t('invite.onceOnly', { name: issued.name })} />
              <label htmlFor="invitation-link">{t('invite.link')}</label>
              <Space.Compact style={{ width: '100%' }}>
                <Input id="invitation-link" readOnly value={issued.link} data-testid="invitation-link" onFocus={(event) => event.target.select()} />
                <Button icon={<CopyOutlined />} onClick={() => copy(issued.link!)} data-testid="invitation-copy">
                  {t('invite.copy')}
                </Button>
              </Space.Compact>
            </>
          ) : (
            <Alert type="error" showIcon title={t('invite.noToken')} />
          )}
          <Typography.Paragraph data-testid="invitation-expires">{t('invite.expires', { time: dateTime(issued.expiresAt) })}</Typography.Paragraph>
          <Typography.Paragraph type="secondary">{t('invite.supersedes')}</Typography.Paragraph>
        </Space>
      )}
    </Modal>
  );
}

/**
 * Users and invitations (an organisation's ADMIN): who may act for the organisation, a new person
 * added with a role, a one-time invitation (a first password, or a reset), a deactivation. The API
 * decides and refuses (an ADMIN cannot deactivate themself; a deactivated user gets no invitation).
 */
export function Users() {
  const { t, dateTime } = useI18n();
  const { user: me } = useSession();
  const [form] = Form.useForm();
  const add = useWrite();
  const invite = useWrite();
  const deactivate = useWrite();
  const [reloadKey, setReloadKey] = useState(0);
  const [added, setAdded] = useState<{ userId: string; name: string } | null>(null);
  const [issued, setIssued] = useState<IssuedInvitation | null>(null);
  const fetchPage = useCallback((cursor: string | undefined) => unwrap(api.GET('/users', { params: { query: { cursor, limit: PAGE_SIZE } } })), []);

  const issueInvitation = async (person: { userId: string; name: string }) => {
    const invitation = await invite.run((key) =>
      unwrap(api.POST('/users/{userId}/invitations', { params: { path: { userId: person.userId }, header: { 'Idempotency-Key': key } } })),
    );
    if (invitation) {
      setIssued({ name: person.name, link: invitation.token ? invitationLinkOf(invitation.token) : null, expiresAt: invitation.expiresAt });
      setAdded(null);
    }
  };

  const deactivateUser = async (userId: string) => {
    const done = await deactivate.run((key) => unwrap(api.POST('/users/{userId}/deactivate', { params: { path: { userId }, header: { 'Idempotency-Key': key } } })));
    if (done) setReloadKey((value) => value + 1);
  };

  const confirmDeactivation: ButtonProps & { 'data-testid': string } = { danger: true, loading: deactivate.busy, 'data-testid': 'user-deactivate-confirm' };

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('users.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('users.intro', { organisation: me?.organisation.name ?? '' })}</Typography.Paragraph>
      <Card title={t('users.add')} data-testid="add-user">
        <ProblemAlert error={add.error} />
        {added && (
          <Alert
            type="success"
            showIcon
            title={t('users.added', { name: added.name })}
            data-testid="user-added"
            action={
              <Button type="primary" loading={invite.busy} onClick={() => issueInvitation(added)} data-testid="invite-added">
                {t('users.invite')}
              </Button>
            }
          />
        )}
        <Form
          form={form}
          layout="inline"
          style={{ rowGap: 8, marginTop: 8 }}
          onFinish={async (values: { email: string; name: string; role: UserRole }) => {
            const created = await add.run((key) => unwrap(api.POST('/users', { params: { header: { 'Idempotency-Key': key } }, body: values })), form);
            if (created) {
              // The API issues the user an API key too (shown once): a person signs in with a password, so the console does not show it.
              setAdded({ userId: created.userId, name: values.name });
              form.resetFields();
              setReloadKey((value) => value + 1);
            }
          }}
        >
          <Form.Item label={t('users.email')} name="email" rules={[{ required: true, type: 'email', message: t('users.emailRule') }]}>
            <Input type="email" autoComplete="off" />
          </Form.Item>
          <Form.Item label={t('users.name')} name="name" rules={[{ required: true, whitespace: true, message: t('form.required') }]}>
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item label={t('users.role')} name="role" rules={[{ required: true, message: t('form.required') }]}>
            <Select style={{ minWidth: 160 }} options={ROLES.map((role) => ({ value: role, label: t(`role.${role}`) }))} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={add.busy}>
            {t('users.addSubmit')}
          </Button>
        </Form>
        <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
          {t('users.rolesHelp')}
        </Typography.Paragraph>
      </Card>
      <ProblemAlert error={invite.error ?? deactivate.error} />
      <CursorTable
        rowKey="id"
        fetchPage={fetchPage}
        deps={[]}
        reloadKey={reloadKey}
        data-testid="users"
        onRow={(person): RowProps => ({ 'data-testid': `user-${person.email}` })}
        columns={[
          {
            title: t('users.name'),
            key: 'name',
            render: (_v, person) => (
              <Space size="small">
                {person.name}
                {person.id === me?.id && <Tag>{t('users.you')}</Tag>}
              </Space>
            ),
          },
          { title: t('users.email'), key: 'email', dataIndex: 'email' },
          { title: t('users.role'), key: 'role', render: (_v, person) => t(`role.${person.role}`) },
          {
            title: t('users.status'),
            key: 'status',
            render: (_v, person) => (
              <span data-testid="user-status">
                <StatusTag status={person.deactivatedAt ? 'DEACTIVATED' : 'ACTIVE'} />
                {person.deactivatedAt && <Typography.Text type="secondary">{` · ${dateTime(person.deactivatedAt)}`}</Typography.Text>}
              </span>
            ),
          },
          {
            title: t('users.signIn'),
            key: 'signIn',
            render: (_v, person) => (
              <span data-testid="user-sign-in">
                {person.passwordSet ? (
                  person.lastSignInAt ? t('users.lastSignIn', { at: dateTime(person.lastSignInAt) }) : t('users.neverSignedIn')
                ) : person.invitation?.state === 'OPEN' ? (
                  t('users.invitationOpen', { at: dateTime(person.invitation.expiresAt) })
                ) : person.invitation?.state === 'EXPIRED' ? (
                  <Badge status="warning" text={t('users.invitationExpired', { at: dateTime(person.invitation.expiresAt) })} />
                ) : (
                  t('users.notInvited')
                )}
              </span>
            ),
          },
          { title: t('users.createdAt'), key: 'createdAt', render: (_v, person) => dateTime(person.createdAt) },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_v, person) =>
              person.deactivatedAt ? null : (
                <Space wrap>
                  <Button onClick={() => issueInvitation({ userId: person.id, name: person.name })} loading={invite.busy} data-testid="user-invite">
                    {t('users.invite')}
                  </Button>
                  {person.id !== me?.id && (
                    <Popconfirm
                      title={t('users.deactivateTitle', { name: person.name })}
                      description={t('users.deactivateConfirm')}
                      okText={t('users.deactivate')}
                      cancelText={t('common.cancel')}
                      okButtonProps={confirmDeactivation}
                      onConfirm={() => deactivateUser(person.id)}
                    >
                      <Button danger data-testid="user-deactivate">
                        {t('users.deactivate')}
                      </Button>
                    </Popconfirm>
                  )}
                </Space>
              ),
          },
        ]}
      />
      <InvitationModal issued={issued} onClose={() => setIssued(null)} />
    </Space>
  );
}
