/**
 * Workflow code must bundle with the SDK's bundler, which refuses non-deterministic imports
 * (Node built-ins, database drivers). Production workflows go through the same check at Worker start.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import path from 'node:path';
import { sampleWorkflowsPath } from '../../workflow-harness/fixture-scenarios';

const badWorkflowDir = path.join(__dirname, '..', '..', 'fixtures', 'bad-workflow');
const logger = new DefaultLogger('ERROR');
const disallowedModulesMessage = 'Your Workflow code (or a library used by your Workflow code) is importing the following disallowed modules:';

describe('bundleWorkflowCode', () => {
  it('accepts the sample workflow file (only @temporalio/workflow and deterministic code)', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: sampleWorkflowsPath, logger });

    for (const workflowType of ['releaseAfterApproval', 'chargeWithRetry', 'reserveViaChild', 'countDownRuns']) {
      expect(code).toContain(`async function ${workflowType}(`);
    }
  });

  it("rejects a workflow that imports 'fs'", async () => {
    const bundling = bundleWorkflowCode({ workflowsPath: path.join(badWorkflowDir, 'imports-fs.ts'), logger });

    await expect(bundling).rejects.toThrow(`${disallowedModulesMessage}\n  - 'fs'\n`);
  });

  it("rejects a workflow that imports 'pg' (through the Node built-ins it needs)", async () => {
    const bundling = bundleWorkflowCode({ workflowsPath: path.join(badWorkflowDir, 'imports-pg.ts'), logger });

    const error = await bundling.then(
      () => new Error('bundling succeeded'),
      (rejection: unknown) => rejection as Error,
    );
    expect(error.message.startsWith(disallowedModulesMessage)).toBe(true);
    expect(error.message).toContain("\n  - 'net'\n");
    expect(error.message).toContain("\n  - 'tls'\n");
  });
});
