// racoon's IKE fragmentation: splitting (isakmp_sendfrags), the bounded reassembly (isakmp_frag_extract with
// the CVE-2016-10396 checks, plus per-source and global limits and a timeout) checked against a naive oracle on
// random permutations with duplicates (fixed seed), and Wireshark's dissector reassembling our fragments.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../../common/clock.js';
import { ISAKMP_FRAG_MAXLEN, splitIsakmp } from '../../../../racoon/ikev1/fragments.js';
import { FragmentReassembly, type ReassemblyLimits } from '../../../../racoon/ikev1/reassembly.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { decodeIsakmpMessage, encodeIsakmpMessage, type IsakmpPayload } from '../../../../racoon/isakmp/message.js';
import type { IsakmpFragment } from '../../../../racoon/isakmp/payloads/frag.js';
import { prng } from '../../../support/prng.js';

const ICK = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const RCK = new Uint8Array(8);
const SRC = { addr: Uint8Array.of(192, 0, 2, 9), port: 500 };

/** A clear main mode message 1 with `vids` vendor IDs of 40 bytes each (any size we need). */
function bigMessage(vids: number): Uint8Array {
  const payloads: IsakmpPayload[] = [];
  for (let i = 0; i < vids; i++) payloads.push({ type: C.ISAKMP_NPTYPE_VID, body: new Uint8Array(40).fill(i) });
  return encodeIsakmpMessage({
    header: {
      icookie: ICK,
      rcookie: RCK,
      np: 0,
      majorVersion: 1,
      minorVersion: 0,
      etype: C.ISAKMP_ETYPE_IDENT,
      flags: 0,
      msgid: 0,
      length: 0,
    },
    payloads,
  });
}

function fragmentsOf(msg: Uint8Array): IsakmpFragment[] {
  return splitIsakmp(msg).map((f) => decodeIsakmpMessage(f).value.payloads[0]!.body as IsakmpFragment);
}

describe('racoon/ikev1 IKE fragmentation: splitting', () => {
  it('cuts a message into fragment messages of at most 548 bytes, numbered from 1, the last flagged', () => {
    const msg = bigMessage(40); // 28 + 40 * 44 = 1788 bytes
    const frags = splitIsakmp(msg);
    assert.equal(frags.length, Math.ceil(msg.length / 512), 'racoon: 512 data bytes per fragment');
    let joined: number[] = [];
    frags.forEach((f, i) => {
      assert.ok(f.length <= ISAKMP_FRAG_MAXLEN - 4, 'room for the non-ESP marker');
      const m = decodeIsakmpMessage(f).value;
      assert.deepEqual([m.header.np, m.header.etype, m.header.msgid, m.header.flags], [132, 2, 0, 0]);
      assert.deepEqual(m.header.icookie, ICK);
      assert.equal(m.payloads.length, 1);
      const p = m.payloads[0]!.body as IsakmpFragment;
      assert.deepEqual([p.fragmentId, p.number, p.flags], [1, i + 1, i === frags.length - 1 ? 1 : 0]);
      joined = joined.concat([...p.data]);
    });
    assert.deepEqual(Uint8Array.from(joined), msg);
  });

  it('what splitIsakmp cuts, the reassembly puts back together, whatever the arrival order', () => {
    const msg = bigMessage(60);
    const parts = fragmentsOf(msg).reverse();
    const r = new FragmentReassembly(new ManualClock());
    const results = parts.map((p) => r.add(SRC, msg.subarray(0, 16), p));
    assert.ok(results.slice(0, -1).every((x) => x.kind === 'held'));
    assert.deepEqual(results.at(-1), { kind: 'complete', message: msg });
  });

  it('refuses what cannot be fragmented (a size leaving no room, more than 255 fragments)', () => {
    assert.throws(() => splitIsakmp(bigMessage(2), 40), RangeError);
    assert.throws(() => splitIsakmp(new Uint8Array(256 * 512).fill(1)), RangeError);
  });

  it(
    spawnSync('tshark', ['-v']).error ? 'skipped: tshark not installed' : 'Wireshark reassembles our fragments',
    function () {
      if (spawnSync('tshark', ['-v']).error) this.skip();
      const msg = bigMessage(30);
      const frags = splitIsakmp(msg);
      const dir = mkdtempSync(join(tmpdir(), 'uipsec-frag-'));
      try {
        writeFileSync(join(dir, 'f.pcap'), pcapOf(frags));
        const r = spawnSync(
          'tshark',
          [
            '-n',
            '-r',
            join(dir, 'f.pcap'),
            '-T',
            'fields',
            '-E',
            'separator=|',
            '-e',
            'isakmp.frag.seq',
            '-e',
            'isakmp.frag.last',
            '-e',
            'isakmp.vid_bytes',
          ],
          { encoding: 'utf8', timeout: 60_000 },
        );
        assert.equal(r.status, 0, r.stderr);
        const rows = r.stdout
          .trim()
          .split('\n')
          .map((l) => l.split('|'));
        assert.equal(rows.length, frags.length);
        rows.forEach((row, i) => assert.deepEqual(row.slice(0, 2), [`${i + 1}`, i === frags.length - 1 ? '1' : '0']));
        const vids = rows.at(-1)![2]!.split(',');
        assert.equal(vids.length, 30, 'the reassembled message shows its 30 vendor IDs');
        assert.equal(vids[29], Buffer.alloc(40, 29).toString('hex'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('racoon/ikev1 IKE fragmentation: bounded reassembly', () => {
  const lim = (o: Partial<ReassemblyLimits> = {}): ReassemblyLimits => ({
    maxFragments: 64,
    maxMessageBytes: 65535,
    maxPerSource: 2,
    maxBytesPerSource: 4096,
    maxMessages: 3,
    maxBytes: 8192,
    timeoutMs: 30_000,
    ...o,
  });
  const f = (number: number, last = false, data = Uint8Array.of(number)): IsakmpFragment => ({
    fragmentId: 1,
    number,
    flags: last ? 1 : 0,
    data,
  });
  const cookies = (n: number) => Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? n : 0));

  it('completes in any order and returns the bytes in fragment order', () => {
    const r = new FragmentReassembly(new ManualClock(), lim());
    assert.deepEqual(r.add(SRC, cookies(1), f(3, true)), { kind: 'held' });
    assert.deepEqual(r.add(SRC, cookies(1), f(1)), { kind: 'held' });
    const done = r.add(SRC, cookies(1), f(2));
    assert.deepEqual(done, { kind: 'complete', message: Uint8Array.of(1, 2, 3) });
    assert.deepEqual(r.held, { messages: 0, bytes: 0 });
  });

  it('racoon after CVE-2016-10396: duplicates, a second tail, fragments beyond the tail are dropped', () => {
    const r = new FragmentReassembly(new ManualClock(), lim());
    const c = cookies(1);
    r.add(SRC, c, f(1));
    assert.equal(r.add(SRC, c, f(1, false, Uint8Array.of(9))).kind, 'dropped', 'duplicate number');
    r.add(SRC, c, f(3, true));
    assert.equal(r.add(SRC, c, f(4, true)).kind, 'dropped', 'second tail');
    assert.equal(r.add(SRC, c, f(5)).kind, 'dropped', 'beyond the tail');
    const done = r.add(SRC, c, f(2));
    assert.deepEqual(done, { kind: 'complete', message: Uint8Array.of(1, 2, 3) }, 'the first copy won');
    const r2 = new FragmentReassembly(new ManualClock(), lim());
    r2.add(SRC, c, f(4));
    assert.equal(r2.add(SRC, c, f(2, true)).kind, 'dropped', 'a tail below a held fragment');
    assert.equal(r2.add(SRC, c, f(0)).kind, 'dropped', 'fragment number 0');
    assert.equal(r2.add(SRC, c, f(65)).kind, 'dropped', 'beyond maxFragments');
    assert.equal(r2.add(SRC, c, f(2, false, new Uint8Array(0))).kind, 'dropped', 'empty data');
  });

  it('bounds: messages per source (any port), messages overall, bytes per source and overall, message size', () => {
    const r = new FragmentReassembly(new ManualClock(), lim());
    assert.equal(r.add(SRC, cookies(1), f(1)).kind, 'held');
    assert.equal(r.add({ ...SRC, port: 4500 }, cookies(2), f(1)).kind, 'held');
    const third = r.add({ ...SRC, port: 1234 }, cookies(3), f(1));
    assert.deepEqual(third, { kind: 'dropped', reason: 'too many messages in reassembly from this source' });
    const other = { addr: Uint8Array.of(192, 0, 2, 10), port: 500 };
    assert.equal(r.add(other, cookies(4), f(1)).kind, 'held');
    assert.deepEqual(r.add({ addr: Uint8Array.of(192, 0, 2, 11), port: 500 }, cookies(5), f(1)), {
      kind: 'dropped',
      reason: 'too many messages in reassembly',
    });
    assert.equal(r.add(other, cookies(4), f(2, false, new Uint8Array(4096))).kind, 'dropped', 'source bytes');
    const big = new FragmentReassembly(new ManualClock(), lim({ maxBytesPerSource: 1 << 20, maxBytes: 3000 }));
    assert.equal(big.add(SRC, cookies(1), f(1, false, new Uint8Array(2000))).kind, 'held');
    assert.equal(big.add(other, cookies(1), f(1, false, new Uint8Array(1001))).kind, 'dropped', 'global bytes');
    const one = new FragmentReassembly(new ManualClock(), lim({ maxMessageBytes: 100, maxBytesPerSource: 1 << 20 }));
    one.add(SRC, cookies(1), f(1, false, new Uint8Array(60)));
    assert.equal(one.add(SRC, cookies(1), f(2, false, new Uint8Array(60))).kind, 'dropped', 'message size');
  });

  it('an incomplete message is dropped after the timeout, freeing its source', () => {
    const clock = new ManualClock();
    const r = new FragmentReassembly(clock, lim({ maxPerSource: 1 }));
    r.add(SRC, cookies(1), f(1));
    assert.equal(r.add(SRC, cookies(2), f(1)).kind, 'dropped');
    clock.advance(30_000);
    assert.equal(r.add(SRC, cookies(2), f(1)).kind, 'held');
    assert.equal(r.timedOut, 1);
    assert.deepEqual(r.held, { messages: 1, bytes: 1 });
  });

  it('oracle: 2,000 random arrival orders with duplicates complete exactly when every fragment came (seed 1306)', () => {
    const rnd = prng(1306);
    for (let t = 0; t < 2000; t++) {
      const r = new FragmentReassembly(new ManualClock(), lim({ maxBytesPerSource: 1 << 20, maxBytes: 1 << 20 }));
      const n = 1 + Math.floor(rnd() * 12);
      const pieces = Array.from({ length: n }, (_, i) =>
        Uint8Array.from({ length: 1 + Math.floor(rnd() * 9) }, () => i),
      );
      const order: number[] = [];
      for (let i = 0; i < n; i++) order.push(i, ...(rnd() < 0.3 ? [i] : []));
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const seen = new Set<number>();
      let done: Uint8Array | undefined;
      for (const i of order) {
        const res = r.add(SRC, cookies(1), f(i + 1, i === n - 1, pieces[i]));
        const dup = seen.has(i);
        seen.add(i);
        if (done) continue; // after completion, late duplicates start nothing that could complete
        if (dup) assert.equal(res.kind, 'dropped');
        if (seen.size === n && !dup) {
          assert.equal(res.kind, 'complete', `trial ${t}`);
          done = (res as { message: Uint8Array }).message;
        } else if (!dup) assert.equal(res.kind, 'held', `trial ${t}`);
      }
      const want = Uint8Array.from(pieces.flatMap((p) => [...p]));
      assert.deepEqual(done, want);
    }
  });
});

/** A pcap (linktype 101, raw IPv4) with one UDP 500 datagram per message. */
function pcapOf(messages: Uint8Array[]): Buffer {
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(65535, 16);
  gh.writeUInt32LE(101, 20);
  const parts: Buffer[] = [gh];
  messages.forEach((m, i) => {
    const ip = Buffer.alloc(28);
    ip[0] = 0x45;
    ip.writeUInt16BE(28 + m.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from([192, 0, 2, 1, 192, 0, 2, 2]).copy(ip, 12);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += ip.readUInt16BE(k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    ip.writeUInt16BE(500, 20);
    ip.writeUInt16BE(500, 22);
    ip.writeUInt16BE(8 + m.length, 24);
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(1700000000 + i, 0);
    rh.writeUInt32LE(28 + m.length, 8);
    rh.writeUInt32LE(28 + m.length, 12);
    parts.push(rh, ip, Buffer.from(m));
  });
  return Buffer.concat(parts);
}
