/**
 * Runs pgbench with a custom script against a database and reads its rate.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PgbenchRun {
  transactionsPerSecond: number;
  transactionsProcessed: number;
  failedTransactions: number;
}

export interface PgbenchOptions {
  databaseUrl: string;
  script: string;
  clients: number;
  durationSeconds: number;
  /** pgbench -M: how statements are sent. */
  queryMode: 'simple' | 'extended' | 'prepared';
}

export function pgbenchPath(): string {
  return process.env.PGBENCH ?? '/usr/bin/pgbench';
}

export async function pgbenchVersion(): Promise<string> {
  return (await run(pgbenchPath(), ['--version'], process.env)).trim();
}

export async function runPgbench(options: PgbenchOptions): Promise<PgbenchRun> {
  const folder = mkdtempSync(path.join(tmpdir(), 'godown-pgbench-'));
  const scriptPath = path.join(folder, 'script.sql');
  writeFileSync(scriptPath, options.script);
  const url = new URL(options.databaseUrl);
  try {
    const output = await run(
      pgbenchPath(),
      [
        '--no-vacuum',
        `--protocol=${options.queryMode}`,
        `--client=${options.clients}`,
        // One thread, as our side is one Node process with one event loop.
        '--jobs=1',
        `--time=${options.durationSeconds}`,
        `--file=${scriptPath}`,
        `--host=${url.hostname}`,
        `--port=${url.port || '5432'}`,
        `--username=${decodeURIComponent(url.username)}`,
        url.pathname.slice(1),
      ],
      { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
    );
    return parseOutput(output);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function parseOutput(output: string): PgbenchRun {
  const tps = /^tps = ([\d.]+) \(without initial connection time\)/m.exec(output);
  const processed = /^number of transactions actually processed: (\d+)/m.exec(output);
  const failed = /^number of failed transactions: (\d+)/m.exec(output);
  if (!tps || !processed) throw new Error(`pgbench printed no rate:\n${output}`);
  return {
    transactionsPerSecond: Number(tps[1]),
    transactionsProcessed: Number(processed[1]),
    failedTransactions: failed ? Number(failed[1]) : 0,
  };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}\n${stderr}`);
    });
  });
}
