/**
 * Second red-team pass on issue 7: `.gitmodules`, `.gitattributes` and `.git`
 * spelled the ways git's fsck (2.39.5) recognises on HFS+ and NTFS, as a
 * file, a symlink or a directory, and `.gitmodules` contents git refuses.
 * Each push goes through the installed hook with git's own object checks off
 * (the hook must refuse by itself), and the same objects go to a copy of the
 * server with receive.fsckObjects=true and no hook, for git's verdict: the
 * hook refuses exactly where git does, with git's message id.
 * Shared-directory preset: Alice owns shared/<her id>/.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
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
import { attempt, refChanges, rejectedFor, strictServer, withoutGitChecks } from './support.js';

let forge: Forge;
let alice: Clone;
let A: string;
let main1: string;
let strict: string;

beforeAll(() => {
  forge = Forge.create({ users: ['alice', 'bob'] });
  withoutGitChecks(forge);
  forge.setPolicy(Forge.presetFiles('shared-directory'));
  A = forge.user('alice').id;
  const owner = forge.clone('owner');
  const main0 = owner.commitTree({ README: 'shared notes live in shared/\n', 'shared/notes.txt': "Bob's notes\n" }, [], 'main');
  expect(owner.push(`${main0}:refs/heads/main`).code).toBe(0);
  main1 = main0;
  alice = forge.clone('alice');
  strict = strictServer(forge);
});
afterAll(() => forge?.cleanup());
afterEach(() => {
  if (main1) forge.server(['update-ref', 'refs/heads/main', main1]);
});

const env = () => forge.env;
const blob = (content: string) => writeBlob(alice.dir, env(), content);
const rawTree = (entries: RawEntry[]) => writeRawTree(alice.dir, env(), entries);
const BAD_URL = '[submodule "x"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/pwned\n';

/** `base`'s root with shared/<A>/ holding `mine` (entries in the order given). */
function withMine(mine: RawEntry[], base = main1): string {
  const dir = rawTree(mine);
  const shared = rawTree(
    gitOrder([...readRawTree(alice.dir, env(), `${base}:shared`).filter((e) => entryName(e) !== A), { mode: TREE, name: A, oid: dir }]),
  );
  return rawTree(readRawTree(alice.dir, env(), `${base}^{tree}`).map((e) => (entryName(e) === 'shared' ? { ...e, oid: shared } : e)));
}

/** The trees and blobs of `tree` that `base` does not have. */
function newObjects(tree: string, base = main1): string[] {
  return alice
    .ok(['rev-list', '--objects', '--no-object-names', tree, `^${base}^{tree}`])
    .split('\n')
    .filter(Boolean);
}

/** Alice's signed push of a commit of `tree` on `base` through the hook, and the same push to the strict copy (git's verdict). */
async function pushBoth(tree: string, base = main1, extra: string[] = []) {
  const commit = writeRawCommit(alice.dir, env(), commitText(tree, [base], 'alice'));
  const objects = [commit, ...newObjects(tree, base), ...extra];
  const commands = [{ oldOid: base, newOid: commit, ref: 'refs/heads/main' }];
  const a = await attempt(forge, () =>
    receivePack(forge.bare, env(), { commands, certificate: { signingKey: A }, pack: packObjectIds(alice.dir, env(), objects) }),
  );
  const g = await receivePack(strict, env(), {
    commands: [{ ...commands[0]!, oldOid: strictRef(base) }],
    pack: packObjectIds(alice.dir, env(), objects),
  });
  return { a, git: g.remote.join('\n'), gitAccepted: g.accepted };
}

/** The strict copy's main (it may lag behind: only what a test pushed there). */
function strictRef(base: string): string {
  forge.sh('git', ['--git-dir', strict, 'update-ref', 'refs/heads/main', base]);
  return base;
}

const esc = (s: string) => s.replace(/\u200c/g, '\\u200c');

describe('.gitmodules under the names HFS+ and NTFS give it', () => {
  for (const name of ['.GITMODULES', 'gitmod~1', 'GI7EBA~1', '.gitmodules.', '.gitmodules ', '.git\u200cmodules', '.gitmodules::$DATA']) {
    test(`a file ${JSON.stringify(name)} whose URL is an option is refused, as git refuses it`, async () => {
      const r = await pushBoth(withMine([{ mode: FILE, name, oid: blob(BAD_URL) }]));
      expect(refChanges(r.a)).toEqual([]);
      expect(r.a.remote).toEqual([
        rejectedFor(A),
        `git-acl: shared/${A}/.gitmodules: disallowed submodule url: --upload-pack=touch /tmp/pwned (git fsck: gitmodulesUrl)`,
      ]);
      expect(r.gitAccepted).toBe(false);
      expect(r.git).toMatch(/gitmodulesUrl: disallowed submodule url/);
    });
  }

  test('a symlink ".GITMODULES" is refused, as git refuses it', async () => {
    const r = await pushBoth(withMine([{ mode: '120000', name: '.GITMODULES', oid: blob('../../README') }]));
    expect(refChanges(r.a)).toEqual([]);
    expect(r.a.remote).toEqual([
      rejectedFor(A),
      `git-acl: shared/${A}/.GITMODULES: .gitmodules is a symbolic link (git fsck: gitmodulesSymlink)`,
    ]);
    expect(r.git).toMatch(/gitmodulesSymlink/);
  });

  test('a directory "gitmod~1" is refused, as git refuses it (non-blob found at .gitmodules)', async () => {
    const inner = rawTree([{ mode: FILE, name: 'x', oid: blob('x\n') }]);
    const r = await pushBoth(withMine([{ mode: TREE, name: 'gitmod~1', oid: inner }]));
    expect(refChanges(r.a)).toEqual([]);
    expect(r.a.remote).toEqual([
      rejectedFor(A),
      `git-acl: shared/${A}/.gitmodules: non-blob found at .gitmodules (git fsck: gitmodulesBlob)`,
    ]);
    expect(r.git).toMatch(/gitmodulesBlob/);
  });

  test('a submodule entry (gitlink) named ".gitmodules" is judged as git judges it', async () => {
    // git's fsck queues every non-symlink entry so named, a gitlink too: then it must read the object as a blob.
    for (const [oid, id, message] of [
      ['1'.repeat(40), 'gitmodulesMissing', 'unable to read .gitmodules blob'],
      [main1, 'gitmodulesBlob', 'non-blob found at .gitmodules'],
    ] as const) {
      const r = await pushBoth(withMine([{ mode: '160000', name: 'GITMOD~1', oid }]));
      expect(refChanges(r.a)).toEqual([]);
      expect(r.gitAccepted).toBe(false);
      expect(r.a.remote).toEqual([rejectedFor(A), `git-acl: shared/${A}/.gitmodules: ${message} (git fsck: ${id})`]);
      expect(r.git).toContain(`${id}: ${message}`);
    }
  });

  test('a symlink ".GITATTRIBUTES" is accepted, as git accepts it (fsck only notes it; git does not follow it at checkout)', async () => {
    const r = await pushBoth(withMine([{ mode: '120000', name: '.GITATTRIBUTES', oid: blob('../../x') }]));
    expect(r.gitAccepted).toBe(true);
    expect(r.a.remote).toEqual([]);
    expect(refChanges(r.a)).toHaveLength(1);
  });

  test('a blob already on the server, named ".GITMODULES" by a new tree, is read and refused as git reads and refuses it', async () => {
    const bad = blob(BAD_URL);
    const first = await pushBoth(withMine([{ mode: FILE, name: 'notes', oid: bad }]));
    expect(first.a.remote).toEqual([]);
    expect(first.gitAccepted).toBe(true);
    const landed = forge.ref('refs/heads/main')!;
    const r = await pushBoth(
      withMine(
        [
          { mode: FILE, name: '.GITMODULES', oid: bad },
          { mode: FILE, name: 'notes', oid: bad },
        ],
        landed,
      ),
      landed,
    );
    expect(refChanges(r.a)).toEqual([]);
    expect(r.a.remote).toEqual([
      rejectedFor(A),
      `git-acl: shared/${A}/.gitmodules: disallowed submodule url: --upload-pack=touch /tmp/pwned (git fsck: gitmodulesUrl)`,
    ]);
    expect(r.git).toMatch(/gitmodulesUrl/);
  });

  // git reports the name once per setting of the section (path, url); the hook says it once.
  test('a submodule name that climbs out ("../../x") is refused, as git refuses it', async () => {
    const r = await pushBoth(
      withMine([{ mode: FILE, name: '.gitmodules', oid: blob('[submodule "../../x"]\n\tpath = x\n\turl = https://example.org/x\n') }]),
    );
    expect(refChanges(r.a)).toEqual([]);
    expect(r.a.remote).toEqual([
      rejectedFor(A),
      `git-acl: shared/${A}/.gitmodules: disallowed submodule name: ../../x (git fsck: gitmodulesName)`,
    ]);
    expect(r.git).toMatch(/gitmodulesName/);
  });

  test('a submodule path "../.." is accepted, as git accepts it (fsck checks only for a leading dash; git refuses the path at checkout)', async () => {
    const r = await pushBoth(
      withMine([{ mode: FILE, name: '.gitmodules', oid: blob('[submodule "x"]\n\tpath = ../..\n\turl = https://example.org/x\n') }]),
    );
    expect(r.gitAccepted).toBe(true);
    expect(r.a.remote).toEqual([]);
    expect(refChanges(r.a)).toHaveLength(1);
  });

  test('a ".gitattributes" alias that is a directory ("gitatt~1") is refused, as git refuses it', async () => {
    const inner = rawTree([{ mode: FILE, name: 'x', oid: blob('x\n') }]);
    const r = await pushBoth(withMine([{ mode: TREE, name: 'gitatt~1', oid: inner }]));
    expect(refChanges(r.a)).toEqual([]);
    expect(r.a.remote).toEqual([
      rejectedFor(A),
      `git-acl: shared/${A}/.gitattributes: non-blob found at .gitattributes (git fsck: gitattributesBlob)`,
    ]);
    expect(r.git).toMatch(/gitattributesBlob/);
  });
});

describe('.git under the names HFS+ and NTFS give it', () => {
  for (const [name, mode] of [
    ['git~1', TREE],
    ['GIT~1', FILE],
    ['.git\u200c', TREE],
    ['.GIT.', TREE],
    ['.git ', FILE],
    ['.Git::$INDEX_ALLOCATION', TREE],
  ] as const) {
    test(`a ${mode === TREE ? 'directory' : 'file'} ${JSON.stringify(name)} is refused, as git refuses it`, async () => {
      const oid =
        mode === TREE
          ? rawTree([{ mode: FILE, name: 'config', oid: blob('[core]\n\tfsmonitor = touch /tmp/pwned\n') }])
          : blob('gitdir: /tmp\n');
      const r = await pushBoth(withMine([{ mode, name, oid }]));
      expect(refChanges(r.a)).toEqual([]);
      expect(r.a.remote).toEqual([rejectedFor(A), `git-acl: shared/${A}/${esc(name)}: contains '.git' (git fsck: hasDotgit)`]);
      expect(r.git).toMatch(/hasDotgit/);
    });
  }
});
