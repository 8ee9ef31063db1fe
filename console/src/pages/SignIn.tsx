import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { ApiProblem } from '../api';
import { LanguageSwitch } from '../components/Shell';
import { useI18n, type MessageKey } from '../i18n';
import { useSession } from '../session';

export function refusalOf(error: unknown): MessageKey {
  if (error instanceof ApiProblem && error.status === 429) return 'signIn.tooManyAttempts';
  if (error instanceof ApiProblem && error.status === 401) return 'signIn.invalidCredentials';
  return 'signIn.failed';
}

export function CenteredCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', padding: 16, background: '#f0f2f5' }}>
      <Card style={{ width: '100%', maxWidth: 420 }}>
        <Space orientation="vertical" style={{ width: '100%' }} size="middle">
          <Space style={{ width: '100%', justifyContent: 'space-between' }}>
            <Typography.Title level={1} style={{ fontSize: 24, margin: 0 }}>
              {title}
            </Typography.Title>
            <LanguageSwitch />
          </Space>
          {children}
        </Space>
      </Card>
    </main>
  );
}

export function SignIn() {
  const { t } = useI18n();
  const { user, signIn } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [refusal, setRefusal] = useState<MessageKey | null>(null);
  const [busy, setBusy] = useState(false);
  if (user) return <Navigate to="/app" replace />;
  const from = (location.state as { from?: string } | null)?.from ?? '/app';
  return (
    <CenteredCard title={t('signIn.title')}>
      {refusal && <Alert type="error" showIcon title={t(refusal)} role="alert" data-testid="sign-in-refused" />}
      <Form
        layout="vertical"
        requiredMark={false}
        onFinish={async (values: { email: string; password: string }) => {
          setBusy(true);
          setRefusal(null);
          try {
            await signIn(values.email, values.password);
            navigate(from, { replace: true });
          } catch (error) {
            setRefusal(refusalOf(error));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item label={t('signIn.email')} name="email" rules={[{ required: true, type: 'email', message: t('signIn.emailRequired') }]}>
          <Input autoComplete="username" autoFocus />
        </Form.Item>
        <Form.Item label={t('signIn.password')} name="password" rules={[{ required: true, message: t('signIn.passwordRequired') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} block>
          {t('signIn.submit')}
        </Button>
      </Form>
    </CenteredCard>
  );
}
