import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { SecretBox, SecretBoxError } from '../prisma/secret-box';

const key = Buffer.alloc(32, 1).toString('base64');

test('property: whatever is sealed opens to itself under the same key and record, and under no other record', () => {
  const box = SecretBox.fromBase64(key);
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.uuid(), fc.uuid(), (secret, id, otherId) => {
      const sealed = box.seal(secret, id);
      if (secret.length >= 8) expect(sealed.includes(secret) || sealed.includes(Buffer.from(secret).toString('base64url'))).toBe(false);
      expect(box.open(sealed, id)).toBe(secret);
      if (otherId !== id) expect(() => box.open(sealed, otherId)).toThrow(SecretBoxError);
    }),
  );
});

test('two seals of one secret differ (a fresh nonce each time); any altered part does not open', () => {
  const box = SecretBox.fromBase64(key);
  const a = box.seal('whsec_abc', 'r1');
  expect(box.seal('whsec_abc', 'r1')).not.toBe(a);
  const parts = a.split('.');
  for (const index of [3, 4, 5]) {
    const altered = [...parts];
    const bytes = Buffer.from(altered[index], 'base64url');
    bytes[0] ^= 1;
    altered[index] = bytes.toString('base64url');
    expect(() => box.open(altered.join('.'), 'r1')).toThrow('the sealed secret does not open: it was altered, or belongs to another record');
  }
  expect(() => box.open('whsec_abc', 'r1')).toThrow('not a sealed secret');
  expect(() => SecretBox.fromBase64(Buffer.alloc(32, 2).toString('base64')).open(a, 'r1')).toThrow(/^sealed with key [0-9a-f]{16}, but the configured key is [0-9a-f]{16}/);
});

test('a key must be exactly 32 bytes of base64', () => {
  expect(() => SecretBox.fromBase64(Buffer.alloc(16).toString('base64'))).toThrow('the secret key must be 32 bytes in base64');
  expect(() => SecretBox.fromBase64('not base64 at all, not at all, not at all!!!')).toThrow(SecretBoxError);
  expect(SecretBox.fromBase64(key).keyId).toMatch(/^[0-9a-f]{16}$/);
});

test('without a configured key, a key file is made once (mode 0600) and the same key is used at every later start', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'godown-key-'));
  try {
    const file = path.join(dir, 'data', 'secret.key');
    const first = SecretBox.fromKeyFile(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    const sealed = first.seal('whsec_x', 'r');
    const again = SecretBox.fromKeyFile(file);
    expect(again.keyId).toBe(first.keyId);
    expect(again.open(sealed, 'r')).toBe('whsec_x');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
