/**
 * Runs the whole-system simulation: fast-check generates sequences of commands (./commands.ts),
 * each run in a fresh world (./world.ts) with asyncModelRun, the invariants checked after every
 * step. On failure fast-check shrinks the sequence (each attempt a fresh world, within a time
 * budget) and the report gives the seed, the path and the shrunk sequence, with the replayPath
 * that replays it exactly: `npm run simulate -- --seed S --path P --replay-path R`.
 */
import fc from 'fast-check';
import { commandArbitraries, emptyModel, type Model, type SimCommand } from './commands';
import { DAY_COUNTS, type DayCount } from '../../domain/day-count';
import { World } from './world';

export interface SimulationOptions {
  /** Sequences to generate. */
  runs: number;
  seed: number;
  /** With `seed`, replays one counterexample (as printed). */
  path?: string;
  /** fast-check's replayPath for the commands (as printed in the counterexample). */
  replayPath?: string;
  /** Commands per sequence at most. */
  maxCommands?: number;
  /** Wall-clock budget for the whole check, shrinking included; past it no new sequence starts and it reports what it has. */
  timeLimitMs?: number;
  /** Invariant names not to check (exploration past a known defect only; CI ignores none). */
  ignoreInvariants?: string[];
  /** Command class names not to generate (exploration past a known defect only; CI generates all). */
  withoutCommands?: string[];
  /** Progress line per finished sequence. */
  onRunDone?: (index: number, ms: number, commands: number) => void;
}

export interface SimulationResult {
  failed: boolean;
  /** Sequences generated and run (before shrinking), as fast-check counts them. */
  numRuns: number;
  /** Sequences really run, shrinking attempts included (past the budget none is). */
  sequencesRun: number;
  numShrinks: number;
  seed: number;
  /** fast-check's report: seed, path, shrunk counterexample (commands' toString and replayPath) and the error. */
  report: string;
  /** The error of the shrunk counterexample: which invariants broke, and how. */
  error: string | null;
  durationMs: number;
}

/**
 * Runs one explicit sequence (a counterexample found by a long run, written out as commands) in a
 * fresh world with every invariant checked after every step. Unlike a replay path, it does not
 * depend on how the arbitraries generate commands, so it stays valid as commands are added.
 */
export async function runSequence(commands: readonly SimCommand[], options: { dayCount?: DayCount } = {}): Promise<void> {
  const world = await World.create(options);
  try {
    await fc.asyncModelRun(async () => ({ model: emptyModel(), real: world }), [...commands]);
  } finally {
    await world.close();
  }
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const startedAt = Date.now();
  // The budget is checked before a sequence starts, never during one: a sequence is never abandoned
  // half-way (fast-check's interruptAfterTimeLimit would leave its world running). Past the budget,
  // sequences are not run (they pass), so shrinking ends with the smallest failure found so far.
  const deadline = options.timeLimitMs === undefined ? Infinity : startedAt + options.timeLimitMs;
  let finished = 0;
  const property = fc.asyncProperty(
    fc.commands<Model, World, false>(commandArbitraries(options.withoutCommands), { maxCommands: options.maxCommands ?? 30, size: 'max', replayPath: options.replayPath }),
    fc.constantFrom(...DAY_COUNTS),
    async (commands, dayCount) => {
      if (Date.now() > deadline) return;
      const runStartedAt = Date.now();
      const world = await World.create({ dayCount });
      world.ignoredInvariants = new Set(options.ignoreInvariants ?? []);
      let count = 0;
      try {
        await fc.asyncModelRun(async () => ({ model: emptyModel(), real: world }), [...commands].map((c) => (count++, c)));
      } finally {
        await world.close();
        // Counted apart from the callback: `f?.(++n)` does not evaluate its arguments when f is undefined.
        finished += 1;
        options.onRunDone?.(finished, Date.now() - runStartedAt, count);
      }
    },
  );
  const details = await fc.check(property, {
    numRuns: options.runs,
    seed: options.seed,
    path: options.path,
  });
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : details.errorInstance === null ? null : String(details.errorInstance);
  return {
    failed: details.failed,
    numRuns: details.numRuns,
    sequencesRun: finished,
    numShrinks: details.numShrinks,
    seed: details.seed,
    report: details.failed ? (fc.defaultReportMessage(details) ?? '') : `${finished} sequences run, no invariant broken (seed ${details.seed})`,
    error,
    durationMs: Date.now() - startedAt,
  };
}
