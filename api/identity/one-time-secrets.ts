/**
 * Secrets a response shows once: an invitation's claim token, an API key.
 *
 * A POST's response body is stored with its Idempotency-Key so that a retry
 * replays it. A secret must never be stored there (no secret at rest) nor be
 * handed out again by a replay. So a handler never puts a secret in the body it
 * returns: it calls `revealOnce(path, secret)`, and this middleware adds the
 * secret at `path` to the 201 that the handler's own execution sends. A replay
 * does not run the handler, so it answers the stored body without the secret.
 *
 * The response schemas mark these fields optional ("present only in the first
 * response"). When the idempotency layer learns to redact fields itself, it must
 * drop exactly these paths before storing: `invitation.token` (POST
 * /organisations, POST /users) and `apiKey` (POST /users/{userId}/api-keys).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';
import { assert } from '../../domain/errors';

interface Revealed {
  path: readonly string[];
  secret: string;
}

const pending = new AsyncLocalStorage<Revealed[]>();

/** Adds `secret` at `path` of this request's success body, once; never stored with the idempotency record. */
export function revealOnce(path: readonly string[], secret: string): void {
  const revealed = pending.getStore();
  assert(revealed !== undefined, 'revealOnce is called while handling a request that passed through oneTimeSecrets');
  // A retried transaction runs the handler again: its last secret is the one that was committed.
  const same = revealed.findIndex((entry) => entry.path.join('.') === path.join('.'));
  if (same >= 0) revealed.splice(same, 1);
  revealed.push({ path, secret });
}

function withSecret(body: unknown, path: readonly string[], secret: string): unknown {
  if (path.length === 0) return secret;
  const [head, ...rest] = path;
  const object = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return { ...object, [head]: withSecret(object[head], rest, secret) };
}

export function oneTimeSecrets(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'POST') {
    next();
    return;
  }
  const revealed: Revealed[] = [];
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    const firstAnswer = res.statusCode === 201 && res.get('Idempotency-Replayed') === undefined;
    const shown = firstAnswer ? revealed.reduce((acc, entry) => withSecret(acc, entry.path, entry.secret), body) : body;
    revealed.length = 0;
    return json(shown);
  };
  pending.run(revealed, () => next());
}
