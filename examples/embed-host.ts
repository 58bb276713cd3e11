// Embedding uipsec in a Node program (docs/api.md): two IPsec hosts in this process on an in-memory wire,
// keys and policies loaded with setkey text over the in-process PF_KEY socket, a UDP exchange protected by
// transport-mode ESP, and the SA table read back over PF_KEY. Run it with
//   npx tsx examples/embed-host.ts        (or node dist/examples/embed-host.js after npm run build)
// It imports the package the way a program that depends on uipsec does (inside this repository the name resolves
// to the package itself, through package.json "exports").
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Host,
  KeySock,
  MemWire,
  parseAddr,
  PfkeyClient,
  InprocTransport,
  runSetkeyInproc,
  dumpTables,
  formatStatus,
  hostExtras,
} from 'uipsec';

const SETKEY = (me: string, peer: string) => `
add 192.168.7.1 192.168.7.2 esp 0x700 -m transport -E aes-gcm-16 0x00112233445566778899aabbccddeeff00112233;
add 192.168.7.2 192.168.7.1 esp 0x701 -m transport -E aes-gcm-16 0xffeeddccbbaa99887766554433221100ffeeddcc;
spdadd ${me} ${peer} udp -P out ipsec esp/transport//require;
spdadd ${peer} ${me} udp -P in ipsec esp/transport//require;
`;

/** Runs the example; resolves with what it printed. */
export async function main(print: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  // 1. The world: one wire, two hosts (each an isolated stack with its own SPD/SAD), a PF_KEY layer each.
  const wire = new MemWire();
  const hosts = ['192.168.7.1', '192.168.7.2'].map((addr, i) => {
    const host = new Host({ name: `h${i + 1}` });
    host.addInterface('eth0', wire.attach(`h${i + 1}`, [parseAddr(addr)!]), [`${addr}/24`]);
    return { addr, host, keysock: new KeySock(host) };
  });
  const [a, b] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];

  // 2. Keys and policies: the same text `setkey -f` takes, sent as PF_KEY messages.
  for (const [me, peer] of [
    [a, b],
    [b, a],
  ] as const) {
    const r = await runSetkeyInproc(me.keysock, ['-f', 'ipsec.conf'], {
      files: { 'ipsec.conf': SETKEY(me.addr, peer.addr) },
    });
    if (r.code !== 0) throw new Error(r.err);
  }

  // 3. Applications: UDP sockets of the hosts' stacks.
  const server = b.host.udpSocket();
  server.bind(9000);
  const got = new Promise<string>((resolve) =>
    server.onMessage((data, from) => {
      resolve(
        `${new TextDecoder().decode(data)} (from ${from.port}, via ${from.layers.map((l) => `${l.proto} spi 0x${l.sa.spi.toString(16)}`).join(', ')})`,
      );
    }),
  );
  a.host.udpSocket().send(new TextEncoder().encode('hello, protected world'), b.addr, 9000);
  print(`b received: ${await got}\n`);

  // 4. Read the tables back over PF_KEY, as any key manager would.
  const client = new PfkeyClient(new InprocTransport(a.keysock));
  print(formatStatus({ source: 'in-process host h1', ...hostExtras(a.host), ...(await dumpTables(client)) }));
  client.close();
  for (const h of hosts) {
    h.keysock.close();
    h.host.close();
  }
}

/** True when node was started with this file (through a symlink too). */
function isMain(): boolean {
  const argv1 = process.argv[1];
  return argv1 !== undefined && realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
}

if (isMain()) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = 1;
  });
}
