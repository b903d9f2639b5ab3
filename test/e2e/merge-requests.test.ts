/**
 * The merge-request git app end to end: a forge initialised with the
 * `merge-requests` and `self-registration` presets, real gpg keys, real
 * `git push --signed` through the installed pre-receive hook, and the real
 * `git mr` tool (examples/merge-requests/git-mr.mjs, run as a git subcommand
 * from PATH).
 *
 * The story: the owner creates main and makes mia a maintainer; alice and bob
 * register their own keys; alice opens a merge request, bob comments, alice
 * publishes v2, mia labels and merges it. Along the way bob tries what the
 * rules forbid (editing alice's title and comment, labelling her request,
 * pushing a revision tag in her namespace, merging), and each attempt is
 * rejected by the hook, with the denied operation named, and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, REPO_ROOT, remoteLines, run, type Clone, type ForgeUser, type PushResult, type RunResult } from '../support/forge.js';

const GIT_MR = path.join(REPO_ROOT, 'examples/merge-requests/git-mr.mjs');
const DATA = 'refs/heads/apps/merge-reqs/data';
const POLICY = 'refs/heads/apps/access-control';

interface MrResult extends RunResult {
  remote: string[];
}

let forge: Forge;
let bin: string;

/** `git mr <args>` in a clone, found on PATH as `git-mr` like any git subcommand. */
function mr(clone: Clone, ...args: string[]): MrResult {
  const env = {
    ...clone.forge.env,
    PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  const r = run('git', ['mr', ...args], { cwd: clone.dir, env });
  return { ...r, remote: remoteLines(r.stderr) };
}

function mrOk(clone: Clone, ...args: string[]): string {
  const r = mr(clone, ...args);
  if (r.code !== 0) throw new Error(`git mr ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function mrJson<T>(clone: Clone, ...args: string[]): T {
  return JSON.parse(mrOk(clone, ...args, '--json')) as T;
}

/** The hook rejected the push: it names the user, each denied op, and the server's refs did not move. */
function expectDenied(r: PushResult | MrResult, before: Record<string, string>, user: ForgeUser, ...denials: string[]): void {
  expect(r.code, `${r.stderr}\n${r.stdout}`).not.toBe(0);
  const text = r.remote.join('\n');
  expect(text).toContain(`push rejected for user ${user.id}`);
  for (const d of denials) expect(text, text).toContain(`no rule lets ${user.id} ${d}`);
  expect(forge.refs()).toEqual(before);
}

/** The data branch on the server: path -> [mode, content]. */
function serverData(): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  const ls = forge.server(['ls-tree', '-r', '-z', DATA]).stdout;
  for (const rec of ls.split('\0').filter(Boolean)) {
    const [meta, p] = rec.split('\t') as [string, string];
    const [mode, , oid] = meta.split(' ') as [string, string, string];
    out.set(p, [mode, forge.server(['cat-file', 'blob', oid]).stdout]);
  }
  return out;
}

/** A user pushes their own key to the policy branch (self-registration preset). */
function selfRegister(c: Clone): void {
  c.ok(['fetch', '-q', 'origin']);
  c.ok(['checkout', '-q', '-B', 'register', 'origin/apps/access-control']);
  c.write(`keys/${c.user.id}.asc`, c.user.key.publicArmored);
  c.commit(`register ${c.user.name}`);
  const r = c.push(`HEAD:${POLICY}`);
  if (r.code !== 0) throw new Error(`${c.user.name} could not register: ${r.stderr}`);
}

/** Back to an up-to-date main, the way a user would. */
function onMain(c: Clone): void {
  c.ok(['fetch', '-q', 'origin']);
  c.ok(['checkout', '-q', '-B', 'main', 'origin/main']);
}

interface Listed {
  id: string;
  author: string;
  number: number;
  title: string;
  labels: string[];
}
interface Shown extends Listed {
  revisions: Array<{ version: string; tag: string; commit: string }>;
  merged: { into: string; merged: boolean };
  comments: Array<{ author: string; number: number; date: string; text: string }>;
}

describe('merge requests, end to end', () => {
  let owner: Clone, mia: Clone, alice: Clone, bob: Clone;
  let A: string, B: string, M: string;
  let v1: string, v2: string;

  beforeAll(() => {
    forge = Forge.create({ presets: ['merge-requests', 'self-registration'], users: ['mia', 'alice', 'bob'] });
    bin = fs.mkdtempSync(path.join(forge.root, 'bin-'));
    fs.symlinkSync(GIT_MR, path.join(bin, 'git-mr'));
    A = forge.user('alice').id;
    B = forge.user('bob').id;
    M = forge.user('mia').id;
  });

  afterAll(() => forge?.cleanup());

  test('the owner creates main, registers mia and makes her a maintainer', () => {
    owner = forge.clone(forge.owner);
    owner.write('README.md', '# project\n').write('src/app.txt', 'app v0\n');
    owner.commit('initial');
    expect(owner.push('HEAD:refs/heads/main').code).toBe(0);

    owner.ok(['checkout', '-q', '-b', 'policy', 'origin/apps/access-control']);
    owner.write(`keys/${M}.asc`, forge.user('mia').key.publicArmored);
    owner.write('groups/maintainers.conf', `# maintainers of the project\nowner\n${M}\n`);
    owner.commit('maintainers: add mia');
    const r = owner.push(`HEAD:${POLICY}`);
    expect(r.code, r.stderr).toBe(0);
    expect(forge.server(['show', `${POLICY}:groups/maintainers.conf`]).stdout).toContain(M);
  });

  test('alice and bob register their own keys', () => {
    alice = forge.clone('alice');
    bob = forge.clone('bob');
    mia = forge.clone('mia');
    selfRegister(alice);
    selfRegister(bob);
    for (const c of [alice, bob, mia]) onMain(c);
    expect(forge.server(['ls-tree', '--name-only', `${POLICY}:keys`]).stdout.split('\n')).toEqual(
      expect.arrayContaining([`${A}.asc`, `${B}.asc`, `${M}.asc`]),
    );
  });

  test('bob cannot register somebody else’s key', () => {
    const carol = forge.addUser('carol');
    const before = forge.refs();
    bob.ok(['checkout', '-q', '-B', 'register', 'origin/apps/access-control']);
    bob.write(`keys/${carol.id}.asc`, carol.key.publicArmored);
    bob.commit('register carol, who did not ask');
    const r = bob.push(`HEAD:${POLICY}`);
    expectDenied(r, before, bob.user, `create-file keys/${carol.id}.asc on heads/apps/access-control`);
    onMain(bob);
  });

  test('git mr whoami is the signing key’s fingerprint', () => {
    expect(mrOk(alice, 'whoami').trim()).toBe(A);
  });

  test('alice opens a merge request: title, first comment, labels both ways, v1 tag', () => {
    alice.ok(['checkout', '-q', '-b', 'topic']);
    alice.write('src/app.txt', 'app v1: with the feature\n');
    v1 = alice.commit('add the feature');
    alice.ok(['checkout', '-q', 'main']);

    const out = mrOk(alice, 'create', 'Add the feature', '--message', 'Please review the feature.', '--from', 'topic');
    expect(out).toContain(`created merge request ${A}/1`);

    expect(forge.ref(`refs/tags/apps/merge-reqs/${A}/1-v1`)).toBe(v1);
    const data = serverData();
    expect(data.get(`merge-reqs/${A}/1/title`)).toEqual(['100644', 'Add the feature\n']);
    const [mode, comment] = data.get(`merge-reqs/${A}/1/comments/${A}/1`)!;
    expect(mode).toBe('100644');
    expect(comment).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z\n\nPlease review the feature\./);
    for (const label of ['open', 'needs-review']) {
      expect(data.get(`merge-reqs/${A}/1/labels/${label}`)).toEqual(['120000', `../../../../labels/${label}`]);
      expect(data.get(`labels/${label}/${A}/1`)).toEqual(['120000', `../../../merge-reqs/${A}/1`]);
    }
    // The user's checkout was not touched.
    expect(alice.ok(['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main');
    expect(alice.ok(['status', '--porcelain'])).toBe('');
  });

  test('bob lists and shows it, and comments', () => {
    const list = mrJson<Listed[]>(bob, 'list');
    expect(list).toEqual([{ id: `${A}/1`, author: A, number: 1, title: 'Add the feature', labels: ['needs-review', 'open'] }]);
    expect(mrJson<Listed[]>(bob, 'list', '--label', 'needs-review').map((l) => l.id)).toEqual([`${A}/1`]);
    expect(mrJson<Listed[]>(bob, 'list', '--label', 'merged')).toEqual([]);

    expect(mrOk(bob, 'comment', `${A.slice(0, 8)}/1`, 'One nit: say what the feature does.')).toContain(`commented on ${A}/1`);
    const shown = mrJson<Shown>(bob, 'show', `${A}/1`);
    expect(shown.comments.map((c) => [c.author, c.number])).toEqual([
      [A, 1],
      [B, 1],
    ]);
    expect(shown.comments[1]!.text).toBe('One nit: say what the feature does.');
    expect(shown.revisions).toEqual([{ version: 'v1', tag: `refs/tags/apps/merge-reqs/${A}/1-v1`, commit: v1 }]);
    expect(shown.merged.merged).toBe(false);
    // The human-readable form too.
    const text = mrOk(bob, 'show', `${A}/1`);
    expect(text).toContain(`merge request ${A}/1: Add the feature`);
    expect(text).toContain('One nit');
  });

  test('rejected: bob edits alice’s title (bypassing the tool)', () => {
    const before = forge.refs();
    bob.ok(['fetch', '-q', 'origin']);
    bob.ok(['checkout', '-q', '-B', 'data', 'origin/apps/merge-reqs/data']);
    bob.write(`merge-reqs/${A}/1/title`, 'Bob was here\n');
    bob.commit('rename alice’s request');
    expectDenied(bob.push(`HEAD:${DATA}`), before, bob.user, `modify merge-reqs/${A}/1/title on heads/apps/merge-reqs/data`);
    // Through the tool the same: the server decides, not the tool.
    expectDenied(mr(bob, 'title', `${A}/1`, 'Bob was here'), before, bob.user, `modify merge-reqs/${A}/1/title`);
  });

  test('rejected: bob edits alice’s comment', () => {
    const before = forge.refs();
    bob.ok(['checkout', '-q', '-B', 'data', 'origin/apps/merge-reqs/data']);
    bob.write(`merge-reqs/${A}/1/comments/${A}/1`, '2000-01-01T00:00:00.000Z\n\nI withdraw this.\n');
    bob.commit('put words in alice’s mouth');
    expectDenied(bob.push(`HEAD:${DATA}`), before, bob.user, `modify merge-reqs/${A}/1/comments/${A}/1 on heads/apps/merge-reqs/data`);
    // Nor may he delete it, or add one in her name.
    bob.ok(['checkout', '-q', '-B', 'data', 'origin/apps/merge-reqs/data']);
    bob.remove(`merge-reqs/${A}/1/comments/${A}/1`);
    bob.write(`merge-reqs/${A}/1/comments/${A}/2`, '2000-01-01T00:00:00.000Z\n\nforged\n');
    bob.commit('delete and forge');
    expectDenied(
      bob.push(`HEAD:${DATA}`),
      before,
      bob.user,
      `delete-file merge-reqs/${A}/1/comments/${A}/1`,
      `create-file merge-reqs/${A}/1/comments/${A}/2`,
    );
    onMain(bob);
  });

  test('rejected: bob labels alice’s request (not a maintainer)', () => {
    const before = forge.refs();
    const r = mr(bob, 'label', `${A}/1`, '+approved', '-needs-review');
    expectDenied(
      r,
      before,
      bob.user,
      `create-symlink merge-reqs/${A}/1/labels/approved`,
      `delete-symlink merge-reqs/${A}/1/labels/needs-review`,
      `create-symlink labels/approved/${A}/1`,
      `delete-symlink labels/needs-review/${A}/1`,
    );
    expect(r.stderr).toContain('nothing changed');
  });

  test('rejected: bob pushes a revision tag in alice’s namespace', () => {
    const before = forge.refs();
    bob.ok(['checkout', '-q', '-b', 'bobs-version']);
    bob.write('src/app.txt', 'app v1: bob’s idea of the feature\n');
    const c = bob.commit('bob’s version');
    // Directly...
    expectDenied(bob.push(`${c}:refs/tags/apps/merge-reqs/${A}/1-v2`), before, bob.user, `create-tag tags/apps/merge-reqs/${A}/1-v2`);
    // ... and through the tool, whose push also carries bob's (allowed) comment: all or nothing.
    const r = mr(bob, 'revise', `${A}/1`, '--from', c, '--message', 'my version');
    expectDenied(r, before, bob.user, `create-tag tags/apps/merge-reqs/${A}/1-v2`);
    expect(serverData().has(`merge-reqs/${A}/1/comments/${B}/2`)).toBe(false);
    bob.ok(['checkout', '-q', 'main']);
  });

  test('alice publishes v2 with a comment', () => {
    alice.ok(['checkout', '-q', 'topic']);
    alice.write('src/app.txt', 'app v1: with the feature, which greets the user\n');
    v2 = alice.commit('say what the feature does');
    alice.ok(['checkout', '-q', 'main']);
    expect(mrOk(alice, 'revise', 'me/1', '--from', 'topic', '--message', 'Addressed the nit.')).toContain(`published ${A}/1 v2`);
    expect(forge.ref(`refs/tags/apps/merge-reqs/${A}/1-v2`)).toBe(v2);
    expect(forge.ref(`refs/tags/apps/merge-reqs/${A}/1-v1`)).toBe(v1);
    const shown = mrJson<Shown>(alice, 'show', 'me/1');
    expect(shown.revisions.map((r) => r.version)).toEqual(['v1', 'v2']);
    expect(shown.comments.map((c) => [c.author, c.number])).toEqual([
      [A, 1],
      [B, 1],
      [A, 2],
    ]);
  });

  test('rejected: alice and bob cannot merge; only maintainers can move main', () => {
    const before = forge.refs();
    for (const c of [bob, alice]) {
      const r = mr(c, 'merge', `${A}/1`, '--into', 'main');
      expectDenied(r, before, c.user, 'fast-forward heads/main', 'modify src/app.txt on heads/main');
    }
  });

  test('mia labels and merges it: main gets v2, labels become closed and merged', () => {
    expect(mrOk(mia, 'label', `${A}/1`, '+approved')).toContain('+approved');
    const mainBefore = forge.ref('refs/heads/main')!;
    expect(mrOk(mia, 'merge', `${A}/1`, '--into', 'main')).toContain(`merged ${A}/1 v2 into main`);

    const main = forge.ref('refs/heads/main')!;
    expect(forge.server(['rev-list', '--parents', '-n', '1', main]).stdout.trim().split(' ').slice(1)).toEqual([mainBefore, v2]);
    expect(forge.server(['show', 'refs/heads/main:src/app.txt']).stdout).toBe('app v1: with the feature, which greets the user\n');

    const shown = mrJson<Shown>(bob, 'show', `${A}/1`);
    expect(shown.labels).toEqual(['approved', 'closed', 'merged']);
    expect(shown.merged.merged).toBe(true);
    expect(shown.comments.at(-1)!.author).toBe(M);
    expect(shown.comments.at(-1)!.text).toContain(`merged v2: ${v2} into main`);
    const data = serverData();
    for (const gone of [`merge-reqs/${A}/1/labels/open`, `labels/open/${A}/1`, `labels/needs-review/${A}/1`])
      expect(data.has(gone)).toBe(false);
    expect(data.get(`labels/merged/${A}/1`)).toEqual(['120000', `../../../merge-reqs/${A}/1`]);
    expect(mrJson<Listed[]>(bob, 'list', '--label', 'needs-review')).toEqual([]);
    expect(mrJson<Listed[]>(bob, 'list', '--label', 'merged').map((l) => l.id)).toEqual([`${A}/1`]);
  });

  test('every write was a fast-forward of the data branch: nothing was ever lost', () => {
    const commits = forge.server(['rev-list', '--first-parent', DATA]).stdout.trim().split('\n');
    // create, comment, revise, label, merge
    expect(commits).toHaveLength(5);
    expect(forge.server(['rev-list', '--max-parents=0', DATA]).stdout.trim()).toBe(commits.at(-1));
  });

  test('bob opens his own request: his number space starts at 1, and his labels are his', () => {
    bob.ok(['checkout', '-q', '-B', 'fix', 'origin/main']);
    bob.write('docs.txt', 'docs\n');
    bob.commit('docs');
    expect(mrOk(bob, 'create', 'Docs', '--message', 'Adds docs.', '--from', 'fix')).toContain(`created merge request ${B}/1`);
    expect(mrOk(bob, 'label', 'me/1', '-needs-review', '+wip')).toContain('-needs-review +wip');
    const list = mrJson<Listed[]>(alice, 'list', '--label', 'open');
    expect(list.map((l) => l.id).sort()).toEqual([`${B}/1`]);
    // Removing the only needs-review label deleted labels/needs-review itself (git keeps no empty directories).
    expect([...serverData().keys()].some((p) => p.startsWith('labels/needs-review/'))).toBe(false);
  });

  test('a write that loses a race is rebuilt on the new tip and pushed again', () => {
    // Alice's pre-push hook runs once: before her push goes out, bob comments, moving the data branch.
    const marker = path.join(forge.root, 'raced');
    const hook = [
      '#!/bin/sh',
      `[ -e '${marker}' ] && exit 0`,
      `touch '${marker}'`,
      'unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX',
      `cd '${bob.dir}' && git mr comment '${A}/1' 'bob got there first' >/dev/null || exit 1`,
      'exit 0',
      '',
    ].join('\n');
    alice.write('.git/hooks/pre-push', hook, 0o755);
    try {
      const before = forge.ref(DATA)!;
      expect(mrOk(alice, 'comment', 'me/1', 'alice, second')).toContain(`commented on ${A}/1`);
      expect(fs.existsSync(marker)).toBe(true);
      const commits = forge
        .server(['rev-list', `${before}..${DATA}`])
        .stdout.trim()
        .split('\n');
      expect(commits).toHaveLength(2);
      const texts = mrJson<Shown>(bob, 'show', `${A}/1`).comments.map((c) => c.text);
      expect(texts).toEqual(expect.arrayContaining(['bob got there first', 'alice, second']));
    } finally {
      alice.remove('.git/hooks/pre-push');
    }
  });
});
