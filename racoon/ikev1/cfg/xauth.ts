// XAuth (draft-beaulieu-ike-xauth-02) pieces: the server's REQUEST, the client's REPLY from `xauth_login` and
// its password in the pre-shared key file (as racoon's client finds it), and the server's check. uipsec's
// `auth_source system` looks the user up in that same file (`user password` lines; never an address entry)
// instead of the system password database, which a userland daemon should not read; racoon -C says so.
// Passwords never reach a log line; user names are logged quoted and cleaned.
import { parseAddr } from '../../../common/inet.js';
import * as C from '../../isakmp/constants.js';
import { attrTLV, attrTV, findAttr, type IsakmpAttribute } from '../../isakmp/payloads/attributes.js';
import { lookupPsk, pskMatches, type PskFile } from '../../psk.js';

export const MAX_USER_BYTES = 128;
export const MAX_PASSWORD_BYTES = 256;

const empty = new Uint8Array(0);

/** racoon xauth_sendreq: type generic, empty user name and password. */
export function xauthRequestAttrs(): IsakmpAttribute[] {
  return [
    attrTV(C.XAUTH_TYPE, C.XAUTH_TYPE_GENERIC),
    attrTLV(C.XAUTH_USER_NAME, empty),
    attrTLV(C.XAUTH_USER_PASSWORD, empty),
  ];
}

export function isXauthRequest(attrs: readonly IsakmpAttribute[]): boolean {
  return attrs.some((a) => a.type === C.XAUTH_USER_NAME || a.type === C.XAUTH_USER_PASSWORD);
}

/** A user name as a log shows it: quoted, control characters replaced, bounded. */
export function shownUser(u: string): string {
  return `"${u.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')}"`;
}

/** The client's REPLY, or why it cannot answer (no xauth_login, no password for it). */
export function xauthReplyAttrs(
  req: readonly IsakmpAttribute[],
  login: string | undefined,
  psk: PskFile,
): IsakmpAttribute[] | string {
  if (!login) return 'no xauth_login in the remote section';
  const pass = lookupPsk(psk, login);
  if (!pass) return `no password for xauth_login ${shownUser(login)} in the pre-shared key file`;
  const out: IsakmpAttribute[] = [];
  const type = findAttr(req, C.XAUTH_TYPE);
  if (type) out.push(attrTV(C.XAUTH_TYPE, type.tv ? type.value : C.XAUTH_TYPE_GENERIC));
  out.push(attrTLV(C.XAUTH_USER_NAME, new Uint8Array(Buffer.from(login, 'utf8'))));
  out.push(attrTLV(C.XAUTH_USER_PASSWORD, pass));
  return out;
}

/** The user and password of a REPLY; a string says what is wrong (never quoting the password). */
export function readXauthReply(attrs: readonly IsakmpAttribute[]): { user: string; pass: Uint8Array } | string {
  const u = findAttr(attrs, C.XAUTH_USER_NAME);
  const p = findAttr(attrs, C.XAUTH_USER_PASSWORD);
  if (!u || u.tv || !p || p.tv) return 'XAuth REPLY without user name and password';
  if (u.data.length === 0 || u.data.length > MAX_USER_BYTES) return `XAuth user name of ${u.data.length} bytes`;
  if (p.data.length > MAX_PASSWORD_BYTES) return `XAuth password longer than ${MAX_PASSWORD_BYTES} bytes`;
  return { user: Buffer.from(u.data).toString('utf8'), pass: p.data };
}

/**
 * auth_source system, uipsec's way: the user's line in the pre-shared key file, compared in constant time.
 * An identifier that is an address is a peer's key, never a user's password.
 */
export function checkLocalUser(psk: PskFile, user: string, pass: Uint8Array): boolean {
  if (parseAddr(user)) return false;
  return pskMatches(psk, user, pass);
}

/** The XAUTH_STATUS of a SET: 1 OK, 0 FAIL; undefined when absent. */
export function xauthStatus(attrs: readonly IsakmpAttribute[]): number | undefined {
  const s = findAttr(attrs, C.XAUTH_STATUS);
  if (!s) return undefined;
  return s.tv ? s.value : s.data.length > 0 ? s.data[s.data.length - 1] : undefined;
}
