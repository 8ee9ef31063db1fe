import type { Server } from 'node:http';
import { inTransaction } from '../../prisma/client';
import { createOrganisationWithAdmin } from '../../prisma/identity/store';
import { runDemo, DemoStopped } from '../../scripts/demo';
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';

async function listen(api: TestApi): Promise<{ baseUrl: string; server: Server }> {
  return new Promise((resolve) => {
    const server = api.app.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, server });
    });
  });
}

function bootstrapLender(api: TestApi) {
  return async (name: string, email: string) =>
    (await inTransaction(api.db.prisma, (tx) => createOrganisationWithAdmin(tx, { kind: 'LENDER', name, admin: { email, name: 'Demo admin' } }, null, new Date()))).invitation.token;
}

test('the demo tells the canonical story with exact figures, workflows included', async () => {
  let harness: HarnessTemporal | undefined;
  const api = await createTestApi({ temporal: (url) => (harness = new HarnessTemporal({ databaseUrl: url })), poolMax: 10 });
  const { baseUrl, server } = await listen(api);
  const lines: string[] = [];
  try {
    await runDemo({
      baseUrl,
      bootstrapLender: bootstrapLender(api),
      print: (line) => lines.push(line),
      // Between polls, let each workflow's virtual clock move on (the sale workflow checks the release hourly).
      pause: async () => {
        for (const id of harness!.workflowIds) {
          await harness!.handle(id).settled();
          await harness!.handle(id).advanceTime(60 * 60_000);
        }
      },
    });
  } finally {
    server.close();
    await api.close();
  }
  const story = lines.join('\n');
  // 20 000 kg × 1.20 USD/kg = 24 000.00 market value; × (1 − 0) × 0.5 = 12 000.00 borrowing base.
  expect(story).toContain('Market value 24 000.00 USD; borrowing base 12 000.00 USD; availability 12 000.00 USD.');
  expect(story).toContain('disbursed: loan principal 12 000.00 USD');
  // Sale 20 000 kg × 1.30 = 26 000.00. Fee = 30 days × 0.002 USD/kg/day × 20 000 kg = 1 200.00;
  // no interest accrued yet; principal 12 000.00; seller 26 000.00 − 1 200.00 − 12 000.00 = 12 800.00.
  expect(story).toContain('fees 1 200.00 USD → interest 0.00 USD → principal 12 000.00 USD → payable to the seller 12 800.00 USD.');
  expect(story).toContain('the sale is CLOSED');
  expect(story).toMatch(/LOAN_PRINCIPAL\s+0(\.00)? USD →\s+0\.00 USD/);
  expect(story).toMatch(/SELLER_PAYABLE\s+0\.00 USD →\s+12 800\.00 USD/);
}, 120_000);

test('without Temporal the demo says so plainly and stops at the first step that needs it', async () => {
  const api = await createTestApi();
  const { baseUrl, server } = await listen(api);
  const lines: string[] = [];
  try {
    await expect(
      runDemo({ baseUrl, bootstrapLender: bootstrapLender(api), print: (line) => lines.push(line), pause: async () => undefined }),
    ).rejects.toThrow(DemoStopped);
    await expect(
      runDemo({ baseUrl, bootstrapLender: bootstrapLender(api), print: () => undefined, pause: async () => undefined }),
    ).rejects.toThrow('Stopped: this operation runs as a Temporal workflow and Temporal is unavailable: no Temporal server in tests');
  } finally {
    server.close();
    await api.close();
  }
  expect(lines[0]).toContain('Temporal unavailable (no Temporal server in tests)');
  expect(lines.at(-1)).toContain('borrowing base 12 000.00 USD');
});
