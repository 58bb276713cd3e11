// The configuration payload logic (racoon/ikev2/cfg.ts, RFC 7296 §2.19, §3.15): what a client keeps from a
// CFG_REPLY (bounded, malformed values skipped), what a server answers to a CFG_REQUEST (each type once, values
// the §3.15.1 table accepts, one lease per IKE SA within pool_size), TSi narrowing; fuzzed with fast-check on
// fixed seeds: random and mutated CP bodies through decodeCp and then readReply / serveRequest.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ManualClock } from '../../../../common/clock.js';
import { SeededRng } from '../../../../common/rng.js';
import { parseRacoonConf } from '../../../../racoon/conf/parser.js';
import type { EngineCtx } from '../../../../racoon/engine/context.js';
import { newRacoonStats } from '../../../../racoon/engine/stats.js';
import { emptyResult, MAX_CFG_ATTRS } from '../../../../racoon/ikev1/cfg/attributes.js';
import { existingPool } from '../../../../racoon/ikev1/cfg/pool.js';
import {
  clientRequest,
  clientTsi,
  narrowToAddress,
  readReply,
  releaseLease,
  serveRequest,
} from '../../../../racoon/ikev2/cfg.js';
import { Ikev2Error } from '../../../../racoon/ikev2/codec.js';
import * as K from '../../../../racoon/ikev2/constants.js';
import { decodeCp, encodeCp, type Ikev2Cp } from '../../../../racoon/ikev2/payloads/cp.js';
import type { Ikev2AddrSelector } from '../../../../racoon/ikev2/payloads/ts.js';
import { makeIkeSa, type IkeSa } from '../../../../racoon/ikev2/records.js';
import { selectorText } from '../../../../racoon/ikev2/selectors.js';
import { cfg6Env, type Cfg6 } from '../../../../racoon/ikev2/cfg6.js';
import { formatAddr, parseAddr } from '../../../../common/inet.js';

const SEED = 20261207;
const ip = (s: string) => Uint8Array.from(s.split('.').map(Number));

function ctxWith(modeCfg: string): EngineCtx & { lines: string[] } {
  const parsed = parseRacoonConf(
    `${modeCfg}\nremote anonymous { ike_version 2; proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group ecp256; } }\n`,
    'cfg.conf',
  );
  assert.deepEqual(parsed.errors, []);
  const lines: string[] = [];
  return {
    conf: parsed.conf,
    stats: newRacoonStats(),
    clock: new ManualClock(0),
    rng: new SeededRng('cfg'),
    log: (_l: string, m: string) => void lines.push(m),
    lines,
  } as unknown as EngineCtx & { lines: string[] };
}

let nextId = 1;
function ikeSa(ctx: EngineCtx): IkeSa {
  return makeIkeSa({
    id: nextId++,
    initiator: false,
    state: 'auth',
    spiI: new Uint8Array(8).fill(1),
    spiR: new Uint8Array(8).fill(2),
    local: { addr: ip('192.0.2.2'), port: 500 },
    remote: { addr: ip('192.0.2.1'), port: 500 },
    rmconf: ctx.conf.remotes[0]!,
    nowMs: 0,
  });
}

const SERVER = `mode_cfg { network4 10.77.0.10; netmask4 255.255.255.0; pool_size 3; dns4 10.77.0.53;
  split_network include 10.2.0.0/16; default_domain "corp.example"; }`;

const cpPayload = (cp: Ikev2Cp) => [{ type: K.IKEV2_PAYLOAD_CP, body: cp } as const];

describe('racoon/ikev2/cfg: configuration payload (RFC 7296 §2.19, §3.15)', () => {
  it("the client's request asks for each value empty, and the server's reply re-decodes within §3.15.1", () => {
    const ctx = ctxWith(SERVER);
    const req = clientRequest();
    assert.equal(req.type, K.IKEV2_PAYLOAD_CP);
    const sa = ikeSa(ctx);
    const ans = serveRequest(ctx, sa, [req]);
    assert.equal(ans.addr4?.join('.'), '10.77.0.10');
    const reply = ans.payload!.body as Ikev2Cp;
    assert.equal(reply.cfgType, K.IKEV2_CFG_REPLY);
    const again = decodeCp(encodeCp(reply)).value; // lengths checked against §3.15.1 by the codec
    const r = emptyResult();
    assert.equal(readReply(again, r), 0);
    assert.equal(r.addr4?.join('.'), '10.77.0.10');
    assert.equal(r.mask4?.join('.'), '255.255.255.0');
    assert.deepEqual(
      r.splitInclude.map((p) => `${p.addr.join('.')}/${p.len}`),
      ['10.2.0.0/16'],
    );
    assert.equal(r.defaultDomain, 'corp.example');
    // Asked again (a repeated request), the same lease; released with the IKE SA.
    assert.equal(serveRequest(ctx, sa, [req]).addr4?.join('.'), '10.77.0.10');
    assert.equal(existingPool(ctx)?.inUse(), 1);
    releaseLease(ctx, sa);
    assert.equal(existingPool(ctx)?.inUse(), 0);
  });

  it('pool_size bounds the leases; the next request is told the pool is exhausted', () => {
    const ctx = ctxWith(SERVER);
    const got = [0, 1, 2, 3].map(() => serveRequest(ctx, ikeSa(ctx), [clientRequest()]));
    assert.deepEqual(
      got.map((g) => g.addr4?.join('.') ?? (g.exhausted ? 'exhausted' : '?')),
      ['10.77.0.10', '10.77.0.11', '10.77.0.12', 'exhausted'],
    );
    assert.equal(ctx.stats.cfgPoolExhausted, 1);
  });

  it('the reply reader skips malformed values and keeps at most 4 DNS servers', () => {
    const r = emptyResult();
    const attrs = [
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP4_NETMASK, value: ip('255.0.255.0') }, // not contiguous
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP4_SUBNET, value: Uint8Array.of(10, 0, 0, 0, 255, 0, 255, 0) },
      { type: K.IKEV2_CFG_ATTR_INTERNAL_DNS_DOMAIN, value: new Uint8Array(Buffer.from('evil\n; rm -rf /')) },
      ...[1, 2, 3, 4, 5, 6].map((i) => ({ type: K.IKEV2_CFG_ATTR_INTERNAL_IP4_DNS, value: ip(`10.0.0.${i}`) })),
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP4_ADDRESS, value: ip('10.9.9.9') },
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP4_ADDRESS, value: ip('10.9.9.8') },
    ];
    assert.equal(readReply({ cfgType: K.IKEV2_CFG_REPLY, attrs }, r), 3);
    assert.equal(r.mask4, undefined);
    assert.equal(r.defaultDomain, undefined);
    assert.equal(r.dns4.length, 4);
    assert.equal(r.addr4?.join('.'), '10.9.9.9', 'the first address is ours');
  });

  it('TSi: narrowed to the leased address; a client proposes its address once it has one', () => {
    const any: Ikev2AddrSelector = {
      tsType: K.IKEV2_TS_IPV4_ADDR_RANGE,
      protocol: 0,
      startPort: 0,
      endPort: 65535,
      startAddr: ip('0.0.0.0'),
      endAddr: ip('255.255.255.255'),
    };
    assert.deepEqual(narrowToAddress([any], ip('10.77.0.10')).map(selectorText), ['10.77.0.10']);
    const other: Ikev2AddrSelector = { ...any, startAddr: ip('10.1.0.0'), endAddr: ip('10.1.0.255') };
    assert.deepEqual(narrowToAddress([other], ip('10.77.0.10')), []);
    const ctx = ctxWith('');
    const sa = ikeSa(ctx);
    assert.equal(selectorText(clientTsi(sa, any)), '0.0.0.0-255.255.255.255');
    sa.cfg = { client: true, result: { ...emptyResult(), addr4: ip('10.77.0.10') } };
    assert.equal(selectorText(clientTsi(sa, any)), '10.77.0.10');
    assert.equal(selectorText(clientTsi(sa, other)), '10.1.0.0-10.1.0.255', 'a policy without it stays as it is');
  });

  it('IPv6 in a reply: the first usable address with its prefix length, 4 DNS servers, reserved values skipped', () => {
    const a6 = (x: string) => parseAddr(x)!;
    const v6: Cfg6 = { dns6: [] };
    const attrs = [
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, value: Uint8Array.of(...a6('2001:db8::1'), 129) }, // > 128
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, value: Uint8Array.of(...a6('::'), 64) },
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, value: Uint8Array.of(...a6('::ffff:10.0.0.1'), 64) },
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, value: Uint8Array.of(...a6('ff05::2'), 64) },
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, value: Uint8Array.of(...a6('2001:db8::10'), 64) },
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, value: Uint8Array.of(...a6('2001:db8::11'), 64) },
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, value: new Uint8Array(0) }, // an empty value: skipped
      ...[1, 2, 3, 4, 5].map((i) => ({ type: K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS, value: a6(`2001:db8::5${i}`) })),
      { type: K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS, value: a6('::1') },
    ];
    assert.equal(readReply({ cfgType: K.IKEV2_CFG_REPLY, attrs }, emptyResult(), v6), 6);
    assert.equal(formatAddr(v6.addr6!), '2001:db8::10');
    assert.equal(v6.plen6, 64);
    assert.deepEqual(v6.dns6.map(formatAddr), ['2001:db8::51', '2001:db8::52', '2001:db8::53', '2001:db8::54']);
    assert.deepEqual(cfg6Env(v6), {
      INTERNAL_ADDR6: '2001:db8::10',
      INTERNAL_CIDR6: '64',
      INTERNAL_DNS6: '2001:db8::51',
      INTERNAL_DNS6_LIST: '2001:db8::51 2001:db8::52 2001:db8::53 2001:db8::54',
    });
    assert.deepEqual(cfg6Env({ dns6: [] }), {});
    // An IPv6 policy's TSi narrows to the IPv6 address; an IPv4 one to the IPv4 address.
    const sa = ikeSa(ctxWith(''));
    sa.cfg = { client: true, result: { ...emptyResult(), addr4: ip('10.77.0.10') }, v6 };
    const any6: Ikev2AddrSelector = {
      tsType: K.IKEV2_TS_IPV6_ADDR_RANGE,
      protocol: 0,
      startPort: 0,
      endPort: 65535,
      startAddr: new Uint8Array(16),
      endAddr: new Uint8Array(16).fill(0xff),
    };
    assert.equal(formatAddr(clientTsi(sa, any6).startAddr), '2001:db8::10');
    assert.equal(formatAddr(clientTsi(sa, any6).endAddr), '2001:db8::10');
  });

  it('fuzz: 4,000 random and mutated CP bodies through decodeCp, readReply and serveRequest', () => {
    const base = encodeCp(
      serveRequest(ctxWith(SERVER), ikeSa(ctxWith(SERVER)), [clientRequest()]).payload!.body as Ikev2Cp,
    );
    const ctx = ctxWith(SERVER);
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.record({ at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
        fc.boolean(),
        (raw, flips, useBase) => {
          const body = useBase ? Uint8Array.from(base) : raw;
          for (const f of flips) if (body.length) body[f.at % body.length] = f.v;
          let cp: Ikev2Cp;
          try {
            cp = decodeCp(body, 0, body.length).value;
          } catch (e) {
            if (e instanceof Ikev2Error) return;
            throw e;
          }
          decoded++;
          const r = emptyResult();
          const bad = readReply(cp, r);
          assert.ok(bad <= cp.attrs.length && r.dns4.length <= 4 && r.wins4.length <= 4 && r.splitInclude.length <= 32);
          const sa = ikeSa(ctx);
          const ans = serveRequest(ctx, { ...sa }, cpPayload(cp));
          if (ans.payload) {
            const reply = ans.payload.body as Ikev2Cp;
            assert.ok(reply.attrs.length <= MAX_CFG_ATTRS * 4);
            decodeCp(encodeCp(reply)); // the answer is valid on the wire
          }
          releaseLease(ctx, { ...sa, cfg: { client: false, result: emptyResult() } });
          assert.ok((existingPool(ctx)?.inUse() ?? 0) <= 3);
        },
      ),
      { seed: SEED, numRuns: 4000, endOnFailure: true },
    );
    assert.ok(decoded > 400, `only ${decoded} bodies decoded`);
  });
});
