// An extension with two kernel controls (docs/extensions-control.md), the shape of a Darwin NKE's kern_ctl:
//
//   org.uipsec.example.counter  anyone who can reach ctl.sock: every message sent to it comes back as
//                                "#N MESSAGE" (N counts messages, advancing by the step); getopt 1 reads the
//                                count as text, setopt 2 sets the step (u32, big-endian), getopt 2 reads it.
//   org.uipsec.example.admin    privileged (the daemon's owner and root only): getopt 1 reads the number of
//                                counter clients; setopt 1 resets the count.
//
// The default export is an extension object ({ name, start(ctx), stop(ctx) }; ctx.host is the Host), the shape
// `uipsecd --extension MODULE` loads. stop() refuses (EBUSY, from ctl_deregister) while clients are connected.
import { ErrnoError } from '../../common/errors.js';
import type { Host } from '../../kernel/host/host.js';
import type { ControlHandle } from '../../kernel/ext/control.js';

export const COUNTER = 'org.uipsec.example.counter';
export const ADMIN = 'org.uipsec.example.admin';
export const OPT_COUNT = 1;
export const OPT_STEP = 2;

interface State {
  count: number;
  step: number;
  counter?: ControlHandle;
  admin?: ControlHandle;
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v);
  return b;
}

/** Registers both controls on `host`; returns their handles and a stop that deregisters them. */
export function startCounter(host: Host): { state: State; stop(): void } {
  const st: State = { count: 0, step: 1 };
  const text = new TextEncoder();
  st.counter = host.controls.register({
    name: COUNTER,
    callbacks: {
      send: (unit, data) => {
        st.count += st.step;
        const reply = new Uint8Array([...text.encode(`#${st.count} `), ...data]);
        st.counter!.enqueue(unit, reply); // ENOBUFS: that client is slow and is being dropped
      },
      getopt: (_unit, opt) => {
        if (opt === OPT_COUNT) return text.encode(String(st.count));
        if (opt === OPT_STEP) return u32(st.step);
        throw new ErrnoError('ENOPROTOOPT', `no option ${opt}`);
      },
      setopt: (_unit, opt, v) => {
        if (opt !== OPT_STEP) throw new ErrnoError('ENOPROTOOPT', `option ${opt} is read-only or unknown`);
        if (v.length !== 4) throw new ErrnoError('EINVAL', 'the step is a u32');
        st.step = new DataView(v.buffer, v.byteOffset, 4).getUint32(0);
      },
    },
  });
  st.admin = host.controls.register({
    name: ADMIN,
    privileged: true,
    callbacks: {
      getopt: (_unit, opt) => {
        if (opt !== 1) throw new ErrnoError('ENOPROTOOPT', `no option ${opt}`);
        return text.encode(String(st.counter!.units().length));
      },
      setopt: (_unit, opt) => {
        if (opt !== 1) throw new ErrnoError('ENOPROTOOPT', `no option ${opt}`);
        st.count = 0;
      },
    },
  });
  return {
    state: st,
    stop: () => {
      st.counter!.deregister(); // throws EBUSY while a client is connected: the extension stays
      st.admin!.deregister();
    },
  };
}

let running: { stop(): void } | undefined;

export default {
  name: 'org.uipsec.example.counter',
  start(ctx: { host: Host }): void {
    running = startCounter(ctx.host);
  },
  stop(): void {
    running?.stop();
    running = undefined;
  },
};
