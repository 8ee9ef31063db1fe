import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** Runs `npm run accrue -- …` as an operator would (tsx), without a database: the refusal comes first. */
function accrue(args: string[]) {
  const result = spawnSync(path.join(root, 'node_modules/.bin/tsx'), ['scripts/accrue.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' },
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr };
}

const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

test('npm run accrue refuses today and future dates before touching the database', () => {
  const today = accrue(['--date', isoDay(0)]);
  expect(today.status).toBe(2);
  expect(today.stderr).toContain(`--date is ${isoDay(0)}; accrual runs only for days that are over: at the latest ${isoDay(-1)}`);
  const range = accrue(['--from', isoDay(-3), '--to', isoDay(30)]);
  expect(range.status).toBe(2);
  expect(range.stderr).toContain(`--to is ${isoDay(30)}; accrual runs only for days that are over`);
});
