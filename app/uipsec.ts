// The `uipsec` operator tool (commander): demo, ping/send/listen through uipsecd's app channel, status over
// PF_KEY, and pcap encap/decap offline. Every command has --help with examples; exit statuses are the
// EXIT_* constants of cli-io.ts (0 ok, 1 runtime failure, 2 usage/configuration, 3 partial).
import { Command, CommanderError, Option } from 'commander';
import { runDemo } from './demo.js';
import { runPcap } from './cmd-pcap.js';
import { runListen, runPing, runSend } from './cmd-app-channel.js';
import { runStatus } from './cmd-status.js';
import { EXIT_FAIL, EXIT_USAGE, errorText, processCliIo, type CliIo } from './cli-io.js';
import { packageVersion } from '../common/version.js';
import { isMainModule } from './main-module.js';
import { exitAfterFlush } from '../common/stdio.js';

export { processCliIo } from './cli-io.js';
export { exitAfterFlush } from '../common/stdio.js';

const EXIT_CODES = `
Exit status: 0 success; 1 runtime failure (no daemon, unreadable file); 2 bad usage or configuration;
3 partial result (packets dropped, replies missing, fewer datagrams than --count).`;

const SOCKETS = `
Sockets: --socket (PF_KEY) defaults to $UIPSEC_PFKEY_SOCKET, else /var/run/uipsec/pfkey.sock;
--app-socket defaults to $UIPSEC_IKE_SOCKET, else ike.sock next to the PF_KEY socket.`;

function int(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < min || n > max)
      throw new CommanderError(
        EXIT_USAGE,
        'uipsec.badNumber',
        `${name} must be a whole number in ${min}..${max}, not "${v}"`,
      );
    return n;
  };
}

const socketOpt = () => new Option('-s, --socket <path>', "uipsecd's PF_KEY socket");
const appSocketOpt = () => new Option('--app-socket <path>', "uipsecd's app (IKE) channel socket");

/** Builds the program; `run` receives each command's outcome. */
function program(io: CliIo, run: (p: Promise<number>) => void): Command {
  const root = new Command('uipsec')
    .description('uipsec operator tool: talk to a running uipsecd, or work on captures offline')
    .version(`uipsec ${packageVersion()}`, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  uipsec demo                                   two hosts in this process, no daemon needed
  uipsec status                                 interfaces, counters, SAs and policies of the local uipsecd
  uipsec listen 5000 --count 1 &  uipsec send 10.0.0.2 5000 hello
  uipsec pcap encap --config ipsec.conf plain.pcap esp.pcap --wireshark-keys esp_sa
${EXIT_CODES}`,
    );

  root
    .command('demo')
    .description('run the in-process demo (what `npm start` runs)')
    .option('--manual', 'manual keys loaded with setkey instead of racoon negotiating them')
    .addHelpText('after', `\nExamples:\n  uipsec demo\n  uipsec demo --manual\n${EXIT_CODES}`)
    .action((o: { manual?: boolean }) => run(runDemo({ keying: o.manual ? 'manual' : 'racoon' }, io)));

  const pcap = root.command('pcap').description('apply the SAs and policies of a setkey file to a capture, offline');
  for (const dir of ['encap', 'decap'] as const) {
    pcap
      .command(`${dir} <in> <out>`)
      .description(
        dir === 'encap'
          ? 'protect the packets that the outbound policies select (ESP/AH/IPComp, transport or tunnel)'
          : 'remove ESP/AH/IPComp (and ESP-in-UDP) with the SAs, then apply the inbound policy check',
      )
      .requiredOption('-c, --config <setkey.conf>', 'setkey script with the SAs and policies (add/spdadd ...)')
      .option('-w, --wireshark-keys <file>', "write Wireshark's esp_sa table for the ESP SAs")
      .option(
        '--no-policy-check',
        dir === 'decap' ? 'keep packets the inbound policy would refuse' : 'ignored for encap',
      )
      .option('--seed <text>', 'seeded random IVs/padding (reproducible output)')
      .option('-q, --quiet', 'no summary')
      .addHelpText(
        'after',
        `
Capture formats: pcap (microsecond or nanosecond, either byte order) with link type RAW (101), IPV4 (228),
IPV6 (229) or EN10MB Ethernet (1); pcapng must be converted first (editcap -F pcap in.pcapng in.pcap).
Packets without a matching policy pass unchanged; dropped packets are left out and listed by reason.

Examples:
  uipsec pcap ${dir} --config ipsec.conf in.pcap out.pcap
  uipsec pcap encap -c ipsec.conf plain.pcap esp.pcap -w ~/.config/wireshark/esp_sa
  tshark -o esp.enable_encryption_decode:TRUE -r esp.pcap      (decrypted with that esp_sa table)
${EXIT_CODES}`,
      )
      .action(
        (
          inp: string,
          out: string,
          o: { config: string; wiresharkKeys?: string; policyCheck: boolean; seed?: string; quiet?: boolean },
        ) => run(runPcap(dir, inp, out, o, io)),
      );
  }

  root
    .command('status')
    .description(
      "interfaces, routes, counters, SAs and policies of a running uipsecd (PF_KEY dumps plus its app channel's STATUS)",
    )
    .addOption(socketOpt())
    .addOption(appSocketOpt())
    .option('--json', 'one JSON object for scripts (SA algorithms, not their keys)')
    .option('--keys', "with --json: each SA's encryption and authentication keys too, as setkey -D shows them")
    .option(
      '-f, --daemon-config <file>',
      "uipsecd's config file: its interfaces and routes when the daemon cannot tell (not running, or older)",
    )
    .addHelpText(
      'after',
      `\nExamples:\n  uipsec status\n  uipsec status --json | jq '.counters.esps_output'\n  uipsec status --json | jq '.sas[] | select(.state == "mature")'\n  uipsec status -s /tmp/a/pfkey.sock -f a.conf\n${SOCKETS}\n${EXIT_CODES}`,
    )
    .action((o: { socket?: string; appSocket?: string; json?: boolean; keys?: boolean; daemonConfig?: string }) =>
      run(runStatus(o, io)),
    );

  root
    .command('send <address> <port> [message...]')
    .description(
      "send UDP datagrams through uipsecd's host stack (the SPD applies: they leave protected or not at all)",
    )
    .addOption(appSocketOpt())
    .addOption(socketOpt())
    .option('--sport <port>', 'local port (default: an ephemeral one)', int('--sport', 0, 65535), 0)
    .option('-n, --count <n>', 'send the message n times', int('--count', 1, 1_000_000), 1)
    .option('--stdin', 'send each line of stdin as one datagram')
    .addHelpText(
      'after',
      `\nExamples:\n  uipsec send 10.0.0.2 5000 hello world\n  printf 'a\\nb\\n' | uipsec send --stdin 10.0.0.2 5000\n${SOCKETS}\n${EXIT_CODES}`,
    )
    .action(
      (
        address: string,
        port: string,
        words: string[],
        o: { appSocket?: string; socket?: string; sport: number; count: number; stdin?: boolean },
      ) => run(runSend({ ...o, address, port: int('<port>', 1, 65535)(port), message: words.join(' ') }, io)),
    );

  root
    .command('listen <port>')
    .description("receive UDP datagrams on a port of uipsecd's host stack; prints each one (sender, size, payload)")
    .addOption(appSocketOpt())
    .addOption(socketOpt())
    .option('-n, --count <n>', 'exit after n datagrams', int('--count', 1, 1_000_000))
    .option('--echo', 'send every datagram back to its sender (the peer of `uipsec ping --udp`)')
    .option('--json', 'one JSON object per datagram')
    .addHelpText(
      'after',
      `\nExamples:\n  uipsec listen 5000\n  uipsec listen 7 --echo\n  uipsec listen 5000 --count 1 --json\n${SOCKETS}\n${EXIT_CODES}`,
    )
    .action(
      (port: string, o: { appSocket?: string; socket?: string; count?: number; echo?: boolean; json?: boolean }) =>
        run(runListen({ ...o, port: int('<port>', 0, 65535)(port) }, io)),
    );

  root
    .command('ping <address>')
    .description(
      "ICMP/ICMPv6 echo sent by uipsecd's host (its SPD applies: protected when a policy covers ICMP), ping(8)-style",
    )
    .addOption(appSocketOpt())
    .option('--socket <path>', "uipsecd's PF_KEY socket (the app channel is ike.sock beside it)")
    .option('-c, --count <n>', 'requests', int('--count', 1, 10_000), 3)
    .option('-s, --size <bytes>', 'echo data bytes', int('--size', 0, 65_000), 56)
    .option(
      '-i, --interval <ms>',
      'milliseconds between requests (ping(8) takes seconds)',
      int('--interval', 0, 60_000),
      1000,
    )
    .option(
      '-W, --timeout <ms>',
      'milliseconds to wait for replies after the last request',
      int('--timeout', 0, 600_000),
      2000,
    )
    .option(
      '--udp <port>',
      'UDP echo (RFC 862) to this port instead, answered by `uipsec listen PORT --echo`',
      int('--udp', 1, 65535),
    )
    .addHelpText(
      'after',
      `\nExamples:\n  uipsec ping 10.0.0.2\n  uipsec ping -c 10 -i 200 -s 1400 10.0.0.2\n  uipsec ping --udp 7 10.0.0.2        (on 10.0.0.2: uipsec listen 7 --echo)\nExit status: 0 when any reply came back, 1 when none (or no uipsecd), 2 bad usage.\n${SOCKETS}`,
    )
    .action(
      (
        address: string,
        o: {
          appSocket?: string;
          socket?: string;
          count: number;
          udp?: number;
          interval: number;
          timeout: number;
          size: number;
        },
      ) => run(runPing({ ...o, address }, io)),
    );

  return root;
}

/** Runs `uipsec ARGV`; resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let pending: Promise<number> | undefined;
  const prog = program(io, (p) => {
    pending = p;
  });
  const route = (c: Command): void => {
    c.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
    for (const sub of c.commands) route(sub);
  };
  route(prog);
  try {
    await prog.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'uipsec.badNumber') io.err(`uipsec: ${e.message}\n`);
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version'
        ? 0
        : EXIT_USAGE;
    }
    io.err(`uipsec: ${errorText(e)}\n`);
    return EXIT_FAIL;
  }
  if (!pending) {
    io.out(prog.helpInformation());
    return EXIT_USAGE;
  }
  try {
    return await pending;
  } catch (e) {
    io.err(`uipsec: ${errorText(e)}\n`);
    return EXIT_FAIL;
  }
}

if (isMainModule(import.meta.url)) {
  void main(process.argv.slice(2), processCliIo()).then(exitAfterFlush);
}
