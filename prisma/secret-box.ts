/**
 * Secrets the service must read back itself (a webhook's signing secret: the
 * signature is an HMAC, so the deliverer needs the secret, not a hash of it)
 * are sealed before they are stored, with AES-256-GCM under a key that lives
 * outside the database (GODOWN_SECRET_KEY, or a key file in GODOWN_DATA_DIR
 * made on first start). Whoever reads the database, a backup or a replica
 * reads ciphertext.
 *
 * Sealed form: `gdsealed.v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url).
 * The key id (first 8 bytes of the key's SHA-256, hex) names the key that
 * sealed it, so a service started with another key says so instead of
 * producing wrong signatures. The row's id is bound in as associated data:
 * a sealed secret copied onto another row does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const PREFIX = 'gdsealed.v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;

export class SecretBoxError extends Error {}

export class SecretBox {
  readonly keyId: string;

  private constructor(private readonly key: Buffer) {
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  /** A key given as base64 (GODOWN_SECRET_KEY): exactly 32 bytes. */
  static fromBase64(text: string): SecretBox {
    const key = Buffer.from(text, 'base64');
    if (key.length !== KEY_BYTES || key.toString('base64').replace(/=+$/, '') !== text.trim().replace(/=+$/, '')) {
      throw new SecretBoxError(`the secret key must be ${KEY_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`)`);
    }
    return new SecretBox(key);
  }

  /** A fresh random key, for a process that both seals and opens (tests, benchmarks). */
  static ephemeral(): SecretBox {
    return new SecretBox(randomBytes(KEY_BYTES));
  }

  /**
   * The key in `path`, made (32 random bytes, base64, mode 0600) when the file
   * does not exist yet: the embedded database's default, kept beside its data.
   */
  static fromKeyFile(path: string): SecretBox {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    }
    chmodSync(path, 0o600);
    return SecretBox.fromBase64(readFileSync(path, 'utf8').trim());
  }

  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [PREFIX, this.keyId, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string, boundTo: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 6 || `${parts[0]}.${parts[1]}` !== PREFIX) throw new SecretBoxError('not a sealed secret');
    const [, , keyId, iv, ciphertext, authTag] = parts;
    if (keyId !== this.keyId) {
      throw new SecretBoxError(`sealed with key ${keyId}, but the configured key is ${this.keyId}: start the service with the key it was sealed with`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      decipher.setAuthTag(Buffer.from(authTag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('the sealed secret does not open: it was altered, or belongs to another record');
    }
  }
}

/**
 * For tests and benchmarks, which run the API and the deliverer in one process
 * without configuration: one random key per process. A service started by
 * api/main.ts always passes its configured key instead.
 */
let processBox: SecretBox | null = null;
export function processSecretBox(): SecretBox {
  processBox ??= SecretBox.ephemeral();
  return processBox;
}
