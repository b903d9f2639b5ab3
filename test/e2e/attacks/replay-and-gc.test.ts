/**
 * Red-team pass on the push log's in-process reading (src/git/loose-objects.ts:
 * recent entries read from loose, stored-zlib files, with an 8-object memo)
 * and writing (src/server/objects.ts): a certificate replayed after several
 * later pushes, while the log's newest entries are loose files, and again
 * after `git gc` packed them; `git fsck --strict` and `git acl verify` on the
 * log before and after gc.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, ZERO_OID, type Clone, type ForgeUser } from '../../support/forge.js';
import { packObjectIds, receivePack } from '../../support/receive-pack-client.js';

const LOG = 'refs/heads/apps/push-log';

let forge: Forge;
let bob: ForgeUser;
let c: Clone;
beforeAll(() => {
  forge = Forge.create({ users: ['bob'] });
  forge.setPolicy(Forge.presetFiles('per-user-branches'));
  bob = forge.user('bob');
  c = forge.clone(bob);
});
afterAll(() => forge?.cleanup());

const loose = (oid: string) => fs.existsSync(path.join(forge.bare, 'objects', oid.slice(0, 2), oid.slice(2)));
/** fsck's findings; its notice that the bare server's HEAD is unborn (no main branch here) is not one. */
const fsck = () => {
  const r = forge.server(['fsck', '--strict', '--no-dangling']);
  return [r.code, r.stdout, r.stderr.replace(/^notice: HEAD points to an unborn branch \(main\)\n/m, '')];
};
const verifyFresh = (name: string) => {
  const dir = path.join(forge.root, name);
  forge.sh('git', ['clone', '-q', forge.bare, dir]);
  return forge.acl(['verify'], { cwd: dir });
};

describe('replay and gc', () => {
  let first: string;
  let cert: { oid: string; text: string };
  let entry: string;

  test('a certificate replayed after later pushes is refused as a replay, from loose entries', async () => {
    first = c.commitTree({ 'r.txt': 'r\n' }, [], 'r');
    expect(c.push(`${first}:refs/heads/${bob.id}/r`).code).toBe(0);
    entry = forge.ref(LOG)!;
    cert = forge.certificates().find((x) => x.text.includes(` ${first} refs/heads/${bob.id}/r\n`))!;
    expect(c.push(`:refs/heads/${bob.id}/r`).code).toBe(0);
    for (let i = 0; i < 10; i++) {
      const w = c.commitTree({ 'w.txt': `${i}\n` }, [], `w${i}`);
      expect(c.push(`${w}:refs/heads/${bob.id}/w${i}`).code).toBe(0);
    }
    expect(loose(forge.ref(LOG)!)).toBe(true);
    expect(loose(entry)).toBe(true);

    // The exact certificate and pack again, by the raw client: git refuses the stale nonce, the hook refuses the push.
    const raw = await receivePack(forge.bare, forge.env, {
      commands: [{ oldOid: ZERO_OID, newOid: first, ref: `refs/heads/${bob.id}/r` }],
      certificate: { signingKey: bob.id, tamper: () => cert.text },
      pack: packObjectIds(c.dir, forge.env, c.ok(['rev-list', '--objects', '--no-object-names', first]).split('\n').filter(Boolean)),
    });
    expect(raw.statuses.map((s) => s.ok)).toEqual([false]);
    // Over a connection (not stateless HTTP) git takes only the nonce it issued in this session (a stamp of this
    // second; the replayed one is a dozen pushes old): BAD.
    expect(raw.remote).toEqual([
      'git-acl: push rejected: push certificate nonce is BAD: it is not the nonce this server issued (a replayed or forged certificate); push again',
    ]);
    expect(forge.ref(`refs/heads/${bob.id}/r`)).toBeNull();

    // What git hands the hook when the nonce is still good (within receive.certNonceSlop): the log's check decides.
    const nonce = /^nonce (.*)$/m.exec(cert.text)![1]!;
    const h = forge.runHook(
      { GIT_PUSH_CERT: cert.oid, GIT_PUSH_CERT_NONCE: nonce, GIT_PUSH_CERT_NONCE_STATUS: 'OK' },
      `${ZERO_OID} ${first} refs/heads/${bob.id}/r\n`,
    );
    expect([h.code, h.stderr]).toEqual([
      1,
      `git-acl: push rejected: this push certificate was already accepted (push log entry ${entry.slice(0, 12)}); a certificate is good for one push: push again (user ${bob.id})\n`,
    ]);
  });

  test('fsck --strict is clean and verify passes, before and after gc, and a push after gc is logged', () => {
    expect(fsck()).toEqual([0, '', '']);
    const v1 = verifyFresh('v1');
    expect([v1.code, v1.stderr]).toEqual([0, '']);

    expect(forge.server(['gc', '--quiet', '--prune=now']).code).toBe(0);
    expect(loose(forge.ref(LOG)!)).toBe(false);
    // The replay is still found in packed entries.
    const nonce = /^nonce (.*)$/m.exec(cert.text)![1]!;
    const h = forge.runHook(
      { GIT_PUSH_CERT: cert.oid, GIT_PUSH_CERT_NONCE: nonce, GIT_PUSH_CERT_NONCE_STATUS: 'OK' },
      `${ZERO_OID} ${first} refs/heads/${bob.id}/r\n`,
    );
    expect([h.code, h.stderr]).toEqual([
      1,
      `git-acl: push rejected: this push certificate was already accepted (push log entry ${entry.slice(0, 12)}); a certificate is good for one push: push again (user ${bob.id})\n`,
    ]);

    const after = c.commitTree({ 'g.txt': 'g\n' }, [], 'g');
    const before = forge.ref(LOG)!;
    const p = c.push(`${after}:refs/heads/${bob.id}/after-gc`);
    expect([p.code, p.remote]).toEqual([0, []]);
    expect(forge.ref(LOG)).not.toBe(before);
    expect(fsck()).toEqual([0, '', '']);
    const v = verifyFresh('v2');
    expect([v.code, v.stderr]).toEqual([0, '']);
  });
});
