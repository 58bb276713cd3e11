// A kernel-event listener, the user-space half of a Darwin PF_SYSTEM/SYSPROTO_EVENT socket: connect to uipsecd's
// control socket, set filters (SIOCSKEVFILT), print events as they come. `uipsec events` is the same thing with
// options; this is the smallest program that does it.
//
//   node dist/examples/extensions/event-listener.js /var/run/uipsec/ctl.sock [sa|policy|network|...]...
import { CtlClient } from '../../channel/ctl-client.js';
import { KEV_FILTER_NAMES } from '../../kernel/ext/events.js';

export async function listen(path: string, classes: string[], onEvent: (line: string) => void): Promise<CtlClient> {
  const c = await CtlClient.connect(path);
  c.onEvent((ev) => onEvent(JSON.stringify(ev)));
  for (const name of classes.length ? classes : ['all']) {
    const f = KEV_FILTER_NAMES[name];
    if (!f) throw new Error(`unknown class ${name}; one of ${Object.keys(KEV_FILTER_NAMES).join(' ')}`);
    await c.subscribe(f);
  }
  return c;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const [path, ...classes] = process.argv.slice(2);
  listen(path ?? '/var/run/uipsec/ctl.sock', classes, (l) => console.log(l)).then(
    (c) => c.onEnd(() => process.exit(0)),
    (e: Error) => {
      console.error(`event-listener: ${e.message}`);
      process.exit(1);
    },
  );
}
