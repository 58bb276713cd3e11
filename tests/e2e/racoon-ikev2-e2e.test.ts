// End to end with IKEv2 (RFC 7296), two processes per host: uipsecd (the kernel, PF_KEY and IKE channel on Unix
// sockets, packets on a UDP underlay) and racoon with an `ike_version 2` remote. Policies are loaded with
// `setkey -f`; a datagram sent through host a's stack triggers ACQUIRE, racoon a runs IKE_SA_INIT + IKE_AUTH
// (PSK) with racoon b and both install the first child; the datagram traffic is then protected, the child is
// rekeyed with CREATE_CHILD_SA on the soft lifetime, `racoonctl show-sa ike` lists the IKE SA and its child,
// and a DELETE on one host reaches the other in an INFORMATIONAL exchange.
//
//   host a: uipsecd 10.0.0.1/24 + racoon   ==== UDP underlay 127.0.0.1:PA <-> 127.0.0.1:PB ====   host b
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PfkeyClient } from '../../pfkey/client.js';
import { UnixTransport } from '../../pfkey/transport-unix.js';
import { IkeChannel, type IkeDatagram } from '../../channel/index.js';
import * as P from '../../pfkey/constants.js';
import { makeSockaddr } from '../../pfkey/sockaddr.js';
import { parseAddr } from '../../common/inet.js';

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');
const launcher = join(here, '..', fromSource ? 'racoon-launch.ts' : 'racoon-launch.js');
const A = '10.0.0.1',
  B = '10.0.0.2';
const ip = (s: string) => parseAddr(s)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(program: string, args: string[], log: string[]): ChildProcess {
  const p = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), launcher, program, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  p.stdout!.on('data', (c: Buffer) => log.push(c.toString()));
  p.stderr!.on('data', (c: Buffer) => log.push(c.toString()));
  return p;
}

const procs: ChildProcess[] = [];

async function until(what: string, cond: () => boolean | Promise<boolean>, log: string[]): Promise<void> {
  // No wall-clock limit here (mocha's own timeout applies); the loop only yields between checks.
  for (let i = 0; ; i++) {
    if (await cond()) return;
    const dead = procs.find((p) => p.exitCode !== null);
    if (dead) throw new Error(`a daemon exited (${dead.exitCode}) while waiting for ${what}:\n${log.join('')}`);
    if (i > 0 && i % 200 === 0) process.stderr.write(`still waiting for ${what}\n${log.slice(-5).join('')}`);
    await sleep(50);
  }
}

async function sas(sock: string): Promise<{ src: string; spi: number }[]> {
  const c = new PfkeyClient(await UnixTransport.connect(sock), { pid: 40000 + Math.floor(Math.random() * 10000) });
  try {
    const all = await c.dumpAll(P.SADB_DUMP);
    return all
      .filter((m) => m.ext.sa?.state === P.SADB_SASTATE_MATURE || m.ext.sa?.state === P.SADB_SASTATE_DYING)
      .map((m) => ({ src: Buffer.from(m.ext.addressSrc!.addr.addr).join('.'), spi: m.ext.sa!.spi >>> 0 }));
  } finally {
    c.close();
  }
}

function racoonConf(peer: string, admin: string, pskFile: string): string {
  return `path pre_shared_key "${pskFile}";
listen { adminsock "${admin}"; }
timer { counter 5; interval 2 sec; }
remote ${peer} {
  ike_version 2;
  proposal { encryption_algorithm aes_gcm_16 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group ecp256; }
}
sainfo anonymous {
  pfs_group ecp256;
  lifetime time 4 sec;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}
`;
}

describe('e2e: uipsecd + racoon (IKEv2) per host, setkey -f, ACQUIRE, IKE_SA_INIT/IKE_AUTH, traffic, rekey, DELETE', function () {
  const logs: string[] = [];
  let dir = '';
  after(() => {
    for (const p of procs) p.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('negotiates on demand and carries, rekeys and deletes the SAs', async function () {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-racoon-v2-e2e-'));
    const base = 21000 + (process.pid % 20000);
    const hosts = [
      { name: 'a', addr: A, peer: B, port: base, peerPort: base + 1 },
      { name: 'b', addr: B, peer: A, port: base + 1, peerPort: base },
    ].map((h) => ({
      ...h,
      sock: join(dir, `${h.name}.pfkey`),
      ike: join(dir, `${h.name}.ike`),
      admin: join(dir, `${h.name}.admin`),
    }));
    for (const h of hosts) {
      procs.push(
        run(
          'uipsecd',
          [
            '-s',
            h.sock,
            '--ike-socket',
            h.ike,
            '--name',
            h.name,
            '-a',
            `${h.addr}/24`,
            '-u',
            `127.0.0.1:${h.port}`,
            '--neighbour',
            `${h.peer}=127.0.0.1:${h.peerPort}`,
          ],
          logs,
        ),
      );
    }
    await until('uipsecd sockets', () => hosts.every((h) => existsSync(h.sock) && existsSync(h.ike)), logs);
    // setkey -f on both hosts at once, then both racoons.
    const codes = await Promise.all(
      hosts.map((h) => {
        const pol = join(dir, `${h.name}.setkey`);
        writeFileSync(
          pol,
          `spdadd ${h.addr} ${h.peer} any -P out ipsec esp/transport//require;\nspdadd ${h.peer} ${h.addr} any -P in ipsec esp/transport//require;\n`,
        );
        const sk = run('setkey', ['--socket', h.sock, '-f', pol], logs);
        return new Promise<number | null>((r) => sk.on('exit', r));
      }),
    );
    assert.deepEqual(codes, [0, 0], logs.join(''));
    for (const h of hosts) {
      const psk = join(dir, `${h.name}.psk`);
      writeFileSync(psk, `${h.peer}\tthe-e2e-secret\n`, { mode: 0o600 });
      const conf = join(dir, `${h.name}.conf`);
      writeFileSync(conf, racoonConf(h.peer, h.admin, psk));
      procs.push(run('racoon', ['-F', '-f', conf, '-v', '--socket', h.sock, '--ike-socket', h.ike], logs));
    }
    await until('racoon admin sockets', () => hosts.every((h) => existsSync(h.admin)), logs);

    // Applications on both hosts bind UDP 7000 through uipsecd's datagram channel.
    const [ca, cb] = await Promise.all(hosts.map((h) => IkeChannel.connect(h.ike)));
    const got: IkeDatagram[] = [];
    cb!.onDatagram((d) => got.push(d));
    await ca!.bind(7000);
    await cb!.bind(7000);
    const send = (n: number) => ca!.send(7000, ip(B), 7000, new TextEncoder().encode(`datagram ${n}`));

    send(0); // no SA yet: ACQUIRE to racoon a
    await until(
      'SAs on both hosts',
      async () => (await sas(hosts[0]!.sock)).length === 2 && (await sas(hosts[1]!.sock)).length === 2,
      logs,
    );
    const first = await sas(hosts[0]!.sock);
    send(1);
    await until(
      'protected datagram at b',
      () => got.some((d) => new TextDecoder().decode(d.payload) === 'datagram 1'),
      logs,
    );

    // Rekey: the soft lifetime (80% of 4 s) of a used SA makes racoon a negotiate a new pair before the hard one.
    let n = 2;
    await until(
      'a new SA pair',
      async () => {
        send(n++);
        const now = await sas(hosts[0]!.sock);
        return now.some((s) => !first.some((f) => f.spi === s.spi));
      },
      logs,
    );
    await until(
      'old pair gone, traffic still flowing',
      async () => {
        send(n++);
        const now = await sas(hosts[0]!.sock);
        return now.length === 2 && !now.some((s) => first.some((f) => f.spi === s.spi)) && got.length >= 3;
      },
      logs,
    );
    const seen = got.length;
    send(n++);
    await until('datagram after rekey', () => got.length > seen, logs);

    // racoonctl show-sa ike: the IKE SA (initiator side on a) and its installed child.
    const out: string[] = [];
    const ctl = run('racoonctl', ['-s', hosts[0]!.admin, 'show-sa', 'ike'], out);
    assert.equal(await new Promise<number | null>((r) => ctl.on('exit', r)), 0, out.join(''));
    const shown = out.join('');
    assert.match(shown, /10\.0\.0\.1\[\d+\] 10\.0\.0\.2\[\d+\] [0-9a-f]{16}:[0-9a-f]{16} IKEv2 I established/);
    assert.match(shown, /\n {2}child \d+ installed tunnel|\n {2}child \d+ installed transport/);

    // DELETE: another PF_KEY user on a deletes a's inbound SA; racoon a tells racoon b, which removes its pair.
    const inbound = (await sas(hosts[0]!.sock)).find((s) => s.src === B)!;
    const c = new PfkeyClient(await UnixTransport.connect(hosts[0]!.sock), { pid: 39999 });
    await c.request({
      msg: c.header(P.SADB_DELETE, P.SADB_SATYPE_ESP),
      ext: {
        sa: { spi: inbound.spi, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
        addressSrc: { proto: 255, prefixlen: 32, addr: makeSockaddr(ip(B)) },
        addressDst: { proto: 255, prefixlen: 32, addr: makeSockaddr(ip(A)) },
      },
    });
    c.close();
    await until('SAs deleted on b', async () => (await sas(hosts[1]!.sock)).length === 0, logs);
    ca!.close();
    cb!.close();
    assert.ok(logs.join('').includes('IKEv2 child SA'), 'children logged as established');
    assert.match(logs.join(''), /child \d+ with 10\.0\.0\.2 rekeyed as child \d+/);
  });
});
