/**
 * `promise`, or a rejection "<what> did not answer within <ms> ms" if it has not
 * settled by then. The timer is cleared either way; a rejection that is not an
 * Error is wrapped in one. Not workflow code (it uses real timers).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
