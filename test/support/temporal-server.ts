/**
 * One real Temporal server for a whole Jest run: TEMPORAL_ADDRESS's when set, else
 * `temporal server start-dev` from the pinned CLI (scripts/temporal-cli.sh) on free
 * ports, headless, with its SQLite file in a temp folder. globalSetup starts it (only
 * when the run includes a real-server suite) and publishes its address to the Jest
 * workers through the environment; when the CLI is missing it publishes why instead.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { installedTemporalCli, startDevServer, type DevServer } from '../../workflows/dev-server';

/** host:port of the run's Temporal server (set by globalSetup; Jest workers inherit it). */
export const TEMPORAL_SERVER_ENV = 'GODOWN_TEST_TEMPORAL_ADDRESS';
/** Why there is no server, when there is none. */
export const TEMPORAL_MISSING_ENV = 'GODOWN_TEST_TEMPORAL_MISSING';

const ROOT = path.resolve(__dirname, '../..');

/** Test files that run against the real server: those that use describeWithTemporalServer. */
function realServerTestFiles(): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.ts') && readFileSync(full, 'utf8').includes('describeWithTemporalServer(')) found.push(full);
    }
  };
  walk(path.join(ROOT, 'test'));
  return found;
}

interface PathPatterns {
  isSet(): boolean;
  toExecutor(options: { rootDir: string }): { isMatch(absolutePath: string): boolean };
}

/** Whether the run may include a real-server suite (no path pattern, or one that matches such a file). */
export function runNeedsTemporal(globalConfig: { testPathPatterns?: PathPatterns; rootDir?: string } | undefined): boolean {
  const patterns = globalConfig?.testPathPatterns;
  if (!patterns || !patterns.isSet()) return true;
  const executor = patterns.toExecutor({ rootDir: globalConfig?.rootDir ?? ROOT });
  return realServerTestFiles().some((file) => executor.isMatch(file));
}

interface StartedServer {
  server: DevServer;
  folder: string;
}

/** Called by globalSetup: starts the run's server (or records why there is none). */
export async function startRunTemporal(globalConfig: Parameters<typeof runNeedsTemporal>[0]): Promise<StartedServer | null> {
  if (process.env.TEMPORAL_ADDRESS) {
    process.env[TEMPORAL_SERVER_ENV] = process.env.TEMPORAL_ADDRESS;
    return null;
  }
  if (!runNeedsTemporal(globalConfig)) return null;
  const executable = installedTemporalCli(ROOT);
  if (executable === null) {
    process.env[TEMPORAL_MISSING_ENV] = 'the Temporal CLI is not installed in .tools/ (run `bash scripts/temporal-cli.sh`) and TEMPORAL_ADDRESS is not set';
    return null;
  }
  const folder = mkdtempSync(path.join(tmpdir(), 'godown-test-temporal-'));
  let output = '';
  const server = await startDevServer({ executable, dbFilename: path.join(folder, 'temporal.db'), uiPort: null, onOutput: (text) => (output = (output + text).slice(-8_000)) });
  server.onUnexpectedExit((exit) => {
    process.stderr.write(`\nthe test Temporal server stopped unexpectedly (code ${exit.code}, signal ${exit.signal}):\n${output}\n`);
  });
  process.env[TEMPORAL_SERVER_ENV] = server.address;
  return { server, folder };
}

export async function stopRunTemporal(started: StartedServer | null | undefined): Promise<void> {
  if (!started) return;
  await started.server.stop();
  rmSync(started.folder, { recursive: true, force: true });
}
