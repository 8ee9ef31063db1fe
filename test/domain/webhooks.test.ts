import fc from 'fast-check';
import { afterFailedAttempt, isDelivered, webhookRetryDelayMs, WEBHOOK_RETRY_DELAY_MAX_MS, WEBHOOK_RETRY_WINDOW_MS } from '../../domain/webhooks';

describe('webhook retry rules', () => {
  test('the delay starts at 30 s and is four times longer after each failure, up to 12 h', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(webhookRetryDelayMs)).toEqual([30_000, 120_000, 480_000, 1_920_000, 7_680_000, 30_720_000, 43_200_000, 43_200_000, 43_200_000]);
  });

  test('a failing delivery is retried only within its 3-day window, and gives up after finitely many attempts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60_000 }), fc.array(fc.integer({ min: 0, max: 3_600_000 }), { maxLength: 40 }), (startMs, lateness) => {
        const window = new Date(1_800_000_000_000 + startMs);
        let now = window;
        let failed = 0;
        for (;;) {
          failed += 1;
          const next = afterFailedAttempt({ retryWindowStartedAt: window, failedAttempts: failed, now, endpointFailingSince: window });
          if (next.kind === 'GIVE_UP') {
            // Failing since the window began: the endpoint keeps failing and is disabled.
            expect(next.disableEndpoint).toBe(true);
            break;
          }
          expect(next.nextAttemptAt.getTime()).toBeLessThanOrEqual(window.getTime() + WEBHOOK_RETRY_WINDOW_MS);
          expect(next.nextAttemptAt.getTime() - now.getTime()).toBe(webhookRetryDelayMs(failed));
          // The deliverer may run late; the next attempt is counted from when it really happened.
          now = new Date(next.nextAttemptAt.getTime() + (lateness[failed] ?? 0));
        }
        expect(failed).toBeLessThanOrEqual(12);
        expect(failed).toBeGreaterThanOrEqual(1 + Math.floor(WEBHOOK_RETRY_WINDOW_MS / (WEBHOOK_RETRY_DELAY_MAX_MS + 3_600_000)));
      }),
    );
  });

  test('an endpoint that succeeded during the window is not disabled when one delivery gives up', () => {
    const window = new Date('2026-12-01T00:00:00Z');
    const now = new Date(window.getTime() + WEBHOOK_RETRY_WINDOW_MS - 1_000);
    expect(afterFailedAttempt({ retryWindowStartedAt: window, failedAttempts: 12, now, endpointFailingSince: new Date(window.getTime() + 60_000) })).toEqual({ kind: 'GIVE_UP', disableEndpoint: false });
  });

  test('only a 2xx answer is a delivery', () => {
    expect([199, 200, 204, 299, 300, 302, 400, 500].map(isDelivered)).toEqual([false, true, true, true, false, false, false, false]);
  });
});
