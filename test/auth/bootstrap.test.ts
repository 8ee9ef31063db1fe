import { spawnSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { createTestApi, type TestApi } from '../support/api';

const ROOT = path.resolve(__dirname, '../..');
let api: TestApi;

beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

test("the bootstrap command prints the first admin's console invitation link, which sets a password and signs in", () => {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'scripts/bootstrap.ts'), '--name', 'Harbour Bank', '--email', 'Ada@Harbour.example', '--admin-name', 'Ada'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: api.db.url, GODOWN_PUBLIC_URL: 'https://godown.example.com/', LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  const link = /^https:\/\/godown\.example\.com\/accept-invitation#token=(gdi_[0-9a-f]{32}_[A-Za-z0-9_-]{43})$/m.exec(result.stdout);
  expect(link).not.toBeNull();
  // The bare token is still printed for an integration's claim.
  expect(result.stdout).toContain(`\n${link?.[1]}\n`);
  return request(api.app)
    .post('/invitations/accept')
    .send({ token: link?.[1], password: 'a long enough first password' })
    .expect(200)
    .then((res) => expect(res.body.user).toMatchObject({ email: 'ada@harbour.example', role: 'ADMIN', organisation: { name: 'Harbour Bank', kind: 'LENDER' } }));
});
