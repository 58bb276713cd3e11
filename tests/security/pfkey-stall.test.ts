// Issue 11 item 4: PF_KEY clients that stop reading made uipsecd hold up to 64 MiB each, with no overall limit.
// uipsecd runs as a process; six promiscuous clients (they get a copy of every message, the heaviest kind)
// connect and never read while the shipped setkey adds SAs and dumps them twice. Each stalled client is
// disconnected and counted (pfkey_in_closed in `uipsec status`), setkey finishes its work complete, the
// daemon's RSS stays within a bound derived from the queue limits, and a dump to a client that reads late is
// paced (never more than the dump high-water mark waits) and arrives whole.
import { strict as assert } from 'node:assert';
import { createConnection, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proc } from '../e2e/proc.js';
import { commandArgs, runCommand, rssKiB, sampleRss } from './support.js';
import { encodeMessage, makeSadbMsg } from '../../pfkey/index.js';
import * as C from '../../pfkey/constants.js';
import { CLIENT_QUEUE_LIMIT, DUMP_HIGH_WATER, GLOBAL_QUEUE_BUDGET } from '../../kernel/daemon/pfkey-queue.js';

const STALLED = 6;
const SAS = 2000;
const MiB = 1024 * 1024;

/** A raw PF_KEY connection that counts the bytes and messages it reads once `reading` is set. */
class RawClient {
  bytes = 0;
  messages: { type: number; seq: number; errno: number }[] = [];
  closed: Promise<void>;
  private buf = Buffer.alloc(0);
  constructor(readonly conn: Socket) {
    this.closed = new Promise((r) => conn.once('close', () => r()));
    conn.on('error', () => {});
    conn.on('data', (d: Buffer) => this.take(d));
    conn.pause();
  }
  static async open(path: string): Promise<RawClient> {
    const conn = createConnection(path);
    await new Promise<void>((resolve, reject) => conn.once('connect', resolve).once('error', reject));
    return new RawClient(conn);
  }
  send(type: number, satype: number): void {
    this.conn.write(encodeMessage({ msg: makeSadbMsg(type, satype, 1, process.pid), ext: {} }));
  }
  private take(d: Buffer): void {
    this.bytes += d.length;
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt16LE(4) * 8;
      if (len < 16 || this.buf.length < len) break;
      this.messages.push({ type: this.buf[1]!, errno: this.buf[2]!, seq: this.buf.readUInt32LE(8) });
      this.buf = this.buf.subarray(len);
    }
  }
}

describe('security: PF_KEY clients that stop reading cost bounded memory (issue 11 item 4)', function () {
  let dir = '';
  let d: Proc | undefined;
  let sock = '';
  const stalled: RawClient[] = [];
  const counters = async (): Promise<Record<string, number>> => {
    const r = await runCommand('uipsec', ['status', '--socket', sock, '--json']);
    assert.equal(r.code, 0, r.err);
    return (JSON.parse(r.out) as { counters: Record<string, number> }).counters;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-pfkeystall-'));
    sock = join(dir, 'run', 'pfkey.sock');
    d = new Proc('uipsecd', commandArgs('uipsecd', ['--socket', sock]));
    await d.waitFor(/up:/);
    const lines: string[] = [];
    for (let i = 0; i < SAS; i++)
      lines.push(
        `add 10.0.0.1 10.0.0.2 esp ${0x1000 + i} -E aes-cbc 0x${'11'.repeat(16)} -A hmac-sha256 0x${'22'.repeat(32)};`,
      );
    writeFileSync(join(dir, 'add.conf'), lines.join('\n') + '\n');
  });
  after(async () => {
    for (const c of stalled) c.conn.destroy();
    await d?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stalled promiscuous clients are disconnected and counted; setkey keeps working; RSS bounded', async () => {
    const pid = d!.child.pid!;
    const rss0 = rssKiB(pid);
    for (let i = 0; i < STALLED; i++) {
      const c = await RawClient.open(sock);
      c.send(C.SADB_X_PROMISC, C.SADB_X_PROMISC_ON);
      stalled.push(c);
    }
    const sampler = sampleRss(pid);
    const t0 = performance.now();
    const add = await runCommand('setkey', ['--socket', sock, '-f', join(dir, 'add.conf')]);
    const tAdd = performance.now() - t0;
    const dumps = [
      await runCommand('setkey', ['--socket', sock, '-D']),
      await runCommand('setkey', ['--socket', sock, '-D']),
    ];
    const tAll = performance.now() - t0;
    const { peak, samples } = sampler.stop();
    assert.equal(add.code, 0, add.err);
    for (const r of dumps) {
      assert.equal(r.code, 0, r.err);
      assert.equal((r.out.match(/^\s*esp mode=/gm) ?? []).length, SAS, 'every SA in the dump');
    }
    const k = await counters();
    // The stalled clients read now: each got at most its queue and the socket buffers' worth, then the close.
    for (const c of stalled) c.conn.resume();
    await Promise.all(stalled.map((c) => c.closed));
    const got = stalled.map((c) => c.bytes);
    const bound = rss0 + (STALLED * CLIENT_QUEUE_LIMIT + GLOBAL_QUEUE_BUDGET + 96 * MiB) / 1024;
    console.log(
      `      ${STALLED} stalled clients: pfkey_in_closed ${k.pfkey_in_closed ?? 0}, pfkey_in_nomem ${k.pfkey_in_nomem ?? 0}, ` +
        `queued peak ${k.pfkey_queued_peak ?? 0} bytes; each read ${Math.min(...got)}-${Math.max(...got)} bytes before its close`,
    );
    console.log(
      `      setkey: ${SAS} adds in ${tAdd.toFixed(0)} ms, then 2 dumps (all ${tAll.toFixed(0)} ms); ` +
        `uipsecd RSS ${(rss0 / 1024).toFixed(1)} -> peak ${(peak / 1024).toFixed(1)} MiB (${samples} samples; bound ${(bound / 1024).toFixed(0)} MiB)`,
    );
    assert.equal(k.pfkey_in_closed, STALLED, 'every stalled client disconnected');
    for (const n of got) assert.ok(n <= CLIENT_QUEUE_LIMIT + 4 * MiB, `a stalled client read ${n} bytes`);
    assert.ok(peak <= bound, `uipsecd RSS peak ${peak} KiB over ${bound} KiB`);
  });

  it('a dump to a client that reads late is paced, not dropped: it arrives whole', async () => {
    const c = await RawClient.open(sock);
    c.send(C.SADB_DUMP, C.SADB_SATYPE_UNSPEC);
    await new Promise((r) => setTimeout(r, 500)); // the daemon has what it will send; the client has read nothing
    const k = await counters();
    const waiting = k.pfkey_queued_bytes ?? 0;
    c.conn.resume();
    while (!c.messages.some((m) => m.type === C.SADB_DUMP && m.seq === 0)) await new Promise((r) => setTimeout(r, 20));
    const k2 = await counters();
    console.log(
      `      late reader: ${waiting} bytes waited in uipsecd while it did not read (high water ${DUMP_HIGH_WATER}); ` +
        `then ${c.messages.length} dump messages, ${c.bytes} bytes; pfkey_in_closed still ${k2.pfkey_in_closed ?? 0}`,
    );
    assert.ok(waiting <= DUMP_HIGH_WATER + 64 * 1024, `${waiting} bytes queued for a paused dump`);
    assert.equal(c.messages.filter((m) => m.type === C.SADB_DUMP && m.errno === 0).length, SAS);
    assert.equal(k2.pfkey_in_closed, STALLED, 'the late reader was not disconnected');
    c.conn.destroy();
  });
});
