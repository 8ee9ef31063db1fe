/**
 * Runs pgbench with custom scripts (weighted, as `--file=script@weight`)
 * against a database and reads its rate, overall and per script.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PgbenchRun {
  transactionsPerSecond: number;
  transactionsProcessed: number;
  failedTransactions: number;
  /** Transactions processed by each script, in the order given. */
  transactionsPerScript: number[];
}

export interface PgbenchScript {
  script: string;
  /** How often pgbench picks it, relative to the others (a non-negative integer). */
  weight: number;
}

/** pgbench's own limit on -f scripts. */
export const PGBENCH_SCRIPTS_MAX = 128;

export interface PgbenchOptions {
  databaseUrl: string;
  scripts: PgbenchScript[];
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
  if (options.scripts.length === 0 || options.scripts.length > PGBENCH_SCRIPTS_MAX) {
    throw new Error(`pgbench takes 1 to ${PGBENCH_SCRIPTS_MAX} scripts; got ${options.scripts.length}`);
  }
  for (const { weight } of options.scripts) {
    if (!Number.isInteger(weight) || weight < 0) throw new Error(`a pgbench script weight is a non-negative integer; got ${weight}`);
  }
  const folder = mkdtempSync(path.join(tmpdir(), 'godown-pgbench-'));
  const scriptArguments = options.scripts.map(({ script, weight }, index) => {
    const scriptPath = path.join(folder, `script-${index + 1}.sql`);
    writeFileSync(scriptPath, script);
    return `--file=${scriptPath}@${weight}`;
  });
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
        ...scriptArguments,
        `--host=${url.hostname}`,
        `--port=${url.port || '5432'}`,
        `--username=${decodeURIComponent(url.username)}`,
        url.pathname.slice(1),
      ],
      { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
    );
    return parseOutput(output, options.scripts.length);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function parseOutput(output: string, scriptCount: number): PgbenchRun {
  const tps = /^tps = ([\d.]+) \(without initial connection time\)/m.exec(output);
  const processed = /^number of transactions actually processed: (\d+)/m.exec(output);
  const failed = /^number of failed transactions: (\d+)/m.exec(output);
  if (!tps || !processed) throw new Error(`pgbench printed no rate:\n${output}`);
  const transactionsProcessed = Number(processed[1]);
  // With several scripts pgbench reports each: "SQL script N: …" then " - T transactions (…".
  const perScript = [...output.matchAll(/^SQL script (\d+): .*\n(?: - .*\n)*? - (\d+) transactions /gm)];
  const transactionsPerScript = Array.from({ length: scriptCount }, (_, index) =>
    scriptCount === 1 ? transactionsProcessed : Number(perScript.find((match) => Number(match[1]) === index + 1)?.[2] ?? 0),
  );
  if (transactionsPerScript.reduce((sum, count) => sum + count, 0) !== transactionsProcessed) {
    throw new Error(`pgbench's per-script counts do not add up to ${transactionsProcessed}:\n${output}`);
  }
  return {
    transactionsPerSecond: Number(tps[1]),
    transactionsProcessed,
    failedTransactions: failed ? Number(failed[1]) : 0,
    transactionsPerScript,
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
