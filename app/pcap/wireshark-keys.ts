// Wireshark's ESP SA table (the `esp_sa` UAT file in a Wireshark profile, or `tshark -o uat:esp_sa:REC`):
// one quoted CSV record per ESP SA, "IPv4|IPv6","src","dst","0xSPI","encryption","0xkey","authentication",
// "0xkey", with the algorithm names Wireshark's ESP preferences use (epan/dissectors/packet-ipsec.c, 4.0).
// AES-GCM keys include the 4-byte salt (RFC 4106 §8.1), as PF_KEY carries them. SAs Wireshark 4.0 cannot
// decrypt (AES-GMAC, ChaCha20-Poly1305, Camellia) are written as comments that say so.
import { toHex } from '../../common/bytes.js';
import { formatAddr } from '../../common/inet.js';
import type { SecAssoc } from '../../kernel/sad/secassoc.js';

const WS_ENC: Readonly<Record<string, string>> = {
  null: 'NULL',
  'des-cbc': 'DES-CBC [RFC2405]',
  '3des-cbc': 'TripleDES-CBC [RFC2451]',
  'aes-cbc': 'AES-CBC [RFC3602]',
  'aes-ctr': 'AES-CTR [RFC3686]',
  'aes-gcm-8': 'AES-GCM with 8 octet ICV [RFC4106]',
  'aes-gcm-12': 'AES-GCM with 12 octet ICV [RFC4106]',
  'aes-gcm-16': 'AES-GCM with 16 octet ICV [RFC4106]',
};

const WS_AUTH: Readonly<Record<string, string>> = {
  null: 'NULL',
  'hmac-md5': 'HMAC-MD5-96 [RFC2403]',
  'hmac-sha1': 'HMAC-SHA-1-96 [RFC2404]',
  'hmac-sha256': 'HMAC-SHA-256-128 [RFC4868]',
  'hmac-sha384': 'HMAC-SHA-384-192 [RFC4868]',
  'hmac-sha512': 'HMAC-SHA-512-256 [RFC4868]',
  'hmac-ripemd160': 'MAC-RIPEMD-160-96 [RFC2857]',
  // Wireshark has no AES-XCBC-MAC-96 check; it can still decrypt with the ICV length known.
  'aes-xcbc-mac': 'ANY 96 bit authentication [no checking]',
};

const q = (s: string) => `"${s}"`;
const hex = (k: Uint8Array | undefined) => (k && k.length ? `0x${toHex(k)}` : '');

/** The esp_sa record for one SA, or a `#` comment saying why there is none. */
export function espSaRecord(sa: SecAssoc): string {
  const spi = `0x${sa.spi.toString(16).padStart(8, '0')}`;
  const where = `${formatAddr(sa.src)} -> ${formatAddr(sa.dst)} spi ${spi}`;
  if (sa.proto !== 'esp') return `# ${where}: ${sa.proto.toUpperCase()} (the esp_sa table is for ESP only)`;
  const encName = sa.encAlg?.name ?? 'null';
  const enc = WS_ENC[encName];
  const aead = sa.encAlg?.kind === 'aead';
  const authName = aead ? 'null' : (sa.authAlg?.name ?? 'null');
  const auth = WS_AUTH[authName];
  if (!enc || !auth) return `# ${where}: ${enc ? authName : encName} cannot be decrypted by Wireshark 4.0`;
  const family = sa.src.length === 16 ? 'IPv6' : 'IPv4';
  return [
    family,
    formatAddr(sa.src),
    formatAddr(sa.dst),
    spi,
    enc,
    hex(sa.encKey),
    auth,
    hex(aead ? undefined : sa.authKey),
  ]
    .map(q)
    .join(',');
}

/** The whole file: a header comment and one line per SA (live ones only). */
export function espSaTable(sas: readonly SecAssoc[]): string {
  const lines = [
    '# Wireshark esp_sa table written by uipsec (Preferences > Protocols > ESP > ESP SAs, or tshark -o uat:esp_sa:LINE)',
  ];
  for (const sa of sas) if (sa.state === 'mature' || sa.state === 'dying') lines.push(espSaRecord(sa));
  return lines.join('\n') + '\n';
}

/** "IPv4","src","dst","0xSPI": what identifies an esp_sa record (Wireshark matches packets on these). */
function recordKey(line: string): string | undefined {
  const m = /^"(IPv4|IPv6|\*)","([^"]*)","([^"]*)","([^"]*)"(,"[^"]*"){4}\s*$/.exec(line);
  return m ? `${m[1]} ${m[2]} ${m[3]} ${m[4]!.toLowerCase()}` : undefined;
}

export type EspSaMerge =
  { ok: true; text: string; added: number; replaced: number; kept: number } | { ok: false; line: number };

/**
 * Merges the records of `sas` into an existing esp_sa file: a record with the same family, addresses and SPI
 * is replaced where it stands, the others are appended, and everything else (the user's SAs, comments) is
 * kept. A line that is neither a record nor a comment means the file is something else: `ok: false`.
 */
export function mergeEspSaTable(existing: string, sas: readonly SecAssoc[]): EspSaMerge {
  if (existing.trim() === '')
    return { ok: true, text: espSaTable(sas), added: countRecords(sas), replaced: 0, kept: 0 };
  const lines = existing.replace(/\n$/, '').split('\n');
  const index = new Map<string, number>();
  for (const [i, l] of lines.entries()) {
    if (l.trim() === '' || l.startsWith('#')) continue;
    const k = recordKey(l);
    if (!k) return { ok: false, line: i + 1 };
    index.set(k, i);
  }
  let added = 0;
  let replaced = 0;
  for (const sa of sas) {
    if (sa.state !== 'mature' && sa.state !== 'dying') continue;
    const rec = espSaRecord(sa);
    const k = recordKey(rec);
    const at = k === undefined ? undefined : index.get(k);
    if (at !== undefined) {
      lines[at] = rec;
      replaced++;
    } else if (k !== undefined) {
      index.set(k, lines.push(rec) - 1);
      added++;
    }
  }
  return { ok: true, text: lines.join('\n') + '\n', added, replaced, kept: index.size - added - replaced };
}

function countRecords(sas: readonly SecAssoc[]): number {
  return sas.filter((sa) => (sa.state === 'mature' || sa.state === 'dying') && recordKey(espSaRecord(sa))).length;
}
