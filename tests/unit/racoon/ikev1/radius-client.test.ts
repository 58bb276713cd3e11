// The RADIUS client of XAuth (RFC 2865 §2.5): the same packet resent `retries` times, then the next server;
// a forged or wrongly keyed answer ignored (never ending the login); and the daemon-wide bound on logins being
// checked: a flood of logins makes at most MAX_PENDING_LOGINS outstanding requests, the rest refused at once.
// The servers are UDP sockets on loopback answering with the codec (FreeRADIUS itself: tests/exchange).
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { ManualClock, systemClock } from '../../../../common/clock.js';
import { PooledRng } from '../../../../common/rng.js';
import type { RacoonConf } from '../../../../racoon/conf/ast.js';
import type { EngineCtx } from '../../../../racoon/engine/context.js';
import { MAX_PENDING_LOGINS, XauthAuthenticator } from '../../../../racoon/ikev1/cfg/auth-source.js';
import { radiusExchange, type RadiusClientOpts } from '../../../../racoon/ikev1/cfg/radius-client.js';
import * as R from '../../../../racoon/ikev1/cfg/radius-codec.js';

const SECRET = new Uint8Array(Buffer.from('loopback-secret'));
const txt = (s: string) => new Uint8Array(Buffer.from(s));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loopback server: `reply(request, n)` gives the datagrams to send back for the n-th request received. */
async function server(
  reply: (req: Uint8Array, n: number) => Uint8Array[],
): Promise<{ s: Socket; port: number; got: Uint8Array[] }> {
  const s = createSocket('udp4');
  const got: Uint8Array[] = [];
  s.on('message', (m, rinfo) => {
    const req = new Uint8Array(m);
    got.push(req);
    for (const d of reply(req, got.length)) s.send(d, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { s, port: s.address().port, got };
}

/** An Access-Accept to `req` keyed with `secret` (RFC 2865 §3 Response Authenticator). */
function accept(req: Uint8Array, secret: Uint8Array): Uint8Array {
  const wire = R.encodeRadius({
    code: R.RADIUS_ACCESS_ACCEPT,
    identifier: req[1]!,
    authenticator: req.slice(4, 20),
    attrs: [],
  });
  wire.set(createHash('md5').update(wire).update(secret).digest(), 4);
  return wire;
}

const opts = (o: Partial<RadiusClientOpts> = {}): RadiusClientOpts => ({
  clock: systemClock,
  rng: new PooledRng(),
  timeoutMs: 50,
  retries: 3,
  requireMessageAuth: false,
  ...o,
});

const build = (id: number) => R.encodeAccessRequest(id, new Uint8Array(16).fill(id), SECRET, txt('u'), txt('p'), []);

describe('racoon XAuth RADIUS client', () => {
  const socks: Socket[] = [];
  afterEach(() => socks.splice(0).forEach((s) => s.close()));

  it('resends the same packet until answered, at most `retries` times per server, then tries the next', async () => {
    const late = await server((req, n) => (n % 3 === 0 ? [accept(req, SECRET)] : []));
    const dead = await server(() => []);
    socks.push(late.s, dead.s);
    const t = (port: number) => ({ host: '127.0.0.1', port, secret: SECRET });
    const r = await radiusExchange([t(late.port)], build, opts());
    assert.ok(typeof r !== 'string', String(r));
    assert.equal(late.got.length, 3);
    assert.deepEqual(late.got[1], late.got[0], 'a retransmission is the same packet (RFC 2865 §2.5)');
    const r2 = await radiusExchange([t(dead.port), t(late.port)], build, opts());
    assert.ok(typeof r2 !== 'string');
    assert.equal(r2.target.port, late.port, 'the second server answered');
    assert.equal(dead.got.length, 3);
    const r3 = await radiusExchange([t(dead.port)], build, opts({ retries: 2 }));
    assert.match(String(r3), /no answer after 2 tries/);
    assert.equal(dead.got.length, 5);
  });

  it('ignores a forged answer (wrong secret, wrong identifier) and takes the real one after it', async () => {
    const bad: string[] = [];
    const srv = await server((req) => {
      const wrongId = accept(req, SECRET);
      wrongId[1] = (wrongId[1]! + 1) & 0xff;
      return [accept(req, txt('guessed')), wrongId, new Uint8Array(7), accept(req, SECRET)];
    });
    socks.push(srv.s);
    const r = await radiusExchange(
      [{ host: '127.0.0.1', port: srv.port, secret: SECRET }],
      build,
      opts({ onBad: (w) => bad.push(w) }),
    );
    assert.ok(typeof r !== 'string', String(r));
    assert.equal(r.packet.code, R.RADIUS_ACCESS_ACCEPT);
    assert.equal(bad.length, 3, bad.join('\n'));
    assert.match(bad[0]!, /Response Authenticator/);
    assert.match(bad[1]!, /Identifier/);
    assert.equal(srv.got.length, 1);
  });

  it(`a flood of logins: at most ${MAX_PENDING_LOGINS} RADIUS exchanges at once, the rest refused at once`, async () => {
    const hole = await server(() => []);
    socks.push(hole.s);
    const clock = new ManualClock(0);
    const logs: string[] = [];
    const conf = {
      modeCfg: { authSource: 'radius', authGroups: [] },
      radius: {
        auth: [{ host: '127.0.0.1', port: hole.port, secret: 'loopback-secret' }],
        acct: [],
        timeoutSec: 1,
        retries: 2,
      },
    } as unknown as RacoonConf;
    const ctx = {
      conf,
      clock,
      rng: new PooledRng(),
      log: (_l: string, m: string) => logs.push(m),
    } as unknown as EngineCtx;
    const auth = new XauthAuthenticator(ctx);
    const verdicts: Promise<unknown>[] = [];
    let refusedAtOnce = 0;
    for (let i = 0; i < 40; i++) {
      const v = auth.check({ user: `u${i}`, pass: txt('secret-password'), peer: Uint8Array.of(192, 0, 2, i) });
      if (v instanceof Promise) verdicts.push(v);
      else {
        refusedAtOnce++;
        assert.match(v.why!, /logins already being checked/);
      }
    }
    assert.equal(refusedAtOnce, 40 - MAX_PENDING_LOGINS);
    assert.equal(auth.busy, 40 - MAX_PENDING_LOGINS);
    assert.equal(auth.inFlight, MAX_PENDING_LOGINS);
    for (let i = 0; i < 100 && hole.got.length < MAX_PENDING_LOGINS; i++) await sleep(20);
    assert.equal(hole.got.length, MAX_PENDING_LOGINS, 'one request per pending login');
    clock.advance(1000); // the second (last) send of each
    for (let i = 0; i < 100 && hole.got.length < 2 * MAX_PENDING_LOGINS; i++) await sleep(20);
    clock.advance(1000);
    const out = (await Promise.all(verdicts)) as { ok: boolean; why: string }[];
    assert.ok(out.every((v) => !v.ok && /no answer after 2 tries/.test(v.why)));
    assert.equal(auth.inFlight, 0);
    assert.equal(hole.got.length, 2 * MAX_PENDING_LOGINS);
    assert.ok(!logs.some((l) => l.includes('secret-password')));
  });
});
