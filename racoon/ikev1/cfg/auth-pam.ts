// XAuth `auth_source pam` (racoon isakmp_xauth.c xauth_login_pam): Linux-PAM through koffi, service "racoon"
// as ipsec-tools uses, PAM_RHOST the peer's address, pam_authenticate then pam_acct_mgmt (an expired or locked
// account is refused too). Both run as koffi async calls on a worker thread, so a module's failure delay does
// not stall IKE; the conversation callback koffi queues back to the main thread answers an echo-off prompt with
// the password and an echo-on prompt with the user (racoon's PAM_conv), and any other style ends the talk.
import { createRequire } from 'node:module';
import { formatAddr } from '../../../common/inet.js';
import type { XauthLogin, XauthVerdict } from './auth-types.js';

/** The PAM service: /etc/pam.d/racoon. */
export const PAM_SERVICE = 'racoon';

// <security/_pam_types.h>
const PAM_SUCCESS = 0;
const PAM_CONV_ERR = 19;
const PAM_RHOST = 4;
const PAM_PROMPT_ECHO_OFF = 1;
const PAM_PROMPT_ECHO_ON = 2;
const PAM_ERROR_MSG = 3;
const PAM_TEXT_INFO = 4;
/** Linux-PAM's PAM_MAX_NUM_MSG: a module asking more at once is refused. */
const PAM_MAX_NUM_MSG = 32;

type K = typeof import('koffi');
type Fn = ((...a: unknown[]) => unknown) & { async: (...a: unknown[]) => void };

interface Pam {
  k: K;
  start: Fn;
  setItem: Fn;
  authenticate: Fn;
  acctMgmt: Fn;
  end: Fn;
  strerror: Fn;
  calloc: Fn;
  strdup: Fn;
  msgType: unknown;
  respType: unknown;
  convPtr: unknown;
  convType: unknown;
}

let cached: Pam | undefined;

function load(): Pam {
  if (cached) return cached;
  const k = createRequire(import.meta.url)('koffi') as K;
  const lib = k.load('libpam.so.0');
  const libc = k.load('libc.so.6');
  const msgType = k.struct('uipsec_pam_message', { msg_style: 'int', msg: 'const char *' });
  const respType = k.struct('uipsec_pam_response', { resp: 'void *', resp_retcode: 'int' });
  const proto = k.proto('int uipsec_pam_conv_fn(int n, void *msg, void *resp, void *appdata)');
  const convPtr = k.pointer(proto);
  const convType = k.struct('uipsec_pam_conv', { conv: convPtr, appdata_ptr: 'void *' });
  const f = (s: string) => lib.func(s) as unknown as Fn;
  cached = {
    k,
    start: f('int pam_start(const char *service, const char *user, uipsec_pam_conv *conv, _Out_ void **pamh)'),
    setItem: f('int pam_set_item(void *pamh, int type, const char *item)'),
    authenticate: f('int pam_authenticate(void *pamh, int flags)'),
    acctMgmt: f('int pam_acct_mgmt(void *pamh, int flags)'),
    end: f('int pam_end(void *pamh, int status)'),
    strerror: f('const char *pam_strerror(void *pamh, int errnum)'),
    calloc: libc.func('void *calloc(size_t n, size_t size)') as unknown as Fn,
    strdup: libc.func('void *strdup(const char *s)') as unknown as Fn,
    msgType,
    respType,
    convPtr,
    convType,
  };
  return cached;
}

/** The conversation: answers in calloc'd memory that libpam frees (pam_conv(3)). */
function conversation(p: Pam, user: string, pass: () => string) {
  const talk = (n: number, msgs: unknown, resp: unknown): number => {
    if (n <= 0 || n > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
    const ptrs = p.k.decode(msgs, 'void *', n) as unknown[];
    const size = p.k.sizeof(p.respType as never);
    const styles = ptrs.map((m) => (p.k.decode(m, p.msgType as never) as { msg_style: number }).msg_style);
    const known = [PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON, PAM_ERROR_MSG, PAM_TEXT_INFO];
    if (!styles.every((s) => known.includes(s))) return PAM_CONV_ERR;
    const out = p.calloc(n, size);
    if (!out) return PAM_CONV_ERR;
    styles.forEach((style, i) => {
      const answer =
        style === PAM_PROMPT_ECHO_OFF ? p.strdup(pass()) : style === PAM_PROMPT_ECHO_ON ? p.strdup(user) : null;
      p.k.encode(out, i * size, p.respType as never, { resp: answer, resp_retcode: 0 });
    });
    p.k.encode(resp, 'void *', out);
    return PAM_SUCCESS;
  };
  // koffi hands a throwing callback's caller 0, which is PAM_SUCCESS: never let it throw.
  return (n: number, msgs: unknown, resp: unknown): number => {
    try {
      return talk(n, msgs, resp);
    } catch {
      return PAM_CONV_ERR;
    }
  };
}

function call(fn: Fn, ...args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) =>
    fn.async(...args, (err: unknown, r: unknown) => (err ? reject(err as Error) : resolve(Number(r)))),
  );
}

/** One login checked by PAM; the verdict names the failing step with pam_strerror, never the password. */
export async function pamLogin(login: XauthLogin): Promise<XauthVerdict> {
  if (login.user.includes('\0')) return { ok: false, why: 'a NUL in the user name' };
  const p = load();
  const conv = p.k.register(
    conversation(p, login.user, () => Buffer.from(login.pass).toString('utf8')),
    p.convPtr as never,
  );
  const handle: unknown[] = [null];
  let rc = -1;
  try {
    rc = p.start(PAM_SERVICE, login.user, { conv, appdata_ptr: null }, handle) as number;
    if (rc !== PAM_SUCCESS || !handle[0]) return { ok: false, why: `pam_start failed (${rc})` };
    const h = handle[0];
    rc = p.setItem(h, PAM_RHOST, formatAddr(login.peer)) as number;
    if (rc === PAM_SUCCESS) rc = await call(p.authenticate, h, 0);
    if (rc !== PAM_SUCCESS) return { ok: false, why: `pam_authenticate: ${String(p.strerror(h, rc))}` };
    rc = await call(p.acctMgmt, h, 0);
    if (rc !== PAM_SUCCESS) return { ok: false, why: `pam_acct_mgmt: ${String(p.strerror(h, rc))}` };
    return { ok: true };
  } finally {
    if (handle[0]) p.end(handle[0], rc);
    p.k.unregister(conv);
  }
}
