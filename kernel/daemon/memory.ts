// Giving memory back after the SAD shrinks (issue 11 item 14). A FLUSH of many SAs leaves their objects as
// garbage that V8 collects only when its heap next grows, so the daemon's RSS stayed at its peak and a second
// table was allocated on top of the first's garbage. When the SAD has lost many SAs since its largest size,
// the daemon runs one full collection: freed pages go back to the system or are reused by the next table.
// Rare (an administrator's FLUSH, a mass expiry) and bounded: at most once per check interval.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often the SAD size is looked at. */
export const SHRINK_CHECK_MS = 2000;
/** SAs gone since the largest size that make a collection worth its pause (~1 ms per MiB of heap). */
export const SHRINK_MIN_SAS = 5000;

let gcFn: (() => void) | undefined;

/** V8's full collection, exposed on first use (the flag only makes `gc` available; nothing else changes). */
function fullGc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

/** Watches `size()` and collects after a large drop; returns the stopper. */
export function collectAfterShrink(size: () => number, onCollect?: (freedSas: number) => void): () => void {
  let high = size();
  const t = setInterval(() => {
    const n = size();
    if (n > high) high = n;
    else if (high - n >= SHRINK_MIN_SAS) {
      fullGc();
      onCollect?.(high - n);
      high = n;
    }
  }, SHRINK_CHECK_MS);
  t.unref();
  return () => clearInterval(t);
}
