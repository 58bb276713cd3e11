// `uipsecd --extension MODULE` / `extension MODULE`: loading extension modules into the daemon's host at start
// and stopping them at exit. A module's default export is an Extension, or a function (maybe async) that
// returns one; a module that cannot be imported or has neither fails the start with its path named.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../../common/log.js';
import type { Host } from '../host/host.js';
import type { Extension } from '../ext/extension.js';

function isExtension(x: unknown): x is Extension {
  const e = x as Partial<Extension> | undefined;
  return typeof e === 'object' && e !== null && typeof e.name === 'string' && typeof e.start === 'function';
}

/** Imports one module and returns its extension; rejects with an Error naming the module. */
export async function importExtension(path: string): Promise<Extension> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  } catch (e) {
    throw new Error(`extension ${path}: cannot load: ${(e as Error).message}`);
  }
  let ext = mod.default;
  if (typeof ext === 'function') ext = await (ext as () => unknown)();
  if (!isExtension(ext))
    throw new Error(`extension ${path}: the default export is not an extension (name, start) or a function making one`);
  return ext;
}

/** Loads the modules in order; on a failure the ones already started are stopped and the error rethrown. */
export async function loadExtensions(host: Host, paths: readonly string[], log: Logger): Promise<void> {
  for (const p of paths) {
    const ext = await importExtension(p);
    try {
      await host.extensions.load(ext);
    } catch (e) {
      throw new Error(`extension ${p} (${ext.name}): start failed: ${(e as Error).message}`);
    }
    log.log('info', `extension ${ext.name} loaded from ${p}`);
  }
}

/** Stops every loaded extension, newest first; a refusal (EBUSY) is logged and the host's close detaches the rest. */
export async function stopExtensions(host: Host, log: Logger): Promise<void> {
  for (const info of host.extensions.list().reverse()) {
    try {
      await host.extensions.stop(info.name);
    } catch (e) {
      log.log('error', (e as Error).message);
    }
  }
}
