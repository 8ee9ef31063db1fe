/**
 * The rules of webhook delivery (docs/events.md): when a failed delivery is
 * tried again, when it is given up, and when its endpoint is disabled. Pure:
 * the deliverer (workflows/webhooks/deliverer.ts) applies them.
 */

/** How long a delivery is retried, from its first attempt (or its manual redelivery). */
export const WEBHOOK_RETRY_WINDOW_MS = 3 * 24 * 3_600_000;
/** The wait after the first failure; each further failure waits four times longer, up to WEBHOOK_RETRY_DELAY_MAX_MS. */
export const WEBHOOK_RETRY_DELAY_FIRST_MS = 30_000;
export const WEBHOOK_RETRY_DELAY_MAX_MS = 12 * 3_600_000;

/** The wait before the next attempt of a delivery that has now failed `failedAttempts` (≥ 1) times. */
export function webhookRetryDelayMs(failedAttempts: number): number {
  const exponent = Math.min(20, Math.max(0, failedAttempts - 1));
  return Math.min(WEBHOOK_RETRY_DELAY_MAX_MS, WEBHOOK_RETRY_DELAY_FIRST_MS * 4 ** exponent);
}

export type AfterFailure =
  | { kind: 'RETRY'; nextAttemptAt: Date }
  /** The retry window is over; the endpoint is disabled when it has not succeeded once in all that time. */
  | { kind: 'GIVE_UP'; disableEndpoint: boolean };

/**
 * What follows a failed attempt. `failedAttempts` counts this one;
 * `endpointFailingSince` is when the endpoint's current run of failures began
 * (this attempt's instant when it is the first).
 */
export function afterFailedAttempt(input: { retryWindowStartedAt: Date; failedAttempts: number; now: Date; endpointFailingSince: Date }): AfterFailure {
  const next = input.now.getTime() + webhookRetryDelayMs(input.failedAttempts);
  if (next <= input.retryWindowStartedAt.getTime() + WEBHOOK_RETRY_WINDOW_MS) return { kind: 'RETRY', nextAttemptAt: new Date(next) };
  // Every attempt of the endpoint failed for at least as long as this delivery was retried: it keeps failing.
  return { kind: 'GIVE_UP', disableEndpoint: input.endpointFailingSince.getTime() <= input.retryWindowStartedAt.getTime() };
}

/** A 2xx answer is a delivery; anything else (3xx included: redirects are not followed) is a failure. */
export function isDelivered(statusCode: number): boolean {
  return statusCode >= 200 && statusCode <= 299;
}
