// `npm run bootstrap -- --name "Acme Bank" --email admin@acme.example --admin-name "Ada Admin"`
// Creates the first organisation, a LENDER, with its ADMIN (the parent account), and prints the admin's
// one-time invitation, not an API key: whoever runs this command (an operator) hands the token to the
// admin, who claims their own key with POST /invitations/claim, or opens the printed console link
// (GODOWN_PUBLIC_URL/accept-invitation#token=…) to set a password and sign in. The token works once and expires in
// INVITATION_VALIDITY_HOURS, so a copy left in a terminal or a ticket is worthless once claimed, and a
// claim by anyone else shows (the admin's own claim is refused). Every other organisation is onboarded by
// a lender through the API (POST /organisations); a LENDER is never created through the API.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { invitationLinkOf, loadConfig } from '../api/config';
import { createPrismaClient, inTransaction } from '../prisma/client';
import { openDatabase } from '../prisma/database';
import { createOrganisationWithAdmin } from '../prisma/identity/store';
import { applyMigrations } from '../prisma/migrate';

const Args = z.object({
  kind: z.literal('LENDER', 'must be LENDER: sellers, warehouses and buyers are onboarded by a lender (POST /organisations)').default('LENDER'),
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
    console.error('usage: npm run bootstrap -- [--kind LENDER] --name NAME --email EMAIL --admin-name NAME');
    process.exit(2);
  }
  const args = parsed.data;
  const config = loadConfig(process.env);
  const database = await openDatabase(config, () => undefined);
  const prisma = createPrismaClient(database.url, { poolMax: 2 });
  try {
    await applyMigrations(database.url);
    const created = await inTransaction(prisma, (tx) =>
      createOrganisationWithAdmin(tx, { kind: args.kind, name: args.name, admin: { email: args.email, name: args['admin-name'] } }, null, new Date()),
    );
    console.log(`organisation ${created.organisationId} (${args.kind}) created`);
    console.log(`admin user   ${created.adminUserId} <${args.email.toLowerCase()}>`);
    console.log(`invitation   ${created.invitation.id}, expires ${created.invitation.expiresAt.toISOString()}`);
    console.log('Give this token to the admin only (shown once, never stored); they claim their API key with');
    console.log(`POST /invitations/claim {"token": "…"}:\n${created.invitation.token}`);
    console.log('or open this link to set their password and sign in to the console:');
    console.log(invitationLinkOf(config, created.invitation.token));
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
