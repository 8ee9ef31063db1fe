/**
 * The whole-system simulation, longer than CI runs it:
 *
 *   npm run simulate -- --runs 200 --seed 7 [--commands 40] [--minutes 30]
 *   npm run simulate -- --seed S --path P --replay-path R     (replay a printed counterexample)
 *   npm run simulate -- --ignore lotCoversSoldAndAuthorised   (look past a known defect; never in CI)
 *   npm run simulate -- --without FailNextStart,Concurrently  (leave commands out, same purpose)
 *
 * Starts its own embedded PostgreSQL (or uses TEST_DATABASE_URL's server), migrates a template
 * database once, then every sequence gets a fresh clone (test/simulation/run.ts). Exit code 1 and
 * the shrunk sequence when an invariant breaks.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../prisma/embedded';
import { applyMigrations } from '../prisma/migrate';
import { TEMPLATE_DATABASE, TEST_SERVER_ENV } from '../test/support/test-server';
import { INVARIANTS } from '../test/simulation/invariants';
import { runSimulation } from '../test/simulation/run';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '100' },
      seed: { type: 'string' },
      path: { type: 'string' },
      'replay-path': { type: 'string' },
      commands: { type: 'string', default: '40' },
      minutes: { type: 'string', default: '60' },
      ignore: { type: 'string' },
      without: { type: 'string' },
    },
  });
  const seed = values.seed === undefined ? Date.now() ^ (Math.random() * 0x100000000) : Number(values.seed);
  const runs = Number(values.runs);
  if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs < 1) throw new Error('--seed and --runs must be whole numbers (runs ≥ 1)');

  let serverUrl = process.env.TEST_DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  let parent: string | undefined;
  if (!serverUrl) {
    parent = mkdtempSync(path.join(tmpdir(), 'godown-sim-pg-'));
    chmodSync(parent, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(parent, 'data') });
    serverUrl = embedded.serverUrl;
  }
  try {
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
    await admin.end();
    const templateUrl = new URL(serverUrl);
    templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
    await applyMigrations(templateUrl.toString());
    process.env[TEST_SERVER_ENV] = serverUrl;

    const ignored = values.ignore?.split(',').filter((name) => name.length > 0) ?? [];
    const unknown = ignored.filter((name) => !(name in INVARIANTS));
    if (unknown.length > 0) throw new Error(`--ignore: no invariant named ${unknown.join(', ')}; there are ${Object.keys(INVARIANTS).join(', ')}`);
    if (ignored.length > 0) console.log(`NOT CHECKING ${ignored.join(', ')} (exploration only)`);
    if (values.without) console.log(`NOT GENERATING ${values.without} (exploration only)`);
    console.log(`simulating ${runs} sequences of up to ${values.commands} commands, seed ${seed}${values.path ? `, path ${values.path}` : ''}`);
    const result = await runSimulation({
      runs,
      seed,
      path: values.path,
      replayPath: values['replay-path'],
      maxCommands: Number(values.commands),
      ignoreInvariants: values.ignore?.split(',').filter((name) => name.length > 0),
      withoutCommands: values.without?.split(',').filter((name) => name.length > 0),
      timeLimitMs: Number(values.minutes) * 60_000,
      onRunDone: (index, ms, commands) => process.stdout.write(`  sequence ${index}: ${commands} commands in ${(ms / 1000).toFixed(1)} s\n`),
    });
    console.log(`\n${result.report}`);
    if (result.failed) console.log(`\nthe shrunk sequence broke:\n${result.error}`);
    console.log(`\n${result.sequencesRun} sequences run (shrinking included), ${result.numShrinks} shrinks, ${(result.durationMs / 1000).toFixed(0)} s, seed ${result.seed}`);
    return result.failed ? 1 : 0;
  } finally {
    await embedded?.stop();
    if (parent) rmSync(parent, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
