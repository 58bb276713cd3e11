// Independent check of pfkey/layout.ts: a C program generated here includes the system's <linux/pfkeyv2.h>,
// prints sizeof/offsetof of every struct and member, and is compiled with the system C compiler. The codec's
// declared tables must agree. Known Linux-vs-BSD differences (checked to still hold, so the notes stay true):
//  - Linux sockaddrs have no sa_len: sa_family is a u16 at offset 0; BSD has sa_len u8 + sa_family u8.
//    Sizes (16/28) and the port/address offsets agree, so those are compared; the BSD structs themselves are
//    also declared below in C (our own definition from the 4.4BSD layout) to check their arithmetic.
//  - Linux sadb_x_ipsecrequest is 16 bytes (reserved1 u16, reqid u32, reserved2 u32); KAME/BSD's is 8 bytes
//    with a u16 reqid at offset 6. Only len/proto/mode/level are compared with Linux.
//  - Linux calls sadb_x_policy's byte 7 "reserved"; FreeBSD calls it "scope".
//  - sadb_x_nat_t_frag and sadb_x_sa_replay do not exist on Linux (ext 25/26 are KMADDRESS/FILTER there);
//    they are declared below in C from the FreeBSD layout. Linux reuses ext numbers 24-26 and ealg 15 for
//    other things (SEC_CTX, KMADDRESS, FILTER, AES-CCM-12), and its *_MAX values differ.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as C from '../../../pfkey/constants.js';
import { ALL_LAYOUTS, type StructLayout } from '../../../pfkey/layout.js';

const LINUX_HEADER = '/usr/include/linux/pfkeyv2.h';

// Structs that exist in <linux/pfkeyv2.h> with the same members as BSD.
const LINUX_SAME = [
  'sadb_msg', 'sadb_ext', 'sadb_sa', 'sadb_lifetime', 'sadb_address', 'sadb_key', 'sadb_ident', 'sadb_sens',
  'sadb_prop', 'sadb_comb', 'sadb_supported', 'sadb_alg', 'sadb_spirange', 'sadb_x_kmprivate', 'sadb_x_sa2',
  'sadb_x_policy', 'sadb_x_nat_t_type', 'sadb_x_nat_t_port',
];
// Our field name -> Linux member suffix where they differ.
const LINUX_RENAMES: Record<string, Record<string, string>> = { sadb_x_policy: { scope: 'reserved' } };
const IPSECREQUEST_COMMON = ['len', 'proto', 'mode', 'level'];

// BSD-only structs, declared here in C from the FreeBSD/4.4BSD layouts (not copied from any header).
const BSD_DECLS = `
struct bsd_sadb_x_ipsecrequest { uint16_t sadb_x_ipsecrequest_len; uint16_t sadb_x_ipsecrequest_proto;
  uint8_t sadb_x_ipsecrequest_mode; uint8_t sadb_x_ipsecrequest_level; uint16_t sadb_x_ipsecrequest_reqid; };
struct bsd_sadb_x_nat_t_frag { uint16_t sadb_x_nat_t_frag_len; uint16_t sadb_x_nat_t_frag_exttype;
  uint16_t sadb_x_nat_t_frag_fraglen; uint16_t sadb_x_nat_t_frag_reserved; };
struct bsd_sadb_x_sa_replay { uint16_t sadb_x_sa_replay_len; uint16_t sadb_x_sa_replay_exttype;
  uint32_t sadb_x_sa_replay_replay; };
struct bsd_sockaddr { uint8_t sa_len; uint8_t sa_family; char sa_data[14]; };
struct bsd_sockaddr_in { uint8_t sin_len; uint8_t sin_family; uint16_t sin_port; struct in_addr sin_addr; char sin_zero[8]; };
struct bsd_sockaddr_in6 { uint8_t sin6_len; uint8_t sin6_family; uint16_t sin6_port; uint32_t sin6_flowinfo;
  struct in6_addr sin6_addr; uint32_t sin6_scope_id; };
`;
// Our layout name -> [C struct, member prefix] for the BSD declarations above.
const BSD_ONLY: Record<string, [string, string]> = {
  sadb_x_ipsecrequest: ['bsd_sadb_x_ipsecrequest', 'sadb_x_ipsecrequest_'],
  sadb_x_nat_t_frag: ['bsd_sadb_x_nat_t_frag', 'sadb_x_nat_t_frag_'],
  sadb_x_sa_replay: ['bsd_sadb_x_sa_replay', 'sadb_x_sa_replay_'],
  sockaddr: ['bsd_sockaddr', 'sa_'],
  sockaddr_in: ['bsd_sockaddr_in', 'sin_'],
  sockaddr_in6: ['bsd_sockaddr_in6', 'sin6_'],
};

// Our constant -> Linux macro, for numbers both kernels share.
const SAME_NUMBERS: [keyof typeof C, string][] = [
  ['PF_KEY_V2', 'PF_KEY_V2'],
  ...(['RESERVED', 'GETSPI', 'UPDATE', 'ADD', 'DELETE', 'GET', 'ACQUIRE', 'REGISTER', 'EXPIRE', 'FLUSH', 'DUMP',
    'X_PROMISC', 'X_PCHANGE', 'X_SPDUPDATE', 'X_SPDADD', 'X_SPDDELETE', 'X_SPDGET', 'X_SPDACQUIRE', 'X_SPDDUMP',
    'X_SPDFLUSH', 'X_SPDSETIDX', 'X_SPDEXPIRE', 'X_SPDDELETE2', 'X_NAT_T_NEW_MAPPING', 'X_MIGRATE'] as const)
    .map((n) => [`SADB_${n}`, `SADB_${n}`] as [keyof typeof C, string]),
  ...(['EXT_RESERVED', 'EXT_SA', 'EXT_LIFETIME_CURRENT', 'EXT_LIFETIME_HARD', 'EXT_LIFETIME_SOFT', 'EXT_ADDRESS_SRC',
    'EXT_ADDRESS_DST', 'EXT_ADDRESS_PROXY', 'EXT_KEY_AUTH', 'EXT_KEY_ENCRYPT', 'EXT_IDENTITY_SRC', 'EXT_IDENTITY_DST',
    'EXT_SENSITIVITY', 'EXT_PROPOSAL', 'EXT_SUPPORTED_AUTH', 'EXT_SUPPORTED_ENCRYPT', 'EXT_SPIRANGE', 'X_EXT_KMPRIVATE',
    'X_EXT_POLICY', 'X_EXT_SA2', 'X_EXT_NAT_T_TYPE', 'X_EXT_NAT_T_SPORT', 'X_EXT_NAT_T_DPORT', 'X_EXT_NAT_T_OA',
    'SATYPE_UNSPEC', 'SATYPE_AH', 'SATYPE_ESP', 'SATYPE_RSVP', 'SATYPE_OSPFV2', 'SATYPE_RIPV2', 'SATYPE_MIP',
    'X_SATYPE_IPCOMP', 'SASTATE_LARVAL', 'SASTATE_MATURE', 'SASTATE_DYING', 'SASTATE_DEAD', 'SASTATE_MAX',
    'SAFLAGS_PFS', 'AALG_NONE', 'AALG_MD5HMAC', 'AALG_SHA1HMAC', 'X_AALG_RIPEMD160HMAC', 'X_AALG_AES_XCBC_MAC',
    'X_AALG_NULL', 'EALG_NONE', 'EALG_DESCBC', 'EALG_3DESCBC', 'X_EALG_BLOWFISHCBC', 'EALG_NULL', 'X_EALG_AESCBC',
    'X_EALG_AESCTR', 'X_EALG_CAMELLIACBC', 'X_EALG_TWOFISHCBC', 'X_CALG_NONE', 'X_CALG_OUI', 'X_CALG_DEFLATE',
    'X_CALG_LZS', 'X_CALG_MAX', 'IDENTTYPE_RESERVED', 'IDENTTYPE_PREFIX', 'IDENTTYPE_FQDN', 'IDENTTYPE_USERFQDN'] as const)
    .map((n) => [`SADB_${n}`, `SADB_${n}`] as [keyof typeof C, string]),
  ['SADB_X_AALG_SHA2_256', 'SADB_X_AALG_SHA2_256HMAC'], ['SADB_X_AALG_SHA2_384', 'SADB_X_AALG_SHA2_384HMAC'],
  ['SADB_X_AALG_SHA2_512', 'SADB_X_AALG_SHA2_512HMAC'], ['SADB_X_EALG_CAST128CBC', 'SADB_X_EALG_CASTCBC'],
  ['SADB_X_EALG_AESGCM8', 'SADB_X_EALG_AES_GCM_ICV8'], ['SADB_X_EALG_AESGCM12', 'SADB_X_EALG_AES_GCM_ICV12'],
  ['SADB_X_EALG_AESGCM16', 'SADB_X_EALG_AES_GCM_ICV16'], ['SADB_X_EALG_AESGMAC', 'SADB_X_EALG_NULL_AES_GMAC'],
  ...(['PORT_ANY', 'ULPROTO_ANY', 'PROTO_ANY', 'MODE_ANY', 'MODE_TRANSPORT', 'MODE_TUNNEL', 'DIR_ANY', 'DIR_INBOUND',
    'DIR_OUTBOUND', 'POLICY_DISCARD', 'POLICY_NONE', 'POLICY_IPSEC', 'POLICY_ENTRUST', 'POLICY_BYPASS',
    'LEVEL_DEFAULT', 'LEVEL_USE', 'LEVEL_REQUIRE', 'LEVEL_UNIQUE', 'MANUAL_REQID_MAX', 'REPLAYWSIZE'] as const)
    .map((n) => [`IPSEC_${n}`, `IPSEC_${n}`] as [keyof typeof C, string]),
];
// Extension slots with the same number and a different meaning: [BSD name, Linux name].
const SAME_SLOT: [keyof typeof C, string][] = [
  ['SADB_X_EXT_NAT_T_OAR', 'SADB_X_EXT_SEC_CTX'], // 24
  ['SADB_X_EXT_NAT_T_FRAG', 'SADB_X_EXT_KMADDRESS'], // 25
  ['SADB_X_EXT_SA_REPLAY', 'SADB_X_EXT_FILTER'], // 26
  ['SADB_X_EALG_CHACHA20POLY1305', 'SADB_X_EALG_AES_CCM_ICV12'], // 15
];
// Numbers where BSD and Linux differ: [our constant, Linux macro].
const KNOWN_DIFFERENT: [keyof typeof C, string][] = [
  ['SADB_EXT_MAX', 'SADB_EXT_MAX'], ['SADB_SATYPE_MAX', 'SADB_SATYPE_MAX'], ['SADB_MAX', 'SADB_MAX'],
  ['SADB_EALG_MAX', 'SADB_EALG_MAX'], ['SADB_AALG_MAX', 'SADB_AALG_MAX'], ['IPSEC_DIR_MAX', 'IPSEC_DIR_MAX'],
];

function findCompiler(): string | undefined {
  for (const cc of ['cc', 'gcc', 'clang', 'g++']) if (spawnSync(cc, ['--version']).status === 0) return cc;
  return undefined;
}

function cProgram(): string {
  const lines = ['#include <stdio.h>', '#include <stddef.h>', '#include <stdint.h>', '#include <netinet/in.h>',
    '#include <linux/pfkeyv2.h>', '#include <linux/ipsec.h>', BSD_DECLS, 'int main(void) {'];
  const size = (tag: string, s: string) => lines.push(`printf("size ${tag} %zu\\n", sizeof(struct ${s}));`);
  const field = (tag: string, s: string, m: string, ours: string) =>
    lines.push(`printf("field ${tag} ${ours} %zu %zu\\n", offsetof(struct ${s}, ${m}), sizeof(((struct ${s} *)0)->${m}));`);
  for (const l of ALL_LAYOUTS) {
    if (LINUX_SAME.includes(l.name)) {
      size(`linux.${l.name}`, l.name);
      for (const f of Object.keys(l.fields)) field(`linux.${l.name}`, l.name, `${l.name}_${LINUX_RENAMES[l.name]?.[f] ?? f}`, f);
    }
    const bsd = BSD_ONLY[l.name];
    if (bsd) {
      size(`bsd.${l.name}`, bsd[0]);
      for (const f of Object.keys(l.fields)) field(`bsd.${l.name}`, bsd[0], `${bsd[1]}${f}`, f);
    }
  }
  size('linux.sadb_x_ipsecrequest', 'sadb_x_ipsecrequest');
  for (const f of IPSECREQUEST_COMMON) field('linux.sadb_x_ipsecrequest', 'sadb_x_ipsecrequest', `sadb_x_ipsecrequest_${f}`, f);
  size('linux.sockaddr_in', 'sockaddr_in');
  field('linux.sockaddr_in', 'sockaddr_in', 'sin_port', 'port');
  field('linux.sockaddr_in', 'sockaddr_in', 'sin_addr', 'addr');
  size('linux.sockaddr_in6', 'sockaddr_in6');
  for (const [m, f] of [['sin6_port', 'port'], ['sin6_flowinfo', 'flowinfo'], ['sin6_addr', 'addr'], ['sin6_scope_id', 'scope_id']]) {
    field('linux.sockaddr_in6', 'sockaddr_in6', m!, f!);
  }
  for (const [, mac] of [...SAME_NUMBERS, ...SAME_SLOT, ...KNOWN_DIFFERENT]) lines.push(`printf("const ${mac} %lld\\n", (long long)(${mac}));`);
  lines.push('return 0; }');
  return lines.join('\n');
}

interface CFacts { sizes: Map<string, number>; fields: Map<string, [number, number]>; consts: Map<string, number> }

function runProgram(cc: string): CFacts {
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-pfkey-layout-'));
  try {
    writeFileSync(join(dir, 'layout.c'), cProgram());
    const isCxx = cc === 'g++';
    execFileSync(cc, [...(isCxx ? ['-x', 'c++'] : []), '-o', join(dir, 'layout'), join(dir, 'layout.c')], { stdio: 'pipe' });
    const out = execFileSync(join(dir, 'layout'), { encoding: 'utf8' });
    const facts: CFacts = { sizes: new Map(), fields: new Map(), consts: new Map() };
    for (const line of out.trim().split('\n')) {
      const p = line.split(' ');
      if (p[0] === 'size') facts.sizes.set(p[1]!, Number(p[2]));
      if (p[0] === 'field') facts.fields.set(`${p[1]}.${p[2]}`, [Number(p[3]), Number(p[4])]);
      if (p[0] === 'const') facts.consts.set(p[1]!, Number(p[2]));
    }
    return facts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function compareLayout(facts: CFacts, tag: string, l: StructLayout, only?: string[]): void {
  if (!only) assert.equal(l.size, facts.sizes.get(tag), `sizeof(${tag})`);
  for (const [name, f] of Object.entries(l.fields)) {
    if (only && !only.includes(name)) continue;
    assert.deepEqual([f.off, f.size], facts.fields.get(`${tag}.${name}`), `${tag}.${name} [offset, size]`);
  }
}

describe('pfkey layouts against a C compiler and <linux/pfkeyv2.h>', function () {
  let facts: CFacts;
  before(function () {
    const cc = findCompiler();
    if (!cc) { console.log('      (skipped: no C compiler on this machine)'); this.skip(); }
    if (!existsSync(LINUX_HEADER)) { console.log(`      (skipped: ${LINUX_HEADER} not installed)`); this.skip(); }
    facts = runProgram(cc!);
  });

  for (const l of ALL_LAYOUTS) {
    it(`${l.name}: sizeof and every offsetof match the compiler`, function () {
      if (LINUX_SAME.includes(l.name)) compareLayout(facts, `linux.${l.name}`, l);
      if (BSD_ONLY[l.name]) compareLayout(facts, `bsd.${l.name}`, l);
      if (!LINUX_SAME.includes(l.name) && !BSD_ONLY[l.name]) assert.fail(`no C check for ${l.name}`);
    });
  }

  it('Linux/BSD differences: ipsecrequest 16 vs 8 bytes, sockaddrs same size without sa_len', () => {
    const req = ALL_LAYOUTS.find((l) => l.name === 'sadb_x_ipsecrequest')!;
    compareLayout(facts, 'linux.sadb_x_ipsecrequest', req, IPSECREQUEST_COMMON);
    assert.equal(facts.sizes.get('linux.sadb_x_ipsecrequest'), 16);
    assert.equal(req.size, 8);
    for (const name of ['sockaddr_in', 'sockaddr_in6']) {
      const l = ALL_LAYOUTS.find((x) => x.name === name)!;
      const common = name === 'sockaddr_in' ? ['port', 'addr'] : ['port', 'flowinfo', 'addr', 'scope_id'];
      compareLayout(facts, `linux.${name}`, l, common);
      assert.equal(facts.sizes.get(`linux.${name}`), l.size);
    }
  });

  it('network-order fields are exactly the ones <linux/pfkeyv2.h> declares __be16/__be32', () => {
    const header = readFileSync(LINUX_HEADER, 'utf8');
    const be = new Set([...header.matchAll(/__be(?:16|32)\s+(\w+)\s*;/g)].map((m) => m[1]!));
    const ours = new Set<string>();
    for (const l of ALL_LAYOUTS) {
      if (!LINUX_SAME.includes(l.name)) continue;
      for (const [f, spec] of Object.entries(l.fields)) if (spec.kind === 'n16' || spec.kind === 'n32') ours.add(`${l.name}_${f}`);
    }
    assert.deepEqual([...ours].sort(), [...be].sort());
  });

  it('shared constants equal the Linux header values', () => {
    for (const [ours, mac] of SAME_NUMBERS) assert.equal(C[ours], facts.consts.get(mac), `${ours} vs ${mac}`);
  });

  it('slots Linux reuses with another meaning (ext 24-26, ealg 15) have the same number', () => {
    for (const [ours, mac] of SAME_SLOT) assert.equal(C[ours], facts.consts.get(mac), `${ours} vs ${mac}`);
  });

  it('documented BSD-vs-Linux number differences still differ', () => {
    for (const [ours, mac] of KNOWN_DIFFERENT) assert.notEqual(C[ours], facts.consts.get(mac), `${ours} vs ${mac}`);
  });
});
