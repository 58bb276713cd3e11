// racoon as a system daemon, each program a separate process as a user runs them: uipsecd killed with SIGKILL
// and started again under a running racoon (racoon says it, reconnects, registers again and negotiates anew,
// never restarted itself); SIGHUP reloads racoon.conf (SAs the new sainfo no longer allows are deleted at both
// ends, a configuration with errors is refused and the old one kept); the pid file and -l log file; SIGTERM
// sends DELETE to the peer and exits 0.
//
//   host a: uipsecd 10.0.0.1/24 + racoon   ==== UDP underlay 127.0.0.1:PA <-> 127.0.0.1:PB ====   host b
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IkeChannel, type IkeDatagram } from '../../channel/index.js';
import { runRacoonctl } from '../../racoon/racoonctl.js';
import {
  B,
  ip,
  liveSas,
  pairHosts,
  run,
  sleep,
  transportPolicies,
  uipsecdArgs,
  until as untilOr,
  type PairHost,
} from './racoon-pair.js';

interface HostProcs extends PairHost {
  conf: string;
  pid: string;
  logfile: string;
  uipsecd?: ChildProcess;
  racoon?: ChildProcess;
  log: string[];
}

const text = (h: HostProcs) => h.log.join('') + (existsSync(h.logfile) ? readFileSync(h.logfile, 'utf8') : '');

/** Polls until `cond`; throws at once if a racoon of `hosts` exited. */
const until = (what: string, cond: () => boolean | Promise<boolean>, hosts: HostProcs[]) =>
  untilOr(
    what,
    cond,
    () => {
      const dead = hosts.find((h) => h.racoon?.exitCode != null || h.racoon?.signalCode != null);
      return dead && `racoon ${dead.name} exited`;
    },
    () => hosts.map(text).join(''),
  );

const sas = async (sock: string) => (await liveSas(sock)).map((s) => s.spi);

function racoonConf(h: HostProcs, psk: string, enc: string): string {
  return `path pre_shared_key "${psk}";
path pidfile "${h.pid}";
listen { adminsock "${h.admin}"; }
timer { counter 5; interval 2 sec; }
remote ${h.peer} {
  exchange_mode main;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous {
  lifetime time 1 hour;
  encryption_algorithm ${enc};
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}
`;
}

function startUipsecd(h: HostProcs): void {
  h.uipsecd = run('uipsecd', uipsecdArgs(h, ['--load', join(h.conf, '..', `${h.name}.setkey`)]), h.log);
}

describe('e2e: racoon as a daemon: uipsecd restarted under it, SIGHUP, pid file, log file, SIGTERM', function () {
  let dir = '';
  let hosts: HostProcs[] = [];
  const channels: IkeChannel[] = [];
  afterEach(() => {
    for (const c of channels.splice(0)) c.close();
    for (const h of hosts) for (const p of [h.racoon, h.uipsecd]) if (p && p.exitCode === null) p.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Both hosts up (uipsecd with its policies, racoon) and one datagram a → b carried under ESP. */
  async function setup(
    o: { args?: (h: HostProcs) => string[]; started?: (h: HostProcs) => boolean } = {},
  ): Promise<{ send: (n: number) => void; got: IkeDatagram[] }> {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-racoon-restart-'));
    const base = 21000 + ((process.pid * 7) % 20000);
    hosts = pairHosts(dir, base).map((h) => ({
      ...h,
      conf: join(dir, `${h.name}.conf`),
      pid: join(dir, `${h.name}.pid`),
      logfile: join(dir, `${h.name}.log`),
      log: [],
    }));
    for (const h of hosts) {
      writeFileSync(join(dir, `${h.name}.setkey`), transportPolicies(h));
      startUipsecd(h);
    }
    await until('uipsecd sockets', () => hosts.every((h) => existsSync(h.sock) && existsSync(h.ike)), hosts);
    for (const h of hosts) {
      const psk = join(dir, `${h.name}.psk`);
      writeFileSync(psk, `${h.peer}\tthe-restart-secret\n`, { mode: 0o600 });
      writeFileSync(h.conf, racoonConf(h, psk, 'aes 128'));
      const args = o.args?.(h) ?? ['-F', '-l', h.logfile];
      h.racoon = run('racoon', [...args, '-f', h.conf, '-v', '--socket', h.sock, '--ike-socket', h.ike], h.log);
    }
    const started = o.started ?? ((h: HostProcs) => /racoon started/.test(text(h)));
    await until('racoon started', () => hosts.every(started), hosts);
    return carry();
  }

  /** Applications on both hosts on UDP 7000 through uipsecd's channel (again after a restart). */
  async function carry(): Promise<{ send: (n: number) => void; got: IkeDatagram[] }> {
    const [ca, cb] = await Promise.all(hosts.map((h) => IkeChannel.connect(h.ike)));
    channels.push(ca!, cb!);
    const got: IkeDatagram[] = [];
    cb!.onDatagram((d) => got.push(d));
    await ca!.bind(7000);
    await cb!.bind(7000);
    return { send: (n) => ca!.send(7000, ip(B), 7000, new TextEncoder().encode(`datagram ${n}`)), got };
  }

  async function negotiated(send: (n: number) => void, got: IkeDatagram[], n: number): Promise<void> {
    await until(
      `datagram ${n} protected at b`,
      async () => {
        send(n);
        await sleep(200);
        return got.some((d) => new TextDecoder().decode(d.payload) === `datagram ${n}`);
      },
      hosts,
    );
  }

  it('uipsecd killed (SIGKILL) and restarted: racoon reconnects, registers again and negotiates, never restarted', async () => {
    const first = await setup();
    await negotiated(first.send, first.got, 1);
    const [a, b] = hosts as [HostProcs, HostProcs];
    const oldSpis = await sas(a.sock);
    assert.equal(oldSpis.length, 2);
    const racoonPid = a.racoon!.pid;

    a.uipsecd!.kill('SIGKILL');
    await until('racoon a saw the PF_KEY socket close', () => /PF_KEY socket .* closed/.test(text(a)), hosts);
    await until('racoon a saw the IKE channel close', () => /IKE channel .* closed/.test(text(a)), hosts);
    startUipsecd(a);
    await until(
      'racoon a reconnected',
      () => /PF_KEY socket .* connected again/.test(text(a)) && /IKE channel .* connected again/.test(text(a)),
      hosts,
    );
    // The application on a binds again on the new uipsecd; b's never went away.
    const ca = await IkeChannel.connect(a.ike);
    channels.push(ca);
    await ca.bind(7000);
    await negotiated((n) => ca.send(7000, ip(B), 7000, new TextEncoder().encode(`datagram ${n}`)), first.got, 2);
    const newSpis = await sas(a.sock);
    assert.equal(newSpis.length, 2, 'a new pair in the new uipsecd');
    assert.ok(!newSpis.some((s) => oldSpis.includes(s)));
    // b was told of the pair a lost (ISAKMP DELETE over the phase 1 that survived): only the new pair is left.
    await until('b holds only the new pair', async () => (await sas(b.sock)).length === 2, hosts);
    assert.ok(!(await sas(b.sock)).some((s) => oldSpis.includes(s)));
    assert.equal(a.racoon!.pid, racoonPid);
    assert.equal(a.racoon!.exitCode, null, 'racoon a was never restarted');
    assert.match(text(a), /the kernel's SAs are gone: 1 IPsec-SA pair\(s\)/);
    process.stdout.write(
      `      racoon a log after the restart:\n${text(a)
        .split('\n')
        .filter((l) => /racoon: .*(PF_KEY|IKE channel|gone)/.test(l))
        .map((l) => `        ${l}`)
        .join('\n')}\n`,
    );
  });

  it('a second racoon on the same uipsecd is refused with the reason, and the first keeps running', async () => {
    await setup();
    const [a] = hosts as [HostProcs];
    // Its own admin socket and pid file (else those say it first): only uipsecd's IKE ports are shared.
    const conf = join(dir, 'second.conf');
    writeFileSync(
      conf,
      racoonConf(a, join(dir, 'a.psk'), 'aes 128')
        .replace(a.admin, join(dir, 'second.admin'))
        .replace(a.pid, join(dir, 'second.pid')),
    );
    const log: string[] = [];
    const second = run('racoon', ['-F', '-f', conf, '--socket', a.sock, '--ike-socket', a.ike], log);
    const code = await new Promise<number | null>((r) => second.on('exit', r));
    assert.equal(code, 1, log.join(''));
    assert.match(
      log.join(''),
      /another racoon \(or IKE daemon\) already serves the uipsecd at .*a\.pfkey: bind 500: EADDRINUSE/,
    );
    assert.match(log.join(''), /One racoon per uipsecd/);
    assert.equal(a.racoon!.exitCode, null, 'the first racoon still runs');
  });

  it('SIGHUP reloads racoon.conf, a broken one is refused; pid file and 0600 log file; SIGTERM deletes and exits 0', async () => {
    const c = await setup();
    await negotiated(c.send, c.got, 1);
    const [a, b] = hosts as [HostProcs, HostProcs];
    assert.equal(readFileSync(a.pid, 'utf8'), `${a.racoon!.pid}\n`);
    assert.equal(statSync(a.logfile).mode & 0o777, 0o600);
    const before = await sas(b.sock);

    // A configuration with an error: refused, racoon keeps running with the old one and its SAs.
    writeFileSync(a.conf, racoonConf(a, join(dir, 'a.psk'), 'aes 128') + 'sainfo {\n');
    a.racoon!.kill('SIGHUP');
    await until('reload refused', () => /reload refused/.test(text(a)), hosts);
    assert.deepEqual((await sas(b.sock)).sort(), before.sort());

    // A sainfo that no longer allows the negotiated aes 128: racoon a deletes the pair at b and in its kernel.
    writeFileSync(a.conf, racoonConf(a, join(dir, 'a.psk'), 'aes 256'));
    a.racoon!.kill('SIGHUP');
    await until('reloaded', () => /configuration reloaded/.test(text(a)), hosts);
    assert.match(text(a), /IPsec-SAs kept 0, deleted 1/);
    await until('the old pair deleted at b', async () => !(await sas(b.sock)).some((s) => before.includes(s)), hosts);
    assert.equal(a.racoon!.exitCode, null);
    // racoonctl reload-config does the same through the admin socket (silent on success, as ipsec-tools').
    let out = '';
    const rc = await runRacoonctl(
      ['-s', a.admin, 'reload-config'],
      (t) => (out += t),
      (t) => (out += t),
    );
    assert.deepEqual([rc, out], [0, '']);
    await until('reloaded twice', () => (text(a).match(/configuration reloaded/g) ?? []).length >= 2, hosts);

    // SIGTERM: DELETE to b for the ISAKMP-SA (and any IPsec-SA), the pid file removed, exit status 0.
    const exited = new Promise<number | null>((r) => a.racoon!.on('exit', r));
    a.racoon!.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(existsSync(a.pid), false, 'pid file removed');
    await until('b heard the ISAKMP-SA deleted', () => /removed: peer deleted the ISAKMP-SA/.test(text(b)), hosts);
  });

  it('without -F racoon logs to syslog, facility daemon, each line with its own priority', async function () {
    if (!existsSync('/usr/bin/logger')) this.skip(); // util-linux logger(1) carries the lines to syslog
    // A syslog socket of our own (a Unix datagram socket, as /dev/log), read by the independent Python.
    const sysDir = mkdtempSync(join(tmpdir(), 'uipsec-racoon-syslog-'));
    const sysSock = join(sysDir, 'log');
    const heard: string[] = [];
    const py = spawn('/usr/bin/python3', [
      '-c',
      'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("ready",flush=True)\n' +
        'while True:\n  print(s.recv(65536).decode(errors="replace"),flush=True)',
      sysSock,
    ]);
    py.stdout.on('data', (c: Buffer) => heard.push(c.toString()));
    try {
      await until('the syslog socket', () => heard.join('').includes('ready'), []);
      await setup({
        args: (h) => (h.name === 'a' ? ['--syslog-socket', sysSock] : ['-F', '-l', h.logfile]),
        started: (h) => /racoon started/.test(h.name === 'a' ? heard.join('') : text(h)),
      });
      const [a] = hosts as [HostProcs];
      const lines = heard.join('').split('\n');
      const started = lines.find((l) => /racoon started/.test(l))!;
      assert.match(started, /^<29>/, 'daemon.notice: facility 3 × 8 + severity 5');
      assert.match(started, new RegExp(`racoon[\\[ ]${a.racoon!.pid}`), 'tagged racoon with its pid');
      assert.ok(
        lines.some((l) => /^<30>.*PF_KEY registered/.test(l)),
        'daemon.info',
      );
      assert.doesNotMatch(text(a), /racoon started/, 'not on stderr');
      assert.equal(readFileSync(a.pid, 'utf8'), `${a.racoon!.pid}\n`, 'a daemon writes its pid file');
    } finally {
      py.kill();
      rmSync(sysDir, { recursive: true, force: true });
    }
  });
});
