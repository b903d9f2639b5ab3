/**
 * Issue 7, class 3: a commit that the hook reads differently from git.
 *
 *     tree T
 *     tree T
 *     parent P
 *
 * git's parse_commit_buffer reads `parent` lines only right after the first
 * `tree` line, so to git this is a root commit: moving a branch from P to it
 * rewrites the branch's history. The hook's in-process ancestry shortcut
 * (parseCommitParents) skips every `tree` line, finds `parent P` and judges a
 * fast-forward. Pushed with plain `git push --signed` (the client, reading it
 * as git does, needs a `+`).
 *
 * Also here: what else makes the hook's reading of history differ from
 * git's — a tag whose declared type is not its target's, and repository
 * state (grafts, a shallow repository) that changes the parents git sees.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, type Clone } from '../../support/forge.js';
import { IDENT, writeRawCommit } from '../../support/craft.js';
import { packObjectIds, receivePack } from '../../support/receive-pack-client.js';
import { attack, attempt, expectRefused, strictServer, POLICY, rejectedFor, withoutGitChecks } from './support.js';

/** A commit with two `tree` lines before its `parent` line: to git, a root commit. */
function twoTreeLines(c: Clone, tree: string, parent: string, message: string): string {
  return writeRawCommit(
    c.dir,
    c.forge.env,
    `tree ${tree}\ntree ${tree}\nparent ${parent}\nauthor ${IDENT}\ncommitter ${IDENT}\n\n${message}\n`,
  );
}

function gitSaysRootCommit(c: Clone, commit: string, notAncestor: string): void {
  expect(c.ok(['rev-list', '--parents', '-n', '1', commit])).toBe(commit);
  expect(c.git(['merge-base', '--is-ancestor', notAncestor, commit]).code).toBe(1);
}

describe('on main, with the shared-directory preset (anyone may fast-forward main, nobody but the owner may force it)', () => {
  let forge: Forge;
  let alice: Clone;
  let A: string;
  let main1: string;

  beforeAll(() => {
    forge = Forge.create({ users: ['alice'] });
    withoutGitChecks(forge);
    forge.setPolicy(Forge.presetFiles('shared-directory'));
    A = forge.user('alice').id;
    const owner = forge.clone('owner');
    const main0 = owner.commitTree({ README: 'v0\n' }, [], 'v0');
    main1 = owner.commitTree({ README: 'v1\n' }, [main0], 'v1');
    expect(owner.push(`${main1}:refs/heads/main`).code).toBe(0);
    alice = forge.clone('alice');
  });
  afterAll(() => forge?.cleanup());

  test('a plain rewrite of main by Alice is denied', () => {
    const root = alice.commitTree({ README: 'v1\n' }, [], 'history, erased');
    const r = alice.push(`+${root}:refs/heads/main`);
    expect(r.remote).toEqual([rejectedFor(A), expect.stringMatching(new RegExp(`^git-acl: denied: no rule lets ${A} force heads/main; `))]);
    expect(forge.ref('refs/heads/main')).toBe(main1);
  });

  test('git reads the crafted commit as a root commit, and its own fsck refuses it', async () => {
    const commit = twoTreeLines(alice, alice.ok(['rev-parse', `${main1}^{tree}`]), main1, 'history, erased');
    gitSaysRootCommit(alice, commit, main1);
    const strict = strictServer(forge);
    const r = await receivePack(strict, forge.env, {
      commands: [{ oldOid: main1, newOid: commit, ref: 'refs/heads/main' }],
      pack: packObjectIds(alice.dir, forge.env, [commit]),
    });
    expect(r.unpack).toMatch(/abnormal exit/);
    expect(r.remote.join('\n')).toMatch(new RegExp(`error: object ${commit}: \\w+: `));
  });

  test(
    'a commit with a second tree line before its parent is not a fast-forward: the rewrite of main is refused',
    attack(async (ctx) => {
      const commit = twoTreeLines(alice, alice.ok(['rev-parse', `${main1}^{tree}`]), main1, 'history, erased');
      const a = await attempt(forge, () => alice.push(`+${commit}:refs/heads/main`));
      expectRefused(
        ctx,
        a,
        [rejectedFor(A), expect.stringMatching(new RegExp(`force heads/main|${commit}`))],
        () => `commits on main: ${forge.server(['rev-list', '--count', 'refs/heads/main']).stdout.trim()} (was 2)`,
      );
    }),
  );
});

describe('on the policy branch, with the self-registration preset', () => {
  let forge: Forge;

  beforeAll(() => {
    forge = Forge.create({ presets: ['self-registration'] });
    withoutGitChecks(forge);
    forge.setPolicy(Forge.presetFiles('self-registration')); // a second commit: some history to erase
  });
  afterAll(() => forge?.cleanup());

  test(
    "a newcomer's registration that is a root commit to git cannot erase the policy branch's history",
    attack(async (ctx) => {
      const nina = forge.addUser('nina');
      const c = forge.clone(nina);
      const tip = c.fetchRef(POLICY)!;
      const history = Number(forge.server(['rev-list', '--count', POLICY]).stdout.trim());
      c.ok(['read-tree', tip]);
      c.ok([
        'update-index',
        '--add',
        '--cacheinfo',
        `100644,${c.ok(['hash-object', '-w', '--stdin'], nina.key.publicArmored)},keys/${nina.id}.asc`,
      ]);
      const tree = c.ok(['write-tree']);
      c.ok(['read-tree', '--empty']);
      const commit = twoTreeLines(c, tree, tip, 'register nina');
      gitSaysRootCommit(c, commit, tip);
      const a = await attempt(forge, () => c.push(`+${commit}:${POLICY}`));
      expectRefused(
        ctx,
        a,
        [rejectedFor(nina.id), expect.stringMatching(new RegExp(`force heads/apps/access-control|${commit}`))],
        () => `commits on the policy branch: ${forge.server(['rev-list', '--count', POLICY]).stdout.trim()} (was ${history})`,
      );
    }),
  );
});

describe('history that git reads differently from the commits', () => {
  let forge: Forge;
  let alice: Clone;
  let A: string;
  let main1: string;

  beforeAll(() => {
    forge = Forge.create({ users: ['alice'] });
    withoutGitChecks(forge);
    forge.setPolicy(Forge.presetFiles('shared-directory'));
    A = forge.user('alice').id;
    const owner = forge.clone('owner');
    const main0 = owner.commitTree({ README: 'v0\n' }, [], 'v0');
    main1 = owner.commitTree({ README: 'v1\n' }, [main0], 'v1');
    expect(owner.push(`${main1}:refs/heads/main`).code).toBe(0);
    alice = forge.clone('alice');
  });
  afterAll(() => forge?.cleanup());

  test('a branch pushed as a tag that declares the wrong type is refused (git itself cannot read it; so does the hook, see stores.test.ts)', async () => {
    const next = alice.commitTree({ README: 'v1\n', 'shared/a.txt': 'a\n' }, [main1], 'alice: a');
    // Declares a tree, points at a commit: `git rev-parse <tag>^{}` fails, a checkout of the branch fails.
    const tag = alice.ok(
      ['hash-object', '-t', 'tag', '--literally', '-w', '--stdin'],
      `object ${next}\ntype tree\ntag t\ntagger ${IDENT}\n\nt\n`,
    );
    expect(alice.git(['rev-parse', '--verify', '--quiet', `${tag}^{}`]).code).not.toBe(0);
    // `git push` itself refuses to send a tag to a branch without --force; the raw client sends it.
    const objects = alice
      .ok(['rev-list', '--objects', next, `^${main1}`])
      .split('\n')
      .map((l) => l.slice(0, 40));
    const r = await receivePack(forge.bare, forge.env, {
      commands: [{ oldOid: main1, newOid: tag, ref: 'refs/heads/main' }],
      certificate: { signingKey: A },
      pack: packObjectIds(alice.dir, forge.env, [...objects, tag]),
    });
    // receive-pack's connectivity check reads the tag as git does and fails before any hook runs.
    expect(r.statuses).toEqual([{ ref: 'refs/heads/main', ok: false, reason: 'missing necessary objects' }]);
    expect(r.remote).toContain(`fatal: bad object ${next}`);
    expect(forge.ref('refs/heads/main')).toBe(main1);
  });

  for (const [what, file, content] of [
    ['a grafts file', 'info/grafts', (c: string) => `${c}\n`],
    ['a shallow file', 'shallow', (c: string) => `${c}\n`],
  ] as const) {
    test(`a server repository with ${what} judges no push: its ancestry is not the commits'`, () => {
      // A commit of its own per case: the same push twice in one second is the same certificate, a replay.
      const next = alice.commitTree({ README: 'v1\n', [`shared/${file.replace('/', '-')}.txt`]: 'b\n' }, [main1], `alice: ${file}`);
      const at = path.join(forge.bare, file);
      fs.writeFileSync(at, content(main1));
      try {
        const r = alice.push(`${next}:refs/heads/main`);
        // git itself prints a deprecation hint about grafts first.
        expect(r.remote.filter((l) => !l.startsWith('hint:'))).toEqual([
          expect.stringMatching(
            /^git-acl: push rejected: the repository (has a grafts file \(info\/grafts\)|is shallow \(shallow\)): git reads its history differently from its commits, so no push can be judged; the operator must remove it$/,
          ),
        ]);
        expect(forge.ref('refs/heads/main')).toBe(main1);
      } finally {
        fs.rmSync(at);
      }
      expect(alice.push(`${next}:refs/heads/main`).remote).toEqual([]);
      forge.server(['update-ref', 'refs/heads/main', main1]);
    });
  }
});
