// A naive reader of `setkey -D` / `-DP` text, written from the ipsec-tools formats (libipsec pfkey_dump.c) with
// regular expressions and nothing from setkey/: it turns the printed text back into plain records so tests
// can compare what setkey printed with what was loaded. Any line it cannot place throws, so a format slip fails.

export interface SaRecord {
  src: string;
  dst: string;
  satype: string;
  mode: string;
  spi: number;
  reqid: number;
  enc?: { alg: string; key: string };
  auth?: { alg: string; key: string };
  comp?: string;
  seq: number;
  replay: number;
  flags: number;
  state: string;
  hardAdd: number;
  softAdd: number;
  hardBytes: number;
  softBytes: number;
  sadbSeq: number;
  pid: number;
}

export interface RequestRecord {
  proto: string;
  mode: string;
  src?: string;
  dst?: string;
  level: string;
  reqid?: number;
  autoReqid?: boolean;
}

export interface PolicyRecord {
  src: string;
  srcLen?: number;
  srcPort?: string;
  dst: string;
  dstLen?: number;
  dstPort?: string;
  upper: string;
  typeCode?: string;
  dir: string;
  action: string;
  requests: RequestRecord[];
  spid: number;
  seq: number;
  pid: number;
}

function must(m: RegExpExecArray | null, line: string | undefined, what: string): RegExpExecArray {
  if (!m) throw new Error(`dump reader: expected ${what}, got ${JSON.stringify(line)}`);
  return m;
}

/** `E: alg  0011 2233...` with continuation lines that start with a space (ipsec_hexdump wraps at 32 bytes). */
function keyLine(lines: string[], i: number, tag: string): { alg: string; key: string; next: number } {
  const m = must(new RegExp(`^\\t${tag}: (\\S+) ((?: [0-9a-f]{2,8})+)$`).exec(lines[i]!), lines[i], `${tag}: line`);
  let key = m[2]!;
  let j = i + 1;
  while (lines[j]?.startsWith(' ')) key += lines[j++]!;
  if (!/^( [0-9a-f]{8})*( [0-9a-f]{2,6})?$/.test(key)) throw new Error(`dump reader: bad key groups ${key}`);
  return { alg: m[1]!, key: key.replace(/ /g, ''), next: j };
}

/** Reads every SA block of `setkey -D` output ('' or `No SAD entries.` gives []). */
export function readSad(text: string): SaRecord[] {
  if (text === 'No SAD entries.\n') return [];
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('dump reader: output does not end with a newline');
  const out: SaRecord[] = [];
  for (let i = 0; i < lines.length;) {
    const h = must(/^(\S+) (\S+) $/.exec(lines[i]!), lines[i], 'first SA line "src dst "');
    const t = must(
      /^\t(\S+) mode=(\S+) spi=(\d+)\(0x([0-9a-f]{8})\) reqid=(\d+)\(0x([0-9a-f]{8})\)$/.exec(lines[++i]!),
      lines[i],
      'satype line',
    );
    if (Number(t[3]) !== parseInt(t[4]!, 16) || Number(t[5]) !== parseInt(t[6]!, 16))
      throw new Error('dump reader: decimal and hex disagree');
    const r: Partial<SaRecord> = {
      src: h[1]!,
      dst: h[2]!,
      satype: t[1]!,
      mode: t[2]!,
      spi: Number(t[3]),
      reqid: Number(t[5]),
    };
    i++;
    let seqLine = lines[i]!;
    if (seqLine.startsWith('\tE: ')) {
      const k = keyLine(lines, i, 'E');
      r.enc = { alg: k.alg, key: k.key };
      i = k.next;
      seqLine = lines[i]!;
    }
    const c = /^\tC: (\S+) (\tseq=.*)$/.exec(seqLine); // IPComp: no newline after the algorithm (pfkey_dump quirk)
    if (c) {
      r.comp = c[1]!;
      seqLine = c[2]!;
    }
    if (seqLine.startsWith('\tA: ')) {
      const k = keyLine(lines, i, 'A');
      r.auth = { alg: k.alg, key: k.key };
      i = k.next;
      seqLine = lines[i]!;
    }
    const s = must(
      /^\tseq=0x([0-9a-f]{8}) replay=(\d+) flags=0x([0-9a-f]{8}) state=(\S+) $/.exec(seqLine),
      seqLine,
      'seq line',
    );
    Object.assign(r, { seq: parseInt(s[1]!, 16), replay: Number(s[2]), flags: parseInt(s[3]!, 16), state: s[4]! });
    i++;
    must(/^\tcreated: .{20}\tcurrent: .{20}$/.exec(lines[i]!), lines[i], 'created line');
    const d = must(/^\tdiff: (\d+)\(s\)\thard: (\d+)\(s\)\tsoft: (\d+)\(s\)$/.exec(lines[++i]!), lines[i], 'diff line');
    must(/^\tlast: .{20}\thard: \d+\(s\)\tsoft: \d+\(s\)$/.exec(lines[++i]!), lines[i], 'last line');
    const b = must(
      /^\tcurrent: (\d+)\(bytes\)\thard: (\d+)\(bytes\)\tsoft: (\d+)\(bytes\)$/.exec(lines[++i]!),
      lines[i],
      'bytes line',
    );
    must(/^\tallocated: \d+\thard: \d+\tsoft: \d+$/.exec(lines[++i]!), lines[i], 'allocated line');
    const e = must(/^\tsadb_seq=(\d+) pid=(\d+) refcnt=\d+$/.exec(lines[++i]!), lines[i], 'sadb_seq line');
    Object.assign(r, {
      hardAdd: Number(d[2]),
      softAdd: Number(d[3]),
      hardBytes: Number(b[2]),
      softBytes: Number(b[3]),
      sadbSeq: Number(e[1]),
      pid: Number(e[2]),
    });
    out.push(r as SaRecord);
    i++;
  }
  return out;
}

/** `addr[/len][[port]]` of a selector. */
function selector(s: string): { addr: string; len?: number; port?: string } {
  const m = must(/^([^/[\]]+)(?:\/(\d+))?(?:\[(any|\d+)\])?$/.exec(s), s, 'selector');
  return { addr: m[1]!, len: m[2] === undefined ? undefined : Number(m[2]), port: m[3] };
}

/** Reads every SP block of `setkey -DP` output. */
export function readSpd(text: string): PolicyRecord[] {
  if (text === 'No SPD entries.\n') return [];
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('dump reader: output does not end with a newline');
  const out: PolicyRecord[] = [];
  for (let i = 0; i < lines.length;) {
    const h = must(/^(\S+) (\S+) (\S+)(?: (\d+,\d+))?$/.exec(lines[i]!), lines[i], 'selector line');
    const s = selector(h[1]!),
      d = selector(h[2]!);
    const p = must(
      /^\t(any|in|out|fwd) (discard|none|ipsec|entrust|bypass)$/.exec(lines[++i]!),
      lines[i],
      'policy line',
    );
    const requests: RequestRecord[] = [];
    for (;;) {
      const q =
        /^\t(esp|ah|ipcomp)\/(transport|tunnel)\/(?:(\S+)-(\S+))?\/(default|use|require|unique)(?:([:#])(\d+))?$/.exec(
          lines[++i]!,
        );
      if (!q) break;
      const rq: RequestRecord = { proto: q[1]!, mode: q[2]!, level: q[5]! };
      if (q[3] !== undefined) {
        rq.src = q[3];
        rq.dst = q[4];
      }
      if (q[6] === ':') rq.reqid = Number(q[7]);
      if (q[6] === '#') rq.autoReqid = Number(q[7]) > 0x3fff;
      requests.push(rq);
    }
    must(/^\tcreated: .{20} {2}lastused: .{20}$/.exec(lines[i]!), lines[i], 'created line');
    must(/^\tlifetime: \d+\(s\) validtime: \d+\(s\)$/.exec(lines[++i]!), lines[i], 'lifetime line');
    const id = must(/^\tspid=(\d+) seq=(\d+) pid=(\d+)$/.exec(lines[++i]!), lines[i], 'spid line');
    must(/^\trefcnt=\d+$/.exec(lines[++i]!), lines[i], 'refcnt line');
    out.push({
      src: s.addr,
      srcLen: s.len,
      srcPort: s.port,
      dst: d.addr,
      dstLen: d.len,
      dstPort: d.port,
      upper: h[3]!,
      typeCode: h[4],
      dir: p[1]!,
      action: p[2]!,
      requests,
      spid: Number(id[1]),
      seq: Number(id[2]),
      pid: Number(id[3]),
    });
    i++;
  }
  return out;
}
