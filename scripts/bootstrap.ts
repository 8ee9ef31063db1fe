// `npm run bootstrap -- --kind LENDER --name "Acme Bank" --email admin@acme.example --admin-name "Ada Admin"`
// Creates an organisation and its ADMIN (the parent account) and prints the admin's API key, once.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../api/config';
import { createPrismaClient, inTransaction } from '../prisma/client';
import { openDatabase } from '../prisma/database';
import { createOrganisationWithAdmin } from '../prisma/identity/store';
import { applyMigrations } from '../prisma/migrate';

const Args = z.object({
  kind: z.enum(['LENDER', 'WAREHOUSE', 'SELLER', 'BUYER']),
  name: z.string().trim().min(1),
  email: z.email(),
  'admin-name': z.string().trim().min(1),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { kind: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' }, 'admin-name': { type: 'string' } },
  });
  const parsed = Args.safeParse(values);
  if (!parsed.success) {
    console.error(parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'));
    console.error('usage: npm run bootstrap -- --kind LENDER|WAREHOUSE|SELLER|BUYER --name NAME --email EMAIL --admin-name NAME');
    process.exit(2);
  }
  const args = parsed.data;
  const config = loadConfig(process.env);
  const database = await openDatabase(config, () => undefined);
  const prisma = createPrismaClient(database.url, { poolMax: 2 });
  try {
    await applyMigrations(database.url);
    const created = await inTransaction(prisma, (tx) =>
      createOrganisationWithAdmin(tx, { kind: args.kind, name: args.name, admin: { email: args.email, name: args['admin-name'] } }, null),
    );
    console.log(`organisation ${created.organisationId} (${args.kind}) created`);
    console.log(`admin user   ${created.adminUserId} <${args.email.toLowerCase()}>`);
    console.log(`API key (shown once, store it now):\n${created.key.apiKey}`);
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
