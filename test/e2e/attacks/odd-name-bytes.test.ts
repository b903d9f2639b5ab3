/**
 * Names are read from object contents that are Node Buffers (cat-file's and the loose reader's), sliced natively
 * (src/git/names.ts bytesKey, src/git/objects.ts bytesToHex): names with bytes >= 0x80, invalid UTF-8, control
 * characters, and names whose lossy decodings collide must give the verdicts and lines they gave when contents were
 * plain Uint8Arrays read by byte loops, whether the push's objects are loose in the quarantine (the loose reader) or
 * kept in a pack (cat-file).
 *
 * Shared-directory preset: anyone may create a file at the top of shared/, only the owner may modify one, and
 * shared/<her id>/ is Alice's to do anything in.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone } from '../../support/forge.js';
import { FILE, TREE, commitText, gitOrder, writeBlob, writeRawCommit, writeRawTree, type RawEntry } from '../../support/craft.js';

const B = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

/** Names at the top of shared/, made by the owner first: Alice may not modify them. */
const OWNERS = [B('a', [0xff]), B('caf', [0xc3, 0xa9]), B('x', [0xc3]), B('ctl', [0x01, 0x7f]), B('tab\tnl\n'), B([0xc0, 0xaf])];
/** Names Alice creates: at the top of shared/ (some collide with the owner's once decoded), and in her directory. */
const NEW_TOP = [B('a', [0xfe]), B('caf', [0x65, 0xcc, 0x81]), B('x', [0xc2]), B('fresh', [0x80, 0x81, 0xfe])];
const MINE = [B([0xff, 0xfe, 0x00 + 0x41]), B('\u00e9\u212a'), B('n', [0xed, 0xa0, 0x80]), B([0x7f])];

let forge: Forge;
let alice: Clone;
let A: string;
let base: string;

function blob(c: Clone, text: string): string {
  return writeBlob(c.dir, forge.env, text);
}

/** A commit whose shared/ holds `top` (name, content) and, when given, Alice's directory with `mine`. */
function commitWith(c: Clone, top: Array<[Buffer, string]>, mine: Array<[Buffer, string]> | null, parents: string[]): string {
  const entries: RawEntry[] = top.map(([name, text]) => ({ mode: FILE, name, oid: blob(c, text) }));
  if (mine) {
    const dir = writeRawTree(c.dir, forge.env, gitOrder(mine.map(([name, text]) => ({ mode: FILE, name, oid: blob(c, text) }))));
    entries.push({ mode: TREE, name: A, oid: dir });
  }
  const shared = writeRawTree(c.dir, forge.env, gitOrder(entries));
  const root = writeRawTree(
    c.dir,
    forge.env,
    gitOrder([
      { mode: FILE, name: 'README', oid: blob(c, 'shared\n') },
      { mode: TREE, name: 'shared', oid: shared },
    ]),
  );
  return writeRawCommit(c.dir, forge.env, commitText(root, parents, 'names'));
}

beforeAll(() => {
  forge = Forge.create({ presets: ['shared-directory'], users: ['alice'] });
  forge.setPolicy(Forge.presetFiles('shared-directory'));
  A = forge.user('alice').id;
  const owner = forge.clone(forge.owner);
  base = commitWith(
    owner,
    OWNERS.map((n) => [n, 'owner\n']),
    null,
    [],
  );
  // Names no wildcard rule allows, the owner's included: put there by the server's admin.
  owner.ok(['update-ref', 'refs/tmp/base', base]);
  forge.server(['fetch', '-q', owner.dir, 'refs/tmp/base:refs/heads/main']);
  expect(forge.ref('refs/heads/main')).toBe(base);
  alice = forge.clone('alice');
  alice.ok(['fetch', '-q', 'origin']);
});
afterAll(() => forge?.cleanup());

let k = 0;
/** Alice's pushes from base, each alone: what she saw, her user ID made stable. */
function pushes(): unknown[] {
  const seen: unknown[] = [];
  const owners = OWNERS.map((n): [Buffer, string] => [n, 'owner\n']);
  const attempts: Array<[string, string]> = [
    [
      'new names at the top and in her directory',
      commitWith(
        alice,
        [...owners, ...NEW_TOP.map((n): [Buffer, string] => [n, `${++k}\n`])],
        MINE.map((n) => [n, `${k}\n`]),
        [base],
      ),
    ],
    [
      'a fresh name at the top and new names in her directory',
      commitWith(
        alice,
        [...owners, [NEW_TOP[3]!, `${++k}\n`]],
        MINE.map((n) => [n, `${k}\n`]),
        [base],
      ),
    ],
    ['valid UTF-8 beyond ASCII only', commitWith(alice, [...owners, [B('\u00fcn\u00ef'), `${++k}\n`]], [[MINE[1]!, `${k}\n`]], [base])],
    ...OWNERS.map((name, i): [string, string] => [
      `a modify of the owner's name ${i}`,
      commitWith(
        alice,
        owners.map(([n, t]) => [n, n.equals(name) ? `alice ${++k}\n` : t]),
        null,
        [base],
      ),
    ]),
  ];
  for (const [what, commit] of attempts) {
    const r = alice.push(`${commit}:refs/heads/main`);
    seen.push({ what, code: r.code, remote: r.remote.map((l) => l.replaceAll(A, 'ALICE')) });
    forge.server(['update-ref', 'refs/heads/main', base]);
  }
  return seen;
}

/** What git-acl answered before object contents were Buffers (fb669f7, whose reads gave plain Uint8Arrays). */
const BEFORE: unknown[] = [
  {
    what: 'new names at the top and in her directory',
    code: 1,
    remote: [
      'git-acl: push rejected for user ALICE; no ref was changed',
      'git-acl: shared/a� and shared/a� would be one file on a case-insensitive or Unicode-normalising file system (macOS, Windows): a checkout there would show one in place of the other; such a new name is refused',
      'git-acl: shared/café and shared/café would be one file on a case-insensitive or Unicode-normalising file system (macOS, Windows): a checkout there would show one in place of the other; such a new name is refused',
      'git-acl: shared/x� and shared/x� would be one file on a case-insensitive or Unicode-normalising file system (macOS, Windows): a checkout there would show one in place of the other; such a new name is refused',
    ],
  },
  {
    what: 'a fresh name at the top and new names in her directory',
    code: 1,
    remote: [
      'git-acl: push rejected for user ALICE; no ref was changed',
      'git-acl: denied: no rule lets ALICE create-file shared/ALICE/n��� on heads/main: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/shared-directory.conf:32 "anyone create-directory,create-file,create-symlink,modify,delete ^shared/$user_id(/.+)?$" (has wildcards, which never allow names with control characters or invalid UTF-8)',
      'git-acl: denied: no rule lets ALICE create-file "shared/ALICE/\\x7f" on heads/main: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/shared-directory.conf:32 "anyone create-directory,create-file,create-symlink,modify,delete ^shared/$user_id(/.+)?$" (has wildcards, which never allow names with control characters or invalid UTF-8)',
      'git-acl: denied: no rule lets ALICE create-file shared/ALICE/��A on heads/main: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/shared-directory.conf:32 "anyone create-directory,create-file,create-symlink,modify,delete ^shared/$user_id(/.+)?$" (has wildcards, which never allow names with control characters or invalid UTF-8)',
      'git-acl: denied: no rule lets ALICE create-file shared/fresh��� on heads/main: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/shared-directory.conf:30 "anyone create-file ^shared/[^/]+$" (has wildcards, which never allow names with control characters or invalid UTF-8)',
    ],
  },
  {
    what: 'valid UTF-8 beyond ASCII only',
    code: 0,
    remote: [],
  },
  {
    what: "a modify of the owner's name 0",
    code: 1,
    remote: [
      'git-acl: push rejected for user ALICE; no ref was changed',
      'git-acl: denied: no rule lets ALICE modify shared/a� on heads/main: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/shared-directory.conf:30 "anyone create-file ^shared/[^/]+$" (allows create-file, not modify)',
    ],
  },
  {
    what: "a modify of the owner's name 1",
    code: 1,
    remote: [
      'git-acl: push rejected for user ALICE; no ref was changed',
      'git-acl: denied: no rule lets ALICE modify shared/café on heads/main; nearest: branches/shared-directory.conf:30 "anyone create-file ^shared/[^/]+$" (allows create-file, not modify)',
    ],
  },
  {
    what: "a modify of the owner's name 2",
    code: 1,
    remote: [
      'git-acl: push rejected for user ALICE; no ref was changed',
      'git-acl: denied: no rule lets ALICE modify shared/x� on heads/main: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/shared-directory.conf:30 "anyone create-file ^shared/[^/]+$" (allows create-file, not modify)',
    ],
  },
  {
    what: "a modify of the owner's name 3",
    code: 1,
    remote: [
      'git-acl: push rejected for user ALICE; no ref was changed',
      'git-acl: denied: no rule lets ALICE modify "shared/ctl\\u0001\\x7f" on heads/main: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/shared-directory.conf:30 "anyone create-file ^shared/[^/]+$" (allows create-file, not modify)',
    ],
  },
  {
    what: "a modify of the owner's name 4",
    code: 1,
    remote: [
      'git-acl: push rejected for user ALICE; no ref was changed',
      'git-acl: denied: no rule lets ALICE modify "shared/tab\\tnl\\n" on heads/main: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/shared-directory.conf:30 "anyone create-file ^shared/[^/]+$" (allows create-file, not modify)',
    ],
  },
  {
    what: "a modify of the owner's name 5",
    code: 1,
    remote: [
      'git-acl: push rejected for user ALICE; no ref was changed',
      'git-acl: denied: no rule lets ALICE modify shared/�� on heads/main: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/shared-directory.conf:30 "anyone create-file ^shared/[^/]+$" (allows create-file, not modify)',
    ],
  },
];

describe('names with odd bytes', () => {
  test('loose and packed pushes: the same verdicts and lines', () => {
    const loose = pushes();
    forge.server(['config', 'receive.unpackLimit', '1']);
    const packed = pushes();
    forge.server(['config', '--unset', 'receive.unpackLimit']);
    expect(loose).toEqual(BEFORE);
    expect(packed).toEqual(BEFORE);
  });
});
