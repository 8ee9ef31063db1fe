import { sendWebhook } from '../../workflows/webhooks/target';

/**
 * sendWebhook never throws: a target refused before any request is made (an unparseable URL, a
 * literal internal address) is an outcome like any other. It used to throw a ReferenceError there
 * (the timeout's handle was read before it existed), failing the whole delivery pass.
 */
const policy = { allowPrivateTargets: false, deliveryTimeoutMs: 1_000 };

test('an unparseable URL is an outcome with no status code, not an exception', async () => {
  const outcome = await sendWebhook('not a url', '{}', {}, policy);
  expect(outcome).toMatchObject({ statusCode: null, error: 'the endpoint URL does not parse' });
  expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
});

test.each(['http://127.0.0.1:9/hook', 'http://10.0.0.8/hook', 'http://[::1]:9/hook', 'http://169.254.169.254/latest'])('a literal internal address (%s) is refused before connecting', async (target) => {
  const outcome = await sendWebhook(target, '{}', {}, policy);
  expect(outcome.statusCode).toBeNull();
  expect(outcome.error).toMatch(/^TargetRefused: /);
});
