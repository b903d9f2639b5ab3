/**
 * Issue 7, class 2: trees that git's own fsck refuses (receive.fsckObjects,
 * which is off by default and `git acl init` leaves off) are judged by the
 * hook from `git diff-tree`'s reading of them, which is not what a checkout
 * makes of them.
 *
 * Shared-directory preset: Bob created shared/notes.txt; nobody but the owner
 * may modify it, while anyone may create a new file at the top of shared/.
 * Alice pushes a tree whose shared/ holds two entries named notes.txt (Bob's
 * blob, then hers), or a root entry whose *name* is `shared/notes.txt`:
 * diff-tree reports a creation, which the preset allows, and a checkout shows
 * her content in Bob's file. In her own directory shared/<her id>/, where any
 * name is allowed, entries `..`, `.`, `.git` (and what a case-insensitive or
 * HFS/NTFS file system reads as `.git`), names with `/`, unsorted entries and
 * zero-padded modes all pass the hook; git refuses each of them when
 * receive.fsckObjects is on.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, type Clone } from '../../support/forge.js';
import {
  FILE,
  TREE,
  commitText,
  entryName,
  gitOrder,
  readRawTree,
  writeBlob,
  writeRawCommit,
  writeRawTree,
  type RawEntry,
} from '../../support/craft.js';
import { packObjectIds, receivePack } from '../../support/receive-pack-client.js';
import { attack, attempt, expectRefused, strictServer, rejectedFor, withoutGitChecks } from './support.js';

let forge: Forge;
let alice: Clone;
let A: string;
let main1: string;

beforeAll(() => {
  forge = Forge.create({ users: ['alice', 'bob'] });
  withoutGitChecks(forge);
  forge.setPolicy(Forge.presetFiles('shared-directory'));
  A = forge.user('alice').id;
  const owner = forge.clone('owner');
  const main0 = owner.commitTree({ README: 'shared notes live in shared/\n' }, [], 'main');
  expect(owner.push(`${main0}:refs/heads/main`).code).toBe(0);
  const bob = forge.clone('bob');
  main1 = bob.commitTree({ README: 'shared notes live in shared/\n', 'shared/notes.txt': "Bob's notes\n" }, [main0], 'bob: notes');
  const r = bob.push(`${main1}:refs/heads/main`);
  expect(r.remote).toEqual([]);
  alice = forge.clone('alice');
});
afterAll(() => forge?.cleanup());
// A reproduced bypass moves main: put it back (as the operator could) so every case starts from Bob's commit.
afterEach(() => {
  if (main1) forge.server(['update-ref', 'refs/heads/main', main1]);
});

/** Objects written into Alice's clone for one crafted commit, so that exactly they can be packed. */
class Craft {
  readonly objects: string[] = [];
  blob(content: string): string {
    return this.add(writeBlob(alice.dir, forge.env, content));
  }
  tree(entries: RawEntry[]): string {
    return this.add(writeRawTree(alice.dir, forge.env, entries));
  }
  /** A commit on top of main1 whose root is main1's with entries replaced or added. */
  commit(root: (entries: RawEntry[]) => RawEntry[], message: string): string {
    const base = readRawTree(alice.dir, forge.env, `${main1}^{tree}`);
    return this.add(writeRawCommit(alice.dir, forge.env, commitText(this.tree(root(base)), [main1], message)));
  }
  private add(oid: string): string {
    this.objects.push(oid);
    return oid;
  }
}

/** main1's root with its `shared` entry pointing at `shared`. */
function withShared(shared: string): (root: RawEntry[]) => RawEntry[] {
  return (root) => root.map((e) => (entryName(e) === 'shared' ? { ...e, oid: shared } : e));
}

/** A commit that puts `sub` (its entries given as is) at shared/<Alice>/sub, next to Bob's notes. */
function inAlicesDirectory(k: Craft, sub: RawEntry[], subMode = TREE): string {
  const dir = k.tree([{ mode: subMode, name: 'sub', oid: k.tree(sub) }]);
  const bobs = readRawTree(alice.dir, forge.env, `${main1}:shared`);
  const shared = k.tree(gitOrder([...bobs, { mode: TREE, name: A, oid: dir }]));
  return k.commit(withShared(shared), 'alice: my directory');
}

interface Case {
  title: string;
  /** git fsck's message ID for it (what receive.fsckObjects=true answers). */
  fsck: string;
  build(k: Craft): string;
  /** What the fixed hook's refusal line should name (adjust the wording to the fix's). */
  why: RegExp;
}

const notes = (k: Craft) => k.blob("Alice's notes, in Bob's file\n");

const CASES: Case[] = [
  {
    title: "two entries named notes.txt in shared/ (Bob's blob, then Alice's): a modify of Bob's file judged as a create-file",
    fsck: 'duplicateEntries',
    build: (k) => {
      const bobs = readRawTree(alice.dir, forge.env, `${main1}:shared`);
      return k.commit(withShared(k.tree([...bobs, { mode: FILE, name: 'notes.txt', oid: notes(k) }])), 'alice: notes');
    },
    why: /duplicate.*shared\/notes\.txt|shared\/notes\.txt.*duplicate/i,
  },
  {
    title: 'a root entry named "shared/notes.txt": a modify of Bob\'s file judged as a create-file',
    fsck: 'fullPathname',
    build: (k) => k.commit((root) => [...root, { mode: FILE, name: 'shared/notes.txt', oid: notes(k) }], 'alice: notes'),
    why: /shared\/notes\.txt/,
  },
  ...['..', '.'].map(
    (name): Case => ({
      title: `an entry named ${JSON.stringify(name)}`,
      fsck: name === '..' ? 'hasDotdot' : 'hasDot',
      build: (k) => inAlicesDirectory(k, [{ mode: FILE, name, oid: k.blob('x\n') }]),
      why: new RegExp(`sub/${name.replace(/\./g, '\\.')}(\\W|$)`),
    }),
  ),
  // What git (and fsck) read as `.git`: on any system, on a case-insensitive one, as an NTFS short name, with an HFS+ ignorable character.
  ...['.git', '.GIT', 'git~1', '.git\u200c'].map(
    (name): Case => ({
      title: `an entry named ${JSON.stringify(name)}`,
      fsck: 'hasDotgit',
      build: (k) => inAlicesDirectory(k, [{ mode: FILE, name, oid: k.blob('[core]\n\tworktree = /\n') }]),
      why: /\.git|git~1/i,
    }),
  ),
  {
    title: 'an entry whose name holds a slash',
    fsck: 'fullPathname',
    build: (k) => inAlicesDirectory(k, [{ mode: FILE, name: 'a/b', oid: k.blob('x\n') }]),
    why: /sub\/a\/b/,
  },
  {
    title: 'unsorted entries',
    fsck: 'treeNotSorted',
    build: (k) =>
      inAlicesDirectory(k, [
        { mode: FILE, name: 'b', oid: k.blob('b\n') },
        { mode: FILE, name: 'a', oid: k.blob('a\n') },
      ]),
    why: /sort/i,
  },
  {
    title: 'a zero-padded file mode (0100644)',
    fsck: 'zeroPaddedFilemode',
    build: (k) => inAlicesDirectory(k, [{ mode: '0100644', name: 'f', oid: k.blob('f\n') }]),
    why: /mode/i,
  },
  {
    title: 'a zero-padded tree mode (040000)',
    fsck: 'zeroPaddedFilemode',
    build: (k) => inAlicesDirectory(k, [{ mode: FILE, name: 'f', oid: k.blob('f\n') }], '040000'),
    why: /mode/i,
  },
];

describe('what git makes of these trees', () => {
  test("Alice may not modify Bob's file in the plain way", () => {
    const c = alice.commitTree({ README: 'shared notes live in shared/\n', 'shared/notes.txt': "Alice's notes\n" }, [main1], 'alice: edit');
    const r = alice.push(`${c}:refs/heads/main`);
    expect(r.remote).toEqual([
      rejectedFor(A),
      expect.stringMatching(
        new RegExp(
          `^git-acl: denied: no rule lets ${A} modify shared/notes\\.txt on heads/main; nearest: branches/shared-directory\\.conf:\\d+ "anyone create-file \\^shared/\\[\\^/\\]\\+\\$" \\(allows create-file, not modify\\)$`,
        ),
      ),
    ]);
  });

  test('git refuses every one of them when receive.fsckObjects is on', async () => {
    const strict = strictServer(forge);
    for (const c of CASES) {
      const k = new Craft();
      const commit = c.build(k);
      const r = await receivePack(strict, forge.env, {
        commands: [{ oldOid: main1, newOid: commit, ref: 'refs/heads/main' }],
        pack: packObjectIds(alice.dir, forge.env, k.objects),
      });
      expect(r.unpack, c.title).toMatch(/unpack-objects abnormal exit|index-pack abnormal exit/);
      expect(r.remote.join('\n'), c.title).toMatch(new RegExp(`: ${c.fsck}: `));
    }
  });

  test('a checkout of the duplicate-entry tree, or of the root entry "shared/notes.txt", shows Alice\'s content in Bob\'s file', () => {
    for (const c of CASES.slice(0, 2)) {
      const commit = c.build(new Craft());
      const diff = alice.ok(['diff-tree', '-r', main1, commit]);
      expect(diff, c.title).toMatch(/^:000000 100644 0{40} [0-9a-f]{40} A\tshared\/notes\.txt$/);
      const out = fs.mkdtempSync(path.join(forge.root, 'checkout-'));
      const env = { ...forge.env, GIT_INDEX_FILE: path.join(out, '.index') };
      for (const args of [
        ['read-tree', commit],
        ['checkout-index', '-a', `--prefix=${out}/`],
      ]) {
        const r = spawnSync('git', args, { cwd: alice.dir, env, encoding: 'utf8' });
        expect(r.status, `${c.title}: git ${args[0]}: ${r.stderr}`).toBe(0);
      }
      expect(fs.readFileSync(path.join(out, 'shared/notes.txt'), 'utf8'), c.title).toBe("Alice's notes, in Bob's file\n");
    }
  });

  test('a tree with an entry ".." cannot be checked out: every clone of the branch would fail', () => {
    const commit = CASES.find((c) => c.fsck === 'hasDotdot')!.build(new Craft());
    const env = { ...forge.env, GIT_INDEX_FILE: path.join(forge.root, `dotdot-${process.pid}.index`) };
    const r = spawnSync('git', ['read-tree', commit], { cwd: alice.dir, env, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`invalid path 'shared/${A}/sub/..'`);
  });

  // Not a bypass: git itself cannot walk such a tree (the hook's diff used to fail on it); now its own check names it.
  test('a tree with an empty entry name is refused: git cannot parse it', async () => {
    const k = new Craft();
    const commit = inAlicesDirectory(k, [{ mode: FILE, name: '', oid: k.blob('x\n') }]);
    const a = await attempt(forge, () =>
      receivePack(forge.bare, forge.env, {
        commands: [{ oldOid: main1, newOid: commit, ref: 'refs/heads/main' }],
        certificate: { signingKey: A },
        pack: packObjectIds(alice.dir, forge.env, k.objects),
      }),
    );
    expect(a.after).toEqual(a.before);
    // receive-pack's own connectivity check prints `fatal: empty filename in tree entry` too.
    expect(a.remote.filter((l) => l.startsWith('git-acl: '))).toEqual([
      rejectedFor(A),
      `git-acl: shared/${A}/sub: cannot be parsed as a tree (git fsck: badTree)`,
    ]);
  });
});

describe('the hook refuses every tree git fsck refuses', () => {
  for (const c of CASES) {
    test(
      `${c.title} (${c.fsck})`,
      attack(async (ctx) => {
        const k = new Craft();
        const commit = c.build(k);
        const r = await attempt(forge, () => alice.push(`${commit}:refs/heads/main`));
        expectRefused(
          ctx,
          r,
          [rejectedFor(A), expect.stringMatching(c.why)],
          () =>
            `git ls-tree -r main: ${JSON.stringify(forge.server(['ls-tree', '-r', '--name-only', 'refs/heads/main']).stdout.split('\n').filter(Boolean))}`,
        );
      }),
    );
  }
});
