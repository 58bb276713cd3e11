// `npm start`: two IPsec hosts in one process on an in-memory wire, policies loaded from setkey text through
// the in-process PF_KEY socket and SAs negotiated by racoon (or, with --manual, loaded by setkey too), then ping and UDP in transport-mode
// ESP, what crossed the wire, the SA table as `setkey -D` prints it, and fail-closed behaviour. It checks
// its own results and exits 1 if any check failed. No daemon, no root, no configuration.
import { Command, CommanderError } from 'commander';
import { formatAddr, parseAddr } from '../common/inet.js';
import { buildUdpPacket } from '../kernel/ip/packet.js';
import * as C from '../pfkey/constants.js';
import { PfkeyClient } from '../pfkey/client.js';
import { InprocTransport } from '../pfkey/transport-inproc.js';
import { DEMO_ADDR, DEMO_PREFIX_LEN, DEMO_SPI, demoSetkeyScript } from './demo-config.js';
import { Lab, settle, type LabHost } from './lab.js';
import { formatTable, section } from './table.js';
import { containsBytes, spiHex, summarizeFrame } from './wire-summary.js';
import { packageVersion } from '../common/version.js';
import { negotiateWithRacoon } from './demo-racoon.js';
import { isMainModule } from './main-module.js';
import { exitQuietlyOnEpipe } from './cli-io.js';

export interface DemoIo {
  out(s: string): void;
  err(s: string): void;
}
export interface DemoOptions {
  keying: 'manual' | 'racoon';
}

const UDP_PORT = 5000;
const enc = new TextEncoder();

/** Collects the demo's self-checks: each prints as `ok` or `FAILED` where it happens. */
class Checks {
  readonly failed: string[] = [];
  count = 0;
  constructor(private readonly io: DemoIo) {}
  check(ok: boolean, what: string): boolean {
    this.count++;
    this.io.out(`  ${ok ? 'ok    ' : 'FAILED'} ${what}\n`);
    if (!ok) this.failed.push(what);
    return ok;
  }
}

function hostsSection(io: DemoIo, hosts: LabHost[]): void {
  io.out(section('1. Two hosts on one wire (in-memory, in this process)'));
  io.out(
    formatTable(
      ['host', 'interface', 'address', 'link'],
      hosts.map((h) => [h.name, 'eth0', h.addr, 'memwire (tapped)']),
    ),
  );
}

async function keyManually(lab: Lab, io: DemoIo, ck: Checks): Promise<void> {
  io.out(section('2. Policies and SAs from setkey text (setkey -f, over PF_KEY)'));
  for (const name of ['a', 'b'] as const) {
    const script = demoSetkeyScript(name);
    const r = await lab.setkey(name, ['-f', `${name}.conf`], { [`${name}.conf`]: script });
    if (name === 'a')
      io.out(
        `  ${name}.conf:\n${script
          .trimEnd()
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n')}\n`,
      );
    else io.out('  b.conf: the same SAs, the policies mirrored\n');
    if (r.err)
      io.out(
        r.err
          .split('\n')
          .filter(Boolean)
          .map((l) => `    setkey: ${l}\n`)
          .join(''),
      );
    const h = lab.get(name).host;
    ck.check(
      r.code === 0 && h.sad.dump().length === 2 && h.spd.size >= 2,
      `setkey -f ${name}.conf: exit ${r.code}, ${h.sad.dump().length} SAs, ${h.spd.size} policies in ${name}'s kernel`,
    );
  }
}

async function pingSection(lab: Lab, io: DemoIo, ck: Checks): Promise<void> {
  const a = lab.get('a').host;
  io.out(section(`3. ping ${DEMO_ADDR.b} from a (ICMP echo, protected by ESP both ways)`));
  const replies = await a.ping(DEMO_ADDR.b, { count: 3, intervalMs: 0, timeoutMs: 2000 });
  io.out(
    formatTable(
      ['seq', 'from', 'bytes', 'ttl', 'time'],
      replies.map((r) => [r.seq, formatAddr(r.from), r.bytes, r.ttl, `${r.rttMs.toFixed(2)} ms`]),
    ),
  );
  ck.check(replies.length === 3, `3 echo requests, ${replies.length} replies`);
}

async function udpSection(lab: Lab, io: DemoIo, ck: Checks): Promise<string[]> {
  const a = lab.get('a').host,
    b = lab.get('b').host;
  io.out(section(`4. UDP from a to ${DEMO_ADDR.b}:${UDP_PORT}`));
  const got: { text: string; from: string; via: string }[] = [];
  const rx = b.udpSocket();
  rx.bind(UDP_PORT);
  rx.onMessage((data, from) => {
    const via = from.layers.map((l) => `${l.proto.toUpperCase()} spi ${spiHex(l.sa.spi)}`).join(', ') || 'no IPsec';
    got.push({ text: new TextDecoder().decode(data), from: `${formatAddr(from.address)}:${from.port}`, via });
  });
  const tx = a.udpSocket();
  const texts = [1, 2, 3].map((i) => `hello from a, datagram ${i}`);
  for (const t of texts) tx.send(enc.encode(t), DEMO_ADDR.b, UDP_PORT);
  await settle(8);
  io.out(
    formatTable(
      ['received by b', 'from', 'protected by'],
      got.map((g) => [JSON.stringify(g.text), g.from, g.via]),
    ),
  );
  ck.check(
    got.length === 3 && got.every((g, i) => g.text === texts[i] && g.via.startsWith('ESP')),
    'b got all 3 datagrams, each through ESP',
  );
  rx.close();
  tx.close();
  return texts;
}

function wireSection(lab: Lab, io: DemoIo, ck: Checks, from: number, secrets: string[]): void {
  io.out(section('5. What crossed the wire (a tap on the memwire)'));
  const frames = lab.since(from);
  const rows = frames.map((f, i) => {
    const s = summarizeFrame(f.bytes);
    const id = s.spi !== undefined ? spiHex(s.spi) : s.cpi !== undefined ? `cpi ${s.cpi}` : (s.detail ?? '');
    return [i + 1, f.from, `${s.src} > ${s.dst}`, s.proto, id, s.seq ?? '', s.length];
  });
  io.out(formatTable(['#', 'sent by', 'addresses', 'proto', 'SPI', 'seq', 'bytes'], rows));
  const kinds = new Set(frames.map((f) => summarizeFrame(f.bytes).proto));
  const plain = frames.filter((f) => secrets.some((t) => containsBytes(f.bytes, enc.encode(t))));
  const onlyIpsec = [...kinds].every((k) => k === 'ESP' || k === 'IKE');
  ck.check(
    frames.length > 0 && onlyIpsec && frames.some((f) => summarizeFrame(f.bytes).proto === 'ESP'),
    `${frames.length} frames, protocols seen: ${[...kinds].join(', ')} (nothing else)`,
  );
  ck.check(plain.length === 0, 'no frame carries the UDP text in clear');
}

async function saTableSection(lab: Lab, io: DemoIo, ck: Checks): Promise<void> {
  io.out(section("6. Host a's SA table, as `setkey -D` prints it"));
  const r = await lab.setkey('a', ['-D']);
  io.out(r.out);
  ck.check(
    r.code === 0 && /esp mode=transport spi=\d+\(0x[0-9a-f]{8}\)/.test(r.out),
    'setkey -D lists the ESP transport SAs',
  );
}

async function failClosedSection(lab: Lab, io: DemoIo, ck: Checks, stopRacoon?: () => void): Promise<void> {
  const A = lab.get('a'),
    B = lab.get('b');
  io.out(section('7. Fail closed: without its SA, traffic is refused, never sent in clear'));
  if (stopRacoon) {
    // Otherwise racoon would (rightly) propagate the DELETE and negotiate new SAs on the next ACQUIRE.
    stopRacoon();
    io.out('  racoon stopped on both hosts: from here on nobody negotiates new SAs\n');
  }
  const secret = 'this must never appear in clear';
  const send = (): boolean => {
    const s = A.host.udpSocket();
    const ok = s.send(enc.encode(secret), DEMO_ADDR.b, UDP_PORT);
    s.close();
    return ok;
  };
  const spiAb = await outboundSpi(lab);

  // (a) the receiver loses the SA: a still encrypts, b cannot decrypt and drops.
  let r = await lab.setkey('b', ['-c'], {}, `delete ${DEMO_ADDR.a} ${DEMO_ADDR.b} esp 0x${spiAb.toString(16)};\n`);
  io.out(`  b: setkey -c <<< 'delete ${DEMO_ADDR.a} ${DEMO_ADDR.b} esp 0x${spiAb.toString(16)};'  (exit ${r.code})\n`);
  let mark = lab.frames.length;
  const notdb = B.host.stats.get('esps_notdb');
  send();
  await settle(8);
  let seen = lab.since(mark).map((f) => summarizeFrame(f.bytes).proto);
  ck.check(
    seen.length === 1 && seen[0] === 'ESP' && B.host.stats.get('esps_notdb') === notdb + 1,
    `a sends: 1 ESP frame on the wire, b drops it (esps_notdb ${notdb} -> ${B.host.stats.get('esps_notdb')})`,
  );

  // (b) the sender loses its outbound SA: nothing leaves; a key manager is asked for one (ACQUIRE).
  const km = new PfkeyClient(new InprocTransport(A.keysock), { pid: 777, firstSeq: 1 });
  await km.request({ msg: km.header(C.SADB_REGISTER, C.SADB_SATYPE_ESP), ext: {} });
  let acquires = 0;
  km.onMessage((m) => {
    if (m.msg.type === C.SADB_ACQUIRE) acquires++;
  });
  r = await lab.setkey('a', ['-c'], {}, `delete ${DEMO_ADDR.a} ${DEMO_ADDR.b} esp 0x${spiAb.toString(16)};\n`);
  io.out(`  a: setkey -c <<< 'delete ${DEMO_ADDR.a} ${DEMO_ADDR.b} esp 0x${spiAb.toString(16)};'  (exit ${r.code})\n`);
  mark = lab.frames.length;
  const nosa = A.host.stats.get('ips_out_nosa');
  const sent = send();
  await settle(8);
  seen = lab.since(mark).map((f) => summarizeFrame(f.bytes).proto);
  ck.check(
    !sent && seen.length === 0 && A.host.stats.get('ips_out_nosa') === nosa + 1,
    `a sends: refused (ips_out_nosa ${nosa} -> ${A.host.stats.get('ips_out_nosa')}), 0 frames on the wire`,
  );
  ck.check(acquires === 1, `a key manager registered on a's PF_KEY socket got ${acquires} SADB_ACQUIRE`);
  km.close();

  // (c) plaintext forged onto the wire for b: the inbound policy check refuses it.
  const polvio = B.host.stats.get('ips_in_polvio');
  const rx = B.host.udpSocket();
  let delivered = 0;
  rx.bind(UDP_PORT);
  rx.onMessage(() => {
    delivered++;
  });
  B.host.input(
    buildUdpPacket(
      { src: parseAddr(DEMO_ADDR.a)!, dst: parseAddr(DEMO_ADDR.b)!, ttl: 64, id: 1 },
      40000,
      UDP_PORT,
      enc.encode(secret),
    ),
    'eth0',
  );
  await settle(4);
  rx.close();
  ck.check(
    delivered === 0 && B.host.stats.get('ips_in_polvio') === polvio + 1,
    `plaintext UDP forged to b: not delivered (ips_in_polvio ${polvio} -> ${B.host.stats.get('ips_in_polvio')})`,
  );
}

/** The SPI of a's outbound SA (manual keys: DEMO_SPI.ab; racoon: whatever was negotiated). */
async function outboundSpi(lab: Lab): Promise<number> {
  const a = parseAddr(DEMO_ADDR.a)!,
    b = parseAddr(DEMO_ADDR.b)!;
  const sa = lab
    .get('a')
    .host.sad.dump()
    .find((s) => s.proto === 'esp' && formatAddr(s.src) === formatAddr(a) && formatAddr(s.dst) === formatAddr(b));
  return sa?.spi ?? DEMO_SPI.ab;
}

function countersSection(lab: Lab, io: DemoIo): void {
  io.out(section('8. IPsec counters (KAME espstat/ipsecstat names)'));
  const rows: (string | number)[][] = [];
  for (const h of lab.hosts.values())
    for (const [k, v] of Object.entries(h.host.stats.nonZero())) rows.push([h.name, k, v]);
  io.out(formatTable(['host', 'counter', 'value'], rows));
}

/** Runs the whole demo; resolves with the exit status (0: every check passed). */
export async function runDemo(opts: DemoOptions, io: DemoIo): Promise<number> {
  io.out(`uipsec ${packageVersion()} demo: host-to-host IPsec (transport-mode ESP) between two hosts in one process\n`);
  io.out(
    `keying: ${opts.keying === 'racoon' ? 'racoon (IKEv1 main mode + quick mode, pre-shared key)' : 'manual keys loaded with setkey'}\n`,
  );
  const lab = new Lab();
  const ck = new Checks(io);
  try {
    const hosts = [
      lab.addHost('a', `${DEMO_ADDR.a}/${DEMO_PREFIX_LEN}`),
      lab.addHost('b', `${DEMO_ADDR.b}/${DEMO_PREFIX_LEN}`),
    ];
    hostsSection(io, hosts);
    let stopRacoon: (() => void) | undefined;
    if (opts.keying === 'racoon') stopRacoon = await negotiateWithRacoon(lab, io, ck);
    else await keyManually(lab, io, ck);
    const mark = lab.frames.length;
    await pingSection(lab, io, ck);
    const texts = await udpSection(lab, io, ck);
    wireSection(lab, io, ck, opts.keying === 'racoon' ? 0 : mark, texts);
    await saTableSection(lab, io, ck);
    await failClosedSection(lab, io, ck, stopRacoon);
    countersSection(lab, io);
  } finally {
    lab.close();
  }
  io.out(section('Result'));
  if (ck.failed.length === 0) io.out(`  all ${ck.count} checks passed\n`);
  else io.out(`  ${ck.failed.length} of ${ck.count} checks FAILED:\n${ck.failed.map((f) => `    - ${f}\n`).join('')}`);
  return ck.failed.length === 0 ? 0 : 1;
}

const EXAMPLES = `
Examples:
  npm start                      the demo: racoon negotiates the SAs (node dist/app/demo.js)
  node dist/app/demo.js --manual manual keys loaded with setkey -f instead

Exit status: 0 every check passed, 1 a check failed, 2 bad usage.
`;

/** The demo's command line. */
export async function main(argv: readonly string[], io: DemoIo): Promise<number> {
  const prog = new Command('uipsec-demo')
    .description(
      'Two in-process IPsec hosts: setkey-loaded (or racoon-negotiated) transport-mode ESP, ping, UDP, the wire, setkey -D, fail-closed',
    )
    .option('--racoon', 'negotiate the SAs with two racoon instances (IKEv1 main mode + quick mode, PSK; the default)')
    .option('--manual', 'load manual keys with setkey instead of negotiating them')
    .version(packageVersion(), '-V, --version')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  try {
    prog.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const o = prog.opts<{ manual?: boolean; racoon?: boolean }>();
  if (o.manual && o.racoon) {
    io.err('uipsec-demo: --manual and --racoon exclude each other\n');
    return 2;
  }
  return runDemo({ keying: o.manual ? 'manual' : 'racoon' }, io);
}

if (isMainModule(import.meta.url)) {
  exitQuietlyOnEpipe();
  main(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`uipsec-demo: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
