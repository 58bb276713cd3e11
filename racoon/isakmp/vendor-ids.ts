// Vendor IDs racoon sends and recognises (RFC 2408 §3.16 payload bodies): NAT-T (RFC 3947 §3.1 and the
// draft-ietf-ipsec-nat-t-ike-00..08 ids), DPD (RFC 3706 §5), IKE fragmentation, XAuth, Cisco Unity, KAME.
// Most are MD5 of a string; some carry version or capability bytes after a hash prefix.
import { createHash } from 'node:crypto';

const md5 = (s: string): Uint8Array => new Uint8Array(createHash('md5').update(s, 'latin1').digest());

/**
 * One known vendor id: `vid` is what racoon sends; on receipt the first `prefixLen` bytes identify it (the rest
 * is a version or capability field), and a plain hash id must also be exactly 16 bytes long (`exact`).
 */
export interface KnownVendorId {
  name: string;
  vid: Uint8Array;
  prefixLen: number;
  exact: boolean;
}

function hashed(name: string, s: string = name): KnownVendorId {
  return { name, vid: md5(s), prefixLen: 16, exact: true };
}

function withTail(name: string, head: Uint8Array, prefixLen: number, tail: number[]): KnownVendorId {
  return { name, vid: Uint8Array.from([...head.subarray(0, prefixLen), ...tail]), prefixLen, exact: false };
}

/** RFC 3706 §5: the DPD vendor id, 14 fixed bytes then major 1, minor 0. */
const DPD_HEAD = Uint8Array.from([0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9, 0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57]);

export const VENDORID_NATT_RFC = hashed('RFC 3947');
export const VENDORID_NATT_02 = hashed('draft-ietf-ipsec-nat-t-ike-02');
export const VENDORID_NATT_02_N = hashed('draft-ietf-ipsec-nat-t-ike-02\\n', 'draft-ietf-ipsec-nat-t-ike-02\n');
export const VENDORID_DPD = withTail('DPD', DPD_HEAD, 14, [0x01, 0x00]);
/** racoon sends the FRAGMENTATION hash followed by a 4-byte capability word (0x80000000: aggressive mode too). */
export const VENDORID_FRAG = withTail('FRAGMENTATION', md5('FRAGMENTATION'), 16, [0x80, 0x00, 0x00, 0x00]);
/** draft-ietf-ipsra-isakmp-xauth-06: the first 8 bytes of the hash. */
export const VENDORID_XAUTH = withTail('XAUTH', md5('draft-ietf-ipsra-isakmp-xauth-06.txt'), 8, []);
/** Cisco Unity: the hash with its last two bytes replaced by version 1.0. */
export const VENDORID_UNITY = withTail('CISCO-UNITY', md5('CISCO-UNITY'), 14, [0x01, 0x00]);
export const VENDORID_KAME = hashed('KAME/racoon');

/** Every vendor id this module knows, NAT-T drafts included. */
export const KNOWN_VENDOR_IDS: readonly KnownVendorId[] = [
  VENDORID_KAME,
  VENDORID_NATT_RFC,
  ...['00', '01', '02', '03', '04', '05', '06', '07', '08'].map((n) => hashed(`draft-ietf-ipsec-nat-t-ike-${n}`)),
  VENDORID_NATT_02_N,
  VENDORID_DPD,
  VENDORID_FRAG,
  VENDORID_XAUTH,
  VENDORID_UNITY,
];

/** The name of a received vendor id, matching on each id's fixed prefix (racoon `check_vendorid`). */
export function identifyVendorId(vid: Uint8Array): string | undefined {
  for (const k of KNOWN_VENDOR_IDS) {
    if (vid.length < k.prefixLen || (k.exact && vid.length !== k.vid.length)) continue;
    let same = true;
    for (let i = 0; i < k.prefixLen && same; i++) same = vid[i] === k.vid[i];
    if (same) return k.name;
  }
  return undefined;
}

/** The NAT-T vendor ids in racoon's preference order (RFC first, then the drafts it speaks). */
export const NATT_VENDOR_IDS: readonly KnownVendorId[] = [VENDORID_NATT_RFC, VENDORID_NATT_02_N, VENDORID_NATT_02];
