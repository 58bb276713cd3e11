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

/**
 * Reassembles messages from arbitrary chunks; one instance per connection. Work is linear in the bytes
 * received (each byte is copied once into its message), so a peer trickling a large message byte by byte
 * costs no more than sending it at once.
 */
export class PfkeyStreamSplitter {
  private readonly head = new Uint8Array(SADB_MSG.size);
  private frame: Uint8Array | undefined; // the message being filled, once its header is known
  private fill = 0; // bytes of the header (frame undefined) or of the frame received so far
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
    return this.fill;
  }

  /** Feeds bytes; returns every message they complete (each a fresh copy, never a view of `chunk`). */
  push(chunk: Uint8Array): StreamChunkResult {
    const messages: Uint8Array[] = [];
    let off = 0;
    while (!this.poison && off < chunk.length) {
      off = this.frame ? this.fillFrame(chunk, off, messages) : this.fillHead(chunk, off, messages);
    }
    return this.poison ? { messages, error: this.poison } : { messages };
  }

  /** At end of stream: an error if a partial message was left over. */
  end(): PfkeyError | undefined {
    if (this.poison) return this.poison;
    if (this.fill === 0) return undefined;
    return new PfkeyError('EINVAL', `stream ended inside a message (${this.fill} bytes pending)`);
  }

  private fillHead(chunk: Uint8Array, off: number, out: Uint8Array[]): number {
    const n = Math.min(SADB_MSG.size - this.fill, chunk.length - off);
    this.head.set(chunk.subarray(off, off + n), this.fill);
    this.fill += n;
    if (this.fill < SADB_MSG.size) return off + n;
    const len = this.frameLength(this.head);
    if (len === undefined) {
      this.fill = 0;
      return chunk.length; // poisoned: the rest of the stream is not looked at
    }
    const frame = new Uint8Array(len);
    frame.set(this.head);
    if (len === SADB_MSG.size) {
      out.push(frame); // a header-only message is complete already
      this.fill = 0;
    } else {
      this.frame = frame;
    }
    return off + n;
  }

  private fillFrame(chunk: Uint8Array, off: number, out: Uint8Array[]): number {
    const frame = this.frame!;
    const n = Math.min(frame.length - this.fill, chunk.length - off);
    frame.set(chunk.subarray(off, off + n), this.fill);
    this.fill += n;
    if (this.fill === frame.length) {
      out.push(frame);
      this.frame = undefined;
      this.fill = 0;
    }
    return off + n;
  }

  /** The whole-message length from a complete header, or undefined after poisoning the stream. */
  private frameLength(head: Uint8Array): number | undefined {
    const version = head[0]!;
    const units = getField(viewOf(head), 0, SADB_MSG.fields.len); // host order, like every length
    const len = units * 8;
    if (version !== PF_KEY_V2) this.poison = new PfkeyError('EINVAL', `stream: sadb_msg_version ${version}`);
    else if (len < SADB_MSG.size)
      this.poison = new PfkeyError('EINVAL', `stream: sadb_msg_len ${units} below the header`);
    else if (len > this.maxMessageBytes)
      this.poison = new PfkeyError('EMSGSIZE', `stream: message of ${len} bytes exceeds ${this.maxMessageBytes}`);
    return this.poison ? undefined : len;
  }
}
