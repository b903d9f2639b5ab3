/**
 * The owner every clone knows: the policy branch's `owner` file, checked by
 * the linter, kept equal to acl.owner by the hook, changed only by the server
 * admin with `git acl set-owner` (logged, and reported by every peer's
 * verify). Real pushes through the installed hooks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, run, type Clone } from '../../support/forge.js';
import { readLog } from '../../support/push-log.js';
import { openCliStore } from '../../../src/git/cli-store.js';
import { readPolicyOwner } from '../../../src/git/policy-files.js';

const POLICY = 'refs/heads/apps/access-control';
const LOG = 'refs/heads/apps/push-log';

let forge: Forge;
let owner: Clone;
let O: string;
let A: string;

beforeAll(() => {
  forge = Forge.create({ users: ['alice'] });
  forge.setPolicy();
  owner = forge.clone('owner');
  O = forge.owner.id;
  A = forge.user('alice').id;
});
afterAll(() => forge?.cleanup());

function policyPush(c: Clone, files: Record<string, string | null>) {
  const tip = c.fetchRef(POLICY)!;
  return c.push(`${c.commitTree(forge.policyFiles(files), [tip], 'policy')}:${POLICY}`);
}

describe('the owner file', () => {
  test('is what a clone reads as the owner', async () => {
    const c = forge.clone('alice');
    const store = openCliStore(path.join(c.dir, '.git'));
    try {
      expect(await readPolicyOwner(store, c.ok(['rev-parse', 'origin/apps/access-control']))).toBe(O);
    } finally {
      await store.close();
    }
  });

  test('is linted: one user ID, whose key file is on the branch', () => {
    const dir = fs.mkdtempSync(path.join(forge.root, 'lint-'));
    fs.mkdirSync(path.join(dir, 'refs'));
    fs.writeFileSync(path.join(dir, 'refs/owner.conf'), 'owner create-branch ^.*$\n');
    fs.writeFileSync(path.join(dir, 'owner'), 'alice\n');
    let r = forge.acl(['lint', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('owner:1:1: error: not a user ID: "alice" (the owner\'s key fingerprint, 40 upper-case hex digits)\n');
    fs.writeFileSync(path.join(dir, 'owner'), `# the owner\n${A}\n`);
    r = forge.acl(['lint', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`owner:1:1: error: the owner ${A} has no key file keys/${A}.asc: the owner could not sign a push\n`);
    fs.mkdirSync(path.join(dir, 'keys'));
    fs.writeFileSync(path.join(dir, `keys/${A}.asc`), forge.user('alice').key.publicArmored);
    r = forge.acl(['lint', dir]);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('0 errors, 0 warnings');
    expect(r.code).toBe(0);
  });

  test('a pushed policy naming another owner is refused, even from the owner', () => {
    const r = policyPush(owner, { owner: `${A}\n` });
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${O}; no ref was changed`,
      `git-acl: the pushed policy records the owner ${A} in owner, but this server's owner is ${O}; only the server admin changes the owner (git acl set-owner)`,
    ]);
  });

  test('a pushed policy without the owner file is refused', () => {
    const r = policyPush(owner, { owner: null });
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${O}; no ref was changed`,
      `git-acl: the pushed policy removes the file owner, which records the owner ${O}; keep it`,
    ]);
  });

  test('every push is refused while the server policy and acl.owner disagree', () => {
    forge.server(['config', 'acl.owner', A]);
    try {
      const r = owner.push(`${owner.commitTree({ f: 'x\n' }, [], 'x')}:refs/heads/x`);
      expect(r.remote).toEqual([
        `git-acl: push rejected: the policy on ${POLICY} records the owner ${O} in owner, but acl.owner is ${A}; the server admin must make them agree (git acl set-owner)`,
      ]);
    } finally {
      forge.server(['config', 'acl.owner', O]);
    }
  });
});

describe('git acl set-owner', () => {
  test('changes both places and the log, and every verifying peer is told', async () => {
    const alice = forge.clone('alice');
    expect(forge.acl(['verify'], { cwd: alice.dir }).code).toBe(0);
    const keyFile = path.join(forge.root, 'alice.asc');
    fs.writeFileSync(keyFile, forge.user('alice').key.publicArmored);
    const tip = forge.ref(POLICY)!;
    const r = forge.acl(['set-owner', forge.bare, '--owner-key', keyFile]);
    expect(r.stderr).toBe('');
    const next = forge.ref(POLICY)!;
    expect(r.stdout.split('\n')).toEqual([
      `${POLICY}: recorded the owner ${A} in owner (${next.slice(0, 12)})`,
      `${LOG}: logged the owner change`,
      `set acl.owner = ${A} (was ${O})`,
      `owner: ${A}`,
      '',
    ]);
    expect(r.code).toBe(0);
    expect(forge.server(['config', 'acl.owner']).stdout.trim()).toBe(A);
    expect(forge.server(['show', `${POLICY}:owner`]).stdout).toBe(`${A}\n`);
    expect(forge.server(['rev-parse', `${next}^`]).stdout.trim()).toBe(tip);
    expect(forge.server(['diff', '--name-only', tip, next]).stdout).toBe('owner\n');
    const last = (await readLog(forge.bare, forge.env)).at(-1)!;
    expect(last.meta).toMatchObject({ kind: 'owner', owner: A, previousOwner: O, policy: tip });

    // The new owner has the owner's rights; the old owner no longer.
    const c = alice.commitTree({ f: 'main\n' }, [], 'main');
    expect(alice.push(`${c}:refs/heads/main`).remote).toEqual([]);
    const refused = owner.push(`${owner.commitTree({ g: 'g\n' }, [], 'g')}:refs/heads/old-owner`);
    expect(refused.code).not.toBe(0);
    expect(refused.remote).toEqual([
      `git-acl: push rejected for user ${O}; no ref was changed`,
      `git-acl: denied: no rule lets ${O} create-branch heads/old-owner; nearest: refs/owner.conf:2 "owner create-branch,create-tag,fast-forward,force,delete ^.*$" (applies to the owner only)`,
      `git-acl: denied: no rule lets ${O} create-file g on heads/old-owner; nearest: branches/owner.conf:4 "owner create-directory,create-file,create-symlink,create-submodule,modify,delete ^.*$" (applies to the owner only)`,
    ]);

    const n = (await readLog(forge.bare, forge.env)).length;
    const v = forge.acl(['verify'], { cwd: alice.dir });
    expect(v.stdout.split('\n')).toEqual([
      `note: entry ${n - 1} (${last.commit.slice(0, 12)}): the server admin changed the owner from ${O} to ${A}`,
      `verified the push log of origin: ${n} entries (2 new since entry ${n - 2}), tip ${forge.ref(LOG)}`,
      `owner: ${A}`,
      '',
    ]);
    expect(v.code).toBe(0);
  });

  test('refuses an owner the policy would lock out', () => {
    // Rules that name the current owner by ID instead of `owner`: the new owner would have no rights.
    const keyFile = path.join(forge.root, 'owner.asc');
    const alice = forge.clone('alice');
    const tip = alice.fetchRef(POLICY)!;
    const files = forge.policyFiles({
      owner: `${A}\n`,
      'refs/owner.conf': `${A} create-branch,create-tag,fast-forward,force,delete ^.*$\n`,
      'branches/owner.conf': `${A} create-directory,create-file,create-symlink,create-submodule,modify,delete ^.*$\n`,
    });
    expect(alice.push(`${alice.commitTree(files, [tip], 'by id')}:${POLICY}`).remote).toEqual([]);
    const r = forge.acl(['set-owner', forge.bare, '--owner-key', keyFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `git acl set-owner: the policy would lock the owner out of ${POLICY}: the owner could no longer fast-forward heads/apps/access-control, create-file refs/owner.conf, modify refs/owner.conf, delete-file refs/owner.conf; change the policy's rules for the new owner first\n`,
    );
    expect(forge.server(['config', 'acl.owner']).stdout.trim()).toBe(A);
  });
});

describe('a repository from before owners and logs were recorded', () => {
  test('init turns logging on and says the owner is not recorded; set-owner with the same key records it', () => {
    const legacy = Forge.create();
    try {
      // Strip what init records now: the owner file, the log, post-receive.
      const env = { ...legacy.env, GIT_INDEX_FILE: path.join(legacy.root, 'idx') };
      const git = (args: string[]) => {
        const r = run('git', ['--git-dir', legacy.bare, ...args], { env });
        if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
        return r.stdout.trim();
      };
      git(['read-tree', legacy.ref(POLICY)!]);
      git(['rm', '--cached', '-q', 'owner']);
      git(['update-ref', POLICY, git(['commit-tree', git(['write-tree']), '-m', 'a policy from an older git-acl'])]);
      git(['update-ref', '-d', LOG]);
      fs.rmSync(path.join(legacy.bare, 'hooks', 'post-receive'));

      const keyFile = path.join(legacy.root, 'owner.asc');
      const r = legacy.acl(['init', legacy.bare, '--owner-key', keyFile]);
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines).toContain(`installed ${legacy.bare}/hooks/post-receive`);
      expect(lines).toContain(`started the push log ${LOG} (1 ref recorded as the starting state)`);
      expect(lines).toContain(
        `note: the policy branch records no owner (a file \`owner\`); clients need it to judge owner rules: run git acl set-owner ${legacy.bare} --owner-key <file>, or push it as the owner`,
      );

      const s = legacy.acl(['set-owner', legacy.bare, '--owner-key', keyFile]);
      expect(s.code).toBe(0);
      expect(s.stdout).toContain(`acl.owner already ${legacy.owner.id}\n`);
      expect(legacy.server(['show', `${POLICY}:owner`]).stdout).toBe(`${legacy.owner.id}\n`);
      const c = legacy.clone('owner');
      const v = legacy.acl(['verify'], { cwd: c.dir });
      expect(v.stdout).toContain(`: the server admin changed the owner from ${legacy.owner.id} to ${legacy.owner.id}\n`);
      expect(v.code).toBe(0);
    } finally {
      legacy.cleanup();
    }
  });
});
