import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { SecAssoc } from '../../../kernel/sad/secassoc.js';
import { Sad, type SadEvent, type SaParams } from '../../../kernel/sad/sad.js';
import { SADB_X_EXT_RAWCPI, SADB_X_EXT_CYCSEQ } from '../../../pfkey/constants.js';
import { ManualClock } from '../../../common/clock.js';
import { SeededRng } from '../../../common/rng.js';
import { parseAddr } from '../../../common/inet.js';
import { ErrnoError } from '../../../common/errors.js';
import { ensureContexts } from '../../../kernel/ipsec/esp-crypto.js';

const A = parseAddr('192.0.2.1')!;
const B = parseAddr('192.0.2.2')!;
const C = parseAddr('192.0.2.3')!;
const A6 = parseAddr('2001:db8::1')!;
const AES_KEY = new Uint8Array(16).fill(0x11);
const SHA1_KEY = new Uint8Array(20).fill(0x22);

function setup(extra: { preferOld?: boolean } = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const events: SadEvent[] = [];
  const sad = new Sad({ clock, rng: new SeededRng('sad'), listener: (e) => events.push(e), ...extra });
  return { clock, events, sad };
}

function esp(spi: number, over: Partial<SaParams> = {}): SaParams {
  return {
    spi,
    proto: 'esp',
    mode: 'transport',
    src: A,
    dst: B,
    encAlg: 'aes-cbc',
    encKey: AES_KEY,
    authAlg: 'hmac-sha1',
    authKey: SHA1_KEY,
    replayBits: 64,
    ...over,
  };
}

function errno(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ErrnoError, String(e));
    return e.errno;
  }
  return 'no error';
}

describe('kernel/sad', () => {
  describe('add and lookup', () => {
    it('adds mature SAs (contexts on first use) and finds them by (dst, proto, spi), ignoring src', () => {
      const { sad } = setup();
      const sa = sad.add(esp(0x1000));
      assert.equal(sa.state, 'mature');
      assert.ok(!sa.cipher && !sa.auth, 'no contexts at ADD (issue 11 item 14): they are made on the first packet');
      assert.ok(ensureContexts(sa) && sa.cipher && sa.auth, 'made once on first use');
      assert.equal(sa.replay.windowBits, 64);
      assert.equal(sad.lookupIn(B, 'esp', 0x1000), sa);
      assert.equal(sad.lookupIn(A, 'esp', 0x1000), undefined, 'dst matters');
      assert.equal(sad.lookupIn(B, 'ah', 0x1000), undefined, 'proto matters');
      assert.equal(sad.lookupIn(B, 'esp', 0x1001), undefined);
      const other = sad.add(esp(0x1000, { src: C, dst: C }));
      assert.equal(sad.lookupIn(C, 'esp', 0x1000), other, 'same SPI for another dst is a different SA');
      assert.equal(sad.get(A, B, 'esp', 0x1000), sa);
      assert.equal(sad.get(C, B, 'esp', 0x1000), undefined, 'GET compares src');
    });
    it("copies keys so that wiping the SA never touches the caller's buffer", () => {
      const { sad } = setup();
      const key = new Uint8Array(AES_KEY);
      const sa = sad.add(esp(0x1000, { encKey: key }));
      assert.notEqual(sa.encKey, key);
      sad.flush();
      assert.deepEqual(key, AES_KEY);
    });
    it('refuses what KAME key_mature refuses', () => {
      const { sad } = setup();
      sad.add(esp(0x2000));
      assert.equal(
        errno(() => sad.add(esp(0x2000))),
        'EEXIST',
      );
      assert.equal(
        errno(() => sad.add(esp(0xff))),
        'EINVAL',
      ); // reserved SPI
      assert.equal(
        errno(() => sad.add(esp(0x2001, { encKey: new Uint8Array(15) }))),
        'EINVAL',
      );
      assert.equal(
        errno(() => sad.add(esp(0x2002, { encAlg: 'blowfish-cbc' }))),
        'EINVAL',
      );
      assert.equal(
        errno(() => sad.add(esp(0x2003, { encAlg: undefined }))),
        'EINVAL',
      );
      assert.equal(
        errno(() => sad.add(esp(0x2004, { encAlg: 'aes-gcm-16', encKey: new Uint8Array(20) }))),
        'EINVAL',
      ); // AEAD + -A
      assert.equal(
        errno(() =>
          sad.add({
            spi: 0x2005,
            proto: 'ah',
            src: A,
            dst: B,
            encAlg: 'aes-cbc',
            encKey: AES_KEY,
            authAlg: 'hmac-sha1',
            authKey: SHA1_KEY,
          }),
        ),
        'EINVAL',
      );
      assert.equal(
        errno(() => sad.add({ spi: 0x2006, proto: 'ah', src: A, dst: B })),
        'EINVAL',
      );
      assert.equal(
        errno(() => sad.add({ spi: 0x10000, proto: 'ipcomp', src: A, dst: B, compAlg: 'deflate' })),
        'EINVAL',
      );
      assert.equal(
        errno(() =>
          sad.add({
            spi: 0x2007,
            proto: 'ipcomp',
            src: A,
            dst: B,
            compAlg: 'deflate',
            authAlg: 'hmac-sha1',
            authKey: SHA1_KEY,
          }),
        ),
        'EINVAL',
      );
      assert.equal(
        errno(() => sad.add(esp(0x2008, { src: A6 }))),
        'EINVAL',
      ); // mixed families
      assert.equal(
        errno(() => sad.add(esp(0x2009, { replayBits: -1 }))),
        'EINVAL',
      );
      assert.equal(sad.size, 1, 'failed ADDs leave nothing behind');
      const big = sad.add({
        spi: 0x10000,
        proto: 'ipcomp',
        src: A,
        dst: B,
        compAlg: 'deflate',
        flags: SADB_X_EXT_RAWCPI,
      });
      assert.equal(big.compAlg?.name, 'deflate');
      const small = sad.add({ spi: 2, proto: 'ipcomp', src: A, dst: B, compAlg: 'deflate' });
      assert.equal(small.spi, 2, 'well-known CPIs are allowed (RFC 3173 §2.2)');
      assert.equal(sad.add(esp(0x3000, { flags: SADB_X_EXT_CYCSEQ })).cyclicSeq, true);
    });
  });

  describe('GETSPI and UPDATE (larval SAs)', () => {
    it('picks unused SPIs in the range and fails with EEXIST when the range is full', () => {
      const { sad } = setup();
      const got = new Set<number>();
      for (let i = 0; i < 8; i++) {
        const sa = sad.getSpi({ proto: 'esp', src: A, dst: B, min: 0x500, max: 0x507, pid: 7 });
        assert.equal(sa.state, 'larval');
        assert.ok(sa.spi >= 0x500 && sa.spi <= 0x507);
        got.add(sa.spi);
      }
      assert.equal(got.size, 8, 'no collisions');
      assert.equal(
        errno(() => sad.getSpi({ proto: 'esp', src: A, dst: B, min: 0x500, max: 0x507, pid: 7 })),
        'EEXIST',
      );
      assert.equal(
        errno(() => sad.getSpi({ proto: 'esp', src: A, dst: B, min: 0x503, max: 0x503, pid: 7 })),
        'EEXIST',
      );
      assert.equal(
        sad.getSpi({ proto: 'esp', src: A, dst: C, min: 0x503, max: 0x503, pid: 7 }).spi,
        0x503,
        'other dst: free',
      );
      assert.equal(
        errno(() => sad.getSpi({ proto: 'esp', src: A, dst: B, min: 9, max: 8, pid: 7 })),
        'EINVAL',
      );
    });
    it('draws SPIs from the injected RNG (same seed, same SPIs) and clamps IPComp CPIs to 16 bits', () => {
      const spis = (seed: string) => {
        const sad = new Sad({ clock: new ManualClock(), rng: new SeededRng(seed) });
        return [1, 2, 3].map(() => sad.getSpi({ proto: 'esp', src: A, dst: B, pid: 1 }).spi);
      };
      assert.deepEqual(spis('x'), spis('x'));
      assert.notDeepEqual(spis('x'), spis('y'));
      for (const s of spis('x')) assert.ok(s >= 0x100 && s <= 0x0fffffff);
      const { sad } = setup();
      for (let i = 0; i < 20; i++) assert.ok(sad.getSpi({ proto: 'ipcomp', src: A, dst: B, pid: 1 }).spi <= 0xffff);
    });
    it('UPDATE matures a larval SA only for its owner and keeps it findable', () => {
      const { sad } = setup();
      const l = sad.getSpi({ proto: 'esp', src: A, dst: B, pid: 42, seq: 5 });
      assert.equal(sad.lookupIn(B, 'esp', l.spi), undefined, 'larval SAs carry no traffic');
      assert.equal(
        errno(() => sad.update(esp(l.spi, { pid: 41 }))),
        'EINVAL',
      );
      assert.equal(
        errno(() => sad.update(esp(l.spi + 1, { pid: 42 }))),
        'ENOENT',
      );
      const m = sad.update(esp(l.spi, { pid: 42, mode: 'tunnel', reqid: 9 }));
      assert.equal(m, l);
      assert.equal(m.state, 'mature');
      assert.equal(m.mode, 'tunnel');
      assert.equal(sad.lookupIn(B, 'esp', l.spi), m);
      assert.equal(sad.lookupOut(A, B, 'esp', 'tunnel', 9), m, 'moved to the SA head of its final mode/reqid');
      // On a mature SA only lifetimes / NAT-T may change.
      assert.equal(
        errno(() => sad.update(esp(l.spi, { pid: 42 }))),
        'EINVAL',
      );
      sad.update({ spi: l.spi, proto: 'esp', src: A, dst: B, pid: 42, hard: { addtimeSec: 99 } });
      assert.equal(m.hard.addtimeSec, 99);
    });
    it('a refused UPDATE leaves the larval SA where it was, and a correct retry succeeds', () => {
      const { sad } = setup();
      const l = sad.getSpi({ proto: 'esp', src: A, dst: B, pid: 5 });
      assert.equal(
        errno(() => sad.update(esp(l.spi, { pid: 5, mode: 'tunnel', encKey: new Uint8Array(3) }))),
        'EINVAL',
      );
      assert.equal(l.state, 'larval');
      assert.equal(l.mode, 'any');
      assert.equal(sad.update(esp(l.spi, { pid: 5, mode: 'tunnel' })).state, 'mature');
      assert.equal(sad.lookupOut(A, B, 'esp', 'tunnel', 0), l);
    });
    it('hasLarvalBetween sees a pending GETSPI in either direction, and only while larval', () => {
      const { sad } = setup();
      assert.equal(sad.hasLarvalBetween(A, B, 'esp'), false);
      const l = sad.getSpi({ proto: 'esp', src: B, dst: A, pid: 1 });
      assert.equal(sad.hasLarvalBetween(A, B, 'esp'), true);
      assert.equal(sad.hasLarvalBetween(B, A, 'esp'), true);
      assert.equal(sad.hasLarvalBetween(A, B, 'ah'), false);
      assert.equal(sad.hasLarvalBetween(A, C, 'esp'), false);
      sad.update(esp(l.spi, { src: B, dst: A, pid: 1 }));
      assert.equal(sad.hasLarvalBetween(A, B, 'esp'), false);
    });
    it('removes a larval SA that is not updated within 30 s', () => {
      const { sad, clock, events } = setup();
      const l = sad.getSpi({ proto: 'ah', src: A, dst: B, pid: 1 });
      clock.advance(29_000);
      assert.equal(sad.size, 1);
      clock.advance(1_000);
      assert.equal(sad.size, 0);
      assert.deepEqual(
        events.map((e) => e.type),
        ['larval-expired'],
      );
      assert.equal(l.state, 'dead');
    });
  });

  describe('lifetimes (RFC 2367 §2.3.3, KAME key_timehandler)', () => {
    it('soft addtime makes the SA dying with a soft event; hard kills it and wipes keys and contexts', () => {
      const { sad, clock, events } = setup();
      const sa = sad.add(esp(0x4000, { soft: { addtimeSec: 10 }, hard: { addtimeSec: 20 } }));
      ensureContexts(sa); // as the first packet would
      clock.advance(9_000);
      assert.equal(sa.state, 'mature');
      clock.advance(1_000);
      assert.equal(sa.state, 'dying');
      assert.deepEqual(
        events.map((e) => [e.type, 'reason' in e ? e.reason : '']),
        [['soft', 'addtime']],
      );
      assert.equal(sad.lookupIn(B, 'esp', 0x4000), sa, 'dying SAs still take traffic');
      clock.advance(10_000);
      assert.equal(sa.state, 'dead');
      assert.deepEqual(
        events.map((e) => e.type),
        ['soft', 'hard'],
      );
      assert.equal(sad.lookupIn(B, 'esp', 0x4000), undefined);
      assert.equal(sad.size, 0);
      assert.ok(sa.encKey!.every((b) => b === 0) && sa.authKey!.every((b) => b === 0), 'keys zero-filled');
      assert.throws(() => sa.auth!.mac([new Uint8Array(4)], new Uint8Array(12), 0), /wipe/, 'context wiped');
    });
    it('hard alone (no soft) goes straight to dead; the soft event says whether the SA was used', () => {
      const { sad, clock, events } = setup();
      sad.add(esp(0x4100, { hard: { addtimeSec: 5 } }));
      const used = sad.add(esp(0x4101, { soft: { addtimeSec: 3 } }));
      const unused = sad.add(esp(0x4102, { soft: { addtimeSec: 3 } }));
      sad.recordUse(used, 100);
      clock.advance(5_000);
      const summary = events
        .map((e) => `${e.type}:${e.sa.spi.toString(16)}${e.type === 'soft' ? ':' + e.used : ''}`)
        .sort();
      assert.deepEqual(summary, ['hard:4100', 'soft:4101:true', 'soft:4102:false']);
      assert.equal(unused.state, 'dying');
    });
    it('usetime counts from the first use, not from ADD', () => {
      const { sad, clock, events } = setup();
      const sa = sad.add(esp(0x4200, { hard: { usetimeSec: 10 } }));
      clock.advance(60_000);
      assert.equal(sa.state, 'mature', 'never used: no usetime expiry');
      assert.equal(sa.current.usetimeSec, 0);
      sad.recordUse(sa, 1);
      assert.equal(sa.current.usetimeSec, Math.floor(clock.now() / 1000));
      clock.advance(9_000);
      assert.equal(sa.state, 'mature');
      clock.advance(1_000);
      assert.equal(sa.state, 'dead');
      assert.equal(events[0]?.type === 'hard' && events[0].reason, 'usetime');
    });
    it('bytes and allocations (packets) are checked on each use', () => {
      const { sad, events } = setup();
      const sa = sad.add(esp(0x4300, { soft: { bytes: 1000 }, hard: { bytes: 2000 } }));
      assert.equal(sad.recordUse(sa, 999), true);
      assert.equal(sa.state, 'mature');
      assert.equal(sad.recordUse(sa, 1), true);
      assert.equal(sa.state, 'dying');
      assert.equal(sad.recordUse(sa, 999), true);
      assert.equal(sad.recordUse(sa, 1), false);
      assert.equal(sa.state, 'dead');
      assert.deepEqual(
        events.map((e) => `${e.type}:${'reason' in e ? e.reason : ''}`),
        ['soft:bytes', 'hard:bytes'],
      );
      assert.equal(sa.current.bytes, 2000);
      assert.equal(sa.current.allocations, 4);
      const p = sad.add(esp(0x4301, { hard: { allocations: 3 } }));
      assert.deepEqual([sad.recordUse(p, 1), sad.recordUse(p, 1), sad.recordUse(p, 1)], [true, true, false]);
      assert.equal(sad.recordUse(p, 1), false, 'a removed SA is never usable');
    });
  });

  describe('outbound selection (KAME key_allocsa_policy)', () => {
    it('prefers mature over dying, and the newest within a state', () => {
      const { sad, clock } = setup();
      const old = sad.add(esp(0x5000, { soft: { addtimeSec: 5 } }));
      clock.advance(1_000);
      const mid = sad.add(esp(0x5001));
      clock.advance(1_000);
      const young = sad.add(esp(0x5002));
      assert.equal(sad.lookupOut(A, B, 'esp', 'transport', 0), young);
      sad.delete(A, B, 'esp', young.spi);
      assert.equal(sad.lookupOut(A, B, 'esp', 'transport', 0), mid);
      sad.delete(A, B, 'esp', mid.spi);
      clock.advance(5_000);
      assert.equal(old.state, 'dying');
      assert.equal(sad.lookupOut(A, B, 'esp', 'transport', 0), old, 'dying is still usable');
      const fresh = sad.add(esp(0x5003));
      assert.equal(sad.lookupOut(A, B, 'esp', 'transport', 0), fresh, 'mature beats dying');
    });
    it('preferOld picks dying first, then the oldest (FreeBSD net.key.preferred_oldsa=1)', () => {
      const { sad, clock } = setup({ preferOld: true });
      const a = sad.add(esp(0x5100));
      clock.advance(1_000);
      sad.add(esp(0x5101));
      assert.equal(sad.lookupOut(A, B, 'esp', 'transport', 0), a);
    });
    it('matches mode and reqid as KAME does (any on either side; request reqid 0 = any)', () => {
      const { sad } = setup();
      const t = sad.add(esp(0x5200, { mode: 'tunnel', reqid: 7 }));
      assert.equal(sad.lookupOut(A, B, 'esp', 'tunnel', 7), t);
      assert.equal(sad.lookupOut(A, B, 'esp', 'tunnel', 0), t);
      assert.equal(sad.lookupOut(A, B, 'esp', 'any', 0), t);
      assert.equal(sad.lookupOut(A, B, 'esp', 'tunnel', 8), undefined);
      assert.equal(sad.lookupOut(A, B, 'esp', 'transport', 0), undefined);
      assert.equal(sad.lookupOut(B, A, 'esp', 'tunnel', 0), undefined);
      const any = sad.add(esp(0x5201, { mode: 'any' }));
      assert.equal(sad.lookupOut(A, B, 'esp', 'transport', 0), any);
    });
  });

  describe('delete, flush, dump', () => {
    it('delete/deleteAll/flush kill and wipe; dump lists heads newest first, mature/dying/larval', () => {
      const { sad, clock } = setup();
      const h1a = sad.add(esp(0x6000, { soft: { addtimeSec: 1 } }));
      const h1b = sad.add(esp(0x6001));
      clock.advance(1_000); // h1a dying
      const h2 = sad.add(esp(0x6002, { mode: 'tunnel' }));
      const l = sad.getSpi({ proto: 'esp', src: A, dst: B, mode: 'tunnel', pid: 3 });
      const ah = sad.add({
        spi: 0x6003,
        proto: 'ah',
        src: A,
        dst: C,
        authAlg: 'hmac-sha256',
        authKey: new Uint8Array(32),
      });
      assert.deepEqual(
        sad.dump().map((s) => s.spi),
        [ah.spi, h2.spi, l.spi, h1b.spi, h1a.spi],
      );
      assert.deepEqual(sad.dump('ah'), [ah]);
      assert.equal(sad.delete(C, B, 'esp', 0x6001), undefined, 'src must match');
      assert.equal(sad.delete(A, B, 'esp', 0x6001), h1b);
      assert.equal(h1b.state, 'dead');
      assert.ok(h1b.encKey!.every((b) => b === 0));
      assert.deepEqual(
        sad
          .deleteAll(A, B, 'esp')
          .map((s) => s.spi)
          .sort(),
        [h1a.spi, h2.spi, l.spi].sort(),
      );
      assert.equal(sad.flush('esp'), 0);
      assert.equal(sad.flush(), 1);
      assert.equal(sad.size, 0);
      assert.deepEqual(sad.dump(), []);
    });
  });
});

// ---- differential test: random operation sequences against a naive list-of-records model ----

interface ModelSa {
  spi: number;
  proto: 'esp' | 'ah';
  src: number;
  dst: number;
  mode: 'transport' | 'tunnel' | 'any';
  reqid: number;
  state: 'larval' | 'mature' | 'dying';
  serial: number;
  bornMs: number;
  matureMs: number;
  usedMs: number;
  pid: number;
  hard: { addtimeSec: number; usetimeSec: number; bytes: number; allocations: number };
  soft: { addtimeSec: number; usetimeSec: number; bytes: number; allocations: number };
  bytes: number;
  allocs: number;
}

type Op =
  | {
      t: 'add';
      spi: number;
      proto: 'esp' | 'ah';
      src: number;
      dst: number;
      mode: 'transport' | 'tunnel' | 'any';
      reqid: number;
      hard: number[];
      soft: number[];
    }
  | { t: 'getspi'; proto: 'esp' | 'ah'; src: number; dst: number; lo: number; pid: number }
  | { t: 'update'; pick: number; pid: number; mode: 'transport' | 'tunnel' | 'any'; reqid: number }
  | { t: 'delete'; pick: number }
  | { t: 'use'; pick: number; bytes: number }
  | { t: 'time'; ms: number };

class SadModel {
  sas: ModelSa[] = [];
  serial = 0;
  events: string[] = [];
  constructor(public now: number) {}
  find(dst: number, proto: string, spi: number, anyLive: boolean): ModelSa | undefined {
    return this.sas.find(
      (s) => s.dst === dst && s.proto === proto && s.spi === spi && (anyLive || s.state !== 'larval'),
    );
  }
  kill(s: ModelSa, ev?: string): void {
    this.sas = this.sas.filter((x) => x !== s);
    if (ev) this.events.push(`${ev}:${s.spi}`);
  }
  timeReason(s: ModelSa, l: ModelSa['hard']): string | undefined {
    if (l.addtimeSec > 0 && this.now - s.matureMs >= l.addtimeSec * 1000) return 'addtime';
    if (l.usetimeSec > 0 && s.usedMs !== 0 && this.now - s.usedMs >= l.usetimeSec * 1000) return 'usetime';
    return undefined;
  }
  countReason(s: ModelSa, l: ModelSa['hard']): string | undefined {
    if (l.bytes > 0 && s.bytes >= l.bytes) return 'bytes';
    if (l.allocations > 0 && s.allocs >= l.allocations) return 'allocations';
    return undefined;
  }
  tick(): void {
    for (const s of [...this.sas]) {
      if (s.state === 'larval') {
        if (this.now >= s.bornMs + 30_000) this.kill(s, 'larval-expired');
        continue;
      }
      const h = this.timeReason(s, s.hard);
      if (h) {
        this.kill(s, `hard-${h}`);
        continue;
      }
      if (s.state === 'mature') {
        const r = this.timeReason(s, s.soft);
        if (r) {
          s.state = 'dying';
          this.events.push(`soft-${r}:${s.spi}`);
        }
      }
    }
  }
  lookupOut(src: number, dst: number, proto: string, mode: string, reqid: number): ModelSa | undefined {
    const c = this.sas.filter(
      (s) =>
        s.src === src &&
        s.dst === dst &&
        s.proto === proto &&
        s.state !== 'larval' &&
        (mode === 'any' || s.mode === 'any' || s.mode === mode) &&
        (reqid === 0 || s.reqid === reqid),
    );
    c.sort((a, b) => (a.state === b.state ? b.serial - a.serial : a.state === 'mature' ? -1 : 1));
    return c[0];
  }
}

describe('kernel/sad differential against a list model (fast-check, fixed seed)', () => {
  const ADDRS = [parseAddr('10.0.0.1')!, parseAddr('10.0.0.2')!, parseAddr('10.0.0.3')!];
  const lifetime = fc.tuple(
    fc.constantFrom(0, 0, 2, 5),
    fc.constantFrom(0, 0, 3),
    fc.constantFrom(0, 0, 500, 3000),
    fc.constantFrom(0, 0, 3, 10),
  );
  const mode = fc.constantFrom('transport' as const, 'tunnel' as const, 'any' as const);
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      t: fc.constant('add' as const),
      spi: fc.integer({ min: 0x100, max: 0x10a }),
      proto: fc.constantFrom('esp' as const, 'ah' as const),
      src: fc.nat({ max: 2 }),
      dst: fc.nat({ max: 2 }),
      mode,
      reqid: fc.nat({ max: 2 }),
      hard: lifetime,
      soft: lifetime,
    }),
    fc.record({
      t: fc.constant('getspi' as const),
      proto: fc.constantFrom('esp' as const, 'ah' as const),
      src: fc.nat({ max: 2 }),
      dst: fc.nat({ max: 2 }),
      lo: fc.integer({ min: 0x100, max: 0x108 }),
      pid: fc.nat({ max: 2 }),
    }),
    fc.record({
      t: fc.constant('update' as const),
      pick: fc.nat({ max: 50 }),
      pid: fc.nat({ max: 2 }),
      mode,
      reqid: fc.nat({ max: 2 }),
    }),
    fc.record({ t: fc.constant('delete' as const), pick: fc.nat({ max: 50 }) }),
    fc.record({ t: fc.constant('use' as const), pick: fc.nat({ max: 50 }), bytes: fc.nat({ max: 1500 }) }),
    fc.record({ t: fc.constant('time' as const), ms: fc.constantFrom(100, 999, 1000, 2500, 7000, 31000) }),
  );
  const lt = (a: number[]) => ({ addtimeSec: a[0]!, usetimeSec: a[1]!, bytes: a[2]!, allocations: a[3]! });

  it('lookups, states and events agree over 100 random sequences of 20-80 operations', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 80, size: 'max' }), (ops) => {
        let now = 1_000_000;
        const clock = { now: () => now, setTimer: () => () => {} }; // ticks are driven by hand below
        const events: string[] = [];
        const sad = new Sad({
          clock,
          rng: new SeededRng('model'),
          listener: (e) =>
            events.push(`${e.type === 'hard' || e.type === 'soft' ? `${e.type}-${e.reason}` : e.type}:${e.sa.spi}`),
        });
        const m = new SadModel(now);
        const real = new Map<ModelSa, SecAssoc>();
        for (const o of ops) {
          if (o.t === 'add') {
            const p: SaParams = {
              spi: o.spi,
              proto: o.proto,
              mode: o.mode,
              reqid: o.reqid,
              src: ADDRS[o.src]!,
              dst: ADDRS[o.dst]!,
              authAlg: 'hmac-sha1',
              authKey: SHA1_KEY,
              hard: lt(o.hard),
              soft: lt(o.soft),
              ...(o.proto === 'esp' ? { encAlg: 'null', authAlg: 'hmac-sha1' } : {}),
            };
            const exists = m.find(o.dst, o.proto, o.spi, true);
            let sa: SecAssoc | undefined;
            const got = errno(() => {
              sa = sad.add(p);
            });
            assert.equal(got, exists ? 'EEXIST' : 'no error');
            if (!exists) {
              const rec: ModelSa = {
                spi: o.spi,
                proto: o.proto,
                src: o.src,
                dst: o.dst,
                mode: o.mode,
                reqid: o.reqid,
                state: 'mature',
                serial: ++m.serial,
                bornMs: now,
                matureMs: now,
                usedMs: 0,
                pid: 0,
                hard: lt(o.hard),
                soft: lt(o.soft),
                bytes: 0,
                allocs: 0,
              };
              m.sas.push(rec);
              real.set(rec, sa!);
            }
          } else if (o.t === 'getspi') {
            const free = [0, 1, 2].map((i) => o.lo + i).filter((s) => !m.find(o.dst, o.proto, s, true));
            let sa: SecAssoc | undefined;
            const got = errno(() => {
              sa = sad.getSpi({
                proto: o.proto,
                src: ADDRS[o.src]!,
                dst: ADDRS[o.dst]!,
                min: o.lo,
                max: o.lo + 2,
                pid: o.pid,
              });
            });
            if (free.length === 0) {
              assert.equal(got, 'EEXIST');
              continue;
            }
            assert.equal(got, 'no error');
            assert.ok(free.includes(sa!.spi), 'picked a free SPI in range');
            const rec: ModelSa = {
              spi: sa!.spi,
              proto: o.proto,
              src: o.src,
              dst: o.dst,
              mode: 'any',
              reqid: 0,
              state: 'larval',
              serial: ++m.serial,
              bornMs: now,
              matureMs: now,
              usedMs: 0,
              pid: o.pid,
              hard: lt([0, 0, 0, 0]),
              soft: lt([0, 0, 0, 0]),
              bytes: 0,
              allocs: 0,
            };
            m.sas.push(rec);
            real.set(rec, sa!);
          } else if (o.t === 'update') {
            const s = m.sas[o.pick % Math.max(1, m.sas.length)];
            if (!s) continue;
            const got = errno(() =>
              sad.update({
                spi: s.spi,
                proto: s.proto,
                src: ADDRS[s.src]!,
                dst: ADDRS[s.dst]!,
                pid: o.pid,
                mode: o.mode,
                reqid: o.reqid,
                ...(s.state === 'larval'
                  ? { authAlg: 'hmac-sha1', authKey: SHA1_KEY, ...(s.proto === 'esp' ? { encAlg: 'null' } : {}) }
                  : {}),
              }),
            );
            if (s.pid !== o.pid) {
              assert.equal(got, 'EINVAL');
              continue;
            }
            assert.equal(got, 'no error');
            if (s.state === 'larval') {
              s.state = 'mature';
              s.matureMs = now;
              s.mode = o.mode;
              s.reqid = o.reqid;
            }
          } else if (o.t === 'delete') {
            const s = m.sas[o.pick % Math.max(1, m.sas.length)];
            if (!s) continue;
            assert.equal(sad.delete(ADDRS[s.src]!, ADDRS[s.dst]!, s.proto, s.spi), real.get(s));
            m.kill(s);
          } else if (o.t === 'use') {
            const s = m.sas.filter((x) => x.state !== 'larval')[o.pick % Math.max(1, m.sas.length)];
            if (!s) continue;
            const alive = sad.recordUse(real.get(s)!, o.bytes);
            if (s.usedMs === 0) s.usedMs = now;
            s.bytes += o.bytes;
            s.allocs++;
            const h = m.countReason(s, s.hard);
            if (h) m.kill(s, `hard-${h}`);
            else if (s.state === 'mature') {
              const r = m.countReason(s, s.soft);
              if (r) {
                s.state = 'dying';
                m.events.push(`soft-${r}:${s.spi}`);
              }
            }
            assert.equal(alive, !h);
          } else {
            now += o.ms;
            m.now = now;
            sad.tick();
            m.tick();
          }
          // Compare everything observable after each step.
          assert.deepEqual([...events].sort(), [...m.events].sort());
          assert.equal(sad.size, m.sas.length);
          for (const s of m.sas) {
            const r = real.get(s)!;
            assert.equal(r.state, s.state);
            assert.equal(sad.lookupIn(ADDRS[s.dst]!, s.proto, s.spi), s.state === 'larval' ? undefined : r);
          }
          for (let src = 0; src < 3; src++)
            for (let dst = 0; dst < 3; dst++)
              for (const proto of ['esp', 'ah'] as const) {
                for (const md of ['transport', 'tunnel', 'any'] as const)
                  for (const reqid of [0, 1]) {
                    const want = m.lookupOut(src, dst, proto, md, reqid);
                    assert.equal(
                      sad.lookupOut(ADDRS[src]!, ADDRS[dst]!, proto, md, reqid),
                      want ? real.get(want) : undefined,
                      `lookupOut ${src}>${dst} ${proto} ${md} ${reqid}`,
                    );
                  }
              }
        }
      }),
      { seed: 2367, numRuns: 100 },
    );
  });
});
