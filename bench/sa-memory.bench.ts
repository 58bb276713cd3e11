// Memory per SA (issue 11 item 14). (1) In this process, the SAD's own heap per SA with crypto contexts made
// at ADD (what uipsecd did) against made on first use (what it does now): the baseline of the ratio, same run.
// (2) uipsecd as a process: 100,000 SAs added over PF_KEY (UIPSEC_BENCH_SAS to change), its RSS and V8 heap
// per SA (from the SIGUSR1 statistics line, the daemon under --expose-gc so that it counts live memory), then after SADB_FLUSH, after adding them all again and flushing
// again: memory freed by a flush is reused, not added to.
// Run: npm run bench -- sa-memory
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import * as C from '../pfkey/constants.js';
import { encodeMessage, makeSadbMsg } from '../pfkey/index.js';
import { UnixTransport } from '../pfkey/transport-unix.js';
import { Sad } from '../kernel/sad/sad.js';
import { ensureContexts } from '../kernel/ipsec/esp-crypto.js';
import { ManualClock } from '../common/clock.js';
import { SeededRng } from '../common/rng.js';
import { ReplyCounter, addMessage, addRate, mem, startDaemon } from './pfkey.bench.js';
import { loadNow, writeBenchJson, type BenchChart } from './harness.js';

const N_DAEMON = Number(process.env.UIPSEC_BENCH_SAS ?? 100_000);
const N_LOCAL = 20_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes per SA of a SAD holding N_LOCAL SAs, contexts made at ADD (`eager`) or not. */
function localBytesPerSa(eager: boolean): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const sad = new Sad({ clock: new ManualClock(1_700_000_000_000), rng: new SeededRng('mem'), listener: () => {} });
  for (let i = 0; i < N_LOCAL; i++) {
    const sa = sad.add({
      spi: 0x10000 + i,
      proto: 'esp',
      mode: 'transport',
      src: Uint8Array.of(10, 1, (i >> 8) & 0xff, i & 0xff),
      dst: Uint8Array.of(10, 2, (i >> 16) & 0xff, 1),
      encAlg: 'aes-cbc',
      encKey: new Uint8Array(16).fill(i & 0xff),
      authAlg: 'hmac-sha256',
      authKey: new Uint8Array(32).fill(7),
      replayBits: 32,
    });
    if (eager) ensureContexts(sa);
  }
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / N_LOCAL;
  sad.flush();
  return bytes;
}

/** RSS and heap (MiB) from the daemon's SIGUSR1 line. */
function daemonMem(d: ChildProcess, err: { text: string }): Promise<{ rss: number; heap: number }> {
  const from = err.text.length;
  d.kill('SIGUSR1');
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      const m = /rss ([\d.]+) MiB heap ([\d.]+) MiB/.exec(err.text.slice(from));
      if (!m) return;
      clearInterval(poll);
      resolve({ rss: Number(m[1]), heap: Number(m[2]) });
    }, 20);
  });
}

function saMemoryCharts(eager: number, lazy: number, memRows: BenchChart['rows']): BenchChart[] {
  return [
    {
      id: 'sad',
      title: `SAD heap per SA, ${N_LOCAL} ESP aes-cbc/hmac-sha256 SAs in-process, after gc (goal ≤ 1024 B)`,
      unit: 'bytes of heap per SA, lower is better',
      series: ['heap per SA'],
      rows: [
        { label: 'crypto contexts at ADD', values: [eager] },
        { label: 'on first use', values: [lazy] },
      ],
    },
    {
      id: 'daemon',
      title: `uipsecd's memory with ${N_DAEMON} SAs added over PF_KEY, flushed, added and flushed again`,
      unit: 'MiB (SIGUSR1 statistics line, daemon under --expose-gc), lower is better',
      series: ['RSS', 'V8 heap'],
      rows: memRows,
    },
  ];
}

export default async function main(): Promise<void> {
  const load0 = loadNow();
  const eager = localBytesPerSa(true);
  const lazy = localBytesPerSa(false);
  console.log(
    `SAD heap per SA (${N_LOCAL} ESP aes-cbc/hmac-sha256 SAs, in-process, after gc): contexts at ADD ${eager.toFixed(0)} B, ` +
      `on first use ${lazy.toFixed(0)} B (ratio ${(lazy / eager).toFixed(2)}; goal <= 1024 B)`,
  );
  const sock = join(mkdtempSync(join(tmpdir(), 'uipsecd-bench-')), 'pfkey.sock');
  const daemon = await startDaemon(sock, ['--expose-gc']); // its SIGUSR1 line then counts live memory
  const err = { text: '' };
  daemon.stderr!.on('data', (b: Buffer) => (err.text += b.toString()));
  const pid = daemon.pid!;
  try {
    const t = await UnixTransport.connect(sock);
    const counter = new ReplyCounter(t, () => {});
    const msgs = Array.from({ length: N_DAEMON }, (_, i) => encodeMessage(addMessage(i, 777)));
    const flush = encodeMessage({ msg: makeSadbMsg(C.SADB_FLUSH, C.SADB_SATYPE_UNSPEC, 1, 777), ext: {} });
    const idle = await daemonMem(daemon, err);
    const rows: string[] = [`idle: RSS ${idle.rss.toFixed(1)} MiB, heap ${idle.heap.toFixed(1)} MiB`];
    const fulls: number[] = [];
    const memRows: BenchChart['rows'] = [{ label: 'idle', values: [idle.rss, idle.heap] }];
    for (let round = 1; round <= 2; round++) {
      const add = await addRate(t, counter, msgs);
      const full = await daemonMem(daemon, err);
      fulls.push(full.rss);
      t.send(flush);
      await new Promise((r) => setTimeout(r, 500)); // the FLUSH is done (SIGUSR1 collects before it counts)
      const flushed = await daemonMem(daemon, err);
      const per = (x: number) => ((x - idle.heap) * 1048576) / N_DAEMON;
      memRows.push({ label: `${N_DAEMON} SAs (round ${round})`, values: [full.rss, full.heap] });
      memRows.push({ label: `after FLUSH (round ${round})`, values: [flushed.rss, flushed.heap] });
      rows.push(
        `round ${round}: ${N_DAEMON} SAs added (${add.errors} errors): RSS ${full.rss.toFixed(1)} MiB ` +
          `(${(((full.rss - idle.rss) * 1048576) / N_DAEMON).toFixed(0)} B/SA), heap ${full.heap.toFixed(1)} MiB ` +
          `(${per(full.heap).toFixed(0)} B/SA); after FLUSH: RSS ${flushed.rss.toFixed(1)} MiB, heap ${flushed.heap.toFixed(1)} MiB`,
      );
    }
    const last = mem(pid).rss;
    rows.push(
      `full table, second round against first: RSS ratio ${(fulls[1]! / fulls[0]!).toFixed(2)} (reuse: <= ~1); ` +
        `RSS now ${last.toFixed(1)} MiB`,
    );
    for (const r of rows) console.log(r);
    writeBenchJson('sa-memory', saMemoryCharts(eager, lazy, memRows), { loadStart: load0 });
    t.close();
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('close', r));
  }
}
