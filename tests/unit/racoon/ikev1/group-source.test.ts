// group_source system (racoon.conf mode_cfg; ipsec-tools xauth_group_system): after the password check, the
// XAuth user must be in one of auth_groups, read from a passwd/group pair the test writes (never the host's).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineCtx } from '../../../../racoon/engine/context.js';
import { XauthAuthenticator, systemGroupCheck } from '../../../../racoon/ikev1/cfg/auth-source.js';
import { parsePskText } from '../../../../racoon/psk.js';
import { groupsOf, lookupGroup, lookupUser, readUnixDb } from '../../../../racoon/unix-ids.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'alice:x:1001:1001::/home/alice:/bin/sh',
  'bob:x:1002:100::/home/bob:/bin/sh',
  'carol:x:1003:1003::/home/carol:/bin/sh',
  'broken:x:notanumber:1:::',
  '+nis-compat',
].join('\n');
const GROUP = ['root:x:0:', 'users:x:100:', 'alice:x:1001:', 'vpn:x:2000:alice, dave', 'ops:x:2001:carol', 'x'].join(
  '\n',
);

describe('group_source system: the XAuth user in one of auth_groups (/etc/group, /etc/passwd)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-groups-'));
    writeFileSync(join(dir, 'passwd'), PASSWD);
    writeFileSync(join(dir, 'group'), GROUP);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads users and groups as getpwnam, getgrnam and getgrouplist answer', () => {
    const db = readUnixDb(dir);
    assert.deepEqual(groupsOf(db, 'alice'), ['alice', 'vpn']);
    assert.deepEqual(groupsOf(db, 'bob'), ['users'], 'the primary group counts');
    assert.deepEqual(groupsOf(db, 'dave'), [], 'a member name without a passwd line is no user');
    assert.deepEqual(lookupUser(db, 'carol'), { uid: 1003, gid: 1003 });
    assert.equal(lookupUser(db, 'broken'), undefined);
    assert.equal(lookupGroup(db, 'ops'), 2001);
    assert.equal(lookupGroup(db, '4242'), 4242);
    assert.deepEqual(readUnixDb(join(dir, 'none')), { passwd: '', group: '' });
  });

  it('lets a member log in and refuses a good password outside the groups', async () => {
    const psk = parsePskText('alice\tpw-a\ncarol\tpw-c\n', 'psk.txt');
    const conf = { modeCfg: { authSource: 'system', groupSource: 'system', authGroups: ['vpn', 'users'] } };
    const ctx = { conf, psk } as unknown as EngineCtx;
    const auth = new XauthAuthenticator(ctx, dir);
    const login = (user: string, pass: string) =>
      auth.check({ user, pass: new TextEncoder().encode(pass), peer: Uint8Array.of(192, 0, 2, 9) });
    assert.deepEqual(await login('alice', 'pw-a'), { ok: true });
    const carol = await login('carol', 'pw-c');
    assert.equal(carol.ok, false);
    assert.equal(carol.why, 'user "carol" is in none of the auth_groups (vpn, users)');
    assert.equal((await login('alice', 'wrong')).ok, false);
    assert.ok(!JSON.stringify(await login('alice', 'wrong')).includes('wrong'), 'no password in the verdict');
    assert.deepEqual(systemGroupCheck(readUnixDb(dir), 'bob', ['users']), { ok: true });
  });
});
