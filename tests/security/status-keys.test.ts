// Issue 11 item 9: `uipsec status --json` printed every SA's keys. uipsecd and the commands run as processes;
// an SA with known keys is added with setkey, and no form of `uipsec status` shows them unless --keys asks.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proc } from '../e2e/proc.js';
import { commandArgs, runCommand } from './support.js';

const ENC = 'c0ffee00'.repeat(4);
const AUTH = 'feedface'.repeat(8);

describe('security: uipsec status shows keys only when asked (issue 11 item 9)', () => {
  let dir = '';
  let d: Proc | undefined;
  let sock = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-statuskeys-'));
    sock = join(dir, 'pfkey.sock');
    d = new Proc('uipsecd', commandArgs('uipsecd', ['--socket', sock]));
    await d.waitFor(/up:/);
    const add = await runCommand('setkey', ['--socket', sock, '-c'], {
      stdin: `add 10.0.0.1 10.0.0.2 esp 0x2001 -E aes-cbc 0x${ENC} -A hmac-sha256 0x${AUTH};\n`,
    });
    assert.equal(add.code, 0, add.err);
  });
  after(async () => {
    await d?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const hasKey = (s: string) => s.includes(ENC) || s.includes(AUTH) || /c0ffee00|feedface/i.test(s);

  it('status and status --json: algorithms, no key bytes; --json --keys: the keys', async () => {
    const text = await runCommand('uipsec', ['status', '--socket', sock]);
    const json = await runCommand('uipsec', ['status', '--socket', sock, '--json']);
    const keys = await runCommand('uipsec', ['status', '--socket', sock, '--json', '--keys']);
    for (const r of [text, json, keys]) assert.equal(r.code, 0, r.err);
    const sa = (r: { out: string }) =>
      (JSON.parse(r.out) as { sas: { encryption: object; authentication: object }[] }).sas[0]!;
    console.log(`      status --json:        ${JSON.stringify([sa(json).encryption, sa(json).authentication])}`);
    console.log(`      status --json --keys: ${JSON.stringify([sa(keys).encryption, sa(keys).authentication])}`);
    assert.ok(!hasKey(text.out + text.err), 'text status shows no key');
    assert.ok(!hasKey(json.out + json.err), 'status --json shows no key');
    assert.deepEqual(sa(json).encryption, { alg: 'aes-cbc' });
    assert.deepEqual(sa(json).authentication, { alg: 'hmac-sha256' });
    assert.deepEqual(sa(keys).encryption, { alg: 'aes-cbc', key: ENC });
    assert.deepEqual(sa(keys).authentication, { alg: 'hmac-sha256', key: AUTH });
  });

  it('setkey -D (the key tool) still shows them, as in ipsec-tools', async () => {
    const r = await runCommand('setkey', ['--socket', sock, '-D']);
    assert.equal(r.code, 0, r.err);
    assert.ok(hasKey(r.out));
  });
});
