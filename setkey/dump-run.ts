// setkey -D / -DP (-l: every second), -F / -FP and -x (ipsec-tools setkey.c dump loops and promisc mode):
// one request, the replies printed as ipsec-tools prints them, or as JSON with --json.
import * as C from '../pfkey/constants.js';
import { makeSadbMsg, type PfkeyMessage } from '../pfkey/msg.js';
import { formatReply, policyViewFromMessage, saViewFromMessage, type ReplyOptions } from './from-pfkey.js';
import { printShortHeader } from './print.js';
import type { Flags } from './options.js';
import { runPromisc } from './session.js';
import { formatPromisc } from './monitor.js';
import { isEmptyDump } from './pipeline.js';
import { policyToJson, saToJson } from './json.js';
import { connectSocket, withLink } from './link.js';
import type { SetkeyIo } from './io.js';

function dumpJson(
  replies: readonly PfkeyMessage[],
  policy: boolean,
  all: boolean,
): { json: string } | { error: string } {
  const items: Record<string, unknown>[] = [];
  for (const r of replies) {
    if (r.msg.errno !== 0) {
      if (isEmptyDump(r)) continue;
      return { error: formatReply(r, { nowSec: 0 }) };
    }
    const v = policy ? policyViewFromMessage(r) : saViewFromMessage(r);
    if (typeof v === 'string') return { error: `${v}\n` };
    if (!policy && !all && 'state' in v && v.state === C.SADB_SASTATE_DEAD) continue;
    items.push(
      policy
        ? policyToJson(v as Parameters<typeof policyToJson>[0])
        : saToJson(v as Parameters<typeof saToJson>[0], { keys: true }),
    );
  }
  return { json: `${JSON.stringify(items, null, 2)}\n` };
}

/** -D, -DP (-l: again every second until interrupted), -F, -FP. */
export async function runDump(f: Flags, io: SetkeyIo): Promise<number> {
  return withLink(f, io, async (link) => {
    const dump = f.mode === 'dump';
    const type = dump ? (f.policy ? C.SADB_X_SPDDUMP : C.SADB_DUMP) : f.policy ? C.SADB_X_SPDFLUSH : C.SADB_FLUSH;
    const forever = dump && f.forever && !f.json;
    // -l runs until interrupted; a world that cannot interrupt (no `interrupt`) gets one pass.
    const signal = forever ? io.interrupt?.() : undefined;
    if (forever && type === C.SADB_DUMP) io.out(printShortHeader());
    for (;;) {
      let replies: PfkeyMessage[];
      try {
        replies = await link!.request({ msg: makeSadbMsg(type, C.SADB_SATYPE_UNSPEC, 0, io.pid), ext: {} });
      } catch (e) {
        io.err(`setkey: PF_KEY connection lost: ${(e as Error).message}\n`);
        return 1;
      }
      if (dump && f.json) {
        const j = dumpJson(replies, f.policy, f.all);
        if ('error' in j) {
          io.err(j.error);
          return 1;
        }
        io.out(j.json);
        return 0;
      }
      const o: ReplyOptions = {
        nowSec: io.nowSec(),
        all: f.all,
        withPorts: f.withPorts,
        short: forever,
        utcOffsetSec: io.utcOffsetSec,
      };
      let failed = false;
      for (const r of replies) {
        const text = formatReply(r, o);
        if (r.msg.errno !== 0 && !isEmptyDump(r)) {
          io.err(text);
          failed = true;
        } else if (text) io.out(text);
      }
      if (!forever || !signal || signal.aborted) return failed ? 1 : 0;
      await (io.sleep ?? sleepMs)(1000);
      if (signal?.aborted) return failed ? 1 : 0;
    }
  });
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function runMonitor(f: Flags, io: SetkeyIo): Promise<number> {
  if (!io.connect) {
    io.err('setkey: -x needs a PF_KEY socket\n');
    return 1;
  }
  const t = await connectSocket(f, io, io.connect);
  if (!t) return 1;
  const now = io.nowMs ?? (() => io.nowSec() * 1000);
  const err = await runPromisc(
    t,
    io.pid,
    (raw) => io.out(formatPromisc(raw, now(), f, io.utcOffsetSec)),
    io.interrupt?.(),
  );
  if (err) {
    io.err(`setkey: PF_KEY socket closed: ${err.message}\n`);
    return 1;
  }
  return 0;
}
