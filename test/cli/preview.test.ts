/**
 * Preview and the client hook against a real forge: a bare repository made a
 * git-acl server by `git acl init`, real gpg keys, real `git push --signed`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, ZERO_OID, type Clone } from '../support/forge.js';
import { ensureBuilt } from './helpers.js';

let forge: Forge;
let owner: Clone;
let bob: Clone;
let BOB: string;
let OWNER: string;

beforeAll(() => {
  ensureBuilt();
  forge = Forge.create({ users: ['bob'] });
  OWNER = forge.owner.id;
  BOB = forge.user('bob').id;
  // The owner publishes main and lets anyone register a key and push to their own branches.
  owner = forge.clone(forge.owner);
  owner.write('README.md', 'hello\n').commit('first');
  const first = owner.push('HEAD:refs/heads/main');
  if (first.code !== 0) throw new Error(`owner's first push failed: ${first.stderr}`);
  owner.ok(['fetch', '-q', 'origin', 'apps/access-control']);
  owner.checkout('origin/apps/access-control');
  owner.write('refs/users.conf', 'anyone create-branch,fast-forward,force,delete ^heads/$user_id/.*$\n');
  owner.write('branches/users.conf', 'branch ^heads/$user_id/.*$\nanyone create-directory,create-file,modify,delete ^.*$\n');
  owner.write(`keys/${BOB}.asc`, forge.user('bob').key.publicArmored);
  owner.commit('policy: per-user branches, bob registered');
  const policy = owner.push('HEAD:refs/heads/apps/access-control');
  if (policy.code !== 0) throw new Error(`owner's policy push failed: ${policy.stderr}`);
  owner.checkout('main');
  bob = forge.clone('bob');
});

afterAll(() => forge?.cleanup());

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l.length > 0);
}

describe('git acl preview', () => {
  test('reports a push the server would reject, and the real push is rejected with the same lines', () => {
    bob.write('README.md', 'changed by bob\n').commit('bob edits main');
    const before = forge.refs();
    const preview = forge.acl(['preview'], { cwd: bob.dir });
    expect(preview.code).toBe(1);
    const said = lines(preview.stdout);
    expect(said[0]).toBe(`git-acl: push rejected for user ${BOB}; no ref was changed`);
    expect(said[1]).toMatch(new RegExp(`^git-acl: denied: no rule lets ${BOB} fast-forward heads/main; `));
    expect(said[2]).toMatch(new RegExp(`^git-acl: denied: no rule lets ${BOB} modify README\\.md on heads/main; `));
    expect(said[3]).toBe('preview: origin would reject this push');
    expect(said).toHaveLength(4);
    expect(preview.stderr).toBe('');
    expect(forge.refs()).toEqual(before);

    const push = bob.push('main');
    expect(push.code).not.toBe(0);
    expect(push.remote).toEqual(said.slice(0, 3));
    expect(forge.refs()).toEqual(before);
  });

  test('an allowed push: exit 0 and says so', () => {
    const r = forge.acl(['preview', 'origin', `HEAD:refs/heads/${BOB}/topic`], { cwd: bob.dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`preview: origin would accept this push of 1 ref (refs/heads/${BOB}/topic) by ${BOB}\n`);
    expect(r.code).toBe(0);
    expect(bob.push(`HEAD:refs/heads/${BOB}/topic`).code).toBe(0);
  });

  test('refspecs: several, short destinations, deletes', () => {
    const r = forge.acl(['preview', 'origin', `HEAD:${BOB}/topic2`, `:refs/heads/${BOB}/topic`, 'HEAD:main'], { cwd: bob.dir });
    expect(r.code).toBe(1);
    const said = lines(r.stdout);
    expect(said[0]).toBe(`git-acl: push rejected for user ${BOB}; no ref was changed`);
    expect(said.some((l) => l.includes(`fast-forward heads/main`))).toBe(true);
    expect(said.some((l) => l.includes(`${BOB}/topic2`))).toBe(false);
  });

  test('the owner is read from the remote when it is a local repository; owner pushes pass', () => {
    owner.write('NEWS', 'news\n').commit('news');
    const r = forge.acl(['preview'], { cwd: owner.dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`preview: origin would accept this push of 1 ref (refs/heads/main) by ${OWNER}\n`);
    expect(r.code).toBe(0);
  });

  test('--json', () => {
    const r = forge.acl(['preview', '--json', 'origin', 'main'], { cwd: bob.dir });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ remote: 'origin', user: BOB, owner: OWNER, accepted: false, warnings: [] });
    expect((doc.lines as string[])[0]).toBe(`git-acl: push rejected for user ${BOB}; no ref was changed`);
    expect(doc.updates).toEqual([{ oldOid: forge.ref('refs/heads/main'), newOid: bob.ok(['rev-parse', 'main']), ref: 'refs/heads/main' }]);
  });

  test('errors name the remote or the refspec', () => {
    const a = forge.acl(['preview', 'orign'], { cwd: bob.dir });
    expect(a.code).toBe(1);
    expect(a.stderr).toBe('git acl preview: no remote named orign; did you mean origin? (remotes: origin)\n');
    const b = forge.acl(['preview', 'origin', 'no-such-branch'], { cwd: bob.dir });
    expect(b.code).toBe(1);
    expect(b.stderr).toBe('git acl preview: refspec no-such-branch: no-such-branch does not name anything in this repository\n');
  });
});

describe('the client pre-push hook', () => {
  test('installs, refuses a foreign hook, and is idempotent', () => {
    const r = forge.acl(['install-client-hook'], { cwd: bob.dir });
    expect(r.code).toBe(0);
    const hook = path.join(bob.dir, '.git/hooks/pre-push');
    expect(r.stdout.split('\n')[0]).toBe(`installed ${fs.realpathSync(hook)}`);
    expect(fs.statSync(hook).mode & 0o111).not.toBe(0);
    expect(forge.acl(['install-client-hook'], { cwd: bob.dir }).stdout.split('\n')[0]).toBe(`${fs.realpathSync(hook)} already installed`);

    const other = forge.clone('bob');
    const foreign = path.join(other.dir, '.git/hooks/pre-push');
    fs.writeFileSync(foreign, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const refused = forge.acl(['install-client-hook'], { cwd: other.dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^git acl install-client-hook: .*\.git\/hooks\/pre-push: a pre-push hook that git-acl did not install is in the way; /,
    );
    expect(fs.readFileSync(foreign, 'utf8')).toBe('#!/bin/sh\nexit 0\n');
  });

  test("blocks a push the server would reject, with the hook's lines; --no-verify skips it and the server rejects", () => {
    const before = forge.refs();
    const blocked = bob.push('main');
    expect(blocked.code).not.toBe(0);
    expect(blocked.remote).toEqual([]); // never reached the server
    const said = lines(blocked.stderr).filter((l) => l.startsWith('git-acl: ') || l.startsWith('preview: '));
    expect(said[0]).toBe(`git-acl: push rejected for user ${BOB}; no ref was changed`);
    expect(said.at(-1)).toBe('preview: origin would reject this push, so it was not sent (git push --no-verify skips this check)');
    expect(blocked.stderr).toContain('failed to push some refs');
    expect(forge.refs()).toEqual(before);

    const skipped = bob.push('--no-verify', 'main');
    expect(skipped.code).not.toBe(0);
    expect(skipped.stderr).not.toContain('preview: ');
    expect(skipped.remote).toEqual(said.slice(0, -1));
    expect(forge.refs()).toEqual(before);
  });

  test('lets an allowed push through', () => {
    bob.write('notes.txt', 'mine\n').commit('notes');
    const r = bob.push(`HEAD:refs/heads/${BOB}/topic3`);
    expect(r.stderr).not.toContain('preview:');
    expect(r.code).toBe(0);
    expect(forge.ref(`refs/heads/${BOB}/topic3`)).toBe(bob.ok(['rev-parse', 'HEAD']));
  });

  test("--pre-push reads git's lines on stdin: deletes and tags too", () => {
    const main = forge.ref('refs/heads/main')!;
    const head = bob.ok(['rev-parse', 'HEAD']);
    const input = [`(delete) ${ZERO_OID} refs/heads/main ${main}`, `refs/tags/t1 ${head} refs/tags/t1 ${ZERO_OID}`, ''].join('\n');
    const r = forge.acl(['preview', '--pre-push', 'origin', forge.bare], { cwd: bob.dir, input });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const said = lines(r.stderr);
    expect(said[0]).toBe(`git-acl: push rejected for user ${BOB}; no ref was changed`);
    expect(said[1]).toMatch(new RegExp(`^git-acl: denied: no rule lets ${BOB} delete heads/main`));
    expect(said[2]).toMatch(new RegExp(`^git-acl: denied: no rule lets ${BOB} create-tag tags/t1`));
    expect(said[3]).toBe('preview: origin would reject this push, so it was not sent (git push --no-verify skips this check)');
    const bad = forge.acl(['preview', '--pre-push', 'origin'], { cwd: bob.dir, input: 'garbage\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('git acl preview: unexpected pre-push line on stdin: "garbage"\n');
  });

  test('blocks a denied delete through the real hook', () => {
    const before = forge.refs();
    const r = bob.git(['push', 'origin', ':refs/heads/main']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`git-acl: denied: no rule lets ${BOB} delete heads/main`));
    expect(r.stderr).not.toContain('remote: ');
    expect(forge.refs()).toEqual(before);
  });

  test('lets a push to a remote without a policy branch through (not a git-acl server)', () => {
    const plain = path.join(forge.root, 'plain.git');
    forge.sh('git', ['init', '-q', '--bare', plain]);
    bob.ok(['remote', 'add', 'plain', plain]);
    const r = bob.git(['push', 'plain', 'main']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`note: plain has no refs/heads/apps/access-control: it is not protected by git-acl, nothing to preview`);
    expect(forge.sh('git', ['--git-dir', plain, 'rev-parse', 'main']).trim()).toBe(bob.ok(['rev-parse', 'main']));
  });
});

describe('preview for a user whose key is not registered', () => {
  test('warns that the server cannot verify the signature, and exits 1', () => {
    const carol = forge.addUser('carol');
    const c = forge.clone(carol);
    const r = forge.acl(['preview', 'origin', `HEAD:refs/heads/${carol.id}/x`], { cwd: c.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `warning: origin's policy branch has no keys/${carol.id}.asc: the server cannot verify a push signed by ${carol.id} and will reject it (register the key first)\n`,
    );
    expect(r.stdout).toBe('preview: origin would reject this push\n');
    const push = c.push(`HEAD:refs/heads/${carol.id}/x`);
    expect(push.code).not.toBe(0);
    expect(push.remote.join('\n')).toContain(`which no key file of the policy branch holds`);
  });

  test('--user judges the push as someone else', () => {
    const r = forge.acl(['preview', '--user', BOB, 'origin', `HEAD:refs/heads/${BOB}/as-bob`], { cwd: owner.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`by ${BOB}\n`);
  });
});
