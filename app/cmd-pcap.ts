// `uipsec pcap encap|decap --config setkey.conf IN.pcap OUT.pcap [--wireshark-keys FILE]`: apply the SAs and
// policies of a setkey file to the packets of a capture (pcap/offline.ts) and write the result.
import { SeededRng } from '../common/rng.js';
import { ManualClock } from '../common/clock.js';
import { ParseError } from '../common/bytes.js';
import { decodePcap, encodePcap } from './pcap/pcap-file.js';
import { SUPPORTED_LINKTYPES } from './pcap/link-frame.js';
import { OfflineIpsec, transformCapture, type Direction } from './pcap/offline.js';
import { mergeEspSaTable, type EspSaMerge } from './pcap/wireshark-keys.js';
import { EXIT_FAIL, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, errorText, type CliIo } from './cli-io.js';
import { formatTable } from './table.js';

export interface PcapCommandOptions {
  config: string;
  wiresharkKeys?: string;
  policyCheck: boolean;
  /** Deterministic IVs and padding (tests, reproducible captures); default: the system RNG. */
  seed?: string;
  quiet?: boolean;
}

/** Runs one pcap conversion; resolves with the exit status. */
export async function runPcap(
  dir: Direction,
  input: string,
  output: string,
  o: PcapCommandOptions,
  io: CliIo,
): Promise<number> {
  let conf: Uint8Array, raw: Uint8Array;
  try {
    conf = io.readFile(o.config);
  } catch (e) {
    io.err(`uipsec pcap: cannot read the setkey file ${o.config}: ${errorText(e)}\n`);
    return EXIT_FAIL;
  }
  try {
    raw = io.readFile(input);
  } catch (e) {
    io.err(`uipsec pcap: cannot read ${input}: ${errorText(e)}\n`);
    return EXIT_FAIL;
  }
  let file;
  try {
    file = decodePcap(raw);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    io.err(`uipsec pcap: ${input}: ${e.message}\n`);
    return EXIT_FAIL;
  }
  if (!SUPPORTED_LINKTYPES.has(file.linktype)) {
    io.err(
      `uipsec pcap: ${input}: link type ${file.linktype} is not supported (${[...SUPPORTED_LINKTYPES].map(([n, s]) => `${n} ${s}`).join(', ')})\n`,
    );
    return EXIT_FAIL;
  }
  // Lifetimes are judged against the capture's own clock: start at the first packet's time.
  const t0 = file.records.length ? file.records[0]!.tsSec * 1000 : Date.now();
  const engine = new OfflineIpsec({
    policyCheck: o.policyCheck,
    rng: o.seed !== undefined ? new SeededRng(o.seed) : undefined,
    clock: new ManualClock(t0),
  });
  try {
    const r = await engine.load(o.config, conf);
    if (r.err)
      io.err(
        r.err
          .split('\n')
          .filter(Boolean)
          .map((l) => `uipsec pcap: ${l}\n`)
          .join(''),
      );
    if (r.code !== 0) {
      io.err(`uipsec pcap: ${o.config} was not loaded (setkey exit ${r.code})\n`);
      return EXIT_USAGE;
    }
    const { file: outFile, stats } = transformCapture(file, engine, dir);
    let keys: EspSaMerge | undefined;
    if (o.wiresharkKeys) {
      keys = mergeEspSaTable(readIfExists(io, o.wiresharkKeys), engine.host.sad.dump());
      if (!keys.ok) {
        io.err(
          `uipsec pcap: ${o.wiresharkKeys}:${keys.line}: not an esp_sa record or comment; the file is left as it is ` +
            '(name another file, or remove this one)\n',
        );
        return EXIT_FAIL;
      }
    }
    try {
      io.writeFile(output, encodePcap(outFile));
      if (o.wiresharkKeys && keys?.ok) io.writeFile(o.wiresharkKeys, keys.text);
    } catch (e) {
      io.err(`uipsec pcap: cannot write: ${errorText(e)}\n`);
      return EXIT_FAIL;
    }
    if (!o.quiet) {
      const what = dir === 'encap' ? 'encapsulated' : 'decapsulated';
      io.out(
        `${input} -> ${output}: ${stats.packets} packets, ${stats.changed} ${what}, ${stats.passed} unchanged (no IPsec policy/header), ${stats.notIp} not IP or truncated (copied), ${stats.dropped} dropped\n`,
      );
      const reasons = Object.entries(stats.reasons);
      if (reasons.length)
        io.out(
          formatTable(
            ['drop reason', 'packets'],
            reasons.map(([k, v]) => [k, v]),
          ),
        );
      if (o.wiresharkKeys && keys?.ok)
        io.out(
          `ESP keys for Wireshark in ${o.wiresharkKeys}: ${keys.added} added, ${keys.replaced} replaced (same addresses and SPI), ` +
            `${keys.kept} kept (tshark -o esp.enable_encryption_decode:TRUE -o uat:esp_sa:LINE ...)\n`,
        );
    }
    return stats.dropped > 0 ? EXIT_PARTIAL : EXIT_OK;
  } finally {
    engine.close();
  }
}

/** The text of `path`, or '' when it does not exist (other read errors are thrown). */
function readIfExists(io: CliIo, path: string): string {
  try {
    return Buffer.from(io.readFile(path)).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}
