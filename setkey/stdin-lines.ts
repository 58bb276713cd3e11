// `setkey -c` input as lines, read with bounds (issue 11: a local user piping an endless stream without
// newlines must not grow setkey without limit). Lines end as readline ends them (\n, \r\n, or a lone \r);
// a line longer than `maxLineBytes`, or more than `maxTotalBytes` of input in all, stops the reading with an
// InputLimitError that names the limit, raised as soon as the limit is passed, not at the next newline.
import { SCRIPT_FILE_MAX_BYTES, SCRIPT_LINE_MAX_BYTES, formatLimit } from '../common/bounded-file.js';

export interface LineLimits {
  maxLineBytes: number;
  maxTotalBytes: number;
}

/** The bounds on a setkey script (-f) and on -c input: 1 MiB a line, 256 MiB in all. */
export const INPUT_LIMITS: LineLimits = { maxLineBytes: SCRIPT_LINE_MAX_BYTES, maxTotalBytes: SCRIPT_FILE_MAX_BYTES };

/** Why reading stopped; the message reads `line N longer than 1 MiB; refusing to read on` or the like. */
export class InputLimitError extends Error {
  constructor(
    readonly limit: 'line' | 'total',
    message: string,
  ) {
    super(message);
    this.name = 'InputLimitError';
  }
}

const LF = 0x0a;
const CR = 0x0d;

/** Splits byte chunks into lines, holding at most one unfinished line (checked against its limit). */
export class BoundedLineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private total = 0;
  private lineNo = 0;
  /** The last chunk ended in \r: a \n first in the next one belongs to it. */
  private afterCr = false;

  constructor(private readonly limits: LineLimits) {}

  /** The lines `chunk` completes. */
  push(chunk: Buffer): string[] {
    this.total += chunk.length;
    if (this.total > this.limits.maxTotalBytes)
      throw new InputLimitError(
        'total',
        `more than ${formatLimit(this.limits.maxTotalBytes)} of input; refusing to read on`,
      );
    const out: string[] = [];
    let from = this.afterCr && chunk[0] === LF ? 1 : 0;
    this.afterCr = false;
    for (let i = from; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== LF && b !== CR) continue;
      out.push(this.finish(chunk.subarray(from, i)));
      if (b === CR) {
        if (i + 1 === chunk.length) this.afterCr = true;
        else if (chunk[i + 1] === LF) i++;
      }
      from = i + 1;
    }
    this.hold(chunk.subarray(from));
    return out;
  }

  /** The last line when the input ends without a line end (none when the input ended with one). */
  end(): string | undefined {
    return this.pendingBytes > 0 ? this.finish(Buffer.alloc(0)) : undefined;
  }

  private hold(part: Buffer): void {
    if (part.length === 0) return;
    this.check(this.pendingBytes + part.length);
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private finish(tail: Buffer): string {
    this.check(this.pendingBytes + tail.length);
    const line = Buffer.concat([...this.pending, tail]).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.lineNo++;
    return line;
  }

  private check(lineBytes: number): void {
    if (lineBytes > this.limits.maxLineBytes)
      throw new InputLimitError(
        'line',
        `line ${this.lineNo + 1} longer than ${formatLimit(this.limits.maxLineBytes)}; refusing to read on`,
      );
  }
}

/** The lines of a byte stream (process.stdin), within `limits`. */
export async function* boundedLines(input: AsyncIterable<Buffer | string>, limits: LineLimits): AsyncGenerator<string> {
  const split = new BoundedLineSplitter(limits);
  for await (const chunk of input) yield* split.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const last = split.end();
  if (last !== undefined) yield last;
}

/**
 * -c joins lines until a ';': the statement waiting (`pendingChars` long after `line` lines) is bounded as a line
 * is, or lines that never end a statement would be kept without end.
 */
export function checkPendingStatement(pendingChars: number, line: number): void {
  if (pendingChars > INPUT_LIMITS.maxLineBytes)
    throw new InputLimitError(
      'line',
      `line ${line}: a statement longer than ${formatLimit(INPUT_LIMITS.maxLineBytes)} without ';'; refusing to read on`,
    );
}
