// Splits a PF_KEY byte stream (our Unix-domain stream transport) into messages using sadb_msg_len alone,
// as a PF_KEY socket delivers whole messages (RFC 2367 §1.1). A header that cannot be framed (wrong
// version, length below a header or above the limit) poisons this stream only: the caller closes it.
import { PF_KEY_V2 } from './constants.js';
import { PfkeyError } from './errors.js';
import { SADB_MSG, getField, viewOf } from './layout.js';

/** Default largest message accepted; sadb_msg_len itself allows up to 524,280 bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65536;

/** Messages completed by one push, and the error that poisoned the stream, if any. */
export interface StreamChunkResult {
  messages: Uint8Array[];
  error?: PfkeyError;
}

/** Reassembles messages from arbitrary chunks; one instance per connection. */
export class PfkeyStreamSplitter {
  private pending: Uint8Array = new Uint8Array(0);
  private poison: PfkeyError | undefined;
  readonly maxMessageBytes: number;

  constructor(opts: { maxMessageBytes?: number } = {}) {
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** The error that poisoned this stream, if any; once set, push() returns no more messages. */
  get error(): PfkeyError | undefined {
    return this.poison;
  }

  /** Bytes held while waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  /** Feeds bytes; returns every message they complete (each a fresh copy). */
  push(chunk: Uint8Array): StreamChunkResult {
    if (this.poison) return { messages: [], error: this.poison };
    const data = this.pending.length ? concat2(this.pending, chunk) : chunk;
    const messages: Uint8Array[] = [];
    let off = 0;
    while (data.length - off >= SADB_MSG.size) {
      const len = this.frameLength(data, off);
      if (len === undefined) {
        this.pending = new Uint8Array(0);
        return { messages, error: this.poison };
      }
      if (data.length - off < len) break;
      messages.push(copyOf(data, off, off + len));
      off += len;
    }
    this.pending = copyOf(data, off, data.length); // never keep a view of the caller's buffer
    return { messages };
  }

  /** At end of stream: an error if a partial message was left over. */
  end(): PfkeyError | undefined {
    if (this.poison) return this.poison;
    if (this.pending.length === 0) return undefined;
    return new PfkeyError('EINVAL', `stream ended inside a message (${this.pending.length} bytes pending)`);
  }

  /** The whole-message length from the header at `off`, or undefined after poisoning the stream. */
  private frameLength(data: Uint8Array, off: number): number | undefined {
    const version = data[off]!;
    const units = getField(viewOf(data), off, SADB_MSG.fields.len!); // host order, like every length
    const len = units * 8;
    if (version !== PF_KEY_V2) this.poison = new PfkeyError('EINVAL', `stream: sadb_msg_version ${version}`, off);
    else if (len < SADB_MSG.size) this.poison = new PfkeyError('EINVAL', `stream: sadb_msg_len ${units} below the header`, off);
    else if (len > this.maxMessageBytes) this.poison = new PfkeyError('EMSGSIZE', `stream: message of ${len} bytes exceeds ${this.maxMessageBytes}`, off);
    return this.poison ? undefined : len;
  }
}

/** A copy (Buffer#slice would return a view, so Uint8Array's is used explicitly). */
function copyOf(data: Uint8Array, start: number, end: number): Uint8Array {
  return Uint8Array.prototype.slice.call(data, start, end);
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
