// The send worker (kernel/os/tx-queue.ts + tx-worker.ts): packets queued on the main thread leave through
// the worker's sendto(2)/write(2) in the order they were queued, byte for byte, to the address given; a
// ring closed with packets still queued sends them before the worker stops. Direct sends (the caller's
// thread, when nothing is queued and the host is not busy) keep the order with the worker's. Real sockets on loopback (Linux,
// koffi); a pipe stands in for the TUN's write(2).
import { strict as assert } from 'node:assert';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { prng } from '../../support/prng.js';

const linux = process.platform === 'linux';

async function loadOs() {
  const { TxQueue } = await import('../../../kernel/os/tx-queue.js');
  const { openUdpSocket, closeFd } = await import('../../../kernel/os/sockets.js');
  const { libc } = await import('../../../kernel/os/libc.js');
  return { TxQueue, openUdpSocket, closeFd, libc };
}

/** Collects `n` datagrams (one listener for all: none is missed; mocha's timeout bounds the wait). */
function receive(sock: Socket, n: number): Promise<Buffer[]> {
  const got: Buffer[] = [];
  return new Promise((resolve) => {
    sock.on('message', (msg: Buffer) => {
      got.push(msg);
      if (got.length === n) resolve(got);
    });
  });
}

for (const mmsg of [true, false])
  describe(`os/tx-queue: the send worker (${mmsg ? 'sendmmsg batches' : 'one sendto per datagram'})`, function () {
    before(function () {
      if (!linux) this.skip(); // koffi bindings to Linux libc
    });

    it('sends 300 datagrams of random sizes in order, byte for byte, to the address given', async () => {
      const { TxQueue, openUdpSocket, closeFd } = await loadOs();
      const rx = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 }); // a burst must not overflow it
      rx.bind(0, '127.0.0.1');
      await once(rx, 'listening');
      const port = rx.address().port;
      const fd = openUdpSocket(Uint8Array.of(127, 0, 0, 1), 0, 0);
      const tx = new TxQueue({ mmsg, direct: false });
      const rnd = prng(0x7a11);
      const sent: Uint8Array[] = [];
      try {
        const arrival = receive(rx, 300);
        for (let i = 0; i < 300; i++) {
          const p = new Uint8Array(4 + Math.floor(rnd() * 1400));
          for (let k = 0; k < p.length; k++) p[k] = Math.floor(rnd() * 256);
          p[0] = i >> 8;
          p[1] = i & 0xff;
          sent.push(p);
          assert.equal(tx.sendTo(fd, p, Uint8Array.of(127, 0, 0, 1), port), true);
          // Let the socket buffer drain now and then (loopback drops what overflows it).
          if (i % 50 === 49) await new Promise((r) => setTimeout(r, 20));
        }
        const got = await arrival;
        assert.deepEqual(
          got.map((b) => new Uint8Array(b)),
          sent,
        );
        assert.equal(tx.sent, 300);
        assert.equal(tx.errors, 0);
      } finally {
        await tx.close();
        closeFd(fd);
        rx.close();
      }
    });

    it('close() sends what is still queued before the worker stops', async () => {
      const { TxQueue, openUdpSocket, closeFd } = await loadOs();
      const rx = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 }); // a burst must not overflow it
      rx.bind(0, '127.0.0.1');
      await once(rx, 'listening');
      const fd = openUdpSocket(Uint8Array.of(127, 0, 0, 1), 0, 0);
      const tx = new TxQueue({ mmsg, direct: false });
      try {
        const arrival = receive(rx, 40);
        for (let i = 0; i < 40; i++) tx.sendTo(fd, Uint8Array.of(i), Uint8Array.of(127, 0, 0, 1), rx.address().port);
        await tx.close();
        assert.equal(tx.sent, 40);
        assert.deepEqual(
          (await arrival).map((b) => b[0]),
          [...Array(40).keys()],
        );
        assert.equal(tx.sendTo(fd, Uint8Array.of(1), Uint8Array.of(127, 0, 0, 1), 9), false, 'a closed queue refuses');
      } finally {
        closeFd(fd);
        rx.close();
      }
    });

    it('counts a failed system call in the shared counters (errno kept), never throws', async () => {
      const { TxQueue } = await loadOs();
      const tx = new TxQueue({ mmsg, direct: false });
      assert.equal(tx.write(-1, Uint8Array.of(1, 2, 3)), true, 'queued');
      await tx.close();
      assert.equal(tx.errors, 1);
      assert.equal(tx.lastErrno, 9, 'EBADF');
      assert.equal(tx.sent, 0);
    });

    it('counts every refused datagram of a batch (a bad socket), never throws', async () => {
      const { TxQueue } = await loadOs();
      const tx = new TxQueue({ mmsg, direct: false });
      for (let i = 0; i < 5; i++) tx.sendTo(-1, Uint8Array.of(i), Uint8Array.of(127, 0, 0, 1), 9);
      await tx.close();
      assert.equal(tx.errors, 5);
      assert.equal(tx.lastErrno, 9, 'EBADF');
      assert.equal(tx.sent, 0);
    });

    it('keeps the order across two sockets, a TUN-style write and a datagram larger than a batch slot', async () => {
      const { TxQueue, openUdpSocket, closeFd } = await loadOs();
      const { TX_SLOT_BYTES } = await import('../../../kernel/os/tx-batch.js');
      const rxs = [0, 1].map(() => createSocket({ type: 'udp4', recvBufferSize: 4 << 20 }));
      for (const r of rxs) r.bind(0, '127.0.0.1');
      await Promise.all(rxs.map((r) => once(r, 'listening')));
      const fds = [0, 1].map(() => openUdpSocket(Uint8Array.of(127, 0, 0, 1), 0, 0));
      const tx = new TxQueue({ mmsg, direct: false });
      const rnd = prng(0x5e4d);
      const sent: Uint8Array[][] = [[], []];
      try {
        const arrivals = rxs.map((r) => receive(r, 100));
        for (let i = 0; i < 200; i++) {
          // Runs of 1-9 datagrams to one socket, then the other: batches end where the socket changes.
          const k = Math.floor(i / 5) % 2;
          const size = i === 77 ? TX_SLOT_BYTES + 500 : 2 + Math.floor(rnd() * 1400);
          const p = new Uint8Array(size).map(() => Math.floor(rnd() * 256));
          p[0] = i;
          sent[k]!.push(p);
          tx.sendTo(fds[k]!, p, Uint8Array.of(127, 0, 0, 1), rxs[k]!.address().port);
          if (i === 100) tx.write(-1, Uint8Array.of(1)); // a write(2) between batches: fails (EBADF), counted
        }
        const got = await Promise.all(arrivals);
        for (const k of [0, 1])
          assert.deepEqual(
            got[k]!.map((b) => new Uint8Array(b)),
            sent[k],
          );
        assert.equal(tx.sent, 200);
        assert.equal(tx.errors, 1);
      } finally {
        await tx.close();
        for (const fd of fds) closeFd(fd);
        for (const r of rxs) r.close();
      }
    });
  });

describe("os/tx-queue: direct sends on the caller's thread", function () {
  before(function () {
    if (!linux) this.skip();
  });

  it('sends at once while idle, through the worker while busy, and never overtakes a queued packet', async () => {
    const { TxQueue, openUdpSocket, closeFd } = await loadOs();
    const rx = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    rx.bind(0, '127.0.0.1');
    await once(rx, 'listening');
    const port = rx.address().port;
    const fd = openUdpSocket(Uint8Array.of(127, 0, 0, 1), 0, 0);
    const tx = new TxQueue({ direct: true });
    const rnd = prng(0xd1ec);
    const sent: Uint8Array[] = [];
    try {
      const arrival = receive(rx, 400);
      for (let i = 0; i < 400; i++) {
        // Busy runs (an I/O loop turn past a few packets) alternate with idle ones, mostly with a pause
        // between runs; an idle run that follows a busy one at once must still queue: the ring is not
        // empty until the worker has sent what the busy run queued.
        const run = Math.floor(i / 7);
        if (i % 7 === 0 && run % 4 !== 0)
          for (let t = 0; t < 500 && tx.sent < i; t++) await new Promise((r) => setTimeout(r, 2)); // drained
        tx.busy = run % 3 === 1;
        const p = new Uint8Array(4 + Math.floor(rnd() * 1400)).map(() => Math.floor(rnd() * 256));
        p[0] = i >> 8;
        p[1] = i & 0xff;
        sent.push(p);
        assert.equal(tx.sendTo(fd, p, Uint8Array.of(127, 0, 0, 1), port), true);
      }
      tx.busy = false;
      const got = await arrival;
      assert.deepEqual(
        got.map((b) => new Uint8Array(b)),
        sent,
      );
      assert.equal(tx.sent, 400);
      assert.ok(tx.sentDirect > 100 && tx.sentDirect < 400, `direct ${tx.sentDirect} of 400`);
      assert.equal(tx.errors, 0);
    } finally {
      await tx.close();
      closeFd(fd);
      rx.close();
    }
  });

  it('counts a failed direct call with its errno and says so, never throws', async () => {
    const { TxQueue } = await loadOs();
    const tx = new TxQueue({ direct: true });
    try {
      assert.equal(tx.write(-1, Uint8Array.of(1, 2, 3)), false);
      assert.equal(tx.sendTo(-1, Uint8Array.of(1), Uint8Array.of(127, 0, 0, 1), 9), false);
      assert.equal(tx.errors, 2);
      assert.equal(tx.lastErrno, 9, 'EBADF');
      assert.equal(tx.sent, 0);
    } finally {
      await tx.close();
    }
  });
});
