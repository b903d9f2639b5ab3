/**
 * The raw receive-pack client (test/support/receive-pack-client.ts) against a
 * real forge: what it sends is what `git push --signed` sends, so the
 * installed hook answers both with the same lines; and the things `git push`
 * cannot send (two commands for one ref, a stale old value, edited or
 * tampered certificates) reach the server as written.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, ZERO_OID, type Clone } from './forge.js';
import { advertisement, packObjects, receivePack, type PushReport } from './receive-pack-client.js';

let forge: Forge;
let owner: Clone;
let alice: Clone;
let O: string;
let A: string;
let main0: string;

beforeAll(() => {
  forge = Forge.create({ users: ['alice'] });
  forge.setPolicy();
  O = forge.owner.id;
  A = forge.user('alice').id;
  owner = forge.clone('owner');
  main0 = owner.commitTree({ README: 'v0\n' }, [], 'v0');
  expect(owner.push(`${main0}:refs/heads/main`).code).toBe(0);
  alice = forge.clone('alice');
});
afterAll(() => forge?.cleanup());

/** A new commit on top of main0 in `c`, and the pack that carries it. */
function commitAndPack(c: Clone, content: string): { oid: string; pack: Uint8Array } {
  const oid = c.commitTree({ README: content }, [main0], content);
  return { oid, pack: packObjects(c.dir, forge.env, [oid, `^${main0}`]) };
}

/** The certificate the server stored for the push that wrote `ref`, with what differs between two pushes masked. */
function storedCertificate(ref: string): string {
  const found = forge.certificates().filter((c) => c.text.includes(` ${ref}\n`));
  expect(found).toHaveLength(1);
  return found[0]!.text;
}

function masked(cert: string): string {
  return cert
    .replace(/^(pusher \S+) \d+ [+-]\d{4}$/m, '$1 <time>')
    .replace(/^nonce .*$/m, 'nonce <nonce>')
    .replace(/^[0-9a-f]{40} [0-9a-f]{40} refs\/.*$/gm, '<update>')
    .replace(/-----BEGIN PGP SIGNATURE-----[\s\S]*$/, '<signature>');
}

describe('the advertisement', () => {
  test('lists the refs and the capabilities a signed push needs', async () => {
    const adv = await advertisement(forge.bare, forge.env);
    expect(adv.refs.get('refs/heads/main')).toBe(main0);
    expect(adv.refs.get('refs/heads/apps/access-control')).toBe(forge.ref('refs/heads/apps/access-control'));
    for (const cap of ['report-status', 'report-status-v2', 'delete-refs', 'side-band-64k', 'quiet', 'atomic']) {
      expect(adv.capabilities.get(cap), cap).toBe(true);
    }
    expect(adv.capabilities.has('push-options')).toBe(false); // receive.advertisePushOptions is off by default
    expect(adv.nonce).toMatch(/^\d+-[0-9a-f]{40}$/);
  });
});

describe('a push the client sends is the push git sends', () => {
  test('a signed push the policy allows is accepted, with the same certificate git writes', async () => {
    const viaGit = owner.commitTree({ README: 'git\n' }, [main0], 'git');
    const g = owner.push(`${viaGit}:refs/heads/via-git`);
    expect(g.code, g.stderr).toBe(0);
    expect(g.remote).toEqual([]);

    const { oid, pack } = commitAndPack(owner, 'client\n');
    const r = await receivePack(forge.bare, forge.env, {
      commands: [{ oldOid: ZERO_OID, newOid: oid, ref: 'refs/heads/via-client' }],
      certificate: { signingKey: O },
      pack,
    });
    expect(r.unpack).toBe('ok');
    expect(r.statuses).toEqual([{ ref: 'refs/heads/via-client', ok: true }]);
    expect(r.remote).toEqual([]);
    expect(r.accepted).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(forge.ref('refs/heads/via-client')).toBe(oid);
    // Same header lines in the same order; only the time, the nonce, the update and the signature differ.
    expect(masked(storedCertificate('refs/heads/via-client'))).toBe(masked(storedCertificate('refs/heads/via-git')));
    expect(storedCertificate('refs/heads/via-client')).toBe(r.certificate);
  });

  test('a denied push is refused with the same lines, side-band or not', async () => {
    const before = forge.refs();
    const { oid, pack } = commitAndPack(alice, 'alice\n');
    const g = alice.push(`${oid}:refs/heads/alice-work`);
    expect(g.code).not.toBe(0);
    expect(g.stdout).toContain('[remote rejected] (pre-receive hook declined)');
    expect(g.remote).toEqual([
      `git-acl: push rejected for user ${A}; no ref was changed`,
      expect.stringMatching(new RegExp(`^git-acl: denied: no rule lets ${A} create-branch heads/alice-work`)),
      expect.stringMatching(new RegExp(`^git-acl: denied: no rule lets ${A} create-file README on heads/alice-work`)),
    ]);

    for (const sideBand of [true, false]) {
      const r = await receivePack(forge.bare, forge.env, {
        commands: [{ oldOid: ZERO_OID, newOid: oid, ref: 'refs/heads/alice-work' }],
        certificate: { signingKey: A },
        pack,
        sideBand,
      });
      expect(r.unpack).toBe('ok');
      expect(r.statuses).toEqual([{ ref: 'refs/heads/alice-work', ok: false, reason: 'pre-receive hook declined' }]);
      expect(r.remote).toEqual(g.remote);
      expect(r.accepted).toBe(false);
    }
    expect(forge.refs()).toEqual(before);
  });

  test('an unsigned push gets the same refusal as `git push --no-signed`', async () => {
    const { oid, pack } = commitAndPack(owner, 'unsigned\n');
    const g = owner.pushUnsigned(`${oid}:refs/heads/unsigned`);
    expect(g.code).not.toBe(0);
    const r = await receivePack(forge.bare, forge.env, { commands: [{ oldOid: ZERO_OID, newOid: oid, ref: 'refs/heads/unsigned' }], pack });
    expect(r.certificate).toBeUndefined();
    expect(r.statuses).toEqual([{ ref: 'refs/heads/unsigned', ok: false, reason: 'pre-receive hook declined' }]);
    expect(r.remote).toEqual(g.remote);
    expect(r.remote[0]).toMatch(/^git-acl: push rejected: unsigned push:/);
  });

  test('report-status-v2 and a delete-only push (no pack) work as with git', async () => {
    const { oid, pack } = commitAndPack(owner, 'v2\n');
    const created = await receivePack(forge.bare, forge.env, {
      commands: [{ oldOid: ZERO_OID, newOid: oid, ref: 'refs/heads/v2' }],
      certificate: { signingKey: O },
      pack,
      reportStatus: 'v2',
    });
    expect(created.statuses).toEqual([{ ref: 'refs/heads/v2', ok: true }]);
    const deleted = await receivePack(forge.bare, forge.env, {
      commands: [{ oldOid: oid, newOid: ZERO_OID, ref: 'refs/heads/v2' }],
      certificate: { signingKey: O },
    });
    expect(deleted.unpack).toBe('ok');
    expect(deleted.statuses).toEqual([{ ref: 'refs/heads/v2', ok: true }]);
    expect(forge.ref('refs/heads/v2')).toBeNull();
  });
});

describe('what git push never sends', () => {
  /** A copy of the server without the hook: what git itself does with such a push. */
  let hookless: string;
  beforeAll(() => {
    hookless = path.join(forge.root, 'hookless.git');
    forge.sh('git', ['clone', '-q', '--bare', forge.bare, hookless]);
    fs.rmSync(path.join(hookless, 'hooks', 'pre-receive'), { force: true });
  });

  /** Two commands for one new ref: the first with a stale old value, the second with the right one. */
  async function twoCommands(ref: string, atomic: boolean, repo = hookless): Promise<{ r: PushReport; second: string }> {
    const first = commitAndPack(owner, `${ref} first\n`);
    const second = commitAndPack(owner, `${ref} second\n`);
    const r = await receivePack(repo, forge.env, {
      commands: [
        { oldOid: main0, newOid: first.oid, ref },
        { oldOid: ZERO_OID, newOid: second.oid, ref },
      ],
      certificate: { signingKey: O },
      pack: packObjects(owner.dir, forge.env, [first.oid, second.oid, `^${main0}`]),
      atomic,
    });
    return { r, second: second.oid };
  }

  const refIn = (repo: string, ref: string): string | null => {
    const r = forge.sh('git', ['--git-dir', repo, 'for-each-ref', '--format=%(objectname)', ref]).trim();
    return r || null;
  };

  test('two commands for one ref: git applies them in order, the stale one fails at its lock and the next lands', async () => {
    const { r, second } = await twoCommands('refs/heads/twice', false);
    expect(r.unpack).toBe('ok');
    expect(r.statuses).toEqual([
      { ref: 'refs/heads/twice', ok: false, reason: 'failed to update ref' },
      { ref: 'refs/heads/twice', ok: true },
    ]);
    expect(refIn(hookless, 'refs/heads/twice')).toBe(second);
  });

  test('with atomic, neither lands', async () => {
    const { r } = await twoCommands('refs/heads/twice-atomic', true);
    expect(r.statuses.map((s) => s.ok)).toEqual([false, false]);
    expect(refIn(hookless, 'refs/heads/twice-atomic')).toBeNull();
  });

  test('the installed hook refuses both commands: a push may update each ref only once', async () => {
    const { r } = await twoCommands('refs/heads/twice', false, forge.bare);
    expect(r.statuses.map((s) => s.ok)).toEqual([false, false]);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${O}; no ref was changed`,
      'git-acl: refs/heads/twice is named twice in this push; a push may update each ref only once',
    ]);
    expect(forge.ref('refs/heads/twice')).toBeNull();
  });

  test('push options are sent and signed; options that differ from the signed ones are refused by git', async () => {
    forge.server(['config', 'receive.advertisePushOptions', 'true']);
    try {
      const { oid, pack } = commitAndPack(owner, 'options\n');
      const r = await receivePack(forge.bare, forge.env, {
        commands: [{ oldOid: ZERO_OID, newOid: oid, ref: 'refs/heads/options' }],
        certificate: { signingKey: O },
        pushOptions: ['ci.skip', 'x=1'],
        pack,
      });
      expect(r.statuses).toEqual([{ ref: 'refs/heads/options', ok: true }]);
      expect(storedCertificate('refs/heads/options')).toContain('\npush-option ci.skip\npush-option x=1\n\n');

      const other = commitAndPack(owner, 'options2\n');
      const bad = await receivePack(forge.bare, forge.env, {
        commands: [{ oldOid: ZERO_OID, newOid: other.oid, ref: 'refs/heads/options2' }],
        certificate: { signingKey: O, pushOptions: ['x=2'] },
        pushOptions: ['x=1'],
        pack: other.pack,
      });
      expect(bad.statuses).toEqual([{ ref: 'refs/heads/options2', ok: false, reason: 'inconsistent push options' }]);
      expect(forge.ref('refs/heads/options2')).toBeNull();
    } finally {
      forge.server(['config', '--unset', 'receive.advertisePushOptions']);
    }
  });

  test('a well-signed certificate with an edited header, and a tampered one, reach the hook as sent', async () => {
    const { oid, pack } = commitAndPack(owner, 'edited\n');
    const commands = [{ oldOid: ZERO_OID, newOid: oid, ref: 'refs/heads/edited' }];
    const edited = await receivePack(forge.bare, forge.env, {
      commands,
      certificate: { signingKey: O, editPayload: (p) => p.replace('\n\n', '\nextra header\n\n') },
      pack,
    });
    expect(edited.certificate).toContain('\nextra header\n\n');
    expect(edited.remote).toEqual(['git-acl: push rejected: malformed push certificate: unknown header line "extra header"']);

    // Signed for refs/heads/edited, sent for refs/heads/tampered: receive-pack takes its commands from the
    // certificate, so the tampered line is what it runs, and the signature no longer matches.
    const tampered = await receivePack(forge.bare, forge.env, {
      commands,
      certificate: { signingKey: O, tamper: (c) => c.replace(' refs/heads/edited\n', ' refs/heads/tampered\n') },
      pack,
    });
    expect(tampered.statuses).toEqual([{ ref: 'refs/heads/tampered', ok: false, reason: 'pre-receive hook declined' }]);
    expect(tampered.remote).toHaveLength(1);
    expect(tampered.remote[0]).toMatch(
      /^git-acl: push rejected: bad push certificate signature \(checked with keys\/[0-9A-F]{40}\.asc\): /,
    );
    expect(forge.ref('refs/heads/edited')).toBeNull();
    expect(forge.ref('refs/heads/tampered')).toBeNull();
  });

  test('without a pack where one is needed, receive-pack reports an unpack error and runs no hook', async () => {
    const { oid } = commitAndPack(owner, 'nopack\n');
    const r = await receivePack(forge.bare, forge.env, {
      commands: [{ oldOid: ZERO_OID, newOid: oid, ref: 'refs/heads/nopack' }],
      certificate: { signingKey: O },
      pack: null,
    });
    expect(r.unpack).toMatch(/eof before pack header/);
    expect(r.statuses).toEqual([{ ref: 'refs/heads/nopack', ok: false, reason: 'unpacker error' }]);
    expect(r.remote.some((l) => l.startsWith('git-acl:'))).toBe(false);
  });
});
