// What a diagnostic may quote of its input. A token that could be key material is never shown; the message
// gives its position instead (issue 11 item 11: setkey quoted up to 35 hex digits of a key, all of a
// 128-bit one). Shared by setkey's and racoon.conf's diagnostics.

/** The shortest key setkey takes (40-bit blowfish-cbc/cast128-cbc) in hex digits; an SPI has at most 8. */
export const KEY_HEX_DIGITS_MIN = 10;

const HEX_RUN = new RegExp(`[0-9a-fA-F]{${KEY_HEX_DIGITS_MIN},}`);

/**
 * True when `text` could be key material: a quoted string (keys may be written as "text"; pass the token
 * with its quotes), or any run of KEY_HEX_DIGITS_MIN or more hex digits (a 0x key, or one missing its 0x).
 */
export function mayBeKeyMaterial(text: string): boolean {
  return text.startsWith('"') || HEX_RUN.test(text);
}
