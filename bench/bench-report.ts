/**
 * What the benchmarks share for
 * reporting: the machine and its load (the machine is shared, so every figure
 * is printed next to the load average it was measured under), medians and
 * percentiles, and writing bench/results/<name>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function machine(): Record<string, unknown> {
  return {
    nproc: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    platform: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

/** The 1, 5 and 15 minute load averages, rounded, as `uptime` shows them. */
export function loadAverage(): [number, number, number] {
  const [one, five, fifteen] = os.loadavg();
  return [round(one, 2), round(five, 2), round(fifteen, 2)];
}

export function loadText(load: readonly number[] = loadAverage()): string {
  return `load ${load.map((value) => value.toFixed(2)).join(' ')}`;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Nearest-rank percentile (p in 0–100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function positiveInteger<F extends number | undefined>(env: NodeJS.ProcessEnv, name: string, fallback: F): number | F {
  const text = env[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer; got "${text}"`);
  return value;
}

export function writeResults(name: string, report: Record<string, unknown>, log: (message: string) => void): void {
  const resultsPath = path.join(__dirname, 'results', `${name}.json`);
  mkdirSync(path.dirname(resultsPath), { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), resultsPath)}`);
}

/** Runs a benchmark's main; a failure prints its stack and exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  });
}
