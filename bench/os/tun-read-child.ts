// One TUN read strategy measured inside a network namespace (run by bench/tun-read.bench.ts as root): a
// Python sender floods UDP datagrams that the namespace's kernel routes into the TUN, this process reads
// them for a fixed time and prints {mode, packets, cpuUs, wallMs} as JSON. CPU is the whole process's
// (main thread, workers, libuv and koffi pools), so CPU per packet compares the strategies fairly.
import { spawn, execFileSync } from 'node:child_process';
import { read as fsRead } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { openTun, configureInterface, closeTun } from '../../kernel/os/tun.js';
import { libc, setNonBlocking, EFD_CLOEXEC } from '../../kernel/os/libc.js';
import { createRing, RingReader } from '../../kernel/os/ring.js';

const [mode = 'worker-ring', secondsArg = '3', sizeArg = '1400'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const MAXLEN = 2048;

let packets = 0;
let bytes = 0;
const count = (p: Uint8Array) => {
  packets++;
  bytes += p.length;
};

const dev = openTun({ name: 'ubench%d' });
configureInterface(dev.name, 1500);
execFileSync('ip', ['addr', 'add', '10.99.0.1/24', 'dev', dev.name]);
const fd = dev.fds[0]!;
let stop: () => void = () => {};

function fsReadLoop(): void {
  const buf = Buffer.alloc(MAXLEN);
  let live = true;
  const once = () =>
    fsRead(fd, buf, 0, MAXLEN, null, (err, n) => {
      if (err || !live) return;
      count(buf.subarray(0, n));
      once();
    });
  once();
  stop = () => {
    live = false;
  };
}

function koffiAsync(): void {
  const c = libc();
  let live = true;
  for (let i = 0; i < 4; i++) {
    const buf = new Uint8Array(MAXLEN);
    const once = () =>
      c.readAsync(fd, buf, MAXLEN, (err, n) => {
        if (err || !live || n < 0) return;
        count(buf.slice(0, n));
        once();
      });
    once();
  }
  stop = () => {
    live = false;
  };
}

function workerRing(): void {
  setNonBlocking(fd, true);
  const ring = createRing(4 << 20);
  const wakeFd = libc().eventfd(0, EFD_CLOEXEC);
  const w = new Worker(new URL('../../kernel/os/io-worker.js', import.meta.url), {
    workerData: { ioWorker: { ring, sources: [{ fd, tag: 0, dgram: false, maxLen: MAXLEN }], wakeFd } },
  });
  const reader = new RingReader(ring);
  void reader.run((r) => r.drain((p) => count(p.slice())));
  stop = () => {
    reader.stop();
    libc().write(wakeFd, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]), 8);
    void w.terminate();
  };
}

function workerPort(): void {
  const koffi = createRequire(import.meta.url).resolve('koffi');
  const w = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const c = require(${JSON.stringify(koffi)}).load('libc.so.6');
     const read = c.func('long read(int fd, void *buf, size_t len)');
     for (;;) { const b = new Uint8Array(${MAXLEN}); const n = Number(read(workerData.fd, b, ${MAXLEN}));
       if (n < 0) break; const p = b.slice(0, n); parentPort.postMessage(p, [p.buffer]); }`,
    { eval: true, workerData: { fd } },
  );
  w.on('message', (p: Uint8Array) => count(p));
  stop = () => void w.terminate();
}

function pipeWrap(): void {
  setNonBlocking(fd, true);
  type PipeCtor = new (type: number) => { open(fd: number): number };
  const b = (process as unknown as { binding(n: string): { Pipe: PipeCtor; constants: { SOCKET: number } } }).binding(
    'pipe_wrap',
  );
  const h = new b.Pipe(b.constants.SOCKET);
  h.open(fd);
  const net = createRequire(import.meta.url)('node:net') as typeof import('node:net');
  const s = new net.Socket({ handle: h } as unknown as import('node:net').SocketConstructorOpts);
  s.on('data', (p: Buffer) => count(p));
  s.on('error', () => {});
  stop = () => s.destroy();
}

/** The write side: N packets written with one koffi write(2) each (a UDP datagram to a closed local port). */
function writeSide(kind: string): void {
  const c = libc();
  const pkt = new Uint8Array(Number(sizeArg) + 28);
  const dv = new DataView(pkt.buffer);
  pkt[0] = 0x45;
  dv.setUint16(2, pkt.length);
  pkt[8] = 64;
  pkt[9] = 17;
  pkt.set([10, 99, 0, 2, 10, 99, 0, 1], 12);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += dv.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  dv.setUint16(10, ~sum & 0xffff);
  dv.setUint16(20, 9999);
  dv.setUint16(22, 9);
  dv.setUint16(24, pkt.length - 20);
  const n = 100000;
  const c0 = process.cpuUsage(),
    t0 = performance.now();
  const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  for (let i = 0; i < n; i++) {
    if (kind === 'write-koffi') c.write(fd, pkt, pkt.length);
    else fs.writeSync(fd, pkt);
  }
  const c1 = process.cpuUsage(c0);
  process.stdout.write(
    JSON.stringify({ mode: kind, packets: n, cpuUs: c1.user + c1.system, wallMs: performance.now() - t0 }) + '\n',
  );
  closeTun(dev);
  process.exit(0);
}
if (mode.startsWith('write-')) writeSide(mode);

const modes: Record<string, () => void> = {
  'fs-read': fsReadLoop,
  'koffi-async': koffiAsync,
  'worker-port': workerPort,
  'worker-ring': workerRing,
  'pipe-wrap': pipeWrap,
};
modes[mode]!();
const gen = spawn('/usr/bin/python3', [
  '-c',
  `import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); d=b'x'*${Number(sizeArg)}; end=time.time()+${seconds + 1.5}
while time.time()<end:
  for i in range(200):
    try: s.sendto(d,('10.99.0.2',9))
    except OSError: pass`,
]);
await new Promise((r) => setTimeout(r, 500));
const p0 = packets,
  c0 = process.cpuUsage(),
  t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const c1 = process.cpuUsage(c0),
  t1 = performance.now(),
  p1 = packets;
gen.kill();
stop();
process.stdout.write(
  JSON.stringify({ mode, packets: p1 - p0, bytes, cpuUs: c1.user + c1.system, wallMs: t1 - t0 }) + '\n',
);
closeTun(dev);
process.exit(0);
