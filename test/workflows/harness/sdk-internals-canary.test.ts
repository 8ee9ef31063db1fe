/**
 * Canary for the SDK internals the offline workflow harness stands on. When an upgrade of
 * @temporalio/* moves or reshapes them, this fails with a message saying what moved, before the
 * harness fails in some confusing way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { coresdk } from '@temporalio/proto';
import { sdkProtobufjsIsDeduplicated } from '../../support/wf-history';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const harnessFile = 'test/support/workflow-harness.ts (and its wf-*.ts siblings)';

function internalsChanged(packageName: string, what: string): Error {
  return new Error(`${packageName} internals changed: ${what} — update ${harnessFile}`);
}

function requireInternal(packageName: string, modulePath: string): Record<string, unknown> {
  try {
    return require(modulePath) as Record<string, unknown>;
  } catch (error) {
    throw internalsChanged(packageName, `module '${modulePath}' no longer loads (${(error as Error).message})`);
  }
}

function expectFunction(packageName: string, owner: unknown, name: string, where: string): void {
  const value = (owner as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'function') throw internalsChanged(packageName, `${where}.${name} is no longer a function`);
}

/** Field names of a message type, from the reflection root @temporalio/proto exports. */
function fieldsOf(messageType: unknown): string[] {
  return Object.keys((messageType as { fields?: Record<string, unknown> }).fields ?? {});
}

function expectFields(messageName: string, messageType: unknown, expected: string[]): void {
  const missing = expected.filter((field) => !fieldsOf(messageType).includes(field));
  if (missing.length > 0) {
    throw internalsChanged('@temporalio/proto', `${messageName} lost field(s) ${missing.join(', ')} (activation/command shape)`);
  }
}

function readJson(file: string): { version: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> } {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

describe('installed @temporalio/* packages', () => {
  const manifest = readJson(path.join(repoRoot, 'package.json'));
  const pinned = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }).filter(([name]) =>
    name.startsWith('@temporalio/'),
  );
  const pinnedVersion = pinned[0]?.[1];

  it('are pinned in package.json to one exact version', () => {
    expect(pinned.map(([name]) => name).sort()).toEqual([
      '@temporalio/activity',
      '@temporalio/client',
      '@temporalio/common',
      '@temporalio/testing',
      '@temporalio/worker',
      '@temporalio/workflow',
    ]);
    expect(pinnedVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pinned.filter(([, version]) => version !== pinnedVersion)).toEqual([]);
  });

  it('are all installed at exactly the pinned version, transitive ones and nested copies included', () => {
    const scopeDir = path.join(repoRoot, 'node_modules', '@temporalio');
    const installed = fs.readdirSync(scopeDir).flatMap((name) => {
      const nestedScope = path.join(scopeDir, name, 'node_modules', '@temporalio');
      const nested = fs.existsSync(nestedScope) ? fs.readdirSync(nestedScope).map((child) => path.join(nestedScope, child)) : [];
      return [path.join(scopeDir, name), ...nested];
    });
    const offPin = installed
      .map((dir) => ({ package: path.relative(repoRoot, dir), version: readJson(path.join(dir, 'package.json')).version }))
      .filter(({ version }) => version !== pinnedVersion);

    expect(offPin).toEqual([]);
    for (const [name] of pinned) {
      expect({ name, installed: fs.existsSync(path.join(repoRoot, 'node_modules', name, 'package.json')) }).toEqual({ name, installed: true });
    }
  });
});

describe('SDK internals the workflow harness relies on', () => {
  it('@temporalio/worker: VMWorkflowCreator, VMWorkflow, parseWorkflowCode, bundleWorkflowCode, replay', () => {
    const vm = requireInternal('@temporalio/worker', '@temporalio/worker/lib/workflow/vm');
    const creator = vm.VMWorkflowCreator as { create?: { length: number }; prototype?: Record<string, unknown> } | undefined;
    expectFunction('@temporalio/worker', creator, 'create', 'VMWorkflowCreator');
    if (creator?.create?.length !== 4) {
      throw internalsChanged('@temporalio/worker', `VMWorkflowCreator.create(bundle, isolateExecutionTimeoutMs, registeredActivityNames, patchActivationCallback) now takes ${creator?.create?.length} parameters`);
    }
    expectFunction('@temporalio/worker', creator.prototype, 'createWorkflow', 'VMWorkflowCreator.prototype');
    expectFunction('@temporalio/worker', creator.prototype, 'destroy', 'VMWorkflowCreator.prototype');
    const vmWorkflow = vm.VMWorkflow as { prototype?: Record<string, unknown> } | undefined;
    expectFunction('@temporalio/worker', vmWorkflow?.prototype, 'activate', 'VMWorkflow.prototype');
    expectFunction('@temporalio/worker', vmWorkflow?.prototype, 'dispose', 'VMWorkflow.prototype');
    expectFunction('@temporalio/worker', vmWorkflow?.prototype, 'getAndResetSinkCalls', 'VMWorkflow.prototype');

    expectFunction('@temporalio/worker', requireInternal('@temporalio/worker', '@temporalio/worker/lib/worker'), 'parseWorkflowCode', "'@temporalio/worker/lib/worker'");
    const worker = requireInternal('@temporalio/worker', '@temporalio/worker');
    expectFunction('@temporalio/worker', worker, 'bundleWorkflowCode', "'@temporalio/worker'");
    expectFunction('@temporalio/worker', worker.Worker, 'runReplayHistories', 'Worker');
    expectFunction('@temporalio/worker', worker.Worker, 'runReplayHistory', 'Worker');
  });

  it('@temporalio/workflow: the sandbox Activator handles every job the harness sends', () => {
    const internals = requireInternal('@temporalio/workflow', '@temporalio/workflow/lib/internals');
    const activator = internals.Activator as { prototype?: Record<string, unknown> } | undefined;
    for (const job of [
      'initializeWorkflow',
      'startWorkflow',
      'fireTimer',
      'resolveActivity',
      'signalWorkflow',
      'queryWorkflow',
      'resolveChildWorkflowExecutionStart',
      'resolveChildWorkflowExecution',
    ]) {
      expectFunction('@temporalio/workflow', activator?.prototype, job, 'Activator.prototype');
    }
    const randomHelpers = requireInternal('@temporalio/workflow', '@temporalio/workflow/lib/random-helpers');
    expectFunction('@temporalio/workflow', randomHelpers, 'createUnsafeRandomSource', "'@temporalio/workflow/lib/random-helpers'");
  });

  it('@temporalio/common, @temporalio/testing, @temporalio/proto helpers are where the harness imports them', () => {
    const time = requireInternal('@temporalio/common', '@temporalio/common/lib/time');
    for (const name of ['msToTs', 'tsToMs', 'optionalTsToMs']) expectFunction('@temporalio/common', time, name, "'@temporalio/common/lib/time'");
    const protoUtils = requireInternal('@temporalio/common', '@temporalio/common/lib/proto-utils');
    for (const name of ['historyFromJSON', 'historyToJSON']) expectFunction('@temporalio/common', protoUtils, name, "'@temporalio/common/lib/proto-utils'");
    const patch = requireInternal('@temporalio/proto', '@temporalio/proto/lib/patch-protobuf-root');
    expectFunction('@temporalio/proto', patch, 'patchProtobufRoot', "'@temporalio/proto/lib/patch-protobuf-root'");
    expectFunction('@temporalio/testing', requireInternal('@temporalio/testing', '@temporalio/testing'), 'MockActivityEnvironment', "'@temporalio/testing'");
  });

  it('activation, job, completion and command shapes are the ones the harness builds and reads', () => {
    const { workflow_activation: activation, workflow_completion: completion, workflow_commands: commands } = coresdk;
    expectFields('WorkflowActivation', activation.WorkflowActivation, ['runId', 'timestamp', 'isReplaying', 'historyLength', 'jobs', 'availableInternalFlags']);
    expectFields('WorkflowActivationJob', activation.WorkflowActivationJob, [
      'initializeWorkflow',
      'fireTimer',
      'queryWorkflow',
      'signalWorkflow',
      'resolveActivity',
      'resolveChildWorkflowExecutionStart',
      'resolveChildWorkflowExecution',
    ]);
    expectFields('InitializeWorkflow', activation.InitializeWorkflow, [
      'workflowType',
      'workflowId',
      'arguments',
      'randomnessSeed',
      'headers',
      'identity',
      'parentWorkflowInfo',
      'workflowTaskTimeout',
      'continuedFromExecutionRunId',
      'firstExecutionRunId',
      'originalExecutionRunId',
      'attempt',
      'startTime',
      'rootWorkflow',
    ]);
    expectFields('FireTimer', activation.FireTimer, ['seq']);
    expectFields('ResolveActivity', activation.ResolveActivity, ['seq', 'result']);
    expectFields('SignalWorkflow', activation.SignalWorkflow, ['signalName', 'input', 'identity', 'headers']);
    expectFields('QueryWorkflow', activation.QueryWorkflow, ['queryId', 'queryType', 'arguments', 'headers']);
    expectFields('ResolveChildWorkflowExecutionStart', activation.ResolveChildWorkflowExecutionStart, ['seq', 'succeeded']);
    expectFields('ResolveChildWorkflowExecution', activation.ResolveChildWorkflowExecution, ['seq', 'result']);
    expectFields('ActivityResolution', coresdk.activity_result.ActivityResolution, ['completed', 'failed', 'cancelled']);
    expectFields('ChildWorkflowResult', coresdk.child_workflow.ChildWorkflowResult, ['completed', 'failed']);
    expectFields('WorkflowActivationCompletion', completion.WorkflowActivationCompletion, ['runId', 'successful', 'failed']);
    expectFields('workflow_completion.Success', completion.Success, ['commands', 'usedInternalFlags']);
    expectFields('workflow_completion.Failure', completion.Failure, ['failure']);
    expectFields('WorkflowCommand', commands.WorkflowCommand, [
      'scheduleActivity',
      'requestCancelActivity',
      'startTimer',
      'cancelTimer',
      'startChildWorkflowExecution',
      'completeWorkflowExecution',
      'failWorkflowExecution',
      'continueAsNewWorkflowExecution',
      'cancelWorkflowExecution',
      'respondToQuery',
      'setPatchMarker',
      'upsertWorkflowSearchAttributes',
      'modifyWorkflowProperties',
    ]);
    expectFields('ScheduleActivity', commands.ScheduleActivity, [
      'seq',
      'activityId',
      'activityType',
      'arguments',
      'retryPolicy',
      'taskQueue',
      'startToCloseTimeout',
      'scheduleToCloseTimeout',
      'heartbeatTimeout',
    ]);
    expectFields('StartTimer', commands.StartTimer, ['seq', 'startToFireTimeout']);
    expectFields('StartChildWorkflowExecution', commands.StartChildWorkflowExecution, ['seq', 'workflowId', 'workflowType', 'input', 'namespace']);
    expectFields('QueryResult', commands.QueryResult, ['queryId', 'succeeded', 'failed']);
  });

  it("knows whether @temporalio/common's historyFromJSON works in this install", () => {
    const { historyFromJSON } = require('@temporalio/common/lib/proto-utils') as { historyFromJSON(json: unknown): unknown };
    const minimalHistory = {
      events: [{ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', workflowExecutionStartedEventAttributes: { workflowType: { name: 'x' } } }],
    };
    let outcome: string;
    try {
      historyFromJSON(minimalHistory);
      outcome = 'parses';
    } catch (error) {
      outcome = (error as Error).message;
    }
    // With two copies of protobufjs (common's and proto's), protojson's `instanceof Type` fails;
    // wf-history.ts then uses proto's own copy. Once the lockfile dedupes protobufjs this flips
    // to 'parses' and the fallback there becomes dead code that can go.
    expect(outcome).toBe(sdkProtobufjsIsDeduplicated() ? 'parses' : 'type must be a Type');
  });
});
