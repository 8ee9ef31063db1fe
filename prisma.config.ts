import { defineConfig } from 'prisma/config';

// Only `prisma generate` uses this file; migrations are applied by scripts/migrate.ts
// (Prisma's schema-engine binary cannot be downloaded on our build machines).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/godown' },
});
