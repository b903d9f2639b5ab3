/**
 * `git acl init` through the real binary: what it sets up, that running it
 * again is safe, and the errors for bad input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLI, Forge, REPO_ROOT, run } from '../support/forge.js';
import { exportSecret, gpg } from '../support/gpg.js';
import { findExecutable } from '../../src/server/git-signature-check.js';

let forge: Forge;
let keyFile: string;
let n = 0;
/** What init points git's OpenPGP program at (src/server/git-signature-check.ts). */
const TRUE = findExecutable('true', process.env.PATH);

beforeAll(() => {
  forge = new Forge();
  forge.owner = forge.addUser('owner');
  forge.addUser('other');
  keyFile = path.join(forge.root, 'owner.asc');
  fs.writeFileSync(keyFile, forge.owner.key.publicArmored);
});
afterAll(() => forge?.cleanup());

function bare(): string {
  const dir = path.join(forge.root, `repo${++n}.git`);
  forge.sh('git', ['init', '-q', '--bare', dir]);
  return dir;
}

const git = (repo: string, args: string[]): string => forge.sh('git', ['--git-dir', repo, ...args]).trim();

describe('a fresh bare repository', () => {
  test('gets the hook, a random nonce seed, the owner and the default policy with the owner key', () => {
    const repo = bare();
    const r = forge.acl(['init', repo, '--owner-key', keyFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const O = forge.owner.id;
    expect(r.stdout.split('\n')).toEqual([
      `installed ${repo}/hooks/pre-receive`,
      'set receive.certNonceSeed (random)',
      'set receive.fsckObjects = true',
      `set gpg.openpgp.program = ${TRUE} (git's own check of the certificate, which git-acl does not read)`,
      `set acl.owner = ${O}`,
      `created refs/heads/apps/access-control (default; keys/${O}.asc, owner)`,
      `installed ${repo}/hooks/post-receive`,
      'started the push log refs/heads/apps/push-log (1 ref recorded as the starting state)',
      expect.stringMatching(
        new RegExp(`^hook code cache written: ${REPO_ROOT}/dist/hook/cache/bundle-v[0-9.]+-[a-z0-9]+-[0-9a-f]+\\.v8cache$`),
      ),
      `owner: ${O}`,
      '',
    ]);
    const hook = fs.readFileSync(path.join(repo, 'hooks/pre-receive'), 'utf8');
    // Absolute paths: the hook works whatever the server's PATH or working directory.
    expect(hook).toContain(`node='${process.execPath}'\nstart='${path.join(REPO_ROOT, 'dist/hook/start.cjs')}'\n`);
    expect(fs.statSync(path.join(repo, 'hooks/pre-receive')).mode & 0o111).toBe(0o111);
    expect(git(repo, ['config', 'receive.certNonceSeed'])).toMatch(/^[0-9a-f]{64}$/);
    expect(git(repo, ['config', 'acl.owner'])).toBe(O);
    expect(git(repo, ['config', 'receive.fsckObjects'])).toBe('true');
    expect(git(repo, ['ls-tree', '-r', '--name-only', 'refs/heads/apps/access-control']).split('\n')).toEqual([
      'branches/owner.conf',
      `keys/${O}.asc`,
      'owner',
      'refs/owner.conf',
    ]);
    expect(git(repo, ['show', 'refs/heads/apps/access-control:owner'])).toBe(O);
    expect(fs.readFileSync(path.join(repo, 'hooks/post-receive'), 'utf8')).toContain(
      `'${process.execPath}' '${path.join(REPO_ROOT, 'dist/hook/start.cjs')}' post-receive`,
    );
    expect(git(repo, ['show', 'refs/heads/apps/push-log:refs'])).toBe(
      `${git(repo, ['rev-parse', 'refs/heads/apps/access-control'])} refs/heads/apps/access-control`,
    );
    expect(git(repo, ['show', `refs/heads/apps/access-control:keys/${O}.asc`])).toBe(forge.owner.key.publicArmored.trim());
  });

  test('installs presets next to the default policy', () => {
    const repo = bare();
    const r = forge.acl(['init', repo, '--owner-key', keyFile, '--preset', 'per-user-branches', '--preset', 'self-registration']);
    expect(r.code).toBe(0);
    const files = git(repo, ['ls-tree', '-r', '--name-only', 'refs/heads/apps/access-control']).split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'refs/per-user-branches.conf',
        'branches/per-user-branches.conf',
        'refs/self-registration.conf',
        'branches/self-registration.conf',
        'refs/owner.conf',
      ]),
    );
    expect(files.some((f) => /readme/i.test(f))).toBe(false);
  });

  test('works from any working directory, with a relative path', () => {
    const repo = bare();
    const r = forge.acl(['init', path.basename(repo), '--owner-key', keyFile], { cwd: path.dirname(repo) });
    expect(r.code).toBe(0);
    expect(git(repo, ['config', 'acl.owner'])).toBe(forge.owner.id);
  });
});

describe('running init again', () => {
  test('says what it left alone and changes nothing', () => {
    const repo = bare();
    expect(forge.acl(['init', repo, '--owner-key', keyFile]).code).toBe(0);
    const seed = git(repo, ['config', 'receive.certNonceSeed']);
    const tip = git(repo, ['rev-parse', 'refs/heads/apps/access-control']);
    const again = forge.acl(['init', repo, '--owner-key', keyFile, '--preset', 'shared-directory']);
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n')).toEqual([
      `hook ${repo}/hooks/pre-receive already installed`,
      'receive.certNonceSeed already set',
      'receive.fsckObjects already true',
      `gpg.openpgp.program already ${TRUE}`,
      `acl.owner already ${forge.owner.id}`,
      'policy branch refs/heads/apps/access-control exists; left unchanged',
      'presets not applied (shared-directory): the policy branch exists; push their files from policies/ as the owner instead',
      `hook ${repo}/hooks/post-receive already installed`,
      'push log refs/heads/apps/push-log exists; left unchanged',
      expect.stringMatching(/^hook code cache written: /),
      `owner: ${forge.owner.id}`,
      '',
    ]);
    expect(git(repo, ['config', 'receive.certNonceSeed'])).toBe(seed);
    expect(git(repo, ['rev-parse', 'refs/heads/apps/access-control'])).toBe(tip);
  });

  test('turns receive.fsckObjects on in a repository where it is off', () => {
    const repo = bare();
    expect(forge.acl(['init', repo, '--owner-key', keyFile]).code).toBe(0);
    git(repo, ['config', 'receive.fsckObjects', 'false']);
    const again = forge.acl(['init', repo, '--owner-key', keyFile]);
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n')).toContain('set receive.fsckObjects = true (was false)');
    expect(git(repo, ['config', 'receive.fsckObjects'])).toBe('true');
  });

  test("keeps the repository's own gpg program, and says git keeps running it", () => {
    for (const key of ['gpg.program', 'gpg.openpgp.program']) {
      const repo = bare();
      git(repo, ['config', key, 'gpg2']);
      const r = forge.acl(['init', repo, '--owner-key', keyFile]);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')).toContain(
        `${key} is set in this repository: git keeps checking certificates with it (git-acl does not read its result)`,
      );
      expect(git(repo, ['config', '--get-regexp', '^gpg'])).toBe(`${key} gpg2`);
    }
  });

  test("keeps a gpg program the repository's config names through include.path (git reads included files too)", () => {
    const repo = bare();
    const inc = path.join(forge.root, `gpg-${n}.inc`);
    fs.writeFileSync(inc, '[gpg]\n\tprogram = gpg2\n');
    git(repo, ['config', 'include.path', inc]);
    const r = forge.acl(['init', repo, '--owner-key', keyFile]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toContain(
      'gpg.program is set in this repository: git keeps checking certificates with it (git-acl does not read its result)',
    );
    // What git itself would run: the included program, not a `true` written after the include.
    expect(git(repo, ['config', '--get-regexp', '^gpg'])).toBe('gpg.program gpg2');
  });

  test("run again with another `true` first on PATH, says its own setting is already there (not an admin's program)", () => {
    const repo = bare();
    expect(forge.acl(['init', repo, '--owner-key', keyFile]).code).toBe(0);
    const bin = path.join(forge.root, `bin-${n}`);
    fs.mkdirSync(bin);
    fs.symlinkSync(TRUE!, path.join(bin, 'true'));
    const r = run(process.execPath, [CLI, 'init', repo, '--owner-key', keyFile], {
      env: { ...forge.env, PATH: `${bin}${path.delimiter}${forge.env.PATH ?? process.env.PATH}` },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain(`gpg.openpgp.program already ${TRUE}`);
    expect(git(repo, ['config', '--get-regexp', '^gpg'])).toBe(`gpg.openpgp.program ${TRUE}`);
  });

  test('refuses to change the owner', () => {
    const repo = bare();
    expect(forge.acl(['init', repo, '--owner-key', keyFile]).code).toBe(0);
    const other = path.join(forge.root, 'other.asc');
    fs.writeFileSync(other, forge.user('other').key.publicArmored);
    const r = forge.acl(['init', repo, '--owner-key', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `git acl init: acl.owner is already ${forge.owner.id}; refusing to change the owner to ${forge.user('other').id} (change it with: git acl set-owner ${repo} --owner-key <file>)\n`,
    );
    expect(git(repo, ['config', 'acl.owner'])).toBe(forge.owner.id);
  });
});

describe('bad input', () => {
  const fails = (args: string[], stderr: string | RegExp, code = 1): void => {
    const r = forge.acl(['init', ...args]);
    expect(r.code).toBe(code);
    if (typeof stderr === 'string') expect(r.stderr).toBe(stderr);
    else expect(r.stderr).toMatch(stderr);
  };

  test('a directory that is not a bare repository', () => {
    const dir = path.join(forge.root, 'plain');
    fs.mkdirSync(dir, { recursive: true });
    fails([dir, '--owner-key', keyFile], `git acl init: ${dir}: not a bare git repository (create one with: git init --bare ${dir})\n`);
    const work = path.join(forge.root, 'work');
    forge.sh('git', ['init', '-q', work]);
    fails([work, '--owner-key', keyFile], `git acl init: ${work}: not a bare git repository (create one with: git init --bare ${work})\n`);
  });

  // git refuses a repository owned by another user (safe.directory); saying "not a bare repository" would hide why.
  test.skipIf(process.getuid?.() !== 0)("a repository owned by another user: git's own reason", () => {
    const repo = bare();
    fs.chownSync(repo, 65534, 65534);
    fails(
      [repo, '--owner-key', keyFile],
      `git acl init: ${repo}: git refuses to use it: detected dubious ownership in repository at '${repo}' (it belongs to another user: run git acl init as that user, or trust it with: git config --global --add safe.directory ${repo})\n`,
    );
    expect(fs.existsSync(path.join(repo, 'hooks/pre-receive'))).toBe(false);
  });

  test('an unreadable key file', () => {
    fails([bare(), '--owner-key', '/nonexistent/key.asc'], "git acl init: /nonexistent/key.asc: cannot read the owner's key: ENOENT\n");
  });

  test('a secret key, several keys, or no key at all', () => {
    const secret = path.join(forge.root, 'secret.asc');
    fs.writeFileSync(secret, exportSecret(forge.gpgHome, forge.owner.id));
    fails(
      [bare(), '--owner-key', secret],
      `git acl init: ${secret}: key file: holds secret key material: publish only the public key (gpg --armor --export <fingerprint>)\n`,
    );
    const two = path.join(forge.root, 'two.asc');
    fs.writeFileSync(two, gpg(forge.gpgHome, ['--armor', '--export', forge.owner.id, forge.user('other').id]));
    fails([bare(), '--owner-key', two], `git acl init: ${two}: key file: holds 2 public keys; a key file holds exactly one\n`);
    const junk = path.join(forge.root, 'junk.asc');
    fs.writeFileSync(junk, 'hello\n');
    fails(
      [bare(), '--owner-key', junk],
      `git acl init: ${junk}: key file: not an armored OpenPGP public key: not an armored OpenPGP block (expected "-----BEGIN PGP PUBLIC KEY BLOCK-----")\n`,
    );
  });

  test('a pre-receive hook that git-acl did not install', () => {
    const repo = bare();
    fs.writeFileSync(path.join(repo, 'hooks/pre-receive'), '#!/bin/sh\nexit 0\n');
    fails(
      [repo, '--owner-key', keyFile],
      `git acl init: ${repo}/hooks/pre-receive: a pre-receive hook that git-acl did not install is in the way; move it aside and run init again\n`,
    );
    expect(fs.readFileSync(path.join(repo, 'hooks/pre-receive'), 'utf8')).toBe('#!/bin/sh\nexit 0\n');
  });

  test('an unknown preset, with a suggestion', () => {
    fails(
      [bare(), '--owner-key', keyFile, '--preset', 'per-user-branch'],
      /^git acl init: unknown preset 'per-user-branch'; did you mean 'per-user-branches'\?/,
      2,
    );
  });
});
