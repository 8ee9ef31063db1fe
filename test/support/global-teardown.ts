import type { EmbeddedDatabase } from '../../prisma/embedded';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __godownEmbedded?: EmbeddedDatabase }).__godownEmbedded?.stop();
}
