// The extension registry: start/stop, attachments owned per extension, EBUSY while an extension keeps
// attachments after its stop (as an NKE with registered filters refuses to unload), a failed start leaving
// nothing attached, unique names, and host.close() detaching whatever is left.
import { strict as assert } from 'node:assert';
import { ErrnoError } from '../../../common/errors.js';
import type { IpFilterRef } from '../../../kernel/ext/ip-filter.js';
import { pair, ext } from './rig.js';

describe('ext: extensions', () => {
  it('refuses to stop while attached, with a clear error, and stops once detached', async () => {
    const { a, close } = pair();
    let refs: IpFilterRef[] = [];
    let detachInStop = false;
    await a.extensions.load(
      ext(
        'org.test.sticky',
        (c) => {
          refs = [c.ipFilter(4, { name: 'f4', input: () => {} }), c.ipFilter(6, { name: 'f6', output: () => {} })];
          c.protocol(47, { name: 'gre', input: () => {} });
        },
        (c) => {
          if (detachInStop) for (const x of c.attachments()) x.detach();
        },
      ),
    );
    assert.deepEqual(a.extensions.list()[0]!.attachments.length, 3);
    await assert.rejects(
      a.extensions.stop('org.test.sticky'),
      (e: unknown) =>
        e instanceof ErrnoError &&
        e.errno === 'EBUSY' &&
        /cannot stop: it still has 3 attachments \(IP filter f4, IP filter f6, protocol handler gre\)/.test(e.message),
    );
    assert.equal(a.extensions.list().length, 1, 'still loaded');
    assert.equal(a.extensions.ip.count, 2, 'its filters still run');
    refs[0]!.detach();
    detachInStop = true;
    await a.extensions.stop('org.test.sticky');
    assert.deepEqual(a.extensions.list(), []);
    assert.equal(a.extensions.ip.count, 0);
    assert.equal(a.extensions.protocols.count, 0);
    await assert.rejects(a.extensions.stop('org.test.sticky'), /ENOENT/);
    close();
  });

  it('a start that throws leaves nothing attached; names are unique; a stopped context attaches nothing', async () => {
    const { a, close } = pair();
    await assert.rejects(
      a.extensions.load(
        ext('org.test.bad', (c) => {
          c.ipFilter(4, { name: 'f', input: () => {} });
          throw new Error('no');
        }),
      ),
      /no/,
    );
    assert.equal(a.extensions.ip.count, 0);
    assert.deepEqual(a.extensions.list(), []);
    let saved: Parameters<Parameters<typeof ext>[1]>[0] | undefined;
    await a.extensions.load(ext('org.test.one', (c) => void (saved = c)));
    await assert.rejects(a.extensions.load(ext('org.test.one', () => {})), /EEXIST/);
    await a.extensions.stop('org.test.one');
    assert.throws(() => saved!.ipFilter(4, { name: 'late', input: () => {} }), /not loaded/);
    await assert.rejects(a.extensions.load({ name: '', start: () => {} }), /EINVAL/);
    close();
  });

  it('host.close() stops extensions and detaches what they left', async () => {
    const { a, close } = pair();
    let stopped = 0,
      detached = 0;
    await a.extensions.load(
      ext(
        'org.test.close',
        (c) => void c.ipFilter(4, { name: 'f', input: () => {}, detached: () => void detached++ }),
        () => void stopped++,
      ),
    );
    close();
    assert.equal(stopped, 1);
    assert.equal(detached, 1);
    assert.equal(a.extensions.ip.count, 0);
  });
});
