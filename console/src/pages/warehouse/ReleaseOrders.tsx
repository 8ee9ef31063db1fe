import { Button, Input, Modal, Space, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api';
import { DECIMAL_PATTERN, useWrite } from '../../components/forms';
import { ProblemAlert } from '../../components/Results';
import { useI18n } from '../../i18n';
import { ReleaseOrderTable } from '../LotPage';

type Quantity = { amount: string; unit: string };
type Order = { id: string; lotId: string; quantityAuthorised: Quantity; quantityReleased: Quantity; quantityShort: Quantity };

/** Open release orders: the warehouse confirms what actually left (never more than authorised; the server checks). */
export function ReleaseOrders() {
  const { t, quantity: shown } = useI18n();
  const [reloadKey, setReloadKey] = useState(0);
  const [confirming, setConfirming] = useState<Order | null>(null);
  const [quantity, setQuantity] = useState('');
  const write = useWrite();
  const fetchPage = useCallback((cursor: string | undefined) => unwrap(api.GET('/release-orders', { params: { query: { cursor, limit: 20, status: 'OPEN' } } })), []);
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('release.title')}
      </Typography.Title>
      <ReleaseOrderTable
        fetchPage={fetchPage}
        deps={[reloadKey]}
        extraColumn={(order) => (
          <Space wrap>
            <Link to={`/app/lots/${order.lotId}`}>{t('release.openLot')}</Link>
            <Button
              type="primary"
              onClick={() => {
                setConfirming(order);
                // The quantity still to leave is the server's figure: what it authorised, less what left and what was lost.
                setQuantity('');
              }}
            >
              {t('release.confirm')}
            </Button>
          </Space>
        )}
      />
      <Modal
        open={confirming !== null}
        title={t('release.confirmTitle')}
        okText={t('release.confirm')}
        cancelText={t('common.cancel')}
        okButtonProps={{ loading: write.busy, disabled: !DECIMAL_PATTERN.test(quantity) }}
        onCancel={() => {
          setConfirming(null);
          write.clearError();
        }}
        onOk={async () => {
          if (!confirming) return;
          const done = await write.run((key) =>
            unwrap(
              api.POST('/release-orders/{orderId}/confirmations', {
                params: { path: { orderId: confirming.id }, header: { 'Idempotency-Key': key } },
                body: { quantity: { amount: quantity, unit: confirming.quantityAuthorised.unit }, releasedAt: new Date().toISOString() },
              }),
            ),
          );
          if (done) {
            setConfirming(null);
            setReloadKey((value) => value + 1);
          }
        }}
      >
        <ProblemAlert error={write.error} />
        {confirming && <Typography.Paragraph>{t('release.authorisedWas', { authorised: shown(confirming.quantityAuthorised), released: shown(confirming.quantityReleased) })}</Typography.Paragraph>}
        <label>
          {t('release.quantityLeft')}
          <Input inputMode="decimal" value={quantity} onChange={(event) => setQuantity(event.target.value)} data-testid="release-quantity" />
        </label>
      </Modal>
    </Space>
  );
}
