/**
 * The policy cache through the installed hook (server/policy-cache.ts): real `git push --signed`, the policy read
 * from git on the first push and from the cache after it, with the same lines; a new policy commit judges by the new
 * policy; and a cache file that says more than the policy does is believed only where the hook's own files are
 * (owned by its user, writable by nobody else, not through a link): the trust model of every cache of the hook.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone, type PushResult } from '../support/forge.js';

const POLICY = 'refs/heads/apps/access-control';
let forge: Forge;
let owner: Clone;
let alice: Clone;
let A: string;
let cacheDir: string;
let n = 0;

const outcome = (r: PushResult) => ({ code: r.code, remote: r.remote.map((l) => l.replace(/\b[0-9a-f]{7,40}\b/g, '<oid>')) });
const policyFiles = (): string[] => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => f.startsWith('policy-')) : []);
/** The cache file of the policy in force. */
const cacheFile = (): string => path.join(cacheDir, `policy-${forge.ref(POLICY)}.json`);

/** A new branch `heads/t<n>` with a README, pushed by `clone`; removed on the server afterwards (by git, not the hook). */
function push(clone: Clone): PushResult {
  const ref = `refs/heads/t${++n}`;
  const r = clone.push(`${clone.commitTree({ README: `${n}\n` }, [], `push ${n}`)}:${ref}`);
  forge.sh('git', ['-C', forge.bare, 'update-ref', '-d', ref]);
  return r;
}

/** The lines of alice's push of the last `heads/t<n>` where no rule lets her push it (the default policy). */
const deniedToAlice = () => ({
  code: 1,
  remote: [
    `git-acl: push rejected for user ${A}; no ref was changed`,
    `git-acl: denied: no rule lets ${A} create-branch heads/t${n}; nearest: refs/owner.conf:2 "owner create-branch,create-tag,fast-forward,force,delete ^.*$" (applies to the owner only)`,
    `git-acl: denied: no rule lets ${A} create-file README on heads/t${n}; nearest: branches/owner.conf:4 "owner create-directory,create-file,create-symlink,create-submodule,modify,delete ^.*$" (applies to the owner only)`,
  ],
});
const accepted = { code: 0, remote: [] };

/** Rules that let anyone push a new branch with any files: what a doctored cache file would add. */
const OPEN = {
  'branches/zz-open.conf': 'anyone create-file ^.*$\n',
  'refs/zz-open.conf': 'anyone create-branch ^heads/t[0-9]+$\n',
};

/** The cache file of the policy in force, with OPEN's rules added (in path order, as the hook writes them), written to `file`. */
function doctored(file: string): void {
  const doc = JSON.parse(fs.readFileSync(cacheFile(), 'utf8')) as { files: Array<{ path: string; content: string }> };
  doc.files.push(...Object.entries(OPEN).map(([p, content]) => ({ path: p, content })));
  doc.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, JSON.stringify(doc), { mode: 0o644 });
}

beforeAll(() => {
  forge = Forge.create({ users: ['alice'] });
  forge.setPolicy();
  owner = forge.clone(forge.owner);
  alice = forge.clone('alice');
  A = forge.user('alice').id;
  cacheDir = path.join(forge.bare, 'git-acl', 'cache');
});
afterAll(() => forge?.cleanup());

describe('the policy read from git, then from the cache', () => {
  test('the first push reads it from git and caches it, the second takes the cache: the same lines', () => {
    for (const f of policyFiles()) fs.rmSync(path.join(cacheDir, f));
    const first = push(owner);
    expect(outcome(first)).toEqual(accepted);
    expect(policyFiles()).toEqual([path.basename(cacheFile())]);
    const ino = fs.statSync(cacheFile()).ino;
    const second = push(owner);
    expect(outcome(second)).toEqual(accepted);
    // Not written again: a miss writes a new file and renames it into place.
    expect(fs.statSync(cacheFile()).ino).toBe(ino);
  });

  test('a refusal: the same lines cold and warm', () => {
    fs.rmSync(cacheFile(), { force: true });
    const cold = push(alice);
    expect(fs.existsSync(cacheFile())).toBe(true);
    expect(outcome(cold)).toEqual(deniedToAlice());
    const warm = push(alice);
    expect(outcome(warm)).toEqual(deniedToAlice());
  });

  test('a new policy commit is judged by the new policy, and its file replaces the old one', () => {
    expect(outcome(push(alice))).toEqual(deniedToAlice()); // the old policy, from the cache
    const old = cacheFile();
    forge.setPolicy(OPEN);
    expect(outcome(push(alice))).toEqual(accepted);
    expect(policyFiles()).toEqual([path.basename(cacheFile())]);
    expect(cacheFile()).not.toBe(old);
    forge.setPolicy();
    expect(outcome(push(alice))).toEqual(deniedToAlice());
    expect(outcome(push(alice))).toEqual(deniedToAlice());
  });
});

describe('a cache file that says more than the policy', () => {
  test("doctored in place, the hook's user's own and writable by nobody else: believed (the trust model)", () => {
    push(owner);
    doctored(cacheFile());
    expect(outcome(push(alice))).toEqual(accepted);
    fs.rmSync(cacheFile());
    expect(outcome(push(alice))).toEqual(deniedToAlice());
  });

  const spoil: Array<[string, (file: string) => void]> = [
    ['writable by others', (f) => fs.chmodSync(f, 0o666)],
    ['writable by its group', (f) => fs.chmodSync(f, 0o664)],
    ['owned by another user', (f) => fs.chownSync(f, 12345, 12345)],
    [
      'a symbolic link to a file of the hook user',
      (f) => {
        const target = path.join(forge.root, `doctored-${n}.json`);
        fs.renameSync(f, target);
        fs.symlinkSync(target, f);
      },
    ],
    ['in a cache directory others may write', () => fs.chmodSync(cacheDir, 0o777)],
  ];
  for (const [what, how] of spoil) {
    // Only root can give a file away.
    test.skipIf(what === 'owned by another user' && process.getuid?.() !== 0)(`${what}: ignored, the policy in force judges`, () => {
      push(owner);
      const file = cacheFile();
      doctored(file);
      how(file);
      try {
        expect(outcome(push(alice))).toEqual(deniedToAlice());
        expect(outcome(push(alice))).toEqual(deniedToAlice());
      } finally {
        fs.chmodSync(cacheDir, 0o755);
        for (const f of policyFiles()) fs.rmSync(path.join(cacheDir, f));
      }
    });
  }
});
