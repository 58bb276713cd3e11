// SEND/SENT on the app channel (channel/frames.ts): the frames' bytes written out by hand, and an in-process
// uipsecd answering each SEND with what its host did: left (errno 0), refused by a discard policy
// (ips_out_polvio, EACCES), dropped for want of an SA under a require policy (ips_out_nosa, EACCES, with an
// ACQUIRE), no route (udps_noroute, EHOSTUNREACH), a port the client never bound (EBADF); the ESP datagram that
// did leave raised esps_output. DGRAM (racoon's fire-and-forget path) is unchanged.
import assert from 'node:assert/strict';
import { nullLogger } from '../../common/log.js';
import { SeededRng } from '../../common/rng.js';
import {
  IkeChannel,
  IkeFrameError,
  decodeIkeFrame,
  encodeIkeFrame,
  type IkeFrame,
  SENT_EACCES,
  SENT_EBADF,
  SENT_EHOSTUNREACH,
} from '../../channel/index.js';
import { startDaemon, type Daemon } from '../../kernel/daemon/main.js';
import { runSetkeyInproc } from '../../app/setkey-inproc.js';
import { dropReason } from '../../kernel/daemon/send-report.js';
import { sockDir, testConfig } from './support.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const B = Uint8Array.of(10, 0, 0, 2);

describe('app channel: SEND reports what became of a datagram (SENT)', () => {
  it('SEND: u32 tag | then DGRAM; SENT: u32 tag | u8 errno | u8 n | reason', () => {
    const send: IkeFrame = {
      type: 'send',
      tag: 0x0a0b0c0d,
      localPort: 1025,
      remotePort: 5001,
      local: new Uint8Array(4),
      remote: B,
      payload: Uint8Array.of(0x68, 0x69),
    };
    const e = encodeIkeFrame(send);
    assert.equal(hex(e), '00000014' + '0a' + '0a0b0c0d' + '0401' + '1389' + '04' + '00000000' + '0a000002' + '6869');
    assert.deepEqual(decodeIkeFrame(e.subarray(4)), send);
    const sent: IkeFrame = { type: 'sent', tag: 7, errno: 13, reason: 'ips_out_nosa' };
    const s = encodeIkeFrame(sent);
    assert.equal(hex(s), '00000013' + '0b' + '00000007' + '0d' + '0c' + Buffer.from('ips_out_nosa').toString('hex'));
    assert.deepEqual(decodeIkeFrame(s.subarray(4)), sent);
    assert.deepEqual(decodeIkeFrame(Uint8Array.of(11, 0, 0, 0, 1, 0, 0)), {
      type: 'sent',
      tag: 1,
      errno: 0,
      reason: '',
    });
  });

  it('malformed SEND/SENT are IkeFrameErrors: short, wrong reason length, non-printable reason', () => {
    for (const b of [
      Uint8Array.of(10, 0, 0, 0),
      Uint8Array.of(10, 0, 0, 0, 1, 0, 1, 0, 2, 4, 10, 0),
      Uint8Array.of(11, 0, 0, 0, 1, 0),
      Uint8Array.of(11, 0, 0, 0, 1, 0, 2, 0x61),
      Uint8Array.of(11, 0, 0, 0, 1, 0, 1, 0x20),
    ])
      assert.throws(() => decodeIkeFrame(b), IkeFrameError, hex(b));
    assert.throws(() => encodeIkeFrame({ type: 'sent', tag: 1, errno: 1, reason: 'two words' }), IkeFrameError);
  });

  it('dropReason names the drop counter that moved, and its errno', () => {
    assert.deepEqual(dropReason({ udps_opackets: 1 }, { udps_opackets: 2, ips_out_nosa: 1 }), {
      errno: SENT_EACCES,
      reason: 'ips_out_nosa',
    });
    assert.deepEqual(dropReason({}, { udps_noroute: 1 }), { errno: SENT_EHOSTUNREACH, reason: 'udps_noroute' });
    assert.deepEqual(dropReason({ esps_output: 3 }, { esps_output: 4 }), { errno: 55, reason: '' });
  });

  describe('an in-process uipsecd', () => {
    let d: Daemon;
    let ch: IkeChannel;
    let port = 0;
    before(async () => {
      d = await startDaemon(
        testConfig(sockDir(), { name: 'A', addresses: ['10.0.0.1/24'], underlay: { host: '127.0.0.1', port: 0 } }),
        { rng: new SeededRng('send-report'), log: nullLogger },
      );
      const r = await runSetkeyInproc(d.keysock, ['-c'], {
        stdin: `add 10.0.0.1 10.0.0.2 esp 0x1001 -m transport -E aes-gcm-16 0x${'11'.repeat(20)};
spdadd 10.0.0.1 10.0.0.2[5001] udp -P out ipsec esp/transport//require;
spdadd 10.0.0.1 10.0.0.2[5002] udp -P out discard;
spdadd 10.0.0.1 10.0.0.2[5003] udp -P out ipsec ah/transport//require;
`,
      });
      assert.equal(r.code, 0, r.err);
      ch = await IkeChannel.connect(d.config.ikeSocketPath);
      port = await ch.bind(0);
    });
    after(async () => {
      ch?.close();
      await d?.close();
    });

    const send = (dport: number, to = B, from = port) => ch.sendChecked(from, to, dport, Uint8Array.of(1, 2, 3));
    const count = (n: string) => d.host.stats.get(n) + d.host.netstat.get(n);

    it('a datagram that leaves (in clear, or under ESP): errno 0', async () => {
      assert.deepEqual(await send(5000), { errno: 0, reason: '' });
      const esp = count('esps_output');
      assert.deepEqual(await send(5001), { errno: 0, reason: '' });
      assert.equal(count('esps_output'), esp + 1);
    });

    it('a discard policy: EACCES ips_out_polvio', async () => {
      assert.deepEqual(await send(5002), { errno: SENT_EACCES, reason: 'ips_out_polvio' });
    });

    it('require without an SA: EACCES ips_out_nosa, and the kernel raised an ACQUIRE', async () => {
      const before = count('ips_out_nosa');
      assert.deepEqual(await send(5003), { errno: SENT_EACCES, reason: 'ips_out_nosa' });
      assert.equal(count('ips_out_nosa'), before + 1);
    });

    it('no route: EHOSTUNREACH udps_noroute; a port never bound: EBADF; DGRAM still works unanswered', async () => {
      assert.deepEqual(await send(5000, Uint8Array.of(192, 0, 2, 1)), {
        errno: SENT_EHOSTUNREACH,
        reason: 'udps_noroute',
      });
      assert.deepEqual(await send(5000, B, 4242), { errno: SENT_EBADF, reason: '' });
      const out = d.ike.stats.datagramsOut;
      ch.send(port, B, 5000, Uint8Array.of(9));
      assert.deepEqual(await send(5000), { errno: 0, reason: '' }); // after the DGRAM, in order
      assert.equal(d.ike.stats.datagramsOut, out + 2);
    });
  });
});
