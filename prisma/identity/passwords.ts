/**
 * Password hashing: scrypt (RFC 7914) from node:crypto, memory-hard and
 * maintained with Node itself. A stored hash names its version and
 * parameters, so that they can be raised later: a hash made with weaker
 * parameters still verifies and is replaced at the user's next sign-in.
 *
 *   $scrypt$v=1$ln=15,r=8,p=1$<salt, 16 bytes base64url>$<key, 32 bytes base64url>
 *
 * N = 2^15, r = 8, p = 1 use 128·N·r = 32 MiB per hash (OWASP's minimum for
 * scrypt is N = 2^17 with r = 8 at 128 MiB; on a 2-core machine shared by a
 * pool of four libuv threads, 32 MiB keeps four concurrent sign-ins at 128 MiB).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParameters {
  /** log2 of the cost N. */
  ln: number;
  r: number;
  p: number;
}

export const PASSWORD_HASH_VERSION = 1;
export const CURRENT_SCRYPT: ScryptParameters = { ln: 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// The limits a stored hash may ask for: a hash string is data, and a forged one must not exhaust memory.
const LN_MAX = 20;
const R_MAX = 16;
const P_MAX = 4;

const HASH_PATTERN = /^\$scrypt\$v=(\d+)\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function derive(password: string, salt: Buffer, parameters: ScryptParameters, keyBytes: number): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** parameters.ln,
    r: parameters.r,
    p: parameters.p,
    // Node's default ceiling (32 MiB) is exactly what N = 2^15, r = 8 needs and is refused; allow twice the need.
    maxmem: 2 * 128 * 2 ** parameters.ln * parameters.r * parameters.p + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string, parameters: ScryptParameters = CURRENT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, parameters, KEY_BYTES);
  return `$scrypt$v=${PASSWORD_HASH_VERSION}$ln=${parameters.ln},r=${parameters.r},p=${parameters.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

interface ParsedHash {
  parameters: ScryptParameters;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const match = HASH_PATTERN.exec(stored);
  if (!match || Number(match[1]) !== PASSWORD_HASH_VERSION) return null;
  const parameters = { ln: Number(match[2]), r: Number(match[3]), p: Number(match[4]) };
  if (parameters.ln < 1 || parameters.ln > LN_MAX || parameters.r < 1 || parameters.r > R_MAX || parameters.p < 1 || parameters.p > P_MAX) return null;
  return { parameters, salt: Buffer.from(match[5], 'base64url'), key: Buffer.from(match[6], 'base64url') };
}

// Verified when the account has no password (unknown email, or invitation not yet accepted), so that
// the answer takes as long as for a wrong password and timing does not tell which emails exist.
let dummyHash: Promise<string> | null = null;
function dummyHashOnce(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}

export interface PasswordCheck {
  matches: boolean;
  /** The hash was made with other parameters than CURRENT_SCRYPT: store a new one now that the password is known. */
  needsRehash: boolean;
}

/** Compares in constant time; `stored` null runs the same work against a dummy hash and never matches. */
export async function verifyPassword(password: string, stored: string | null): Promise<PasswordCheck> {
  const parsed = parseHash(stored ?? '') ?? parseHash(await dummyHashOnce());
  if (!parsed) throw new Error('the dummy password hash must parse');
  const key = await derive(password, parsed.salt, parsed.parameters, parsed.key.length);
  const matches = stored !== null && parseHash(stored) !== null && timingSafeEqual(key, parsed.key);
  const current = parsed.parameters.ln === CURRENT_SCRYPT.ln && parsed.parameters.r === CURRENT_SCRYPT.r && parsed.parameters.p === CURRENT_SCRYPT.p;
  return { matches, needsRehash: matches && !current };
}
