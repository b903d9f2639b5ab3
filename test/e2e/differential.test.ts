/**
 * Differential test of the whole hook against git (issue 7's acceptance):
 * generated trees and commits, well-formed and malformed (duplicate,
 * unsorted, slashed, dot and empty names, names that fold together, odd and
 * zero-padded modes, extra and misplaced commit headers, root commits),
 * pushed through the real hook with real signatures, with git's own checks
 * (receive.fsckObjects) off on the hook's server.
 *
 * For every case:
 * - git's verdict: the same push to a hookless copy of the server with
 *   receive.fsckObjects=true (receive-pack's own strict checks);
 * - whenever git refuses, the hook refuses (no ref moves), and says why
 *   with object lines, not denials;
 * - whenever git accepts and the hook refuses, the reason is one of the
 *   documented places where the hook is stricter than git
 *   (docs/decisions.md, "Objects a push may bring");
 * - whenever the hook accepts, the operations it judges equal the
 *   difference between `git ls-tree -r -t` of the old and new commits: the
 *   same commit is pushed by a user with no rights, whose refusal lists
 *   every operation the hook judged (cases are small enough to fit in the
 *   report's 20 lines).
 *
 * Deterministic (fast-check with a fixed seed; DIFF_SEED=<n>, DIFF_CASES=<n>
 * for another or a longer hunt) and batched: accepted cases are pushed
 * several refs at a time.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, run, type Clone } from '../support/forge.js';
import { IDENT, writeBlob, writeRawCommit, writeRawTree, type RawEntry } from '../support/craft.js';
import { packObjectIds, receivePack } from '../support/receive-pack-client.js';
import { strictServer, withoutGitChecks } from './attacks/support.js';

const SEED = process.env.DIFF_SEED ? Number(process.env.DIFF_SEED) : 20261130;
const CASES = process.env.DIFF_CASES ? Number(process.env.DIFF_CASES) : 48;
const GITLINK = '1234567890123456789012345678901234567890';

// ---------------------------------------------------------------------------
// Generated cases, as descriptions; objects are written once the forge exists.

interface TreeSpec {
  entries: EntrySpec[];
  /** Written in the order generated instead of git's order. */
  unsorted: boolean;
}
interface EntrySpec {
  name: string;
  mode: string;
  target: { blob: string } | { tree: TreeSpec } | { gitlink: true };
}
type CommitShape = 'plain' | 'root' | 'extra-headers' | 'tree-after-committer' | 'tree-before-parent' | 'no-author' | 'bad-email';
interface Case {
  tree: TreeSpec;
  commit: CommitShape;
}

/** Names, mostly harmless (some are also in the old tree, some fold onto its names), some that git refuses. */
const NAMES = [
  'a',
  'b',
  'c',
  'd.txt',
  'sub',
  'notes',
  'x-y',
  'z_9',
  '\u00e9',
  'e\u0301',
  'Notes',
  'NOTES',
  'D.TXT',
  'notes.',
  'no\u200ctes',
  'Sub',
  '.',
  '..',
  '.git',
  '.GIT',
  'git~1',
  '.git\u200c',
  'a/b',
  '',
];
const nameArb = fc.oneof(
  { arbitrary: fc.constantFrom(...NAMES.slice(0, 10)), weight: 8 },
  { arbitrary: fc.constantFrom(...NAMES.slice(10)), weight: 3 },
);
const FILE_MODES = ['100644', '100644', '100755', '120000', '100664', '0100644', '1', '120644'];
const TREE_MODES = ['40000', '40000', '40000', '040000'];
const CONTENTS = ['one\n', 'two\n', 'three\n', 'a\n'];

const treeArb: fc.Arbitrary<TreeSpec> = fc.letrec<{ tree: TreeSpec; entry: EntrySpec }>((tie) => ({
  tree: fc.record({
    entries: fc.array(tie('entry'), { minLength: 0, maxLength: 4 }),
    unsorted: fc.nat(9).map((n) => n === 0),
  }) as fc.Arbitrary<TreeSpec>,
  entry: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    {
      arbitrary: fc.record({
        name: nameArb,
        mode: fc.constantFrom(...FILE_MODES),
        target: fc.constantFrom(...CONTENTS).map((blob) => ({ blob })),
      }),
      weight: 6,
    },
    {
      arbitrary: fc.record({
        name: nameArb,
        mode: fc.constantFrom(...TREE_MODES),
        target: tie('tree').map((tree) => ({ tree: tree as TreeSpec })),
      }),
      weight: 2,
    },
    { arbitrary: fc.record({ name: nameArb, mode: fc.constant('160000'), target: fc.constant({ gitlink: true as const }) }), weight: 1 },
  ) as fc.Arbitrary<EntrySpec>,
})).tree;

const caseArb: fc.Arbitrary<Case> = fc.record({
  tree: treeArb,
  commit: fc.oneof(
    { arbitrary: fc.constant<CommitShape>('plain'), weight: 6 },
    { arbitrary: fc.constantFrom<CommitShape>('root', 'extra-headers', 'tree-after-committer'), weight: 3 },
    { arbitrary: fc.constantFrom<CommitShape>('tree-before-parent', 'no-author', 'bad-email'), weight: 1 },
  ),
});

// ---------------------------------------------------------------------------

/** What the hook is allowed to refuse although git accepts (each documented). */
const STRICTER = [
  / is not one git writes, and git reads it as another kind of entry /,
  / would be one file on a case-insensitive or Unicode-normalising file system /,
  /: its mode \d+ says it is a (file|directory), but the push brings /,
];

type Kind = 'file' | 'symlink' | 'submodule' | 'directory';
const kindOf = (mode: string): Kind =>
  mode === '040000' ? 'directory' : mode === '120000' ? 'symlink' : mode === '160000' ? 'submodule' : 'file';

/** `git ls-tree -r -t -z` of a commit: path → [mode, oid]. */
function listing(c: Clone, commit: string): Map<string, [string, string]> {
  const out = c.git(['ls-tree', '-r', '-t', '-z', '--full-tree', commit]).stdout;
  const m = new Map<string, [string, string]>();
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, , oid] = rec.slice(0, tab).split(' ');
    m.set(rec.slice(tab + 1), [mode!, oid!]);
  }
  return m;
}

/** The tree operations between two listings, as `<op> <path>`, sorted. */
function expectedOps(before: Map<string, [string, string]>, after: Map<string, [string, string]>): string[] {
  const ops: string[] = [];
  for (const [p, [mode, oid]] of after) {
    const old = before.get(p);
    if (!old) ops.push(`create-${kindOf(mode)} ${p}`);
    else if (kindOf(old[0]) !== kindOf(mode)) ops.push(`delete-${kindOf(old[0])} ${p}`, `create-${kindOf(mode)} ${p}`);
    else if (kindOf(mode) !== 'directory' && (old[0] !== mode || old[1] !== oid)) ops.push(`modify ${p}`);
  }
  for (const [p, [mode]] of before) if (!after.has(p)) ops.push(`delete-${kindOf(mode)} ${p}`);
  return ops.sort();
}

describe(`the hook against git on ${CASES} generated pushes (seed ${SEED})`, () => {
  let forge: Forge;
  let owner: Clone;
  let strict: string;
  let base: string;
  let C: string;

  beforeAll(() => {
    forge = Forge.create({ users: ['carol'] });
    withoutGitChecks(forge);
    forge.setPolicy(); // registers carol, who may do nothing
    C = forge.user('carol').id;
    owner = forge.clone('owner');
    base = owner.commitTree({ a: 'one\n', 'd.txt': 'two\n', notes: 'three\n', 'sub/x': 'one\n', 'sub/y': 'two\n' }, [], 'base');
    expect(owner.push(`${base}:refs/heads/base`).remote).toEqual([]);
    strict = strictServer(forge);
  });
  afterAll(() => forge?.cleanup());

  test('whenever git refuses the hook refuses; whenever the hook accepts, it judged the operations git lists', {
    timeout: 600_000,
  }, async () => {
    const cases = fc.sample(caseArb, { seed: SEED, numRuns: CASES });
    const env = forge.env;
    const baseTree = owner.ok(['rev-parse', `${base}^{tree}`]);

    // Write each case's objects into the owner's clone; remember which ones a pack must carry.
    const written = cases.map((k) => {
      const objects: string[] = [];
      const put = (oid: string) => (objects.push(oid), oid);
      const writeTree = (t: TreeSpec): string => {
        const entries: RawEntry[] = t.entries.map((e) => ({
          mode: e.mode,
          name: e.name,
          oid: 'blob' in e.target ? put(writeBlob(owner.dir, env, e.target.blob)) : 'tree' in e.target ? writeTree(e.target.tree) : GITLINK,
        }));
        const ordered = t.unsorted ? entries : [...entries].sort((x, y) => Buffer.compare(sortKey(x), sortKey(y)));
        return put(writeRawTree(owner.dir, env, ordered));
      };
      const tree = writeTree(k.tree);
      const body = (headers: string) => `${headers}\nmessage\n`;
      const text = {
        plain: body(`tree ${tree}\nparent ${base}\nauthor ${IDENT}\ncommitter ${IDENT}\n`),
        root: body(`tree ${tree}\nauthor ${IDENT}\ncommitter ${IDENT}\n`),
        'extra-headers': body(
          `tree ${tree}\nparent ${base}\nauthor ${IDENT}\ncommitter ${IDENT}\nencoding ISO-8859-1\nx-custom some value\n`,
        ),
        'tree-after-committer': body(`tree ${tree}\nparent ${base}\nauthor ${IDENT}\ncommitter ${IDENT}\ntree ${baseTree}\n`),
        'tree-before-parent': body(`tree ${tree}\ntree ${tree}\nparent ${base}\nauthor ${IDENT}\ncommitter ${IDENT}\n`),
        'no-author': body(`tree ${tree}\nparent ${base}\ncommitter ${IDENT}\n`),
        'bad-email': body(`tree ${tree}\nparent ${base}\nauthor Mallory <mallory 1767225600 +0000\ncommitter ${IDENT}\n`),
      }[k.commit];
      const commit = put(writeRawCommit(owner.dir, env, text));
      return { ...k, commit, objects: [...new Set(objects)] };
    });

    const push = (repo: string, signer: string | null, list: Array<{ ref: string; commit: string; objects: string[] }>) =>
      receivePack(repo, env, {
        commands: list.map((x) => ({ oldOid: base, newOid: x.commit, ref: x.ref })),
        ...(signer ? { certificate: { signingKey: signer } } : {}),
        pack: packObjectIds(owner.dir, env, [...new Set(list.flatMap((x) => x.objects))]),
      });
    const setRefs = (refs: string[], repo = forge.bare) => {
      const r = run('git', ['--git-dir', repo, 'update-ref', '--stdin'], {
        env,
        input: refs.map((ref) => `update ${ref} ${base}\n`).join(''),
      });
      expect(r.code, r.stderr).toBe(0);
    };

    // git's verdict, one case at a time (receive-pack stops at the first bad object).
    const verdicts: boolean[] = [];
    setRefs(
      written.map((_, i) => `refs/heads/t/${i}`),
      strict,
    );
    for (let i = 0; i < written.length; i++) {
      const r = await push(strict, null, [{ ref: `refs/heads/t/${i}`, ...written[i]! }]);
      verdicts.push(r.accepted);
    }
    const gitRefuses = written.map((_, i) => i).filter((i) => !verdicts[i]);
    const gitAccepts = written.map((_, i) => i).filter((i) => verdicts[i]);
    // A useful sample has both.
    expect(gitRefuses.length, 'cases git refuses').toBeGreaterThan(CASES / 8);
    expect(gitAccepts.length, 'cases git accepts').toBeGreaterThan(CASES / 8);

    const show = (i: number) => `case ${i} (seed ${SEED}): ${JSON.stringify(cases[i])}`;
    const hookLines = (remote: string[]) => remote.filter((l) => l.startsWith('git-acl: '));

    // 1. git refuses: the hook refuses too, with object lines.
    for (const i of gitRefuses) {
      const ref = `refs/heads/t/${i}`;
      setRefs([ref]);
      const r = await push(forge.bare, forge.owner.id, [{ ref, ...written[i]! }]);
      expect(forge.ref(ref), show(i)).toBe(base);
      const lines = hookLines(r.remote);
      // receive-pack's connectivity check refuses a tree git cannot parse before the hook may say anything.
      if (lines.length === 0)
        expect(
          r.statuses.every((s) => !s.ok),
          show(i),
        ).toBe(true);
      else {
        expect(lines[0], show(i)).toBe(`git-acl: push rejected for user ${forge.owner.id}; no ref was changed`);
        expect(
          lines.slice(1).every((l) => !l.startsWith('git-acl: denied')),
          `${show(i)}\n${lines.join('\n')}`,
        ).toBe(true);
      }
    }

    // 2. git accepts: the owner's push of all of them at once, then one by one if the hook refused something.
    const accepted: number[] = [];
    const refsOf = (is: number[]) => is.map((i) => `refs/heads/t/${i}`);
    setRefs(refsOf(gitAccepts));
    const all = await push(
      forge.bare,
      forge.owner.id,
      gitAccepts.map((i) => ({ ref: `refs/heads/t/${i}`, ...written[i]! })),
    );
    if (all.accepted) accepted.push(...gitAccepts);
    else {
      for (const i of gitAccepts) {
        const ref = `refs/heads/t/${i}`;
        setRefs([ref]);
        const r = await push(forge.bare, forge.owner.id, [{ ref, ...written[i]! }]);
        if (r.accepted) accepted.push(i);
        else {
          const why = hookLines(r.remote).slice(1);
          expect(why.length, show(i)).toBeGreaterThan(0);
          for (const l of why)
            expect(
              STRICTER.some((re) => re.test(l)),
              `${show(i)}: refused for an undocumented reason: ${l}`,
            ).toBe(true);
        }
      }
    }
    expect(accepted.length, 'cases the hook accepts').toBeGreaterThan(CASES / 8);
    if (process.env.DIFF_DEBUG) {
      console.log(
        `git refuses ${gitRefuses.length}, git accepts ${gitAccepts.length}, the hook accepts ${accepted.length} (stricter on ${gitAccepts.length - accepted.length})`,
      );
    }

    // 3. The operations the hook judged: carol may do nothing, so her refusal lists every operation (20 lines at most).
    const baseListing = listing(owner, base);
    const groups: number[][] = [];
    let group: number[] = [];
    let lines = 0;
    for (const i of accepted) {
      const n = 1 + expectedOps(baseListing, listing(owner, written[i]!.commit)).length;
      expect(n, `${show(i)}: too many operations for one report`).toBeLessThanOrEqual(20);
      if (lines + n > 20) {
        groups.push(group);
        group = [];
        lines = 0;
      }
      group.push(i);
      lines += n;
    }
    if (group.length) groups.push(group);
    for (const g of groups) {
      const refs = g.map((i) => `refs/heads/c/${i}`);
      setRefs(refs);
      const r = await push(
        forge.bare,
        C,
        g.map((i) => ({ ref: `refs/heads/c/${i}`, ...written[i]! })),
      );
      expect(r.accepted).toBe(false);
      const judged = new Map<number, string[]>(g.map((i) => [i, []]));
      for (const l of hookLines(r.remote).slice(1)) {
        const m = new RegExp(`^git-acl: denied: no rule lets ${C} (\\S+) (.+?)(?: on heads/c/(\\d+))?; nearest: `).exec(l);
        expect(m, l).not.toBeNull();
        if (m![3] === undefined) {
          // The ref op: `heads/c/<i>`.
          const i = Number(/^heads\/c\/(\d+)$/.exec(m![2]!)![1]);
          judged.get(i)!.push(`ref ${m![1]}`);
        } else judged.get(Number(m![3]))!.push(`${m![1]} ${JSON.parse(quoteIfNeeded(m![2]!))}`);
      }
      if (process.env.DIFF_DEBUG) console.log(`carol's push of ${g.length} cases: ${hookLines(r.remote).length - 1} operations listed`);
      for (const i of g) {
        const commit = written[i]!.commit;
        const ff = owner.git(['merge-base', '--is-ancestor', base, commit]).code === 0;
        const expected = [`ref ${ff ? 'fast-forward' : 'force'}`, ...expectedOps(baseListing, listing(owner, commit))];
        expect(judged.get(i)!.sort(), show(i)).toEqual(expected.sort());
      }
    }
  });
});

/** git's tree order: a directory's name compared as if it ended in `/`. */
function sortKey(e: RawEntry): Buffer {
  return Buffer.concat([Buffer.from(e.name), Buffer.from(/^0*40000$/.test(e.mode) ? '/' : '')]);
}

/** The hook quotes names with spaces, quotes or control characters (core/explain.ts displayName) as JSON; others are bare. */
function quoteIfNeeded(shown: string): string {
  return shown.startsWith('"') ? shown : JSON.stringify(shown);
}
