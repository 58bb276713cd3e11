// Packet tags (xnu kpi_mbuf.h: mbuf_tag_id_find, mbuf_tag_allocate, mbuf_tag_find, mbuf_tag_free): an
// extension attaches small typed data to one packet, and every filter that later sees that packet — the
// filters after it in the same pass, the second output pass over the packet IPsec made, the input pass over
// the packet decapsulated from it, or the pass a re-injected packet enters — finds it. A tag is named by an id
// (from a reverse-DNS string, mbuf_tag_id_find) and a type chosen by its owner. uipsec packets are byte
// arrays, so the tags live beside them in a WeakMap (they go when the packet does); the stack hands them on
// (`carry`) where it replaces one packet by another that xnu would keep in the same mbuf chain.
import { ErrnoError } from '../../common/errors.js';

/** Tags on one packet at most, and data bytes per tag and per packet (bounds: a packet never grows without end). */
export const MBUF_TAG_MAX_PER_PACKET = 8;
export const MBUF_TAG_MAX_LENGTH = 256;
export const MBUF_TAG_MAX_BYTES_PER_PACKET = 1024;
/** Distinct ids per host (mbuf_tag_id_find strings). */
export const MBUF_TAG_MAX_IDS = 256;
const MAX_ID_NAME = 96;

interface Tag {
  id: number;
  type: number;
  data: Uint8Array;
}

/** One host's packet tags (`ctx.tags` for an extension). */
export class PacketTags {
  private readonly ids = new Map<string, number>();
  private readonly byPacket = new WeakMap<Uint8Array, Tag[]>();
  /** False until a tag was ever allocated: the stack's carry costs one read on a host that tags nothing. */
  private used = false;

  /** mbuf_tag_id_find: the id for `name` ("org.example.fw"), the same on every call on this host. */
  idFind(name: string): number {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    if (name.length === 0 || name.length > MAX_ID_NAME)
      throw new ErrnoError('EINVAL', 'a tag id name has 1..96 characters');
    if (this.ids.size >= MBUF_TAG_MAX_IDS) throw new ErrnoError('ENOBUFS', `${MBUF_TAG_MAX_IDS} tag ids in use`);
    const id = this.ids.size + 1;
    this.ids.set(name, id);
    return id;
  }

  /**
   * mbuf_tag_allocate: a tag (id, type) of `length` zeroed bytes on `packet`; returns its data to fill in.
   * EEXIST when the packet has that tag, ENOBUFS past the per-packet bounds, EINVAL for a bad id, type or length.
   */
  allocate(packet: Uint8Array, id: number, type: number, length: number): Uint8Array {
    if (!this.knownId(id)) throw new ErrnoError('EINVAL', `tag id ${id} was not given by idFind`);
    if (!Number.isInteger(type) || type < 0 || type > 0xffff) throw new ErrnoError('EINVAL', 'a tag type is a u16');
    if (!Number.isInteger(length) || length < 0 || length > MBUF_TAG_MAX_LENGTH)
      throw new ErrnoError('EINVAL', `a tag has 0..${MBUF_TAG_MAX_LENGTH} bytes`);
    const tags = this.byPacket.get(packet) ?? [];
    if (tags.some((t) => t.id === id && t.type === type))
      throw new ErrnoError('EEXIST', `the packet has tag ${id}/${type}`);
    const bytes = tags.reduce((n, t) => n + t.data.length, 0);
    if (tags.length >= MBUF_TAG_MAX_PER_PACKET || bytes + length > MBUF_TAG_MAX_BYTES_PER_PACKET)
      throw new ErrnoError(
        'ENOBUFS',
        `a packet carries at most ${MBUF_TAG_MAX_PER_PACKET} tags, ${MBUF_TAG_MAX_BYTES_PER_PACKET} bytes`,
      );
    const t: Tag = { id, type, data: new Uint8Array(length) };
    this.byPacket.set(packet, [...tags, t]);
    this.used = true;
    return t.data;
  }

  /** mbuf_tag_find: the tag's data (which the caller may change), or undefined. */
  find(packet: Uint8Array, id: number, type: number): Uint8Array | undefined {
    if (!this.used) return undefined;
    return this.byPacket.get(packet)?.find((t) => t.id === id && t.type === type)?.data;
  }

  /** mbuf_tag_free: removes the tag; false if the packet did not have it. */
  free(packet: Uint8Array, id: number, type: number): boolean {
    const tags = this.used ? this.byPacket.get(packet) : undefined;
    const rest = tags?.filter((t) => !(t.id === id && t.type === type));
    if (!tags || !rest || rest.length === tags.length) return false;
    if (rest.length) this.byPacket.set(packet, rest);
    else this.byPacket.delete(packet);
    return true;
  }

  /** @internal The stack replaced `from` by `to` (a changed packet, ESP added or removed): the tags follow. */
  carry(from: Uint8Array, to: Uint8Array): void {
    if (!this.used || from === to) return;
    const tags = this.byPacket.get(from);
    if (tags && !this.byPacket.has(to)) this.byPacket.set(to, tags);
  }

  private knownId(id: number): boolean {
    return Number.isInteger(id) && id >= 1 && id <= this.ids.size;
  }
}
