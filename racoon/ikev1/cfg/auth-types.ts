// What an XAuth back-end (auth-source.ts: system, RADIUS, LDAP, PAM) is given and answers.

/** One login to check: the user, the password (zeroed by the caller afterwards) and the peer's address. */
export interface XauthLogin {
  user: string;
  pass: Uint8Array;
  peer: Uint8Array;
}

/** ok, or why not; an address (and mask) the back-end gives for conf_source radius|ldap. */
export interface XauthVerdict {
  ok: boolean;
  why?: string;
  addr4?: Uint8Array;
  mask4?: Uint8Array;
}
