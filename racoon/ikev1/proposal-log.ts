// What `racoon -d` shows of a proposal (ipsec-tools ipsec_doi.c print_ph1mismatched / isakmp_p2ph and the
// `prop#=`, `trns#=`, `type=..., flag=..., lorv=...` lines of its debug output): every proposal and
// transform of an SA payload, each attribute by name. Only algorithm identifiers and lifetimes: an SA payload
// holds no key.
import type { IsakmpSa } from '../isakmp/payloads/sa.js';
import type { IsakmpAttribute } from '../isakmp/payloads/attributes.js';

const PROTO: Record<number, string> = { 1: 'ISAKMP', 2: 'AH', 3: 'ESP', 4: 'IPCOMP' };
// RFC 2409 App. A (phase 1) and RFC 2407 §4.5 (phase 2) attribute classes.
const PH1_ATTR: Record<number, string> = {
  1: 'Encryption Algorithm',
  2: 'Hash Algorithm',
  3: 'Authentication Method',
  4: 'Group Description',
  11: 'Life Type',
  12: 'Life Duration',
  14: 'Key Length',
};
const PH2_ATTR: Record<number, string> = {
  1: 'SA Life Type',
  2: 'SA Life Duration',
  3: 'Group Description',
  4: 'Encryption Mode',
  5: 'Authentication Algorithm',
  6: 'Key Length',
};
const PH1_VALUES: Record<number, Record<number, string>> = {
  1: { 1: 'DES-CBC', 5: '3DES-CBC', 7: 'AES-CBC', 3: 'Blowfish-CBC', 6: 'CAST-CBC', 8: 'Camellia-CBC' },
  2: { 1: 'MD5', 2: 'SHA', 4: 'SHA2-256', 5: 'SHA2-384', 6: 'SHA2-512' },
  3: { 1: 'pre-shared key', 3: 'RSA signature', 64221: 'Hybrid RSA server', 65001: 'XAuth PSK server' },
  11: { 1: 'seconds', 2: 'kilobytes' },
};
const PH2_VALUES: Record<number, Record<number, string>> = {
  1: { 1: 'seconds', 2: 'kilobytes' },
  4: { 1: 'Tunnel', 2: 'Transport', 3: 'UDP-Tunnel', 4: 'UDP-Transport', 61443: 'UDP-Tunnel', 61444: 'UDP-Transport' },
  5: { 1: 'hmac-md5', 2: 'hmac-sha1', 5: 'hmac-sha256', 6: 'hmac-sha384', 7: 'hmac-sha512' },
};
const ESP_ID: Record<number, string> = { 2: 'DES', 3: '3DES', 11: 'NULL', 12: 'AES', 7: 'BLOWFISH', 6: 'CAST' };

function attrLine(a: IsakmpAttribute, ph1: boolean): string {
  const names = ph1 ? PH1_ATTR : PH2_ATTR;
  const values = (ph1 ? PH1_VALUES : PH2_VALUES)[a.type];
  const lorv = a.tv
    ? (values?.[a.value] ?? String(a.value))
    : `0x${Buffer.from(a.data.subarray(0, 8)).toString('hex')}`;
  return `type=${names[a.type] ?? a.type}, flag=${a.tv ? '0x8000' : '0x0000'}, lorv=${lorv}`;
}

/** One line per proposal, transform and attribute, as racoon's debug output lists them. */
export function proposalLines(sa: IsakmpSa): string[] {
  const out: string[] = [];
  for (const p of sa.proposals.slice(0, 16)) {
    const ph1 = p.protoId === 1;
    out.push(
      `prop#=${p.num}, prot-id=${PROTO[p.protoId] ?? p.protoId}, spi-size=${p.spi.length}, #trns=${p.transforms.length}`,
    );
    for (const t of p.transforms.slice(0, 32)) {
      out.push(`trns#=${t.num}, trns-id=${ph1 ? 'IKE' : p.protoId === 3 ? (ESP_ID[t.id] ?? t.id) : t.id}`);
      for (const a of t.attrs.slice(0, 16)) out.push(`  ${attrLine(a, ph1)}`);
    }
  }
  return out;
}

/** Logs `what` then the SA's lines at `debug` (racoon -d). */
export function logProposals(log: (level: 'debug', msg: string) => void, what: string, sa: IsakmpSa): void {
  log('debug', what);
  for (const l of proposalLines(sa)) log('debug', l);
}

/**
 * The same lines as one, at most `max` characters: for a peer's unauthenticated first message, whose log lines
 * count against its per-source budget (engine/log-limit.ts), so a forged SA payload costs one line, not hundreds.
 */
export function proposalSummary(sa: IsakmpSa, max = 1024): string {
  const line = proposalLines(sa)
    .map((l) => l.trim())
    .join(' | ');
  return line.length <= max ? line : `${line.slice(0, max)}…`;
}
