// Every wire number in racoon/isakmp/constants.ts has a name in its table (no drift between the two),
// and a few values are pinned to their RFC sources.
import { strict as assert } from 'node:assert';
import * as C from '../../../../racoon/isakmp/constants.js';

const exported = C as unknown as Record<string, unknown>;

/** All numeric exports whose name starts with `prefix` (minus the excluded names). */
function group(prefix: string, exclude: RegExp = /_NAMES$/): [string, number][] {
  return Object.entries(exported).filter(
    ([k, v]) => k.startsWith(prefix) && typeof v === 'number' && !exclude.test(k),
  ) as [string, number][];
}

describe('racoon/isakmp constants', () => {
  const cases: [string, C.NameTable, RegExp?][] = [
    ['ISAKMP_ETYPE_', C.ISAKMP_ETYPE_NAMES],
    ['ISAKMP_NPTYPE_', C.ISAKMP_NPTYPE_NAMES],
    ['ISAKMP_NTYPE_', C.ISAKMP_NTYPE_NAMES],
    ['IPSECDOI_NTYPE_', C.ISAKMP_NTYPE_NAMES],
    ['IPSECDOI_PROTO_', C.IPSECDOI_PROTO_NAMES],
    ['IPSECDOI_AH_', C.IPSECDOI_AH_NAMES],
    ['IPSECDOI_ESP_', C.IPSECDOI_ESP_NAMES],
    ['IPSECDOI_IPCOMP_', C.IPSECDOI_IPCOMP_NAMES],
    ['OAKLEY_ATTR_ENC_ALG_', C.OAKLEY_ATTR_ENC_ALG_NAMES],
    ['OAKLEY_ATTR_HASH_ALG_', C.OAKLEY_ATTR_HASH_ALG_NAMES],
    ['OAKLEY_ATTR_AUTH_METHOD_', C.OAKLEY_ATTR_AUTH_METHOD_NAMES],
    ['OAKLEY_ATTR_GRP_DESC_', C.OAKLEY_ATTR_GRP_DESC_NAMES],
    ['OAKLEY_ATTR_GRP_TYPE_', C.OAKLEY_ATTR_GRP_TYPE_NAMES],
    ['IPSECDOI_ATTR_ENC_MODE_', C.IPSECDOI_ATTR_ENC_MODE_NAMES],
    ['IPSECDOI_ATTR_AUTH_', C.IPSECDOI_ATTR_AUTH_NAMES],
    ['IPSECDOI_ID_', C.IPSECDOI_ID_NAMES],
    ['ISAKMP_CERT_', C.ISAKMP_CERT_NAMES],
    ['ISAKMP_CFG_', C.ISAKMP_CFG_NAMES],
  ];
  for (const [prefix, table] of cases) {
    it(`every ${prefix}* value has a name`, () => {
      const g = group(prefix);
      assert.ok(g.length > 0, prefix);
      for (const [k, v] of g) assert.ok(table[v] !== undefined, `${k} = ${v} has no name`);
    });
  }

  it('phase 1 and phase 2 attribute classes are all named', () => {
    const p1 = group('OAKLEY_ATTR_', /_NAMES$|_ALG_|_METHOD_|_GRP_DESC_|_GRP_TYPE_|_SA_LD_TYPE_/);
    for (const [k, v] of p1) assert.ok(C.OAKLEY_ATTR_NAMES[v], `${k}`);
    const p2 = group('IPSECDOI_ATTR_', /_NAMES$|_ENC_MODE_|_AUTH_|_SA_LD_TYPE_/);
    for (const [k, v] of p2) assert.ok(C.IPSECDOI_ATTR_NAMES[v], `${k}`);
  });

  it('pins values to their RFCs', () => {
    // RFC 2408 §3.1 / §3.14.1, RFC 2407 §4.6.3, RFC 3706 §5, RFC 3947 §3.2/§5.1/§5.2
    assert.deepEqual(
      [C.ISAKMP_ETYPE_IDENT, C.ISAKMP_ETYPE_AGG, C.ISAKMP_ETYPE_INFO, C.ISAKMP_ETYPE_QUICK],
      [2, 4, 5, 32],
    );
    assert.deepEqual(
      [C.ISAKMP_NPTYPE_VID, C.ISAKMP_NPTYPE_NATD_RFC, C.ISAKMP_NPTYPE_NATOA_RFC, C.ISAKMP_NPTYPE_NATD_DRAFT],
      [13, 20, 21, 130],
    );
    assert.deepEqual(
      [C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, C.IPSECDOI_NTYPE_INITIAL_CONTACT],
      [16, 14, 24578],
    );
    assert.deepEqual([C.ISAKMP_NTYPE_R_U_THERE, C.ISAKMP_NTYPE_R_U_THERE_ACK], [36136, 36137]);
    assert.deepEqual(
      [
        C.IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_RFC,
        C.IPSECDOI_ATTR_ENC_MODE_UDPTRNS_RFC,
        C.IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_DRAFT,
      ],
      [3, 4, 61443],
    );
    assert.deepEqual(
      [
        C.OAKLEY_ATTR_ENC_ALG_AES,
        C.IPSECDOI_ESP_AES,
        C.OAKLEY_ATTR_HASH_ALG_SHA2_256,
        C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_256,
      ],
      [7, 12, 4, 5],
    );
    assert.equal(C.ISAKMP_HEADER_LEN, 28);
  });
});
