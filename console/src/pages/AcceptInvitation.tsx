import { Alert, Button, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { ApiProblem } from '../api';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { CenteredCard } from './SignIn';

/** PASSWORD_LENGTH_MIN of the server; it refuses shorter ones anyway, this only says so before sending. */
const PASSWORD_LENGTH_MIN = 12;

/**
 * The invitation link carries its token in the fragment (#token=…), which browsers never send to a
 * server or put in a Referer: only this page reads it, and sends it once, in the body.
 */
export function AcceptInvitation() {
  const { t } = useI18n();
  const { acceptInvitation } = useSession();
  const navigate = useNavigate();
  const [token] = useState(() => new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <CenteredCard title={t('invitation.title')}>
      <Typography.Paragraph>{t('invitation.intro')}</Typography.Paragraph>
      {!token && <Alert type="warning" showIcon title={t('invitation.noToken')} />}
      {error !== null && (
        <Alert type="error" showIcon role="alert" title={t('invitation.refused')} description={error instanceof ApiProblem ? error.problem.detail : undefined} />
      )}
      <Form
        layout="vertical"
        requiredMark={false}
        disabled={!token}
        onFinish={async (values: { password: string }) => {
          setBusy(true);
          setError(null);
          try {
            await acceptInvitation(token, values.password);
            // The token is spent: take it out of the address bar and history.
            window.history.replaceState(null, '', '/app/invitation');
            navigate('/app', { replace: true });
          } catch (caught) {
            setError(caught);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item
          label={t('invitation.password')}
          name="password"
          rules={[{ required: true, min: PASSWORD_LENGTH_MIN, message: t('invitation.passwordRule', { min: PASSWORD_LENGTH_MIN }) }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          label={t('invitation.confirm')}
          name="confirm"
          dependencies={['password']}
          rules={[
            { required: true, message: t('invitation.confirmRequired') },
            ({ getFieldValue }) => ({
              validator: (_rule, value) => (value === getFieldValue('password') ? Promise.resolve() : Promise.reject(new Error(t('invitation.mismatch')))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} block>
          {t('invitation.submit')}
        </Button>
      </Form>
    </CenteredCard>
  );
}
