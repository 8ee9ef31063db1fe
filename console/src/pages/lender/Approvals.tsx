import { Button, Input, Modal, Space, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api';
import { CursorTable } from '../../components/CursorTable';
import { useWrite } from '../../components/forms';
import { ProblemAlert } from '../../components/Results';
import { byDecimal, byText } from '../../components/sorting';
import { useI18n } from '../../i18n';
import { useSession } from '../../session';

type Decision = { drawId: string; kind: 'approve' | 'reject' };

/**
 * Draws awaiting my decision. The two-approver rule is shown as the server states it
 * (requiredApprovals and the approvals already given); the server refuses a second approval by the
 * same person and one's own request.
 */
export function Approvals() {
  const { t, money, dateTime } = useI18n();
  const { user } = useSession();
  const [decision, setDecision] = useState<Decision | null>(null);
  const [reason, setReason] = useState('');
  const [reloadKey, setReloadKey] = useState(0);
  const write = useWrite();
  const fetchPage = useCallback((cursor: string | undefined) => unwrap(api.GET('/draws/pending-approvals', { params: { query: { cursor, limit: 20 } } })), []);
  const decide = async () => {
    if (!decision) return;
    const done = await write.run((key) =>
      decision.kind === 'approve'
        ? unwrap(api.POST('/draws/{drawId}/approve', { params: { path: { drawId: decision.drawId }, header: { 'Idempotency-Key': key } }, body: reason ? { reason } : {} }))
        : unwrap(api.POST('/draws/{drawId}/reject', { params: { path: { drawId: decision.drawId }, header: { 'Idempotency-Key': key } }, body: reason ? { reason } : {} })),
    );
    if (done) {
      setDecision(null);
      setReason('');
      setReloadKey((value) => value + 1);
    }
  };
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('approvals.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('approvals.rule')}</Typography.Paragraph>
      <CursorTable
        rowKey="id"
        fetchPage={fetchPage}
        deps={[]}
        reloadKey={reloadKey}
        data-testid="approvals"
        columns={[
          { title: t('draw.createdAt'), key: 'created', sorter: byText((draw) => draw.createdAt), render: (_v, draw) => dateTime(draw.createdAt) },
          { title: t('draw.line'), key: 'line', render: (_v, draw) => <Link to={`/app/lines/${draw.creditLineId}`}>{t('draw.openLine')}</Link> },
          { title: t('draw.amountColumn'), key: 'amount', align: 'right', sorter: byDecimal((draw) => draw.amount.amount), render: (_v, draw) => money(draw.amount) },
          { title: t('draw.purpose'), key: 'purpose', render: (_v, draw) => draw.purpose ?? t('common.none') },
          {
            title: t('draw.approvals'),
            key: 'approvals',
            render: (_v, draw) => (
              <span data-testid="approvals-count">
                {t('draw.approvalsOf', { given: draw.decisions.filter((d) => d.decision === 'APPROVE').length, required: draw.requiredApprovals })}
                {draw.requiredApprovals === 2 && ` · ${t('approvals.twoApprovers')}`}
              </span>
            ),
          },
          { title: t('draw.approvalDeadline'), key: 'deadline', sorter: byText((draw) => draw.approvalDeadline), render: (_v, draw) => dateTime(draw.approvalDeadline) },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_v, draw) => {
              const mine = draw.requestedByUserId === user?.id;
              const alreadyApproved = draw.decisions.some((d) => d.userId === user?.id);
              return (
                <Space>
                  <Button type="primary" disabled={mine || alreadyApproved} onClick={() => setDecision({ drawId: draw.id, kind: 'approve' })}>
                    {t('approvals.approve')}
                  </Button>
                  <Button danger disabled={mine} onClick={() => setDecision({ drawId: draw.id, kind: 'reject' })}>
                    {t('approvals.reject')}
                  </Button>
                </Space>
              );
            },
          },
        ]}
      />
      <Modal
        open={decision !== null}
        title={decision?.kind === 'reject' ? t('approvals.rejectTitle') : t('approvals.approveTitle')}
        okText={decision?.kind === 'reject' ? t('approvals.reject') : t('approvals.approve')}
        cancelText={t('common.cancel')}
        okButtonProps={{ loading: write.busy, danger: decision?.kind === 'reject', disabled: decision?.kind === 'reject' && !reason.trim() }}
        onOk={decide}
        onCancel={() => {
          setDecision(null);
          write.clearError();
        }}
      >
        <ProblemAlert error={write.error} />
        <label>
          {decision?.kind === 'reject' ? t('approvals.reasonRequired') : t('approvals.reasonOptional')}
          <Input.TextArea value={reason} onChange={(event) => setReason(event.target.value)} rows={3} />
        </label>
      </Modal>
    </Space>
  );
}
