// What an extension attaches (a filter, a protocol handler) as its owner sees it: one object to count and detach.
// The owner is the extension's context (extension.ts); stopping an extension that still owns attachments is
// refused, as an NKE with filters still registered refuses to unload.
import type { GuardSink } from './contain.js';

export interface Attachment {
  /** "IP filter", "interface filter", "socket filter", "protocol handler". */
  readonly kind: string;
  /** The filter's or handler's name. */
  readonly name: string;
  /** Removes it (ipf_remove, iflt_detach, sflt_unregister, net_del_proto). Safe to call twice. */
  detach(): void;
}

/** Who owns an attachment: it is told of attach and detach, and gives the fault sink and the log label. */
export interface Owner {
  readonly name: string;
  readonly sink: GuardSink;
  adopt(a: Attachment): void;
  release(a: Attachment): void;
}
