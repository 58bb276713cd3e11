// Users and groups by name, read from /etc/passwd and /etc/group the way getpwnam(3), getgrnam(3) and
// getgrouplist(3) answer on a files-only system: the adminsock owner/group (racoon admin.c chown) and
// group_source system (ipsec-tools isakmp_xauth.c group check). Lines are bounded and malformed ones skipped.
import { readFileSync } from 'node:fs';

export interface UnixDb {
  passwd: string;
  group: string;
}

/** The files themselves ('' when missing). */
export function readUnixDb(root = '/etc'): UnixDb {
  const read = (f: string) => {
    try {
      return readFileSync(`${root}/${f}`, 'utf8');
    } catch {
      return '';
    }
  };
  return { passwd: read('passwd'), group: read('group') };
}

const MAX_LINE = 4096;

function rows(text: string, fields: number): string[][] {
  const out: string[][] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.length > MAX_LINE || line.startsWith('#') || /^[+-]/.test(line)) continue;
    const f = line.split(':');
    if (f.length >= fields && f[0]) out.push(f);
  }
  return out;
}

const isNum = (s: string) => /^\d{1,10}$/.test(s);

/** A user's uid and primary gid (getpwnam); a number stands for itself with gid undefined. */
export function lookupUser(db: UnixDb, name: string): { uid: number; gid?: number } | undefined {
  for (const f of rows(db.passwd, 7))
    if (f[0] === name && isNum(f[2]!) && isNum(f[3]!)) return { uid: +f[2]!, gid: +f[3]! };
  return isNum(name) ? { uid: +name } : undefined;
}

/** A group's gid (getgrnam); a number stands for itself. */
export function lookupGroup(db: UnixDb, name: string): number | undefined {
  for (const f of rows(db.group, 4)) if (f[0] === name && isNum(f[2]!)) return +f[2]!;
  return isNum(name) ? +name : undefined;
}

/**
 * The names of the groups `user` is in (getgrouplist): its primary group, then every group listing it as a
 * member. Empty when the user is unknown.
 */
export function groupsOf(db: UnixDb, user: string): string[] {
  const pw = rows(db.passwd, 7).find((f) => f[0] === user);
  if (!pw) return [];
  const out = new Set<string>();
  for (const f of rows(db.group, 4)) {
    const members = f[3]!.split(',').map((m) => m.trim());
    if (f[2] === pw[3] || members.includes(user)) out.add(f[0]!);
  }
  return [...out];
}
