import { isIP } from 'node:net';

/** Express's names for the private ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Express's `trust proxy` setting from TRUST_PROXY: false, a number of proxies in front (the
 * client is that many addresses from the right of X-Forwarded-For), or the proxies' addresses and
 * subnets. Null when the text is none of these. `true` is refused on purpose: it trusts the
 * leftmost address, which any client can write.
 */
export function parseTrustProxy(text: string): false | number | string[] | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'false' || trimmed === '0') return false;
  if (/^[1-9]\d?$/.test(trimmed)) return Number(trimmed);
  const entries = trimmed.split(',').map((entry) => entry.trim());
  return entries.every(isProxyAddress) ? entries : null;
}

function isProxyAddress(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}
