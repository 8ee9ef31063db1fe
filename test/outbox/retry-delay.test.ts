import fc from 'fast-check';
import { OUTBOX_RETRY_DELAY_MAX_MS, retryDelayMs } from '../../workflows/outbox/dispatcher';

test('a failing row waits 2 s, then twice as long after each further failure, never more than 5 minutes', () => {
  // 2 000 × 2^(n−1): 2 s, 4 s, 8 s … 256 s; the 9th would be 512 s and is capped at 300 s.
  expect([1, 2, 3, 4, 8, 9, 10, 1_000].map(retryDelayMs)).toEqual([2_000, 4_000, 8_000, 16_000, 256_000, 300_000, 300_000, 300_000]);
});

test('the wait never shrinks as failures accumulate and always stays within the cap', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 100_000 }), (failures) => {
      const wait = retryDelayMs(failures);
      return wait >= retryDelayMs(failures - 1 || 1) && wait > 0 && wait <= OUTBOX_RETRY_DELAY_MAX_MS && Number.isInteger(wait);
    }),
  );
});
