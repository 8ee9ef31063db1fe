/**
 * Browser tests of the console (test/console/*.spec.ts): Debian's chromium, headless, against the
 * app under test (test/console/app-under-test.ts: Express app + embedded PostgreSQL + the offline
 * workflow harness, seeded through the public API), which serves the console built by `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

// Chosen once, in the runner; its workers inherit the environment, so they all see the same port.
process.env.GODOWN_CONSOLE_PORT ??= execFileSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], { encoding: 'utf8' }).trim();
process.env.GODOWN_CONSOLE_WORLD ??= path.join(tmpdir(), `godown-console-world-${process.env.GODOWN_CONSOLE_PORT}.json`);
const baseURL = `http://127.0.0.1:${process.env.GODOWN_CONSOLE_PORT}`;

export default defineConfig({
  testDir: 'test/console',
  testMatch: '*.spec.ts',
  outputDir: 'test-results/console',
  // One worker: the machine is small and the journeys share one app (each has its own world in it).
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [['list'], ['json', { outputFile: '.playwright-results.json' }]],
  use: {
    baseURL,
    headless: true,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  webServer: {
    command: 'npx tsx test/console/app-under-test.ts',
    url: `${baseURL}/health`,
    // Seeding every journey's world through the API (scrypt per person) comes first: minutes on a loaded machine.
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
