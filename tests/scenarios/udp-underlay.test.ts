// Scenario: two hosts whose IP packets travel over the real UDP underlay on loopback (real sockets, as two
// processes or machines would use it), exchanging ESP, AH and IPComp in transport and tunnel mode, IPv4 and
// IPv6, with ping and UDP. tests/interop/tshark-host.test.ts decodes the same traffic with tshark.
import { strict as assert } from 'node:assert';
import type { IpsecProto } from '../../kernel/sad/secassoc.js';
import { underlayPair, receiveN, protectPair, UB } from './lab.js';

const PROTOS: IpsecProto[] = ['esp', 'ah', 'ipcomp'];
const MODES = ['transport', 'tunnel'] as const;
const STAT: Record<IpsecProto, string> = { esp: 'esps', ah: 'ahs', ipcomp: 'ipcomps' };

describe('scenario hosts over the real UDP underlay (loopback)', () => {
  for (const fam of ['v4', 'v6'] as const) {
    for (const proto of PROTOS) {
      for (const mode of MODES) {
        it(`${proto} ${mode} ${fam === 'v4' ? 'IPv4' : 'IPv6'}: ping and UDP`, async () => {
          const p = await underlayPair();
          try {
            protectPair(p, proto, mode, fam, 0x1000 + (PROTOS.indexOf(proto) << 8) + (MODES.indexOf(mode) << 4));
            // IPComp sends small payloads uncompressed (RFC 3173 §2.2): use compressible 1000-byte data.
            const size = proto === 'ipcomp' ? 1000 : 64;
            const replies = await p.a.ping(UB[fam], { count: 3, intervalMs: 0, timeoutMs: 5000, size });
            assert.equal(replies.length, 3);
            const data = new TextEncoder().encode('over the underlay '.repeat(proto === 'ipcomp' ? 40 : 2));
            const got = receiveN(p.b, 4242, 1);
            p.a.udpSocket().send(data, UB[fam], 4242);
            assert.deepEqual((await got)[0], data);
            const g = STAT[proto];
            assert.equal(p.a.stats.get(`${g}_output`), 4);
            assert.equal(p.b.stats.get(`${g}_input`), 4);
            assert.equal(p.a.stats.get(`${g}_input`), 3);
            for (const h of [p.a, p.b]) assert.equal(h.stats.get('ips_in_polvio'), 0);
          } finally {
            p.close();
          }
        });
      }
    }
  }
});
