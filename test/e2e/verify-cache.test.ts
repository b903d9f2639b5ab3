/**
 * The certificate check's fast path through the installed hook (server/fast-identity.ts, verify-cache.ts): real
 * `git push --signed`, the same pushes with no record of the key (openpgp judges and records) and with one (the
 * fast path judges), the same lines; and a record is believed only from a file owned by this user or root and
 * writable by nobody else, whole and made for that very key file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone, type PushResult } from '../support/forge.js';

let forge: Forge;
let owner: Clone;
let alice: Clone;
let cacheDir: string;
let n = 0;

const outcome = (r: PushResult) => ({ code: r.code, remote: r.remote });
const keyCaches = (): string[] =>
  fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => /^key-[0-9a-f]{64}(\.u\d+)?\.json$/.test(f)) : [];
const clear = () => {
  for (const f of keyCaches()) fs.rmSync(path.join(cacheDir, f));
};
/** The cache file of the record that names `userId`. */
function cacheOf(userId: string): string {
  const f = keyCaches().find((name) => fs.readFileSync(path.join(cacheDir, name), 'utf8').includes(`"userId":"${userId}"`));
  if (!f) throw new Error(`no record for ${userId}`);
  return path.join(cacheDir, f);
}

/**
 * The same push twice: a new branch, removed on the server in between (git, not the hook). Two commits of the same
 * tree, so that the certificates differ (a certificate is good for one push); commit IDs are masked in the lines.
 */
function pushTwice(clone: Clone, between: () => void): [PushResult, PushResult] {
  const ref = `refs/heads/t${++n}`;
  const push = (m: string) => {
    const r = clone.push(`${clone.commitTree({ README: `${n}\n` }, [], m)}:${ref}`);
    return { ...r, remote: r.remote.map((l) => l.replace(/\b[0-9a-f]{7,40}\b/g, '<oid>')) };
  };
  const first = push('first');
  forge.sh('git', ['-C', forge.bare, 'update-ref', '-d', ref]);
  between();
  return [first, push('second')];
}

/** The lines of a push of a new branch `heads/t<n>` (the last pushTwice's) by `id`, whom no rule lets push it. */
const deniedTo = (id: string) => ({
  code: 1,
  remote: [
    `git-acl: push rejected for user ${id}; no ref was changed`,
    `git-acl: denied: no rule lets ${id} create-branch heads/t${n}; nearest: refs/owner.conf:2 "owner create-branch,create-tag,fast-forward,force,delete ^.*$" (applies to the owner only)`,
    `git-acl: denied: no rule lets ${id} create-file README on heads/t${n}; nearest: branches/owner.conf:4 "owner create-directory,create-file,create-symlink,create-submodule,modify,delete ^.*$" (applies to the owner only)`,
  ],
});

beforeAll(() => {
  forge = Forge.create({ users: ['alice'] });
  forge.setPolicy();
  owner = forge.clone(forge.owner);
  alice = forge.clone('alice');
  cacheDir = path.join(forge.bare, 'git-acl', 'cache');
});
afterAll(() => forge?.cleanup());

describe('pushes judged by openpgp and by the fast path', () => {
  test('an accepted push: the same lines cold and warm; openpgp recorded the key for the next push', () => {
    clear();
    const [cold, warm] = pushTwice(owner, () => expect(keyCaches()).toHaveLength(1));
    expect(cold.code).toBe(0);
    expect(outcome(warm)).toEqual(outcome(cold));
  });

  test('a rejected push (the pusher is known, the rules refuse): the same lines cold and warm', () => {
    clear();
    const [cold, warm] = pushTwice(alice, () => cacheOf(forge.user('alice').id));
    expect(outcome(cold)).toEqual(deniedTo(forge.user('alice').id));
    expect(outcome(warm)).toEqual(outcome(cold));
  });
});

describe('what a record file must be to be believed', () => {
  /** The owner's record, rewritten to name alice: believed, the owner's push would be judged as hers. */
  function doctor(): string {
    const file = cacheOf(forge.owner.id);
    const A = forge.user('alice').id;
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      records: Array<{ pusher: { userId: string; keyInfo: { fingerprint: string } } }>;
    };
    for (const r of doc.records) {
      r.pusher.userId = A;
      r.pusher.keyInfo.fingerprint = A;
    }
    fs.writeFileSync(file, JSON.stringify(doc), { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    return file;
  }

  test('owned by this user and not writable by others: believed (so the warm pushes above did take the fast path)', () => {
    clear();
    const [cold, warm] = pushTwice(owner, doctor);
    expect(cold.code).toBe(0);
    // The owner's push, judged as alice's: her refusal.
    expect(outcome(warm)).toEqual(deniedTo(forge.user('alice').id));
  });

  for (const [what, spoil] of [
    ['writable by others', (f: string) => fs.chmodSync(f, 0o666)],
    ['writable by its group', (f: string) => fs.chmodSync(f, 0o664)],
    ['owned by another user', (f: string) => fs.chownSync(f, 12345, 12345)],
    ['truncated', (f: string) => fs.truncateSync(f, fs.statSync(f).size - 3)],
    [
      'made for another key file',
      (f: string) => fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/"keyFile":"[0-9a-f]/, '"keyFile":"x')),
    ],
    [
      'a directory',
      (f: string) => {
        fs.rmSync(f);
        fs.mkdirSync(f);
      },
    ],
  ] as const) {
    // Only root can give a file away.
    test.skipIf(what === 'owned by another user' && process.getuid?.() !== 0)(`${what}: ignored, openpgp judges`, () => {
      clear();
      let file = '';
      const [cold, warm] = pushTwice(owner, () => {
        file = doctor();
        spoil(file);
      });
      expect(cold.code).toBe(0);
      expect(outcome(warm)).toEqual(outcome(cold));
      fs.rmSync(file, { recursive: true, force: true });
    });
  }
});
