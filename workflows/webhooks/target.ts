/**
 * Where webhooks may go, and the HTTP call that takes them there. A target
 * that resolves to a private, loopback, link-local or otherwise internal
 * address is refused (SSRF), at registration and again at every delivery,
 * after DNS resolution: the connection is made to the address that was
 * checked (the lookup below), so a name that re-resolves to an internal
 * address between the check and the call gains nothing. Only configuration
 * (WEBHOOK_ALLOW_PRIVATE_TARGETS, used by tests and local development) lifts this.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface WebhookTargetPolicy {
  allowPrivateTargets: boolean;
  /** Longest wait for an answer's status line, connection included. */
  deliveryTimeoutMs: number;
}

export const WEBHOOK_DELIVERY_TIMEOUT_MS_DEFAULT = 10_000;
export const DEFAULT_WEBHOOK_TARGET_POLICY: WebhookTargetPolicy = { allowPrivateTargets: false, deliveryTimeoutMs: WEBHOOK_DELIVERY_TIMEOUT_MS_DEFAULT };
/** How long registration waits for DNS. */
const REGISTRATION_LOOKUP_TIMEOUT_MS = 3_000;
/** Answer bytes read (and thrown away) at most; the status code is what counts. */
const RESPONSE_BYTES_MAX = 64 * 1024;

const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) internal.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) internal.addSubnet(network, prefix, 'ipv6');

/** Why `address` may not receive webhooks, or null when it is a public address. IPv4-mapped IPv6 is judged as IPv4. */
export function internalAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return `"${address}" is not an IP address`;
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address) : null;
  const blocked = mapped ? internal.check(mapped[1], 'ipv4') : internal.check(address, family === 4 ? 'ipv4' : 'ipv6');
  return blocked ? `resolves to ${address}, a private, loopback, link-local or reserved address` : null;
}

export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

/** The URL's host without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** Parses and checks a target at registration; answers why it is refused, or null. */
export async function targetRefusal(text: string, policy: WebhookTargetPolicy): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.hash !== '') return 'must not have a fragment';
  if (policy.allowPrivateTargets) return null;
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    const resolved = await resolveWithin(host, REGISTRATION_LOOKUP_TIMEOUT_MS);
    if (typeof resolved === 'string') return resolved;
    addresses = resolved.map((entry) => entry.address);
  }
  for (const address of addresses) {
    const reason = internalAddressReason(address);
    if (reason) return `${reason}; webhooks go to public addresses only`;
  }
  return null;
}

function resolveWithin(host: string, timeoutMs: number): Promise<LookupAddress[] | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`host "${host}" did not resolve within ${timeoutMs} ms`), timeoutMs);
    dnsLookup(host, { all: true }, (error, addresses) => {
      clearTimeout(timer);
      resolve(error || addresses.length === 0 ? `host "${host}" does not resolve` : addresses);
    });
  });
}

/** A lookup for http.request that refuses internal addresses and connects only to what it checked. */
function guardedLookup(policy: WebhookTargetPolicy): LookupFunction {
  const lookup = (hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { family: options.family ?? 0, all: true }, (error, addresses) => {
      if (error) return callback(error);
      if (!policy.allowPrivateTargets) {
        for (const entry of addresses) {
          const reason = internalAddressReason(entry.address);
          if (reason) return callback(new TargetRefused(`${hostname} ${reason}`));
        }
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
  return lookup as unknown as LookupFunction;
}

export interface SendOutcome {
  /** Null when no answer came. */
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** POSTs `body` to `target` with `headers`; never throws: a refusal, an error or a timeout is an outcome. */
export function sendWebhook(target: string, body: string, headers: Record<string, string>, policy: WebhookTargetPolicy): Promise<SendOutcome> {
  const startedAt = process.hrtime.bigint();
  const elapsedMs = () => Math.round(Number(process.hrtime.bigint() - startedAt) / 1e6);
  return new Promise((resolve) => {
    let settled = false;
    // Declared before `finish`: a refusal before the request exists finishes with no timer set.
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: Omit<SendOutcome, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      resolve({ ...outcome, latencyMs: elapsedMs() });
    };
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return finish({ statusCode: null, error: 'the endpoint URL does not parse' });
    }
    const host = hostOf(url);
    const literalRefusal = isIP(host) !== 0 && !policy.allowPrivateTargets ? internalAddressReason(host) : null;
    if (literalRefusal) return finish({ statusCode: null, error: `TargetRefused: ${host} ${literalRefusal}` });
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body).toString(), 'user-agent': 'Godown-Webhooks/1', ...headers },
      lookup: guardedLookup(policy),
      agent: false,
    });
    timer = setTimeout(() => {
      finish({ statusCode: null, error: `timed out after ${policy.deliveryTimeoutMs} ms without an answer` });
      request.destroy();
    }, policy.deliveryTimeoutMs);
    request.on('response', (response) => {
      finish({ statusCode: response.statusCode ?? null, error: null });
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > RESPONSE_BYTES_MAX) response.destroy();
      });
      response.on('error', () => undefined);
    });
    request.on('error', (error) => finish({ statusCode: null, error: `${error.name}: ${error.message}`.slice(0, 500) }));
    request.end(body);
  });
}
