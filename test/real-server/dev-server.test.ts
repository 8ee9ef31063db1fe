/**
 * What `npm start` does without TEMPORAL_ADDRESS: runs `temporal server start-dev` from the
 * pinned CLI as its child (workflows/dev-server.ts), its SQLite file under GODOWN_DATA_DIR so
 * that workflows survive a restart, the Web UI on its configured port, stopped on close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { ConnectedTemporal, connectTemporal } from '../../workflows/connection';
import { freePort, installedTemporalCli, startDevServer } from '../../workflows/dev-server';
import { describeWithTemporalServer } from '../support/wf-server';

const ROOT = path.resolve(__dirname, '../..');

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describeWithTemporalServer('the development server npm start runs', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'godown-dev-server-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  test('a workflow started before a stop is still running after a restart on the same database file', async () => {
    const executable = installedTemporalCli(ROOT);
    expect(executable).not.toBeNull();
    const dbFilename = path.join(folder, 'data', 'temporal', 'temporal.db');
    const first = await startDevServer({ executable: executable!, dbFilename, uiPort: null });
    const workflowId = `survives-restart-${Date.now()}`;
    {
      const connection = await Connection.connect({ address: first.address });
      // No worker polls this queue: the workflow waits on the server for one.
      await new Client({ connection }).workflow.start('drawWorkflow', { taskQueue: 'nobody-polls', workflowId, args: [{ drawId: 'none' }] });
      await connection.close();
    }
    await first.stop();
    expect(first.pid()).toBeNull();

    const second = await startDevServer({ executable: executable!, dbFilename, uiPort: null });
    const connection = await Connection.connect({ address: second.address });
    const described = await new Client({ connection }).workflow.getHandle(workflowId).describe();
    expect([described.type, described.status.name, described.taskQueue]).toEqual(['drawWorkflow', 'RUNNING', 'nobody-polls']);
    await connection.close();
    await second.stop();
  }, 60_000);

  test('connectTemporal without an address runs it on the configured ports with the Web UI, and close() stops it', async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    const temporal = await connectTemporal(
      { namespace: 'default', taskQueue: 'godown-dev', devServer: 'auto', dataDir: path.join(folder, 'service'), devServerPort: port, devServerUiPort: uiPort },
      pino({ level: 'silent' }),
    );
    expect(temporal).toBeInstanceOf(ConnectedTemporal);
    expect((temporal as ConnectedTemporal).webUiUrl).toBe(`http://127.0.0.1:${uiPort}`);
    expect(await temporal.probe(5_000)).toEqual({ available: true, address: `127.0.0.1:${port}`, namespace: 'default', reason: null });
    expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    await temporal.close();
    expect(await listening(port)).toBe(false);
  }, 60_000);
});
