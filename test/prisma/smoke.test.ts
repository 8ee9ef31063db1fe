import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

test('audit records cannot be updated or deleted', async () => {
  const [org] = await db.sql<{ id: string }>(`INSERT INTO organisation (id, kind, name) VALUES (gen_random_uuid(), 'LENDER', 'L') RETURNING id`);
  await db.prisma.auditRecord.create({
    data: { organisationId: org.id, action: 'x', targetType: 't', targetId: '1' },
  });
  await expect(db.sql(`UPDATE audit_record SET action = 'y'`)).rejects.toThrow(/append-only/);
  await expect(db.sql(`DELETE FROM audit_record`)).rejects.toThrow(/append-only/);
  expect(await db.prisma.auditRecord.count()).toBe(1);
});
