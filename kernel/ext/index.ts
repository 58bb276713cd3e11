// The extension API (docs/extensions.md), as the package's entry point re-exports it to an extension module.
export type { Extension, ExtensionContext, ExtensionInfo, Extensions } from './extension.js';
export type { Attachment } from './attach.js';
export { EXT_STAT_NAMES, type ExtStatName, type FilterVerdict } from './contain.js';
export type { IpFilter, IpFilterInfo, IpFilterRef, RouteDecision } from './ip-filter.js';
export type { IfFilter, IfFilterRef, IfEvent } from './iface-filter.js';
export type { SocketFilter, SocketFilterRef, SocketFilterPlace, SocketPeer, SocketVerdict } from './socket-filter.js';
export type { ProtocolHandler, ProtocolPacket, ProtocolRef } from './protocol.js';
export { ipFlow, type IpFlow } from './flow.js';
export {
  PacketTags,
  MBUF_TAG_MAX_PER_PACKET,
  MBUF_TAG_MAX_LENGTH,
  MBUF_TAG_MAX_BYTES_PER_PACKET,
  MBUF_TAG_MAX_IDS,
} from './mbuf-tag.js';
