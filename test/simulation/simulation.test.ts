/**
 * The whole-system simulation in CI: a fixed set of seeds, each a few random sequences of every
 * role's operations through the API with workflows on a virtual clock, every invariant checked
 * after every step (test/simulation/invariants.ts). A failure prints the seed, the path and the
 * shrunk sequence; replay it with `npm run simulate -- --seed S --path P --replay-path R`.
 * `npm run simulate -- --runs N --seed S` runs longer.
 */
import { runSimulation } from './run';

const SEEDS = [11, 1101, 424242];
const RUNS_PER_SEED = 4;
const BUDGET_PER_SEED_MS = 55_000;

describe('whole-system simulation', () => {
  test.each(SEEDS)('seed %i: every invariant holds after every step of random sequences', async (seed) => {
    const result = await runSimulation({ runs: RUNS_PER_SEED, seed, maxCommands: 15, timeLimitMs: BUDGET_PER_SEED_MS });
    if (result.failed) throw new Error(`${result.report}\n\nshrunk sequence broke:\n${result.error}`);
    expect(result.sequencesRun).toBeGreaterThan(0);
  }, BUDGET_PER_SEED_MS + 30_000);
});
