/**
 * Deterministic identifiers for the workflow harness.
 *
 * Temporal Core seeds a workflow's deterministic randomness (Math.random, uuid4 inside the
 * workflow) from its original run id: `SipHasher13::new()` (keys 0, 0) over Rust's `str` hashing
 * (the UTF-8 bytes then 0xff) — see sdk-core `str_to_randomness_seed` in workflow_machines.rs.
 * The harness does the same, so a workflow sees the same random values in the harness as when a
 * synthesised history is replayed by Core. Run ids are derived from the workflow id so that
 * histories, and therefore fixtures, are reproducible byte for byte.
 */

const MASK_64 = (1n << 64n) - 1n;

function rotateLeft64(value: bigint, bits: bigint): bigint {
  return ((value << bits) | (value >> (64n - bits))) & MASK_64;
}

/** SipHash-1-3 with both keys zero, as `siphasher::sip::SipHasher13::new()`. */
export function sipHash13(bytes: Uint8Array): bigint {
  let v0 = 0x736f6d6570736575n;
  let v1 = 0x646f72616e646f6dn;
  let v2 = 0x6c7967656e657261n;
  let v3 = 0x7465646279746573n;
  const sipRound = (): void => {
    v0 = (v0 + v1) & MASK_64;
    v1 = rotateLeft64(v1, 13n) ^ v0;
    v0 = rotateLeft64(v0, 32n);
    v2 = (v2 + v3) & MASK_64;
    v3 = rotateLeft64(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK_64;
    v3 = rotateLeft64(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK_64;
    v1 = rotateLeft64(v1, 17n) ^ v2;
    v2 = rotateLeft64(v2, 32n);
  };
  const readWordLE = (offset: number, length: number): bigint => {
    let word = 0n;
    for (let i = 0; i < length; i++) word |= BigInt(bytes[offset + i]) << BigInt(8 * i);
    return word;
  };
  const fullWordsEnd = bytes.length - (bytes.length % 8);
  for (let offset = 0; offset < fullWordsEnd; offset += 8) {
    const m = readWordLE(offset, 8);
    v3 ^= m;
    sipRound();
    v0 ^= m;
  }
  const last = readWordLE(fullWordsEnd, bytes.length % 8) | (BigInt(bytes.length & 0xff) << 56n);
  v3 ^= last;
  sipRound();
  v0 ^= last;
  v2 ^= 0xffn;
  sipRound();
  sipRound();
  sipRound();
  return v0 ^ v1 ^ v2 ^ v3;
}

function hashRustStr(text: string): bigint {
  const utf8 = new TextEncoder().encode(text);
  const withTerminator = new Uint8Array(utf8.length + 1);
  withTerminator.set(utf8);
  withTerminator[utf8.length] = 0xff;
  return sipHash13(withTerminator);
}

/** The randomness seed Core derives from a run id (`str_to_randomness_seed`). */
export function coreRandomnessSeed(originalExecutionRunId: string): bigint {
  return hashRustStr(originalExecutionRunId);
}

/** A u64 as 8 big-endian bytes: what the Worker passes as `randomnessSeed` (Long#toBytes()). */
export function u64ToBytesBE(value: bigint): number[] {
  const bytes: number[] = [];
  for (let shift = 56n; shift >= 0n; shift -= 8n) bytes.push(Number((value >> shift) & 0xffn));
  return bytes;
}

/** A UUID-shaped run id derived from the workflow id and the run's position in its chain. */
export function deterministicRunId(workflowId: string, runNumber: number): string {
  const high = hashRustStr(`${workflowId}#run-${runNumber}`).toString(16).padStart(16, '0');
  const low = hashRustStr(`${workflowId}#run-${runNumber}#low`).toString(16).padStart(16, '0');
  const hex = high + low;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
