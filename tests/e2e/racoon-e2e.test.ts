// End to end, two processes per host: uipsecd (the kernel, PF_KEY and IKE channel on Unix sockets, packets on a
// UDP underlay) and racoon, once with IKEv1 and once with IKEv2 (an `ike_version 2` remote). Policies are loaded
// with `setkey -f`; a datagram sent through host a's stack triggers ACQUIRE, racoon a negotiates with racoon b
// (main + quick mode; IKE_SA_INIT + IKE_AUTH with the first child, RFC 7296), the datagram traffic is then
// protected, the SAs are rekeyed on the soft lifetime (quick mode; CREATE_CHILD_SA), and a DELETE on one host
// reaches the other (ISAKMP DELETE; an INFORMATIONAL exchange).
import { strict as assert } from 'node:assert';
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PfkeyClient } from '../../pfkey/client.js';
import { UnixTransport } from '../../pfkey/transport-unix.js';
import { IkeChannel, type IkeDatagram } from '../../channel/index.js';
import * as P from '../../pfkey/constants.js';
import { makeSockaddr } from '../../pfkey/sockaddr.js';
import {
  A,
  B,
  ip,
  liveSas,
  pairHosts,
  run,
  transportPolicies,
  uipsecdArgs,
  until,
  type PairHost,
} from './racoon-pair.js';

interface Version {
  label: string;
  tmp: string;
  base: number;
  /** The remote's exchange line and proposal, and the sainfo's PFS group. */
  remote: string;
  pfs: string;
  /** What only this version shows, checked after the rekey. */
  more(a: PairHost, logs: string): Promise<void>;
}

const exit = (p: ChildProcess) => new Promise<number | null>((r) => p.on('exit', r));

const versions: Version[] = [
  {
    label: 'uipsecd + racoon per host, setkey -f policies, ACQUIRE, negotiation, protected traffic, rekey, DELETE',
    tmp: 'uipsec-racoon-e2e-',
    base: 20000,
    remote: `exchange_mode main;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }`,
    pfs: 'modp2048',
    async more(_a, logs) {
      // racoon's own words, which log watchers grep (ipsec-tools pfkey.c sadbsecas2str): each SA of the pair,
      // and the soft expiry that started the rekey.
      assert.match(
        logs,
        /IPsec-SA established: ESP\/Transport 10\.0\.0\.2\[\d+\]->10\.0\.0\.1\[\d+\] spi=\d+\(0x[0-9a-f]+\)/,
      );
      assert.match(
        logs,
        /IPsec-SA established: ESP\/Transport 10\.0\.0\.1\[\d+\]->10\.0\.0\.2\[\d+\] spi=\d+\(0x[0-9a-f]+\)/,
      );
      assert.match(
        logs,
        /IPsec-SA expired: ESP\/Transport 10\.0\.0\.\d\[\d+\]->10\.0\.0\.\d\[\d+\] spi=\d+\(0x[0-9a-f]+\)/,
      );
      assert.match(logs, /ISAKMP-SA established 10\.0\.0\.1\[\d+\]-10\.0\.0\.2\[\d+\] spi:[0-9a-f]{16}:[0-9a-f]{16}/);
    },
  },
  {
    label: 'uipsecd + racoon (IKEv2) per host, setkey -f, ACQUIRE, IKE_SA_INIT/IKE_AUTH, traffic, rekey, DELETE',
    tmp: 'uipsec-racoon-v2-e2e-',
    base: 21000,
    remote: `ike_version 2;
  proposal { encryption_algorithm aes_gcm_16 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group ecp256; }`,
    pfs: 'ecp256',
    async more(a, logs) {
      // racoonctl show-sa ike: the IKE SA (initiator side on a) and its installed child.
      const out: string[] = [];
      assert.equal(await exit(run('racoonctl', ['-s', a.admin, 'show-sa', 'ike'], out)), 0, out.join(''));
      const shown = out.join('');
      assert.match(shown, /10\.0\.0\.1\[\d+\] 10\.0\.0\.2\[\d+\] [0-9a-f]{16}:[0-9a-f]{16} IKEv2 I established/);
      assert.match(shown, /\n {2}child \d+ installed tunnel|\n {2}child \d+ installed transport/);
      assert.ok(logs.includes('IKEv2 child SA'), 'children logged as established');
      assert.match(
        logs,
        /IPsec-SA established: ESP\/Transport 10\.0\.0\.2\[\d+\]->10\.0\.0\.1\[\d+\] spi=\d+\(0x[0-9a-f]+\)/,
      );
      assert.match(logs, /child \d+ with 10\.0\.0\.2 rekeyed as child \d+/);
    },
  },
];

const racoonConf = (v: Version, peer: string, admin: string, pskFile: string) => `path pre_shared_key "${pskFile}";
listen { adminsock "${admin}"; }
timer { counter 5; interval 2 sec; }
remote ${peer} {
  ${v.remote}
}
sainfo anonymous {
  pfs_group ${v.pfs};
  lifetime time 4 sec;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}
`;

for (const v of versions) {
  describe(`e2e: ${v.label}`, function () {
    const logs: string[] = [];
    const procs: ChildProcess[] = [];
    let dir = '';
    after(() => {
      for (const p of procs) p.kill('SIGTERM');
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    const wait = (what: string, cond: () => boolean | Promise<boolean>) =>
      until(
        what,
        cond,
        () => {
          const dead = procs.find((p) => p.exitCode !== null);
          return dead && `a daemon exited (${dead.exitCode})`;
        },
        () => logs.join(''),
      );

    it('negotiates on demand and carries, rekeys and deletes the SAs', async function () {
      dir = mkdtempSync(join(tmpdir(), v.tmp));
      const hosts = pairHosts(dir, v.base + (process.pid % 20000));
      for (const h of hosts) procs.push(run('uipsecd', uipsecdArgs(h), logs));
      await wait('uipsecd sockets', () => hosts.every((h) => existsSync(h.sock) && existsSync(h.ike)));
      // setkey -f on both hosts at once, then both racoons.
      const codes = await Promise.all(
        hosts.map((h) => {
          const pol = join(dir, `${h.name}.setkey`);
          writeFileSync(pol, transportPolicies(h));
          return exit(run('setkey', ['--socket', h.sock, '-f', pol], logs));
        }),
      );
      assert.deepEqual(codes, [0, 0], logs.join(''));
      for (const h of hosts) {
        const psk = join(dir, `${h.name}.psk`);
        writeFileSync(psk, `${h.peer}\tthe-e2e-secret\n`, { mode: 0o600 });
        const conf = join(dir, `${h.name}.conf`);
        writeFileSync(conf, racoonConf(v, h.peer, h.admin, psk));
        procs.push(run('racoon', ['-F', '-f', conf, '-v', '--socket', h.sock, '--ike-socket', h.ike], logs));
      }
      await wait('racoon admin sockets', () => hosts.every((h) => existsSync(h.admin)));
      const [a, b] = hosts;

      // Applications on both hosts bind UDP 7000 through uipsecd's datagram channel.
      const [ca, cb] = await Promise.all(hosts.map((h) => IkeChannel.connect(h.ike)));
      const got: IkeDatagram[] = [];
      cb!.onDatagram((d) => got.push(d));
      await ca!.bind(7000);
      await cb!.bind(7000);
      const send = (n: number) => ca!.send(7000, ip(B), 7000, new TextEncoder().encode(`datagram ${n}`));

      send(0); // no SA yet: ACQUIRE to racoon a
      await wait(
        'SAs on both hosts',
        async () => (await liveSas(a.sock)).length === 2 && (await liveSas(b.sock)).length === 2,
      );
      const first = await liveSas(a.sock);
      send(1);
      await wait('protected datagram at b', () =>
        got.some((d) => new TextDecoder().decode(d.payload) === 'datagram 1'),
      );

      // Rekey: the soft lifetime (80% of 4 s) of a used SA makes racoon a negotiate a new pair before the hard one.
      let n = 2;
      await wait('a new SA pair', async () => {
        send(n++);
        return (await liveSas(a.sock)).some((s) => !first.some((f) => f.spi === s.spi));
      });
      await wait('old pair gone, traffic still flowing', async () => {
        send(n++);
        const now = await liveSas(a.sock);
        return now.length === 2 && !now.some((s) => first.some((f) => f.spi === s.spi)) && got.length >= 3;
      });
      const seen = got.length;
      send(n++);
      await wait('datagram after rekey', () => got.length > seen);
      await v.more(a, logs.join(''));

      // DELETE: another PF_KEY user on a deletes a's inbound SA; racoon a tells racoon b, which removes its pair.
      const inbound = (await liveSas(a.sock)).find((s) => s.src === B)!;
      const c = new PfkeyClient(await UnixTransport.connect(a.sock), { pid: 39999 });
      await c.request({
        msg: c.header(P.SADB_DELETE, P.SADB_SATYPE_ESP),
        ext: {
          sa: { spi: inbound.spi, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
          addressSrc: { proto: 255, prefixlen: 32, addr: makeSockaddr(ip(B)) },
          addressDst: { proto: 255, prefixlen: 32, addr: makeSockaddr(ip(A)) },
        },
      });
      c.close();
      await wait('SAs deleted on b', async () => (await liveSas(b.sock)).length === 0);
      ca!.close();
      cb!.close();
    });
  });
}
