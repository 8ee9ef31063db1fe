/**
 * A sign-in must not be undone by an answer about the session before it. Under load the console's
 * start-up read of the session (no cookie yet: 401) can answer after a quick sign-in finished; so can
 * any call sent before signing in. Either used to sign the person straight out again, and the page
 * waited on the sign-in form (seen in the browser journeys). console/src/api.ts tags each call with
 * the session generation it was sent in; only an answer from the current one counts.
 */
import { onUnauthenticated, sessionFetch, sessionGeneration, setCsrfToken } from '../../console/src/api';

type Pending = { resolve: (response: Response) => void };

describe('answers about an earlier session', () => {
  const realFetch = globalThis.fetch;
  let pending: Pending[];
  let signedOut: number;
  let stopListening: () => void;

  beforeEach(() => {
    pending = [];
    signedOut = 0;
    globalThis.fetch = (() => new Promise<Response>((resolve) => pending.push({ resolve }))) as typeof fetch;
    stopListening = onUnauthenticated(() => (signedOut += 1));
  });
  afterEach(() => {
    stopListening();
    globalThis.fetch = realFetch;
  });

  test('a 401 to a call sent before signing in does not sign the new session out', async () => {
    const before = sessionFetch(new Request('http://console.test/notifications'));
    setCsrfToken('token-of-the-new-session');
    pending[0].resolve(new Response(null, { status: 401 }));
    expect((await before).status).toBe(401);
    expect(signedOut).toBe(0);
  });

  test('a 401 to a call sent in the current session signs out', async () => {
    setCsrfToken('token');
    const now = sessionFetch(new Request('http://console.test/notifications'));
    pending[0].resolve(new Response(null, { status: 401 }));
    await now;
    expect(signedOut).toBe(1);
  });

  test('each adopted session is a new generation, so a read started before a sign-in is recognisably stale', () => {
    const startedIn = sessionGeneration();
    setCsrfToken('signed in meanwhile');
    expect(sessionGeneration()).not.toBe(startedIn);
    const readNow = sessionGeneration();
    expect(sessionGeneration()).toBe(readNow);
  });
});
