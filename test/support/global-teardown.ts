import type { EmbeddedDatabase } from '../../prisma/embedded';
import { stopRunTemporal } from './temporal-server';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { __godownEmbedded?: EmbeddedDatabase; __godownTemporal?: Parameters<typeof stopRunTemporal>[0] };
  await Promise.all([state.__godownEmbedded?.stop(), stopRunTemporal(state.__godownTemporal)]);
}
