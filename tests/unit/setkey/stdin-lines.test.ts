// setkey -c input lines (setkey/stdin-lines.ts): readline's line ends, split anywhere across chunks, and the
// per-line and total limits raised as soon as they are passed.
import { strict as assert } from 'node:assert';
import { BoundedLineSplitter, InputLimitError, boundedLines } from '../../../setkey/stdin-lines.js';

const LIMITS = { maxLineBytes: 8, maxTotalBytes: 64 };

/** The lines of `text` fed in chunks of `size` bytes. */
function split(text: string, size: number, limits = LIMITS): string[] {
  const s = new BoundedLineSplitter(limits);
  const b = Buffer.from(text);
  const out: string[] = [];
  for (let i = 0; i < b.length; i += size) out.push(...s.push(b.subarray(i, i + size)));
  const last = s.end();
  return last === undefined ? out : [...out, last];
}

describe('setkey/stdin-lines: bounded lines for setkey -c', () => {
  it('ends lines at \\n, \\r\\n and a lone \\r, wherever the chunks are cut', () => {
    const text = 'a;\nbb\r\ncc\rdd\n\nlast';
    for (let size = 1; size <= text.length; size++)
      assert.deepEqual(split(text, size), ['a;', 'bb', 'cc', 'dd', '', 'last'], `chunks of ${size}`);
  });

  it('keeps a multi-byte character cut between chunks whole', () => {
    assert.deepEqual(split('é€\n', 1), ['é€']);
  });

  it('a line of maxLineBytes is read; one byte more fails before its newline arrives', () => {
    assert.deepEqual(split('12345678\n', 3), ['12345678']);
    const s = new BoundedLineSplitter(LIMITS);
    assert.deepEqual(s.push(Buffer.from('ok\n1234')), ['ok']);
    assert.throws(
      () => s.push(Buffer.from('56789')),
      (e: unknown) =>
        e instanceof InputLimitError &&
        e.limit === 'line' &&
        e.message === 'line 2 longer than 8 bytes; refusing to read on',
    );
  });

  it('more than maxTotalBytes in all fails, even in short lines', () => {
    const s = new BoundedLineSplitter(LIMITS);
    for (let i = 0; i < 16; i++) s.push(Buffer.from('abc\n'));
    assert.throws(
      () => s.push(Buffer.from('x')),
      (e: unknown) =>
        e instanceof InputLimitError && e.limit === 'total' && /more than 64 bytes of input/.test(e.message),
    );
  });

  it('boundedLines: the lines of a stream, the limit error thrown from the iteration', async () => {
    async function* chunks(...parts: string[]): AsyncGenerator<Buffer | string> {
      for (const p of parts) yield p;
    }
    const got: string[] = [];
    for await (const l of boundedLines(chunks('fl', 'ush;\nspd', 'flush;'), { ...LIMITS, maxLineBytes: 9 }))
      got.push(l);
    assert.deepEqual(got, ['flush;', 'spdflush;']);
    await assert.rejects(async () => {
      for await (const _ of boundedLines(chunks('123456789'), LIMITS));
    }, InputLimitError);
  });
});
