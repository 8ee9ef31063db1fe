/**
 * When a party says something was observed: a price mark's asOf, a stock
 * count's countedAt. Valuation trusts the latest observation, so one dated in
 * the future would outrank every real one until its date (a typo of 2036 kept a
 * borrowing base 10× too high; a count dated ahead kept a lot "counted" for
 * years). An observation may be ahead of the server's clock only by the clock
 * skew between the party's clock and ours.
 *
 * The database applies the same skew (valued_lots(), migration
 * 20261203000400_margin_decisions_and_failures: interval '5 minutes').
 */
import { ValidationError } from './errors';

export const OBSERVATION_CLOCK_SKEW_MINUTES = 5;
const OBSERVATION_CLOCK_SKEW_MS = OBSERVATION_CLOCK_SKEW_MINUTES * 60 * 1000;

/** Throws a ValidationError naming `field` when `observedAt` is more than the clock skew ahead of `now`. */
export function requireObservedByNow(field: string, observedAt: Date, now: Date): void {
  if (observedAt.getTime() - now.getTime() > OBSERVATION_CLOCK_SKEW_MS) {
    throw new ValidationError(
      field,
      `is ${observedAt.toISOString()}, ahead of now (${now.toISOString()}) by more than the ${OBSERVATION_CLOCK_SKEW_MINUTES}-minute clock skew allowed; an observation cannot be dated in the future`,
    );
  }
}
