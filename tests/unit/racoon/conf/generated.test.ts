// Grammar-driven property test: fast-check builds random *valid* racoon.conf files (remotes with random
// settings and proposals, sainfos with random ids and algorithm lists, random spacing and comments), along
// with the values each directive must produce; the parser must accept them silently and produce those values.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { formatAddr, formatPrefix } from '../../../../common/inet.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { parseRacoonConf } from '../../../../racoon/conf/parser.js';
import { validateRacoonConf } from '../../../../racoon/conf/validate.js';

type Expect = Record<string, unknown>;
interface Piece {
  text: string;
  expect: Expect;
}

const ws = fc.constantFrom(' ', '  ', '\t', '\n', ' \n\t', ' # note\n');
const join = (parts: string[], seps: string[]) => parts.map((p, i) => p + (seps[i % seps.length] ?? ' ')).join('');

const UNITS: [string, number][] = [
  ['sec', 1],
  ['secs', 1],
  ['second', 1],
  ['seconds', 1],
  ['min', 60],
  ['mins', 60],
  ['minute', 60],
  ['minutes', 60],
  ['hour', 3600],
  ['hours', 3600],
];
const time = fc
  .tuple(fc.integer({ min: 1, max: 500 }), fc.constantFrom(...UNITS))
  .map(([n, [u, f]]) => ({ text: `${n} ${u}`, sec: n * f }));
const onOff = fc.boolean().map((b) => ({ text: b ? 'on' : 'off', value: b }));
const DH: [string, number][] = [
  ['modp768', 1],
  ['modp1024', 2],
  ['2', 2],
  ['modp1536', 5],
  ['modp2048', 14],
  ['14', 14],
  ['modp3072', 15],
  ['modp4096', 16],
  ['modp8192', 18],
];
const ENC1: [string, number, number | undefined][] = [
  ['aes', 7, undefined],
  ['aes 128', 7, 128],
  ['aes 256', 7, 256],
  ['3des', 5, undefined],
  ['camellia 192', 8, 192],
  ['blowfish 448', 3, 448],
  ['des', 1, undefined],
];
const HASH: [string, number][] = [
  ['md5', 1],
  ['sha1', 2],
  ['sha256', 4],
  ['sha2_384', 5],
  ['sha512', 6],
];

const remoteSetting: fc.Arbitrary<Piece> = fc.oneof(
  fc.shuffledSubarray(['main', 'aggressive', 'base'], { minLength: 1 }).map((m) => ({
    text: `exchange_mode ${m.join(', ')};`,
    expect: { exchangeMode: m.map((x) => ({ main: 2, aggressive: 4, base: 1 })[x]) },
  })),
  time.map((t) => ({ text: `lifetime time ${t.text};`, expect: { lifetimeSec: t.sec } })),
  onOff.map((b) => ({ text: `passive ${b.text};`, expect: { passive: b.value } })),
  onOff.map((b) => ({ text: `initial_contact ${b.text};`, expect: { initialContact: b.value } })),
  onOff.map((b) => ({ text: `support_proxy ${b.text};`, expect: { supportProxy: b.value } })),
  onOff.map((b) => ({ text: `weak_phase1_check ${b.text};`, expect: { weakPhase1Check: b.value } })),
  fc
    .constantFrom('obey', 'strict', 'claim', 'exact')
    .map((v) => ({ text: `proposal_check ${v};`, expect: { proposalCheck: v } })),
  fc.constantFrom('on', 'off', 'force').map((v) => ({ text: `nat_traversal ${v};`, expect: { natTraversal: v } })),
  fc
    .constantFrom('on', 'off', 'require', 'unique')
    .map((v) => ({ text: `generate_policy ${v};`, expect: { generatePolicy: v } })),
  fc.constantFrom('on', 'off', 'force').map((v) => ({ text: `rekey ${v};`, expect: { rekey: v } })),
  fc.integer({ min: 8, max: 256 }).map((n) => ({ text: `nonce_size ${n};`, expect: { nonceSize: n } })),
  fc.integer({ min: 0, max: 3600 }).map((n) => ({ text: `dpd_delay ${n};`, expect: { dpdDelaySec: n } })),
  fc.integer({ min: 1, max: 60 }).map((n) => ({ text: `dpd_retry ${n};`, expect: { dpdRetrySec: n } })),
  fc.integer({ min: 1, max: 20 }).map((n) => ({ text: `dpd_maxfail 0x${n.toString(16)};`, expect: { dpdMaxfail: n } })),
  fc
    .stringMatching(/^[a-z]{1,8}\.example$/)
    .map((s) => ({ text: `my_identifier fqdn "${s}";`, expect: { myIdentifier: { type: 'fqdn', value: s } } })),
);

const proposal = (dh: [string, number]) =>
  fc
    .tuple(
      fc.constantFrom(...ENC1),
      fc.constantFrom(...HASH),
      fc.option(time),
      fc.array(ws, { minLength: 6, maxLength: 6 }),
    )
    .map(([[encText, enc, keyLen], [hashText, hash], life, seps]) => ({
      text: join(
        [
          'proposal {',
          `encryption_algorithm ${encText};`,
          `hash_algorithm ${hashText};`,
          'authentication_method pre_shared_key;',
          `dh_group ${dh[0]};`,
          life ? `lifetime time ${life.text};` : '',
          '}',
        ],
        seps,
      ),
      expect: { enc, keyLen, hash, dh: dh[1], lifetimeSec: life?.sec },
    }));

const remote = (n: number) =>
  fc
    .constantFrom(...DH)
    .chain((dh) =>
      fc.tuple(
        fc.option(fc.integer({ min: 1, max: 65535 })),
        fc.uniqueArray(remoteSetting, { maxLength: 8, selector: (p) => p.text.split(' ')[0] }),
        fc.array(proposal(dh), { minLength: 1, maxLength: 3 }),
        fc.array(ws, { minLength: 3, maxLength: 3 }),
      ),
    )
    .map(([port, settings, props, seps]) => ({
      text: join(
        [
          `remote 192.0.2.${n}${port !== null ? ` [${port}]` : ''}`,
          '{',
          ...settings.map((s) => s.text),
          ...props.map((p) => p.text),
          '}',
        ],
        seps,
      ),
      address: `192.0.2.${n}`,
      port: port ?? 500,
      settings,
      props,
    }));

const PH2_ENC: [string, number][] = [
  ['aes', 12],
  ['3des', 3],
  ['blowfish', 7],
  ['null_enc', 11],
  ['camellia', 22],
  ['rijndael', 12],
];
const PH2_AUTH: [string, number][] = [
  ['hmac_sha1', 2],
  ['hmac_md5', 1],
  ['hmac_sha256', 5],
  ['hmac_sha2_512', 7],
  ['non_auth', 254],
];
const sainfo = (n: number) =>
  fc
    .tuple(
      fc.boolean(),
      fc.uniqueArray(fc.constantFrom(...PH2_ENC), { minLength: 1, maxLength: 3, selector: (x) => x[0] }),
      fc.uniqueArray(fc.constantFrom(...PH2_AUTH), { minLength: 1, maxLength: 3, selector: (x) => x[0] }),
      fc.option(fc.constantFrom(...DH)),
      fc.option(time),
      fc.array(ws, { minLength: 4, maxLength: 4 }),
    )
    .map(([subnets, enc, auth, pfs, life, seps]) => ({
      text: join(
        [
          subnets
            ? `sainfo subnet 10.${n}.0.0/16 any subnet 172.16.${n}.0/24 [any] tcp {`
            : n === 0
              ? 'sainfo anonymous {'
              : `sainfo address 10.${n}.0.1 [${n}] udp address 10.${n}.0.2 any {`,
          `encryption_algorithm ${enc.map((e) => e[0]).join(', ')};`,
          `authentication_algorithm ${auth.map((a) => a[0]).join(',')};`,
          'compression_algorithm deflate;',
          pfs ? `pfs_group ${pfs[0]};` : '',
          life ? `lifetime time ${life.text};` : '',
          '}',
        ],
        seps,
      ),
      expect: {
        local: subnets ? `10.${n}.0.0/16` : n === 0 ? 'anonymous' : `10.${n}.0.1/32`,
        enc: enc.map((e) => e[1]),
        auth: auth.map((a) => a[1]),
        pfs: pfs?.[1],
        lifetimeSec: life?.sec ?? 28800,
      },
    }));

describe('racoon/conf generated configurations (fast-check, fixed seed)', () => {
  it('500 random valid racoon.conf files parse without errors into the values they spell', () => {
    const config = fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
      .chain(([nr, ns]) =>
        fc.tuple(
          fc.tuple(...Array.from({ length: nr }, (_, i) => remote(i + 1))),
          fc.tuple(...Array.from({ length: ns }, (_, i) => sainfo(i))),
        ),
      );
    fc.assert(
      fc.property(config, ([remotes, sainfos]) => {
        const text = ['# generated', ...remotes.map((r) => r.text), ...sainfos.map((s) => s.text)].join('\n');
        const { conf, errors } = parseRacoonConf(text, 'gen.conf');
        assert.deepEqual(
          errors.map((e) => e.message),
          [],
          text,
        );
        // aggressive mode needs one DH group: each generated remote uses one, so validation must pass too,
        // apart from the support table's "not supported" reports of features uipsec lacks.
        assert.deepEqual(
          validateRacoonConf(conf)
            .map((e) => e.message)
            .filter((m) => !/: not supported( yet)? \(/.test(m)),
          [],
          text,
        );
        assert.equal(conf.remotes.length, remotes.length);
        remotes.forEach((g, i) => {
          const rm = conf.remotes[i]!;
          assert.equal(formatAddr(rm.address!), g.address);
          assert.equal(rm.port, g.port);
          for (const s of g.settings) {
            for (const [k, v] of Object.entries(s.expect)) {
              const got = (rm as unknown as Record<string, unknown>)[k];
              if (k === 'myIdentifier')
                assert.deepEqual({ type: (got as { type: string }).type, value: (got as { value: string }).value }, v);
              else assert.deepEqual(got, v, `${s.text} -> ${k}`);
            }
          }
          assert.deepEqual(
            rm.proposals.map((p) => ({
              enc: p.enc?.id,
              keyLen: p.enc?.keyLen,
              hash: p.hash?.id,
              dh: p.dhGroup?.id,
              lifetimeSec: p.lifetimeSec,
            })),
            g.props.map((p) => p.expect),
          );
          assert.ok(rm.proposals.every((p) => p.authMethod?.id === C.OAKLEY_ATTR_AUTH_METHOD_PSKEY));
        });
        assert.equal(conf.sainfos.length, sainfos.length);
        sainfos.forEach((g, i) => {
          const sa = conf.sainfos[i]!;
          assert.equal(
            typeof sa.local === 'string' ? sa.local : 'prefix' in sa.local ? formatPrefix(sa.local.prefix) : '',
            g.expect.local,
          );
          assert.deepEqual(
            sa.encryption.map((a) => a.id),
            g.expect.enc,
          );
          assert.deepEqual(
            sa.authentication.map((a) => a.id),
            g.expect.auth,
          );
          assert.equal(sa.pfsGroup?.id, g.expect.pfs);
          assert.equal(sa.lifetimeSec, g.expect.lifetimeSec);
        });
      }),
      { seed: 0xc0f, numRuns: 500 },
    );
  });
});
