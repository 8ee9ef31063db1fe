import { Alert, Result, Spin } from 'antd';
import { Link } from 'react-router-dom';
import { ApiProblem } from '../api';
import { useI18n, type MessageKey } from '../i18n';

/** A refusal: by default for a page of another kind of organisation; `detail` says another reason (a role). */
export function Forbidden({ detail = 'forbidden.detail' }: { detail?: MessageKey }) {
  const { t } = useI18n();
  return <Result status="403" title={t('forbidden.title')} subTitle={t(detail)} extra={<Link to="/app">{t('common.home')}</Link>} data-testid="forbidden" />;
}

export function NotFound() {
  const { t } = useI18n();
  return <Result status="404" title={t('notFound.title')} subTitle={t('notFound.detail')} extra={<Link to="/app">{t('common.home')}</Link>} />;
}

function titleOf(status: number): MessageKey {
  if (status === 400) return 'problem.invalid';
  if (status === 401) return 'problem.unauthenticated';
  if (status === 403) return 'problem.forbidden';
  if (status === 404) return 'problem.notFound';
  if (status === 409) return 'problem.conflict';
  if (status === 422) return 'problem.refused';
  if (status === 429) return 'problem.tooMany';
  return 'problem.unavailable';
}

/** What the API refused: a translated title and the server's own detail (which names the figures). */
export function ProblemAlert({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  const status = error instanceof ApiProblem ? error.status : 0;
  const detail = error instanceof ApiProblem ? error.problem.detail : undefined;
  return <Alert type="error" showIcon title={t(titleOf(status))} description={detail} role="alert" data-testid="problem" />;
}

/** A page's data: a spinner while it loads, the problem if it failed (a line of another seller: not found). */
export function LoadState({ loading, error }: { loading: boolean; error: unknown }) {
  const { t } = useI18n();
  if (error instanceof ApiProblem && (error.status === 404 || error.status === 403)) {
    return <Result status="403" title={t('forbidden.title')} subTitle={t('forbidden.notYours')} extra={<Link to="/app">{t('common.home')}</Link>} data-testid="forbidden" />;
  }
  if (error) return <ProblemAlert error={error} />;
  if (loading) return <Spin aria-label={t('common.loading')} />;
  return null;
}
