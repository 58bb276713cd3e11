// An independent byte builder for PF_KEY golden tests, written from the RFC 2367 §2.3 / KAME net/pfkeyv2.h
// struct layouts with explicit Buffer writes (little-endian host order, network order for SPI/ports/addresses).
// It shares no code with pfkey/, so a test comparing the two checks the codec against the layout.

export class Raw {
  private chunks: Buffer[] = [];
  private put(n: number, f: (b: Buffer) => void): this {
    const b = Buffer.alloc(n);
    f(b);
    this.chunks.push(b);
    return this;
  }
  u8(v: number) {
    return this.put(1, (b) => b.writeUInt8(v));
  }
  u16(v: number) {
    return this.put(2, (b) => b.writeUInt16LE(v));
  }
  u32(v: number) {
    return this.put(4, (b) => b.writeUInt32LE(v));
  }
  u64(v: bigint) {
    return this.put(8, (b) => b.writeBigUInt64LE(v));
  }
  n16(v: number) {
    return this.put(2, (b) => b.writeUInt16BE(v));
  }
  n32(v: number) {
    return this.put(4, (b) => b.writeUInt32BE(v));
  }
  bytes(v: Uint8Array) {
    return this.put(v.length, (b) => b.set(v));
  }
  zero(n: number) {
    return this.put(n, () => undefined);
  }
  padTo8() {
    return this.zero((8 - (this.length % 8)) % 8);
  }
  get length(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }
  build(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** sadb_ext header (length in 8-byte units, type) + body padded to 8; bodies start at extension offset 4. */
function ext4(type: number, fill: (r: Raw) => void): Buffer {
  const r = new Raw();
  fill(r);
  const total = 4 + r.length;
  const padded = total + ((8 - (total % 8)) % 8);
  return new Raw()
    .u16(padded / 8)
    .u16(type)
    .bytes(r.build())
    .zero(padded - total)
    .build();
}

export interface Hdr {
  type: number;
  satype: number;
  errno?: number;
  reserved?: number;
  seq?: number;
  pid?: number;
}

/** sadb_msg followed by the extensions, with sadb_msg_len computed. */
export function rawMsg(h: Hdr, exts: Buffer[]): Buffer {
  const body = Buffer.concat(exts);
  const head = new Raw()
    .u8(2)
    .u8(h.type)
    .u8(h.errno ?? 0)
    .u8(h.satype)
    .u16((16 + body.length) / 8)
    .u16(h.reserved ?? 0)
    .u32(h.seq ?? 0)
    .u32(h.pid ?? 0)
    .build();
  return Buffer.concat([head, body]);
}

export function rawSa(spi: number, replay: number, state: number, auth: number, enc: number, flags: number): Buffer {
  return ext4(1, (r) => r.n32(spi).u8(replay).u8(state).u8(auth).u8(enc).u32(flags));
}

export function rawLifetime(type: number, alloc: number, bytes: bigint, add: bigint, use: bigint): Buffer {
  return ext4(type, (r) => r.u32(alloc).u64(bytes).u64(add).u64(use));
}

/** struct sockaddr_in (FreeBSD: sa_len 16, AF_INET 2). */
export function rawSin(addr: number[], port = 0): Buffer {
  return new Raw().u8(16).u8(2).n16(port).bytes(Uint8Array.from(addr)).zero(8).build();
}

/** struct sockaddr_in6 (FreeBSD: sa_len 28, AF_INET6 28). */
export function rawSin6(addr: number[], port = 0, flowinfo = 0, scopeId = 0): Buffer {
  return new Raw().u8(28).u8(28).n16(port).n32(flowinfo).bytes(Uint8Array.from(addr)).u32(scopeId).build();
}

export function rawAddress(type: number, proto: number, prefixlen: number, sa: Buffer): Buffer {
  return ext4(type, (r) => r.u8(proto).u8(prefixlen).u16(0).bytes(sa));
}

export function rawKey(type: number, bits: number, key: Uint8Array): Buffer {
  return ext4(type, (r) => r.u16(bits).u16(0).bytes(key));
}

export function rawIdent(type: number, identType: number, id: bigint, body: Uint8Array): Buffer {
  return ext4(type, (r) => r.u16(identType).u16(0).u64(id).bytes(body));
}

export function rawSens(
  dpd: number,
  sensLevel: number,
  sens: Uint8Array,
  integLevel: number,
  integ: Uint8Array,
): Buffer {
  return ext4(12, (r) =>
    r
      .u32(dpd)
      .u8(sensLevel)
      .u8(sens.length / 8)
      .u8(integLevel)
      .u8(integ.length / 8)
      .u32(0)
      .bytes(sens)
      .bytes(integ),
  );
}

export interface RawComb {
  auth: number;
  encrypt: number;
  flags: number;
  aMin: number;
  aMax: number;
  eMin: number;
  eMax: number;
  softAlloc: number;
  hardAlloc: number;
  softBytes: bigint;
  hardBytes: bigint;
  softAdd: bigint;
  hardAdd: bigint;
  softUse: bigint;
  hardUse: bigint;
}

export function rawProp(replay: number, combs: RawComb[]): Buffer {
  return ext4(13, (r) => {
    r.u8(replay).zero(3);
    for (const c of combs) {
      r.u8(c.auth)
        .u8(c.encrypt)
        .u16(c.flags)
        .u16(c.aMin)
        .u16(c.aMax)
        .u16(c.eMin)
        .u16(c.eMax)
        .u32(0)
        .u32(c.softAlloc)
        .u32(c.hardAlloc)
        .u64(c.softBytes)
        .u64(c.hardBytes)
        .u64(c.softAdd)
        .u64(c.hardAdd)
        .u64(c.softUse)
        .u64(c.hardUse);
    }
  });
}

export function rawSupported(type: number, algs: [number, number, number, number][]): Buffer {
  return ext4(type, (r) => {
    r.u32(0);
    for (const [id, iv, min, max] of algs) r.u8(id).u8(iv).u16(min).u16(max).u16(0);
  });
}

export function rawSpirange(min: number, max: number): Buffer {
  return ext4(16, (r) => r.u32(min).u32(max).u32(0));
}

export function rawKmprivate(data: Uint8Array): Buffer {
  return ext4(17, (r) => r.u32(0).bytes(data));
}

/** sadb_x_ipsecrequest: length in BYTES, then the two sockaddrs back to back, padded to 8. */
export function rawRequest(
  proto: number,
  mode: number,
  level: number,
  reqid: number,
  src?: Buffer,
  dst?: Buffer,
): Buffer {
  const addrs = src && dst ? Buffer.concat([src, dst]) : Buffer.alloc(0);
  const len = 8 + addrs.length + ((8 - (addrs.length % 8)) % 8);
  return new Raw()
    .u16(len)
    .u16(proto)
    .u8(mode)
    .u8(level)
    .u16(reqid)
    .bytes(addrs)
    .zero(len - 8 - addrs.length)
    .build();
}

export function rawPolicy(
  type: number,
  dir: number,
  id: number,
  requests: Buffer[] = [],
  scope = 0,
  priority = 0,
): Buffer {
  return ext4(18, (r) => r.u16(type).u8(dir).u8(scope).u32(id).u32(priority).bytes(Buffer.concat(requests)));
}

export function rawSa2(mode: number, sequence: number, reqid: number): Buffer {
  return ext4(19, (r) => r.u8(mode).u8(0).u16(0).u32(sequence).u32(reqid));
}

export function rawNatTType(type: number): Buffer {
  return ext4(20, (r) => r.u8(type).zero(3));
}

export function rawNatTPort(exttype: number, port: number): Buffer {
  return ext4(exttype, (r) => r.n16(port).u16(0));
}

export function rawNatTFrag(fraglen: number): Buffer {
  return ext4(25, (r) => r.u16(fraglen).u16(0));
}

export function rawSaReplay(replay: number): Buffer {
  return ext4(26, (r) => r.u32(replay));
}
