// psk.txt: pre-shared keys by peer identifier (racoon localconf.c getpsk + safefile.c). One entry a line,
// `IDENTIFIER <blanks> KEY`; `#` comments; `0x...` keys are hex. Files open to group/others are refused.
import { statSync } from 'node:fs';
import { FileReadError, readConfigText } from '../common/bounded-file.js';
import { ConfigError } from '../common/errors.js';
import { equalCT } from '../common/bytes.js';

/** One psk.txt line: the identifier (address, FQDN, user@FQDN) and the key bytes. */
export interface PskEntry {
  id: string;
  key: Uint8Array;
  line: number;
}

export interface PskFile {
  file: string;
  entries: PskEntry[];
  errors: ConfigError[];
}

/** The file metadata the mode check needs (injectable for tests). */
export interface PskStat {
  mode: number;
  uid: number;
}

/** Permission bits racoon refuses on a secrets file: any group or other access. */
export const PSK_FORBIDDEN_MODE = 0o077;

function decodeKey(raw: string): Uint8Array | string {
  if (!/^0x/i.test(raw)) return new TextEncoder().encode(raw);
  const h = raw.slice(2).trimEnd();
  if (h.length === 0 || h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h))
    return 'bad hex key (needs an even number of hex digits after 0x)'; // the key itself is never echoed
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/**
 * Parses psk.txt text. Everything after the blanks that follow the identifier is the key (spaces included).
 * A mistyped line may be a key in any part (`10.8.0.2:secret`, a key alone), so a diagnostic names the line
 * and never quotes any of it (issue 11 item 8).
 */
export function parsePskText(text: string, file: string): PskFile {
  const entries: PskEntry[] = [];
  const errors: ConfigError[] = [];
  const firstLine = new Map<string, number>();
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, '');
    const body = line.replace(/^[ \t]+/, '');
    if (body === '' || body.startsWith('#')) return;
    const m = /^(\S+)[ \t]+(.*)$/.exec(body);
    if (!m || m[2]!.length === 0) {
      errors.push(
        new ConfigError('not IDENTIFIER <blanks> KEY (the line is not shown: it may hold a key)', file, i + 1),
      );
      return;
    }
    const key = decodeKey(m[2]!);
    if (typeof key === 'string') {
      errors.push(new ConfigError(key, file, i + 1));
      return;
    }
    const first = firstLine.get(m[1]!);
    if (first !== undefined) {
      errors.push(new ConfigError(`same identifier as line ${first}; this line is ignored`, file, i + 1));
      return;
    }
    firstLine.set(m[1]!, i + 1);
    entries.push({ id: m[1]!, key, line: i + 1 });
  });
  return { file, entries, errors };
}

/** racoon safefile(): owned by root or by us, and no group/other permission bits. */
export function checkPskMode(st: PskStat, file: string, myUid: number | undefined): ConfigError | undefined {
  if (myUid !== undefined && st.uid !== 0 && st.uid !== myUid)
    return new ConfigError(`${file} is owned by uid ${st.uid}, not by root or uid ${myUid}`, file, 0);
  if (st.mode & PSK_FORBIDDEN_MODE) {
    return new ConfigError(
      `${file} has mode 0${(st.mode & 0o777).toString(8)}: group/others must have no access (chmod 600)`,
      file,
      0,
    );
  }
  return undefined;
}

/** Reads psk.txt after the mode check; a refused file yields no entries. */
export function loadPskFile(
  path: string,
  stat: (p: string) => PskStat = statSync,
  read: (p: string) => string = readConfigText,
): PskFile {
  let st: PskStat;
  try {
    st = stat(path);
  } catch (e) {
    return {
      file: path,
      entries: [],
      errors: [new ConfigError(`cannot stat: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path, 0)],
    };
  }
  const bad = checkPskMode(st, path, process.getuid?.());
  if (bad) return { file: path, entries: [], errors: [bad] };
  let text: string;
  try {
    text = read(path); // a regular file of at most 4 MiB (issue 11 item 13)
  } catch (e) {
    const why = e instanceof FileReadError ? e.reason : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    return { file: path, entries: [], errors: [new ConfigError(`cannot read: ${why}`, path, 0)] };
  }
  return parsePskText(text, path);
}

/** The key for `id` (exact identifier match, first entry wins as in racoon getpsk). */
export function lookupPsk(psk: PskFile, id: string): Uint8Array | undefined {
  return psk.entries.find((e) => e.id === id)?.key;
}

/** True when `key` equals the stored key for `id`, compared in constant time (no timing side channel on the key). */
export function pskMatches(psk: PskFile, id: string, key: Uint8Array): boolean {
  const k = lookupPsk(psk, id);
  return k !== undefined && equalCT(k, key);
}
