// Round trip through a real kernel: a broad generated set (fast-check, fixed seed) of SAs and policies is
// written as setkey statements, loaded with `setkey -c` into a Host's keysock, printed with -D / -DP and
// --json, and what was printed is read back (dump-reader.ts, written from the ipsec-tools formats) and
// compared with the generated model. The expectations come from the model, never from setkey's output.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { kernelWorld } from './kernel-world.js';
import { readSad, readSpd, type PolicyRecord, type SaRecord } from './dump-reader.js';

const SEED = 20260522;
const N_SA = 160;
const N_SP = 160;

// input name, name pfkey_dump prints (ipsec-tools prints aes-cbc for rijndael-cbc and hmac-sha256 for
// hmac-sha2-256; NetBSD/FreeBSD names for AEAD), key sizes in bytes, AEAD (no -A)
const ENC: [string, string, number[], boolean][] = [
  ['aes-cbc', 'aes-cbc', [16, 24, 32], false],
  ['rijndael-cbc', 'aes-cbc', [16, 24, 32], false],
  ['aes-ctr', 'aes-ctr', [20, 28, 36], false],
  ['3des-cbc', '3des-cbc', [24], false],
  ['null', 'null', [0], false],
  ['aes-gcm-16', 'aes-gcm-16', [20, 28, 36], true],
  ['aes-gmac', 'aes-gmac', [20, 28, 36], true],
  ['chacha20-poly1305', 'chacha20-poly1305', [36], true],
  ['camellia-cbc', 'camellia-cbc', [16, 24, 32], false],
];
const AUTH: [string, string, number][] = [
  ['hmac-md5', 'hmac-md5', 16],
  ['hmac-sha1', 'hmac-sha1', 20],
  ['hmac-sha256', 'hmac-sha256', 32],
  ['hmac-sha2-256', 'hmac-sha256', 32],
  ['hmac-sha384', 'hmac-sha384', 48],
  ['hmac-sha512', 'hmac-sha512', 64],
  ['aes-xcbc-mac', 'aes-xcbc-mac', 16],
];

interface SaModel {
  v6: boolean;
  src: string;
  dst: string;
  proto: 'esp' | 'ah' | 'ipcomp';
  spi: number;
  mode: 'any' | 'transport' | 'tunnel';
  reqid: number;
  replay: number;
  enc?: [string, string, string];
  auth?: [string, string, string];
  life?: [number, number];
  bytes?: [number, number];
  split: boolean;
}

const hexBytes = (n: number) =>
  fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));
const v4 = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .map((o) => o.join('.'));
const v6 = fc
  .tuple(fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 1, max: 0xffff }))
  .map(([a, b]) => `fd00:${a.toString(16)}::${b.toString(16)}`);

const encArb = fc.constantFrom(...ENC).chain(([name, printed, sizes, aead]) =>
  fc
    .constantFrom(...sizes)
    .chain(hexBytes)
    .map((key) => ({ enc: [name, printed, key] as [string, string, string], aead })),
);
const authArb = fc
  .constantFrom(...AUTH)
  .chain(([name, printed, n]) => hexBytes(n).map((key) => [name, printed, key] as [string, string, string]));

const saArb: fc.Arbitrary<SaModel> = fc
  .record(
    {
      v6: fc.boolean(),
      a4: fc.tuple(v4, v4),
      a6: fc.tuple(v6, v6),
      proto: fc.constantFrom('esp', 'esp', 'ah', 'ipcomp' as const),
      spi: fc.integer({ min: 256, max: 0xffffffff }),
      mode: fc.constantFrom('any', 'transport', 'tunnel' as const),
      reqid: fc.integer({ min: 0, max: 0x3fff }),
      replay: fc.integer({ min: 0, max: 64 }),
      e: encArb,
      auth: fc.option(authArb),
      life: fc.option(fc.tuple(fc.integer({ min: 2, max: 100000 }), fc.integer({ min: 1, max: 100 }))),
      bytes: fc.option(fc.tuple(fc.integer({ min: 2000, max: 2 ** 40 }), fc.integer({ min: 1, max: 1000 }))),
      split: fc.boolean(),
    },
    { noNullPrototype: true },
  )
  .map((r) => {
    const [src, dst] = r.v6 ? r.a6 : r.a4;
    const m: SaModel = {
      v6: r.v6,
      src,
      dst,
      proto: r.proto,
      spi: r.spi,
      mode: r.mode,
      reqid: r.reqid,
      replay: r.replay,
      split: r.split,
    };
    if (r.proto === 'ipcomp') m.spi = 256 + (r.spi % (0x10000 - 256)); // a CPI is 16 bits (RFC 3173 §2.2)
    if (r.proto === 'esp') {
      m.enc = r.e.enc;
      if (!r.e.aead && r.auth) m.auth = r.auth;
    }
    if (r.proto === 'ah') m.auth = r.auth ?? ['hmac-sha1', 'hmac-sha1', '00'.repeat(20)];
    if (r.proto === 'esp' && m.enc![0] === 'null' && !m.auth) m.auth = ['hmac-md5', 'hmac-md5', '11'.repeat(16)];
    if (r.life) m.life = [r.life[0], Math.min(r.life[1], r.life[0] - 1)];
    if (r.bytes) m.bytes = [r.bytes[0], Math.min(r.bytes[1], r.bytes[0] - 1)];
    return m;
  });

function saStatement(m: SaModel): string {
  const parts = [`add ${m.v6 ? '-6 ' : ''}${m.src} ${m.dst} ${m.proto} 0x${m.spi.toString(16)}`, `-m ${m.mode}`];
  if (m.replay) parts.push(`-r ${m.replay}`);
  if (m.reqid) parts.push(`-u ${m.reqid}`);
  if (m.life) parts.push(`-lh ${m.life[0]} -ls ${m.life[1]}`);
  if (m.bytes) parts.push(`-bh ${m.bytes[0]} -bs ${m.bytes[1]}`);
  if (m.enc) parts.push(m.enc[0] === 'null' ? '-E null' : `-E ${m.enc[0]} 0x${m.enc[2]}`);
  if (m.proto === 'ipcomp') parts.push('-C deflate');
  if (m.auth) parts.push(`-A ${m.auth[0]} 0x${m.auth[2]}`);
  return parts.join(m.split ? '\n\t' : ' ') + ';';
}

/** What -D must show for the model (flags 0x40: setkey always sets SADB_X_EXT_CYCSEQ, parse.y p_ext). */
function expectedSa(m: SaModel): Omit<SaRecord, 'sadbSeq'> {
  const r: Omit<SaRecord, 'sadbSeq'> = {
    src: m.src,
    dst: m.dst,
    satype: m.proto,
    mode: m.mode,
    spi: m.spi,
    reqid: m.reqid,
    seq: 0,
    replay: m.replay,
    flags: 0x40,
    state: 'mature',
    hardAdd: m.life?.[0] ?? 0,
    softAdd: m.life?.[1] ?? 0,
    hardBytes: m.bytes?.[0] ?? 0,
    softBytes: m.bytes?.[1] ?? 0,
    pid: 4242,
  };
  if (m.enc && m.enc[0] !== 'null') r.enc = { alg: m.enc[1], key: m.enc[2] };
  if (m.auth) r.auth = { alg: m.auth[1], key: m.auth[2] };
  if (m.proto === 'ipcomp') r.comp = 'deflate';
  return r;
}

interface SpModel {
  v6: boolean;
  src: [string, number];
  dst: [string, number];
  upper: string;
  sport: number;
  dport: number;
  dir: 'in' | 'out';
  action: 'discard' | 'none' | 'ipsec';
  requests: { proto: string; tunnel?: [string, string]; level: string; reqid?: number }[];
}

const prefix4 = fc.tuple(v4, fc.constantFrom(8, 16, 24, 32)).map(([a, len]) => {
  const o = a.split('.').map(Number);
  return [o.map((x, i) => (i * 8 < len ? x : 0)).join('.'), len] as [string, number];
});
const prefix6 = fc
  .tuple(fc.integer({ min: 1, max: 0xffff }), fc.nat(0xffff), fc.constantFrom(32, 48, 128))
  .map(
    ([a, b, len]) =>
      (len === 128
        ? [`fd00:${a.toString(16)}::${(b || 1).toString(16)}`, 128]
        : [len === 48 ? `fd00:${a.toString(16)}::` : 'fd00::', len]) as [string, number],
  );

const spArb: fc.Arbitrary<SpModel> = fc
  .record(
    {
      v6: fc.boolean(),
      s4: prefix4,
      d4: prefix4,
      s6: prefix6,
      d6: prefix6,
      upper: fc.constantFrom('any', 'tcp', 'udp', 'icmp', '253'),
      sport: fc.nat(65535),
      dport: fc.nat(65535),
      dir: fc.constantFrom('in', 'out' as const),
      action: fc.constantFrom('discard', 'none', 'ipsec', 'ipsec' as const),
      reqs: fc.array(
        fc.record(
          {
            proto: fc.constantFrom('esp', 'ah', 'ipcomp'),
            tunnel: fc.boolean(),
            a4: fc.tuple(v4, v4),
            a6: fc.tuple(v6, v6),
            level: fc.constantFrom('default', 'use', 'require', 'unique', 'unique:N'),
            id: fc.integer({ min: 1, max: 0x3fff }),
          },
          { noNullPrototype: true },
        ),
        { minLength: 1, maxLength: 3 },
      ),
    },
    { noNullPrototype: true },
  )
  .map((r) => {
    const upper = r.v6 && r.upper === 'icmp' ? 'icmp6' : r.upper;
    const ports = upper === 'tcp' || upper === 'udp';
    const icmp = upper === 'icmp' || upper === 'icmp6';
    return {
      v6: r.v6,
      src: r.v6 ? r.s6 : r.s4,
      dst: r.v6 ? r.d6 : r.d4,
      upper,
      sport: ports || icmp ? r.sport % (icmp ? 256 : 65536) : 0,
      dport: ports || icmp ? r.dport % (icmp ? 256 : 65536) : 0,
      dir: r.dir,
      action: r.action,
      requests:
        r.action !== 'ipsec'
          ? []
          : r.reqs.map((q) => ({
              proto: q.proto,
              tunnel: q.tunnel ? (r.v6 ? q.a6 : q.a4) : undefined,
              level: q.level === 'unique:N' ? 'unique' : q.level,
              reqid: q.level === 'unique:N' ? q.id : undefined,
            })),
    };
  });

function spStatement(m: SpModel): string {
  const port = (p: number) => (m.upper === 'tcp' || m.upper === 'udp' ? `[${p === 0 ? 'any' : p}]` : '');
  const upper = m.upper === 'icmp' || m.upper === 'icmp6' ? `${m.upper} ${m.sport},${m.dport}` : m.upper;
  const reqs = m.requests.map(
    (q) =>
      `${q.proto}/${q.tunnel ? 'tunnel' : 'transport'}/${q.tunnel ? q.tunnel.join('-') : ''}/${q.level}${q.reqid ? `:${q.reqid}` : ''}`,
  );
  return `spdadd ${m.v6 ? '-6 ' : ''}${m.src[0]}/${m.src[1]}${port(m.sport)} ${m.dst[0]}/${m.dst[1]}${port(m.dport)} ${upper} -P ${m.dir} ${m.action} ${reqs.join(' ')};`;
}

/** What -DP must show for the model: no /32 or /128, [any] ports, 255 for any, ICMP type,code without brackets. */
function expectedSp(m: SpModel): Omit<PolicyRecord, 'spid' | 'seq'> {
  const full = m.v6 ? 128 : 32;
  const ported = !(m.upper === 'icmp' || m.upper === 'icmp6');
  const port = (p: number) => (ported ? (p === 0 ? 'any' : String(p)) : undefined);
  const upper = { any: '255', icmp6: 'ipv6-icmp', 253: '253' }[m.upper] ?? m.upper;
  return {
    src: m.src[0],
    srcLen: m.src[1] === full ? undefined : m.src[1],
    srcPort: port(m.sport),
    dst: m.dst[0],
    dstLen: m.dst[1] === full ? undefined : m.dst[1],
    dstPort: port(m.dport),
    upper,
    typeCode: !ported && (m.sport || m.dport) ? `${m.sport},${m.dport}` : undefined,
    dir: m.dir,
    action: m.action,
    requests: m.requests.map((q) => {
      const r: PolicyRecord['requests'][number] = {
        proto: q.proto,
        mode: q.tunnel ? 'tunnel' : 'transport',
        level: q.level,
      };
      if (q.tunnel) {
        r.src = q.tunnel[0];
        r.dst = q.tunnel[1];
      }
      if (q.reqid) r.reqid = q.reqid;
      else if (q.level === 'unique') r.autoReqid = true; // the kernel picks a reqid above IPSEC_MANUAL_REQID_MAX, printed with '#'
      return r;
    }),
    pid: 4242,
  };
}

const key = (o: object) => JSON.stringify(o, Object.keys(o).sort());
const sortBy = <T>(xs: T[], f: (x: T) => string) => [...xs].sort((a, b) => (f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : 0));

describe('setkey round trip through a kernel (-c in, -D/-DP/--json out; fixed seed)', () => {
  const [sas] = fc.sample(
    fc.uniqueArray(saArb, { minLength: N_SA, maxLength: N_SA, selector: (m) => `${m.dst}/${m.proto}/${m.spi}` }),
    { seed: SEED, numRuns: 1 },
  );
  const [sps] = fc.sample(
    fc.uniqueArray(spArb, {
      minLength: N_SP,
      maxLength: N_SP,
      selector: (m) => `${m.src}/${m.dst}/${m.upper}/${m.sport}/${m.dport}/${m.dir}`,
    }),
    { seed: SEED + 1, numRuns: 1 },
  );

  it(`${N_SA} SAs and ${N_SP} policies load with -c and print back as generated`, async () => {
    const w = kernelWorld('roundtrip');
    const script = [...sas!.map(saStatement), ...sps!.map(spStatement)].join('\n').split('\n');
    const load = await w.run(['-c'], { stdin: script });
    assert.equal(load.err, '');
    assert.equal(load.code, 0);
    assert.equal(w.host.sad.size, N_SA);
    assert.equal(w.host.spd.size, N_SP);

    const d = await w.run(['-D']);
    const sad = readSad(d.out);
    assert.deepEqual(
      sad.map((r) => r.sadbSeq),
      sad.map((_, i) => sad.length - 1 - i),
      'sadb_seq counts down to 0',
    );
    const got = sortBy(
      sad.map(({ sadbSeq: _s, ...r }) => r),
      key,
    );
    assert.deepEqual(got, sortBy(sas!.map(expectedSa), key));

    const p = await w.run(['-DP']);
    const spd = readSpd(p.out);
    assert.deepEqual(new Set(spd.map((r) => r.spid)).size, N_SP, 'spids are distinct');
    const gotSp = sortBy(
      spd.map(({ spid: _i, seq: _q, ...r }) => JSON.parse(JSON.stringify(r))),
      key,
    );
    assert.deepEqual(
      gotSp,
      sortBy(
        sps!.map((m) => JSON.parse(JSON.stringify(expectedSp(m)))),
        key,
      ),
    );
    // KAME order: every inbound policy before every outbound one
    const dirs = spd.map((r) => r.dir).join('');
    assert.match(dirs, /^(in)*(out)*$/);
  });

  it('--json carries the same values as the text dumps', async () => {
    const w = kernelWorld('roundtrip-json');
    await w.run(['-c'], { stdin: [...sas!.slice(0, 40).map(saStatement), ...sps!.slice(0, 40).map(spStatement)] });
    const j = JSON.parse((await w.run(['-D', '--json'])).out) as Record<string, any>[];
    const fromJson = j.map((o) => ({
      src: o.src,
      dst: o.dst,
      satype: o.satype,
      spi: o.spi,
      mode: o.mode,
      reqid: o.reqid,
      replay: o.replay,
      state: o.state,
      enc: o.encryption,
      auth: o.authentication,
      comp: o.compression,
      hard: o.lifetime.hard?.addtime ?? 0,
      soft: o.lifetime.soft?.addtime ?? 0,
    }));
    const fromModel = sas!.slice(0, 40).map((m) => {
      const e = expectedSa(m);
      return {
        src: e.src,
        dst: e.dst,
        satype: e.satype,
        spi: e.spi,
        mode: e.mode,
        reqid: e.reqid,
        replay: e.replay,
        state: e.state,
        enc: e.enc,
        auth: e.auth,
        comp: e.comp,
        hard: e.hardAdd,
        soft: e.softAdd,
      };
    });
    const clean = (xs: object[]) =>
      sortBy(
        xs.map((x) => JSON.parse(JSON.stringify(x))),
        key,
      );
    assert.deepEqual(clean(fromJson), clean(fromModel));
    const pj = JSON.parse((await w.run(['-DP', '--json'])).out) as Record<string, any>[];
    assert.equal(pj.length, 40);
    const fromPj = pj.map(
      (o) =>
        `${o.src}/${o.srcPrefix} ${o.dst}/${o.dstPrefix} ${o.upperProto} ${o.dir} ${o.action} ${o.requests.map((q: any) => `${q.proto}/${q.mode}/${q.level}`).join(',')}`,
    );
    const protoNum: Record<string, number> = { any: 255, tcp: 6, udp: 17, icmp: 1, icmp6: 58, 253: 253 };
    const fromSp = sps!
      .slice(0, 40)
      .map(
        (m) =>
          `${m.src[0]}/${m.src[1]} ${m.dst[0]}/${m.dst[1]} ${protoNum[m.upper]} ${m.dir} ${m.action} ${m.requests.map((q) => `${q.proto}/${q.tunnel ? 'tunnel' : 'transport'}/${q.level}`).join(',')}`,
      );
    assert.deepEqual(fromPj.sort(), fromSp.sort());
  });
});
