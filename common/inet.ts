// IP addresses and prefixes as bytes: parse, format (RFC 5952 for IPv6), prefix matching.
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export interface Prefix {
  family: Family;
  addr: Uint8Array; // 4 or 16 bytes, host bits zeroed
  len: number; // prefix length in bits
}

export function addrFamily(a: Uint8Array): Family {
  if (a.length === 4) return 4;
  if (a.length === 16) return 6;
  throw new RangeError(`address must be 4 or 16 bytes, got ${a.length}`);
}

/** Parses a textual IPv4 or IPv6 address; returns undefined if it is neither. */
export function parseAddr(s: string): Uint8Array | undefined {
  if (isIPv4(s)) return new Uint8Array(s.split('.').map((x) => Number(x)));
  if (!isIPv6(s)) return undefined;
  let text = s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const out = new Uint8Array(16);
  let tail4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  if (tail4.length === 4) out.set(tail4, 12);
  return out;
}

export function formatAddr(a: Uint8Array): string {
  if (a.length === 4) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  if (a.length !== 16) return `<bad address of ${a.length} bytes>`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((a[i]! << 8) | a[i + 1]!);
  // RFC 5952 §4.2: compress the longest run (>1) of zero groups, the first on ties.
  let best = -1,
    bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

export function maskAddr(a: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(a);
  for (let bit = len; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

/** Parses `addr[/len]`; a missing length means a host prefix. */
export function parsePrefix(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  const addr = parseAddr(slash >= 0 ? s.slice(0, slash) : s);
  if (!addr) return undefined;
  const max = addr.length * 8;
  const len = slash >= 0 ? Number(s.slice(slash + 1)) : max;
  if (!Number.isInteger(len) || len < 0 || len > max || (slash >= 0 && !/^\d+$/.test(s.slice(slash + 1))))
    return undefined;
  return { family: addrFamily(addr), addr: maskAddr(addr, len), len };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddr(p.addr)}/${p.len}`;
}

export function prefixContains(p: Prefix, a: Uint8Array): boolean {
  if (a.length !== p.addr.length) return false;
  const full = p.len >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== p.addr[i]) return false;
  const rem = p.len & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (a[full]! & mask) === p.addr[full];
}

export function addrEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A string key for maps (hex of the bytes). */
export function addrKey(a: Uint8Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}
