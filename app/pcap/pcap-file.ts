// Classic libpcap capture files (pcap-savefile(5), draft-ietf-opsawg-pcap): the 24-byte file header and
// 16-byte record headers, in either byte order, with microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d)
// time stamps. Reading validates every length before it slices; a bad file is a ParseError with the offset.
// pcapng (0x0a0d0d0a) is recognised and refused with a hint.
import { ParseError } from '../../common/bytes.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAPNG_MAGIC = 0x0a0d0d0a;
export const PCAP_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
/** The largest record we accept whatever the snaplen says (libpcap's MAXIMUM_SNAPLEN). */
export const PCAP_MAX_RECORD_BYTES = 262144;

/** tcpdump.org link-layer header types handled by `uipsec pcap`. */
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

export interface PcapRecord {
  /** Seconds since the epoch. */
  tsSec: number;
  /** Microseconds, or nanoseconds when the file's `nanos` is set. */
  tsFrac: number;
  /** The captured bytes (a copy). */
  data: Uint8Array;
  /** The packet's length on the wire (>= data.length when the capture was truncated by the snaplen). */
  origLen: number;
}

export interface PcapFile {
  linktype: number;
  snaplen: number;
  nanos: boolean;
  /** The file was written big-endian (we always write little-endian). */
  bigEndian: boolean;
  records: PcapRecord[];
}

function header(b: Uint8Array): { dv: DataView; le: boolean; nanos: boolean } {
  if (b.length < 4) throw new ParseError('not a pcap file: shorter than its magic number', 0, 'pcap.magic');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const le = dv.getUint32(0, true),
    be = dv.getUint32(0, false);
  if (be === PCAPNG_MAGIC)
    throw new ParseError('pcapng is not supported; convert it with `editcap -F pcap IN OUT`', 0, 'pcap.magic');
  if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC) return { dv, le: true, nanos: le === PCAP_MAGIC_NSEC };
  if (be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) return { dv, le: false, nanos: be === PCAP_MAGIC_NSEC };
  throw new ParseError(`not a pcap file: magic 0x${le.toString(16).padStart(8, '0')}`, 0, 'pcap.magic');
}

/** Parses a whole pcap file. */
export function decodePcap(b: Uint8Array): PcapFile {
  const { dv, le, nanos } = header(b);
  if (b.length < PCAP_HEADER_BYTES)
    throw new ParseError(`pcap file header truncated (${b.length} of ${PCAP_HEADER_BYTES} bytes)`, 0, 'pcap.header');
  const major = dv.getUint16(4, le);
  if (major !== 2)
    throw new ParseError(`pcap version ${major}.${dv.getUint16(6, le)} (only 2.x exists)`, 4, 'pcap.version');
  const snaplen = dv.getUint32(16, le);
  // The low 16 bits are the link type; the FCS bits above it (draft-ietf-opsawg-pcap §4) are ignored.
  const linktype = dv.getUint32(20, le) & 0xffff;
  const records: PcapRecord[] = [];
  let off = PCAP_HEADER_BYTES;
  while (off < b.length) {
    if (b.length - off < PCAP_RECORD_HEADER_BYTES)
      throw new ParseError(`record header truncated at offset ${off}`, off, 'pcap.record');
    const incl = dv.getUint32(off + 8, le),
      orig = dv.getUint32(off + 12, le);
    if (incl > PCAP_MAX_RECORD_BYTES)
      throw new ParseError(
        `record of ${incl} bytes at offset ${off} (limit ${PCAP_MAX_RECORD_BYTES})`,
        off + 8,
        'pcap.incl_len',
      );
    const start = off + PCAP_RECORD_HEADER_BYTES;
    if (b.length - start < incl)
      throw new ParseError(
        `record at offset ${off} truncated (${b.length - start} of ${incl} bytes)`,
        off,
        'pcap.record',
      );
    const tsFrac = dv.getUint32(off + 4, le);
    records.push({
      tsSec: dv.getUint32(off, le),
      tsFrac,
      data: b.slice(start, start + incl),
      origLen: Math.max(orig, incl),
    });
    off = start + incl;
  }
  return { linktype, snaplen, nanos, bigEndian: !le, records };
}

/** Writes a pcap file (little-endian, the resolution given by `nanos`). */
export function encodePcap(f: Pick<PcapFile, 'linktype' | 'snaplen' | 'nanos' | 'records'>): Uint8Array {
  let size = PCAP_HEADER_BYTES,
    snaplen = f.snaplen;
  for (const r of f.records) {
    size += PCAP_RECORD_HEADER_BYTES + r.data.length;
    snaplen = Math.max(snaplen, r.data.length);
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, f.nanos ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, f.linktype, true);
  let off = PCAP_HEADER_BYTES;
  for (const r of f.records) {
    dv.setUint32(off, r.tsSec >>> 0, true);
    dv.setUint32(off + 4, r.tsFrac >>> 0, true);
    dv.setUint32(off + 8, r.data.length, true);
    dv.setUint32(off + 12, Math.max(r.origLen, r.data.length), true);
    out.set(r.data, off + PCAP_RECORD_HEADER_BYTES);
    off += PCAP_RECORD_HEADER_BYTES + r.data.length;
  }
  return out;
}
