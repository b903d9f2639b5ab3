/**
 * One example per fsck finding (and per odd corner git has), each checked
 * twice: against the findings we expect, and against real git — the same
 * bytes in a pack through `git index-pack --strict`, which is what
 * receive-pack runs when `receive.fsckObjects=true`.
 */
import { build } from 'esbuild';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  formatFinding,
  fsckCommit,
  fsckNamedBlob,
  fsckObject,
  fsckTag,
  fsckTree,
  isDotgitName,
  isRefusedByReceiveFsck,
  type FsckFinding,
} from '../../src/git/fsck.js';
import { parseCommit, parseTag, UnreadableObjectError } from '../../src/git/headers.js';
import {
  gitFindings,
  indexPackStrict,
  makeFsckRepo,
  mapLimit,
  revListOne,
  revParsePeel,
  storeLiterally,
  type FsckRepo,
  type Kind,
} from '../support/fsck-git.js';
import { cleanupTempDirs, ZERO_OID } from '../support/git.js';

let repo: FsckRepo;
beforeAll(() => {
  repo = makeFsckRepo();
});
afterAll(() => cleanupTempDirs());

const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const bin = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

/** One raw tree entry; `name` as text (latin1 bytes) or bytes. */
function entry(mode: string, name: string | Uint8Array, oidHex: string): Uint8Array {
  return cat(enc(`${mode} `), typeof name === 'string' ? enc(name) : name, new Uint8Array([0]), bin(oidHex));
}

const brief = (fs: FsckFinding[]): string[] => fs.map((f) => `${f.severity}:${f.id}`);

interface Example {
  title: string;
  type: Kind;
  data: () => Uint8Array;
  /** Our findings as `<severity>:<id>`, in git's order. */
  expect: string[];
}

const ident = 'A U Thor <a@example.com> 1700000000 +0000';
const commitWith = (header: string, body = '\nmessage\n'): Uint8Array => enc(`tree ${repo.tree}\n${header}${body}`);
const authorLine = (who: string): string => `author ${who}\ncommitter ${ident}\n`;

const treeExamples: Example[] = [
  {
    title: 'a well-formed tree',
    type: 'tree',
    data: () => cat(entry('100644', 'a', repo.blob), entry('40000', 'b', repo.tree)),
    expect: [],
  },
  {
    title: 'two entries named alike',
    type: 'tree',
    data: () => cat(entry('100644', 'a', repo.blob), entry('100644', 'a', repo.blob)),
    expect: ['error:duplicateEntries'],
  },
  {
    title: 'a file and a directory of one name, not adjacent (foo, foo.bar, foo/)',
    type: 'tree',
    data: () => cat(entry('100644', 'foo', repo.blob), entry('100644', 'foo.bar', repo.blob), entry('40000', 'foo', repo.tree)),
    expect: ['error:duplicateEntries'],
  },
  {
    title: 'entries out of order',
    type: 'tree',
    data: () => cat(entry('100644', 'b', repo.blob), entry('100644', 'a', repo.blob)),
    expect: ['error:treeNotSorted'],
  },
  {
    title: 'a directory sorts as if its name ended in "/" (dir a before file a.c is unsorted)',
    type: 'tree',
    data: () => cat(entry('40000', 'a', repo.tree), entry('100644', 'a.c', repo.blob)),
    expect: ['error:treeNotSorted'],
  },
  {
    title: 'the same, in git order',
    type: 'tree',
    data: () => cat(entry('100644', 'a.c', repo.blob), entry('40000', 'a', repo.tree)),
    expect: [],
  },
  {
    title: 'a name holding a slash',
    type: 'tree',
    data: () => entry('100644', 'shared/notes.txt', repo.blob),
    expect: ['error:fullPathname'],
  },
  { title: 'a name "."', type: 'tree', data: () => entry('40000', '.', repo.tree), expect: ['error:hasDot'] },
  { title: 'a name ".."', type: 'tree', data: () => entry('40000', '..', repo.tree), expect: ['error:hasDotdot'] },
  { title: 'a name ".git"', type: 'tree', data: () => entry('40000', '.git', repo.tree), expect: ['error:hasDotgit'] },
  {
    title: 'a name ".GIT" (case-insensitive file systems)',
    type: 'tree',
    data: () => entry('40000', '.GIT', repo.tree),
    expect: ['error:hasDotgit'],
  },
  {
    title: 'a name ".git" with an HFS+-ignored U+200C',
    type: 'tree',
    data: () => entry('40000', utf8('.g\u200cit'), repo.tree),
    expect: ['error:hasDotgit'],
  },
  { title: 'a name "git~1" (NTFS short name)', type: 'tree', data: () => entry('40000', 'git~1', repo.tree), expect: ['error:hasDotgit'] },
  {
    title: 'a name ".git. " (NTFS drops trailing dots and spaces)',
    type: 'tree',
    data: () => entry('40000', '.git. ', repo.tree),
    expect: ['error:hasDotgit'],
  },
  {
    title: 'a name ".git::$INDEX_ALLOCATION" (NTFS stream)',
    type: 'tree',
    data: () => entry('40000', '.git::$INDEX_ALLOCATION', repo.tree),
    expect: ['error:hasDotgit'],
  },
  {
    title: 'a name "x\\.git" (a backslash is a separator on Windows)',
    type: 'tree',
    data: () => entry('40000', 'x\\.git', repo.tree),
    expect: ['error:hasDotgit'],
  },
  { title: 'a name ".gitx" is fine', type: 'tree', data: () => entry('40000', '.gitx', repo.tree), expect: [] },
  { title: 'an entry pointing at the null id', type: 'tree', data: () => entry('100644', 'a', ZERO_OID), expect: ['error:nullSha1'] },
  { title: 'a zero-padded mode (040000)', type: 'tree', data: () => entry('040000', 'a', repo.tree), expect: ['error:zeroPaddedFilemode'] },
  {
    title: 'mode 100664 is a bad mode, only a warning',
    type: 'tree',
    data: () => entry('100664', 'a', repo.blob),
    expect: ['warning:badFilemode'],
  },
  {
    title: 'mode 1 is a bad mode, only a warning (readers take it for a submodule)',
    type: 'tree',
    data: () => entry('1', 'a', repo.commit),
    expect: ['warning:badFilemode'],
  },
  {
    title: 'mode 300644 passes: fsck keeps only the low 16 bits of a mode (100644)',
    type: 'tree',
    data: () => entry('300644', 'a', repo.blob),
    expect: [],
  },
  {
    title: 'an empty name makes the tree unparseable (emptyName itself is never reached)',
    type: 'tree',
    data: () => entry('100644', '', repo.blob),
    expect: ['error:badTree'],
  },
  { title: 'a mode with a non-octal digit', type: 'tree', data: () => entry('100844', 'a', repo.blob), expect: ['error:badTree'] },
  { title: 'a truncated entry', type: 'tree', data: () => entry('100644', 'a', repo.blob).subarray(0, 20), expect: ['error:badTree'] },
  {
    title: 'a bad second entry: the first entry is judged, then badTree',
    type: 'tree',
    data: () => cat(entry('100644', '..', repo.blob), entry('1x0644', 'b', repo.blob)),
    expect: ['error:badTree', 'error:hasDotdot'],
  },
  {
    title: 'a .gitmodules symlink',
    type: 'tree',
    data: () => entry('120000', '.gitmodules', repo.blob),
    expect: ['error:gitmodulesSymlink'],
  },
  {
    title: 'a .gitattributes symlink (info)',
    type: 'tree',
    data: () => entry('120000', '.gitattributes', repo.blob),
    expect: ['warning:gitattributesSymlink'],
  },
  {
    title: 'a .gitignore symlink (info)',
    type: 'tree',
    data: () => entry('120000', '.gitignore', repo.blob),
    expect: ['warning:gitignoreSymlink'],
  },
  {
    title: 'a .mailmap symlink, by its NTFS short name (info)',
    type: 'tree',
    data: () => entry('120000', 'MAILMA~1', repo.blob),
    expect: ['warning:mailmapSymlink'],
  },
  { title: 'the empty tree', type: 'tree', data: () => new Uint8Array(0), expect: [] },
];

const commitExamples: Example[] = [
  { title: 'a well-formed commit', type: 'commit', data: () => commitWith(`parent ${repo.commit}\n${authorLine(ident)}`), expect: [] },
  {
    title: 'upper-case hex is accepted',
    type: 'commit',
    data: () => enc(`tree ${repo.tree.toUpperCase()}\nparent ${repo.commit.toUpperCase()}\n${authorLine(ident)}\nm\n`),
    expect: [],
  },
  {
    title: 'a second tree line before the parent: git reads a root commit, fsck wants the author there',
    type: 'commit',
    data: () => commitWith(`tree ${repo.tree}\nparent ${repo.commit}\n${authorLine(ident)}`),
    expect: ['error:missingAuthor'],
  },
  { title: 'no author', type: 'commit', data: () => commitWith(`committer ${ident}\n`), expect: ['error:missingAuthor'] },
  {
    title: 'two authors',
    type: 'commit',
    data: () => commitWith(`author ${ident}\n${authorLine(ident)}`),
    expect: ['error:multipleAuthors'],
  },
  { title: 'no committer', type: 'commit', data: () => commitWith(`author ${ident}\n`), expect: ['error:missingCommitter'] },
  {
    title: 'author without a name',
    type: 'commit',
    data: () => commitWith(authorLine('<a@example.com> 1 +0000')),
    expect: ['error:missingNameBeforeEmail'],
  },
  {
    title: 'author with ">" in the name',
    type: 'commit',
    data: () => commitWith(authorLine('A> <a@example.com> 1 +0000')),
    expect: ['error:badName'],
  },
  { title: 'author without an email', type: 'commit', data: () => commitWith(authorLine('A 1 +0000')), expect: ['error:missingEmail'] },
  {
    title: 'author without a space before the email',
    type: 'commit',
    data: () => commitWith(authorLine('A<a@example.com> 1 +0000')),
    expect: ['error:missingSpaceBeforeEmail'],
  },
  {
    title: 'author with an unclosed email',
    type: 'commit',
    data: () => commitWith(authorLine('A <a@example.com 1 +0000')),
    expect: ['error:badEmail'],
  },
  {
    title: 'author without a space before the date',
    type: 'commit',
    data: () => commitWith(authorLine('A <a@example.com>1 +0000')),
    expect: ['error:missingSpaceBeforeDate'],
  },
  {
    title: 'a zero-padded date',
    type: 'commit',
    data: () => commitWith(authorLine('A <a@example.com> 01 +0000')),
    expect: ['error:zeroPaddedDate'],
  },
  {
    title: 'a date that is not a number',
    type: 'commit',
    data: () => commitWith(authorLine('A <a@example.com> x +0000')),
    expect: ['error:badDate'],
  },
  {
    title: 'a negative date overflows (strtoumax wraps it)',
    type: 'commit',
    data: () => commitWith(authorLine('A <a@example.com> -1 +0000')),
    expect: ['error:badDateOverflow'],
  },
  {
    title: 'a date of 2^63 overflows time_t',
    type: 'commit',
    data: () => commitWith(authorLine('A <a@example.com> 9223372036854775808 +0000')),
    expect: ['error:badDateOverflow'],
  },
  {
    title: 'a date of 2^63-1 is fine',
    type: 'commit',
    data: () => commitWith(authorLine('A <a@example.com> 9223372036854775807 +0000')),
    expect: [],
  },
  {
    title: 'two spaces before the date pass (strtoumax skips white space)',
    type: 'commit',
    data: () => commitWith(authorLine('A <a@example.com>  1 +0000')),
    expect: [],
  },
  {
    title: 'a bad time zone',
    type: 'commit',
    data: () => commitWith(authorLine('A <a@example.com> 1 +000')),
    expect: ['error:badTimezone'],
  },
  {
    title: 'a NUL byte in the message',
    type: 'commit',
    data: () => commitWith(authorLine(ident), '\nmessage\0\n'),
    expect: ['error:nulInCommit'],
  },
  {
    title: 'a NUL byte in the header',
    type: 'commit',
    data: () => commitWith(authorLine('A <a@example.com> 1 +0000\0')),
    expect: ['error:nulInHeader'],
  },
  {
    title: 'a header without a final newline',
    type: 'commit',
    data: () => commitWith(`author ${ident}\ncommitter ${ident}`, ''),
    expect: ['error:unterminatedHeader'],
  },
  {
    title: 'a short bad parent line at the very end (too short for git to read as a parent)',
    type: 'commit',
    data: () => commitWith('parent 1234\n', ''),
    expect: ['error:badParentSha1'],
  },
  {
    title: 'a commit ending right after a parent line cannot be parsed at all',
    type: 'commit',
    data: () => commitWith(`parent ${repo.commit}\n`, ''),
    expect: ['error:invalidCommit'],
  },
  {
    title: 'a bad parent line followed by more cannot be parsed',
    type: 'commit',
    data: () => commitWith(`parent ${'x'.repeat(40)}\n${authorLine(ident)}`),
    expect: ['error:invalidCommit'],
  },
  {
    title: 'no tree line cannot be parsed (missingTree is never reached)',
    type: 'commit',
    data: () => enc(`parent ${repo.commit}\n${authorLine(ident)}\nm\n`),
    expect: ['error:invalidCommit'],
  },
  {
    title: 'a bad tree id cannot be parsed (badTreeSha1 is never reached)',
    type: 'commit',
    data: () => enc(`tree ${'g'.repeat(40)}\n${authorLine(ident)}\nm\n`),
    expect: ['error:invalidCommit'],
  },
  {
    title: 'extra headers after the committer are not checked',
    type: 'commit',
    data: () => commitWith(`${authorLine(ident)}tree junk\nparent junk\nencoding x\n`),
    expect: [],
  },
];

const tagHead = (type = 'commit', target?: string): string => `object ${target ?? repo.commit}\ntype ${type}\n`;
const tagExamples: Example[] = [
  { title: 'a well-formed tag', type: 'tag', data: () => enc(`${tagHead()}tag v1\ntagger ${ident}\n\nmsg\n`), expect: [] },
  {
    title: 'a tag without a tagger (info)',
    type: 'tag',
    data: () => enc(`${tagHead()}tag v1\n\nmsg\n`),
    expect: ['warning:missingTaggerEntry'],
  },
  {
    title: 'a tag name git would not take as a ref (info)',
    type: 'tag',
    data: () => enc(`${tagHead()}tag v..1\ntagger ${ident}\n\nmsg\n`),
    expect: ['warning:badTagName'],
  },
  {
    title: 'a bad tagger',
    type: 'tag',
    data: () => enc(`${tagHead()}tag v1\ntagger A <a@example.com> x +0000\n\nmsg\n`),
    expect: ['error:badDate'],
  },
  {
    title: 'extra headers after the tagger are ignored',
    type: 'tag',
    data: () => enc(`${tagHead()}tag v1\ntagger ${ident}\nfoo bar\n\nmsg\n`),
    expect: [],
  },
  {
    title: 'a NUL in the header',
    type: 'tag',
    data: () => enc(`${tagHead()}tag v1\0\ntagger ${ident}\n\nmsg\n`),
    expect: ['error:nulInHeader'],
  },
  {
    title: 'an unterminated header',
    type: 'tag',
    data: () => enc(`${tagHead()}tag v1\ntagger ${ident}`),
    expect: ['error:unterminatedHeader'],
  },
  {
    title: 'a tag without a "tag" line cannot be parsed',
    type: 'tag',
    data: () => enc(`${tagHead()}tagger ${ident}\n\nmsg\n`),
    expect: ['error:invalidTag'],
  },
  {
    title: 'an unknown type cannot be parsed',
    type: 'tag',
    data: () => enc(`${tagHead('commits')}tag v1\ntagger ${ident}\n\nmsg\n`),
    expect: ['error:invalidTag'],
  },
  {
    title: 'a NUL after the type: git parses "commit", fsck refuses the header',
    type: 'tag',
    data: () => enc(`${tagHead('commit\0x')}tag v1\ntagger ${ident}\n\nmsg\n`),
    expect: ['error:nulInHeader'],
  },
];

async function checkWithGit(examples: Example[]): Promise<void> {
  const verdicts = await mapLimit(examples, 2, (ex) => indexPackStrict(repo, [{ type: ex.type, data: ex.data() }]));
  const mismatches: string[] = [];
  examples.forEach((ex, i) => {
    const ours = brief(fsckObject(ex.type, ex.data()));
    const v = verdicts[i]!;
    if (JSON.stringify(ours) !== JSON.stringify(ex.expect))
      mismatches.push(`${ex.title}: ours ${JSON.stringify(ours)}, expected ${JSON.stringify(ex.expect)}`);
    if (JSON.stringify(gitFindings(v)) !== JSON.stringify(ex.expect))
      mismatches.push(`${ex.title}: git ${JSON.stringify(gitFindings(v))}: ${v.stderr.trim()}`);
    if (v.refused !== isRefusedByReceiveFsck(fsckObject(ex.type, ex.data()))) mismatches.push(`${ex.title}: git refused=${v.refused}`);
  });
  expect(mismatches).toEqual([]);
}

describe('fsck findings, one example each, confirmed by git index-pack --strict', () => {
  test('trees', async () => {
    await checkWithGit(treeExamples);
  });
  test('commits', async () => {
    await checkWithGit(commitExamples);
  });
  test('tags', async () => {
    await checkWithGit(tagExamples);
  });

  test('a bad tagger followed by an extra header: git prints the error but accepts the tag; we refuse', async () => {
    const data = enc(`${tagHead()}tag v1\ntagger A <a@example.com> x +0000\nfoo bar\n\nmsg\n`);
    const v = await indexPackStrict(repo, [{ type: 'tag', data }]);
    expect(gitFindings(v)).toEqual(['error:badDate']);
    expect(v.refused).toBe(false);
    expect(brief(fsckTag(data))).toEqual(['error:badDate']);
    expect(isRefusedByReceiveFsck(fsckTag(data))).toBe(true);
  });

  test('messages read like git', () => {
    const [f] = fsckTree(cat(entry('100644', 'a', repo.blob), entry('100644', 'a', repo.blob))).findings;
    expect(formatFinding(f!)).toBe('duplicateEntries: contains duplicate file entries');
    const [c] = fsckCommit(commitWith(`parent ${repo.commit}\n`, ''));
    expect(formatFinding(c!)).toBe('invalidCommit: git cannot parse it: bad parents in commit');
  });
});

describe('.gitmodules and .gitattributes named by a tree', () => {
  interface Named {
    title: string;
    name: string;
    mode?: string;
    /** Blob content, or a non-blob the name points at. */
    content: string | 'tree' | 'commit';
    expect: string[];
  }
  const cases: Named[] = [
    {
      title: 'a harmless .gitmodules',
      name: '.gitmodules',
      content: '[submodule "lib"]\n\tpath = lib\n\turl = https://example.com/lib.git\n',
      expect: [],
    },
    {
      title: 'a submodule name with ".."',
      name: '.gitmodules',
      content: '[submodule "../../x"]\n\tpath = x\n',
      expect: ['error:gitmodulesName'],
    },
    {
      title: 'a submodule url that is an option',
      name: '.gitmodules',
      content: '[submodule "x"]\n\turl = -oProxyCommand=evil\n',
      expect: ['error:gitmodulesUrl'],
    },
    {
      title: 'a relative url escaping to a host',
      name: '.gitmodules',
      content: '[submodule "x"]\n\turl = ../../:evil\n',
      expect: ['error:gitmodulesUrl'],
    },
    {
      title: 'an http url with a newline in it',
      name: '.gitmodules',
      content: '[submodule "x"]\n\turl = https://example.com/%0a/x\n',
      expect: ['error:gitmodulesUrl'],
    },
    {
      title: 'an http url with no host',
      name: '.gitmodules',
      content: '[submodule "x"]\n\turl = https:///x\n',
      expect: ['error:gitmodulesUrl'],
    },
    {
      title: 'a submodule path that is an option',
      name: '.gitmodules',
      content: '[submodule "x"]\n\tpath = -x\n',
      expect: ['error:gitmodulesPath'],
    },
    {
      title: 'an update command',
      name: '.gitmodules',
      content: '[submodule "x"]\n\tupdate = !rm -rf /\n',
      expect: ['error:gitmodulesUpdate'],
    },
    {
      title: 'every bad setting is reported',
      name: '.gitmodules',
      content: '[submodule "x"]\n\tpath = -x\n\tupdate = !y\n[submodule ".."]\n\tpath = y\n',
      expect: ['error:gitmodulesPath', 'error:gitmodulesUpdate', 'error:gitmodulesName'],
    },
    { title: 'an unparseable .gitmodules (info)', name: '.gitmodules', content: '[submodule "x"\n', expect: ['warning:gitmodulesParse'] },
    {
      title: 'settings before a syntax error are still checked',
      name: '.gitmodules',
      content: '[submodule "x"]\npath = -x\n!!\n',
      expect: ['error:gitmodulesPath', 'warning:gitmodulesParse'],
    },
    {
      title: 'a .gitmodules by its NTFS short name',
      name: 'GITMOD~1',
      content: '[submodule "x"]\n\tpath = -x\n',
      expect: ['error:gitmodulesPath'],
    },
    { title: 'a .gitmodules that is a directory', name: '.gitmodules', mode: '40000', content: 'tree', expect: ['error:gitmodulesBlob'] },
    {
      title: 'a .gitmodules that is a submodule present in the repository',
      name: '.gitmodules',
      mode: '160000',
      content: 'commit',
      expect: ['error:gitmodulesBlob'],
    },
    {
      title: 'a .gitattributes line of 2048 bytes',
      name: '.gitattributes',
      content: `${'a'.repeat(2048)}\n`,
      expect: ['error:gitattributesLineLength'],
    },
    { title: 'a .gitattributes line of 2047 bytes', name: '.gitattributes', content: `${'a'.repeat(2047)}\n`, expect: [] },
    {
      title: 'a .gitattributes that is a directory',
      name: '.gitattributes',
      mode: '40000',
      content: 'tree',
      expect: ['error:gitattributesBlob'],
    },
  ];

  test('findings match git, which checks them after the pack (fsck_finish)', async () => {
    const blobs = cases.map((c) => (c.content === 'tree' || c.content === 'commit' ? null : enc(c.content)));
    const stored = storeLiterally(
      repo,
      blobs.filter((b): b is Uint8Array => b !== null).map((data) => ({ type: 'blob' as const, data })),
    );
    let k = 0;
    const targets = cases.map((c, i) => (blobs[i] ? stored[k++]! : c.content === 'tree' ? repo.tree : repo.commit));
    const trees = cases.map((c, i) => entry(c.mode ?? '100644', c.name, targets[i]!));
    const verdicts = await mapLimit(trees, 2, (t) => indexPackStrict(repo, [{ type: 'tree', data: t }]));
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const check = fsckTree(trees[i]!);
      const role = c.name.toLowerCase().includes('attr') ? 'gitattributes' : 'gitmodules';
      const list = role === 'gitmodules' ? check.gitmodules : check.gitattributes;
      expect(list, c.title).toEqual([targets[i]]);
      const named = blobs[i]
        ? { type: 'blob' as const, data: blobs[i]! }
        : { type: c.content as 'tree' | 'commit', data: new Uint8Array() };
      const ours = brief([...check.findings, ...fsckNamedBlob(role, named)]);
      if (JSON.stringify(ours) !== JSON.stringify(c.expect)) mismatches.push(`${c.title}: ours ${JSON.stringify(ours)}`);
      if (JSON.stringify(gitFindings(verdicts[i]!)) !== JSON.stringify(c.expect))
        mismatches.push(`${c.title}: git ${verdicts[i]!.stderr.trim()}`);
    });
    expect(mismatches).toEqual([]);
  });

  test('a .gitmodules object missing from the repository is refused (index-pack lets it pass to the connectivity check)', () => {
    expect(brief(fsckNamedBlob('gitmodules', null))).toEqual(['error:gitmodulesMissing']);
    expect(brief(fsckNamedBlob('gitattributes', null))).toEqual(['error:gitattributesMissing']);
  });

  test('a symlink named .gitmodules is not listed for the blob check (it is refused on the tree)', () => {
    const t = fsckTree(entry('120000', '.gitmodules', repo.blob));
    expect(t.gitmodules).toEqual([]);
    expect(brief(t.findings)).toEqual(['error:gitmodulesSymlink']);
  });
});

describe('isDotgitName', () => {
  test('knows the aliases of .git', () => {
    for (const n of ['.git', '.Git', 'GIT~1', '.git.', '.git ', '.git:x', 'a\\.git', '\u200c.git', '.git\u200d'])
      expect(isDotgitName(utf8(n)), n).toBe(true);
    for (const n of ['.gitx', 'git', 'xgit~1', '.gi', 'git~2', '.g it']) expect(isDotgitName(utf8(n)), n).toBe(false);
  });
});

describe('parseCommit reads parents the way git does', () => {
  test('stops at the first line that is not a parent line (tree, tree, parent is a root commit)', () => {
    const data = commitWith(`tree ${repo.tree}\nparent ${repo.commit}\n${authorLine(ident)}`);
    expect(parseCommit(data)).toEqual({ tree: repo.tree, parents: [] });
    const [id] = storeLiterally(repo, [{ type: 'commit', data }]);
    expect(revListOne(repo, id!)).toEqual({ tree: repo.tree, parents: [] });
  });

  test('ignores parent lines after the author', () => {
    const data = commitWith(`${authorLine(ident)}parent ${repo.commit}\n`);
    expect(parseCommit(data).parents).toEqual([]);
  });

  test('keeps duplicate parents and lower-cases upper-case hex, like rev-list', () => {
    const data = enc(
      `tree ${repo.tree.toUpperCase()}\nparent ${repo.commit.toUpperCase()}\nparent ${repo.commit}\n${authorLine(ident)}\nm\n`,
    );
    const [id] = storeLiterally(repo, [{ type: 'commit', data }]);
    expect(parseCommit(data)).toEqual({ tree: repo.tree, parents: [repo.commit, repo.commit] });
    expect(revListOne(repo, id!)).toEqual(parseCommit(data));
  });

  test('refuses what git cannot read, and git cannot read it either', () => {
    for (const data of [
      commitWith(`parent ${repo.commit}\n`, ''),
      enc(`tree ${repo.tree}\n`),
      enc(`tree ${repo.tree}x\n${authorLine(ident)}`),
    ]) {
      expect(() => parseCommit(data)).toThrow(UnreadableObjectError);
      const [id] = storeLiterally(repo, [{ type: 'commit', data }]);
      expect(revListOne(repo, id!)).toBeNull();
    }
  });
});

describe('parseTag reads the tagged object the way git does', () => {
  test('peels to the object line, in lower case', () => {
    const data = enc(`object ${repo.commit.toUpperCase()}\ntype commit\ntag v1\n\nmsg\n`);
    expect(parseTag(data)).toEqual({ object: repo.commit, type: 'commit', tag: 'v1' });
    const [id] = storeLiterally(repo, [{ type: 'tag', data }]);
    expect(revParsePeel(repo, id!)).toBe(repo.commit);
  });

  test('needs the tag line, as git does', () => {
    const data = enc(`object ${repo.commit}\ntype commit\ntagger ${ident}\n\nmsg\n`);
    expect(() => parseTag(data)).toThrow(UnreadableObjectError);
    const [id] = storeLiterally(repo, [{ type: 'tag', data }]);
    expect(revParsePeel(repo, id!)).toBeNull();
  });
});

test('fsck.ts and headers.ts bundle for a browser with no Node built-in and no dependency', async () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const result = await build({
    entryPoints: [path.join(root, 'src/git/fsck.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    metafile: true,
  });
  expect(result.errors).toEqual([]);
  expect(Object.keys(result.metafile!.inputs).sort()).toEqual(['src/git/fsck.ts', 'src/git/headers.ts']);
});
