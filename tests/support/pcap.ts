// A tiny libpcap file writer (the classic format of pcap-savefile(5): 24-byte global header, 16-byte record
// headers, little-endian) with LINKTYPE_RAW (101: each record is one IPv4 or IPv6 packet, no link header),
// so packets a test built or sent can be read back by tshark. Plus a Link wrapper that records what a link
// sends and receives. Shared test support: no dependency on uipsec beyond the Link contract.
import { writeFileSync } from 'node:fs';
import type { Link } from '../../kernel/link/link.js';

/** pcap-savefile(5) magic for microsecond timestamps. */
export const PCAP_MAGIC = 0xa1b2c3d4;
/** LINKTYPE_RAW (tcpdump.org link-layer header types): raw IPv4/IPv6. */
export const LINKTYPE_RAW = 101;
const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

export interface PcapRecord {
  packet: Uint8Array;
  /** Capture time in milliseconds since the epoch (fractions become microseconds). */
  timeMs: number;
}

/** Collects packets and renders them as one pcap file. */
export class PcapWriter {
  readonly records: PcapRecord[] = [];
  constructor(
    readonly snaplen = 65535,
    readonly linktype = LINKTYPE_RAW,
  ) {}

  /** Adds a copy of `packet` (the caller may reuse its buffer). */
  add(packet: Uint8Array, timeMs = Date.now()): void {
    this.records.push({ packet: new Uint8Array(packet), timeMs });
  }

  bytes(): Uint8Array {
    let size = GLOBAL_HEADER_BYTES;
    for (const r of this.records) size += RECORD_HEADER_BYTES + Math.min(r.packet.length, this.snaplen);
    const out = new Uint8Array(size);
    const v = new DataView(out.buffer);
    v.setUint32(0, PCAP_MAGIC, true);
    v.setUint16(4, 2, true); // version 2.4
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true); // thiszone
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, this.snaplen, true);
    v.setUint32(20, this.linktype, true);
    let o = GLOBAL_HEADER_BYTES;
    for (const r of this.records) {
      const incl = Math.min(r.packet.length, this.snaplen);
      const sec = Math.floor(r.timeMs / 1000);
      v.setUint32(o, sec, true);
      v.setUint32(o + 4, Math.floor((r.timeMs - sec * 1000) * 1000), true);
      v.setUint32(o + 8, incl, true);
      v.setUint32(o + 12, r.packet.length, true);
      out.set(r.packet.subarray(0, incl), o + RECORD_HEADER_BYTES);
      o += RECORD_HEADER_BYTES + incl;
    }
    return out;
  }

  write(path: string): void {
    writeFileSync(path, this.bytes());
  }
}

/** A Link that records every packet it sends (and, with `inbound`, receives) into `pcap`, then passes it on. */
export function capturingLink(link: Link, pcap: PcapWriter, inbound = false): Link {
  return {
    get mtu() {
      return link.mtu;
    },
    send(packet, nextHop) {
      pcap.add(packet);
      link.send(packet, nextHop);
    },
    onReceive(fn) {
      link.onReceive(
        inbound
          ? (p) => {
              pcap.add(p);
              fn(p);
            }
          : fn,
      );
    },
    close() {
      link.close();
    },
  };
}
