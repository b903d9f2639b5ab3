/**
 * The policy presets in policies/: each lints clean exactly as `git acl init`
 * installs it (its files merged with policies/default/ and the owner's key),
 * they can all be installed together, and they grant what their headers say
 * (checked through the core's evaluate, without git or gpg).
 */
import { describe, expect, test } from 'vitest';
import { compilePolicy, evaluate, lintPolicy, parsePolicy, formatDiagnostic } from '../../src/core/index.js';
import type { Actor, Operation, PolicyFile, RefOp, TreeOp } from '../../src/core/index.js';
import { listPresets, readPresetFiles } from '../../src/server/init.js';

const OWNER = 'A'.repeat(40);
const ALICE = 'A1'.repeat(20);
const BOB = 'B0'.repeat(20);
const MIA = 'C3'.repeat(20);

const PRESETS = ['per-user-branches', 'self-registration', 'shared-directory', 'merge-requests'];

/** The policy branch as init writes it: default + presets (a clash is an error) + an owner key file. */
async function installed(presets: string[], extra: PolicyFile[] = []): Promise<PolicyFile[]> {
  const files = new Map<string, string>();
  for (const p of ['default', ...presets]) {
    for (const [path, content] of await readPresetFiles(p)) {
      if (files.has(path)) throw new Error(`presets clash: ${path}`);
      files.set(path, content.toString('utf8'));
    }
  }
  for (const f of extra) files.set(f.path, f.content);
  return [...files].map(([path, content]) => ({ path, content }));
}

function judge(files: PolicyFile[], user: string) {
  const compiled = compilePolicy(parsePolicy(files));
  const actor: Actor = { userId: user, ownerId: OWNER };
  return {
    ref(op: RefOp, ref: string): boolean {
      return evaluate(compiled, actor, [{ type: 'ref', op, ref }])[0]!.allowed;
    },
    tree(op: TreeOp, path: string, branch = 'refs/heads/main'): boolean {
      return evaluate(compiled, actor, [{ type: 'tree', op, path, branch }])[0]!.allowed;
    },
    all(ops: Operation[]): boolean {
      return evaluate(compiled, actor, ops).every((d) => d.allowed);
    },
  };
}

describe('presets lint clean', () => {
  test('the presets this repository ships are all there', async () => {
    expect(await listPresets()).toEqual(expect.arrayContaining(['default', ...PRESETS]));
  });

  for (const preset of PRESETS) {
    test(`${preset}: no error and no warning, installed with default`, async () => {
      const diags = lintPolicy(await installed([preset]));
      expect(diags.map(formatDiagnostic)).toEqual([]);
    });

    test(`${preset}: every .conf file starts with a comment saying what it grants`, async () => {
      for (const [path, content] of await readPresetFiles(preset)) {
        if (!path.endsWith('.conf')) continue;
        const text = content.toString('utf8');
        expect(text.startsWith('#'), path).toBe(true);
        expect(text, path).toMatch(/Grants|Group:/);
      }
    });
  }

  test('all presets install together without clashes and lint clean', async () => {
    const diags = lintPolicy(await installed(PRESETS));
    expect(diags.map(formatDiagnostic)).toEqual([]);
  });

  test('the maintainers group lints clean with real members added', async () => {
    const files = await installed(['merge-requests'], [{ path: 'groups/maintainers.conf', content: `owner\n${MIA}\n` }]);
    expect(lintPolicy(files).map(formatDiagnostic)).toEqual([]);
  });
});

describe('per-user-branches grants', () => {
  test('own heads and tags: create, fast-forward, force, delete; nobody else’s', async () => {
    const files = await installed(['per-user-branches']);
    const alice = judge(files, ALICE);
    for (const op of ['create-branch', 'fast-forward', 'force', 'delete'] as const) {
      expect(alice.ref(op, `refs/heads/${ALICE}/topic`)).toBe(true);
      expect(alice.ref(op, `refs/heads/${BOB}/topic`)).toBe(false);
    }
    for (const op of ['create-tag', 'force', 'delete'] as const) {
      expect(alice.ref(op, `refs/tags/${ALICE}/v1`)).toBe(true);
      expect(alice.ref(op, `refs/tags/${BOB}/v1`)).toBe(false);
    }
    expect(alice.ref('fast-forward', 'refs/heads/main')).toBe(false);
    expect(alice.ref('create-branch', `refs/heads/${ALICE}`)).toBe(false);
  });

  test('tree ops only inside own branches', async () => {
    const alice = judge(await installed(['per-user-branches']), ALICE);
    expect(alice.tree('create-file', 'src/x.c', `refs/heads/${ALICE}/topic`)).toBe(true);
    expect(alice.tree('create-submodule', 'vendor/lib', `refs/heads/${ALICE}/a/b`)).toBe(true);
    expect(alice.tree('delete-directory', 'src', `refs/heads/${ALICE}/topic`)).toBe(true);
    expect(alice.tree('create-file', 'src/x.c', `refs/heads/${BOB}/topic`)).toBe(false);
    expect(alice.tree('create-file', 'src/x.c', 'refs/heads/main')).toBe(false);
    expect(alice.tree('create-file', 'refs/evil.conf', 'refs/heads/apps/access-control')).toBe(false);
  });
});

describe('self-registration grants', () => {
  const policyBranch = 'refs/heads/apps/access-control';

  test('own key only, on the policy branch only', async () => {
    const alice = judge(await installed(['self-registration']), ALICE);
    expect(alice.ref('fast-forward', policyBranch)).toBe(true);
    expect(alice.ref('force', policyBranch)).toBe(false);
    expect(alice.ref('delete', policyBranch)).toBe(false);
    expect(alice.tree('create-file', `keys/${ALICE}.asc`, policyBranch)).toBe(true);
    expect(alice.tree('modify', `keys/${ALICE}.asc`, policyBranch)).toBe(true);
    expect(alice.tree('delete-file', `keys/${ALICE}.asc`, policyBranch)).toBe(false);
    expect(alice.tree('create-file', `keys/${BOB}.asc`, policyBranch)).toBe(false);
    expect(alice.tree('modify', `keys/${OWNER}.asc`, policyBranch)).toBe(false);
    expect(alice.tree('create-file', 'refs/alice.conf', policyBranch)).toBe(false);
    expect(alice.tree('modify', 'refs/owner.conf', policyBranch)).toBe(false);
    expect(alice.tree('create-file', 'groups/maintainers.conf', policyBranch)).toBe(false);
    expect(alice.tree('create-file', `keys/${ALICE}.asc`, 'refs/heads/main')).toBe(false);
  });

  test('with every preset installed, a fast-forward of the policy branch still changes nothing but one’s own key', async () => {
    const alice = judge(await installed(PRESETS), ALICE);
    expect(alice.tree('create-file', `keys/${ALICE}.asc`, policyBranch)).toBe(true);
    for (const path of [
      'refs/x.conf',
      'branches/x.conf',
      'groups/maintainers.conf',
      `keys/${BOB}.asc`,
      'shared/x',
      `merge-reqs/${ALICE}/1/title`,
      `labels/open/${ALICE}/1`,
    ]) {
      for (const op of ['create-file', 'modify', 'delete-file', 'create-symlink'] as const) {
        expect(alice.tree(op, path, policyBranch), `${op} ${path}`).toBe(false);
      }
    }
  });
});

describe('shared-directory grants', () => {
  test('sticky: create at the top, own subdirectory fully, nothing else', async () => {
    const files = await installed(['shared-directory']);
    const alice = judge(files, ALICE);
    expect(alice.ref('fast-forward', 'refs/heads/main')).toBe(true);
    expect(alice.ref('force', 'refs/heads/main')).toBe(false);
    expect(alice.ref('create-branch', 'refs/heads/main')).toBe(false);
    expect(alice.tree('create-directory', 'shared')).toBe(true);
    expect(alice.tree('create-file', 'shared/notes.txt')).toBe(true);
    expect(alice.tree('modify', 'shared/notes.txt')).toBe(false);
    expect(alice.tree('delete-file', 'shared/notes.txt')).toBe(false);
    expect(alice.tree('create-file', 'shared/deep/notes.txt')).toBe(false);
    expect(alice.tree('create-symlink', 'shared/link')).toBe(false);
    for (const op of [
      'create-directory',
      'create-file',
      'create-symlink',
      'modify',
      'delete-file',
      'delete-directory',
      'delete-symlink',
    ] as const) {
      expect(alice.tree(op, `shared/${ALICE}/a/b.txt`), op).toBe(true);
      expect(alice.tree(op, `shared/${BOB}/a/b.txt`), op).toBe(false);
    }
    expect(alice.tree('create-directory', `shared/${ALICE}`)).toBe(true);
    expect(alice.tree('create-directory', `shared/${BOB}`)).toBe(false);
    // Squatting Bob's subdirectory name with a file is denied, for the owner too.
    expect(alice.tree('create-file', `shared/${BOB}`)).toBe(false);
    expect(judge(files, OWNER).tree('create-file', `shared/${BOB}`)).toBe(false);
    expect(alice.tree('create-file', 'README.md')).toBe(false);
    expect(alice.tree('create-file', 'shared/x', 'refs/heads/dev')).toBe(false);
    // The owner moderates.
    expect(judge(files, OWNER).tree('delete-file', 'shared/notes.txt')).toBe(true);
  });
});

describe('merge-requests grants', () => {
  const data = 'refs/heads/apps/merge-reqs/data';
  const withMia = () => installed(['merge-requests'], [{ path: 'groups/maintainers.conf', content: `owner\n${MIA}\n` }]);
  const t = (op: TreeOp, path: string, branch = data): Operation => ({ type: 'tree', op, path, branch });

  test('refs: data branch forward only, revision tags in one’s own namespace, main for maintainers', async () => {
    const files = await withMia();
    const bob = judge(files, BOB);
    const mia = judge(files, MIA);
    expect(bob.ref('create-branch', data)).toBe(true);
    expect(bob.ref('fast-forward', data)).toBe(true);
    expect(bob.ref('force', data)).toBe(false);
    expect(bob.ref('delete', data)).toBe(false);
    expect(bob.ref('create-tag', `refs/tags/apps/merge-reqs/${BOB}/1-v1`)).toBe(true);
    expect(bob.ref('create-tag', `refs/tags/apps/merge-reqs/${ALICE}/1-v2`)).toBe(false);
    expect(bob.ref('force', `refs/tags/apps/merge-reqs/${BOB}/1-v1`)).toBe(false);
    expect(bob.ref('delete', `refs/tags/apps/merge-reqs/${BOB}/1-v1`)).toBe(false);
    expect(bob.ref('create-tag', `refs/tags/apps/merge-reqs/${BOB}/1`)).toBe(false);
    expect(bob.ref('fast-forward', 'refs/heads/main')).toBe(false);
    expect(mia.ref('fast-forward', 'refs/heads/main')).toBe(true);
    expect(mia.ref('force', 'refs/heads/main')).toBe(false);
  });

  test('creating a merge request from nothing: every op the tool makes is allowed to its author', async () => {
    const alice = judge(await withMia(), ALICE);
    const r = `merge-reqs/${ALICE}/1`;
    const ops = [
      t('create-directory', 'merge-reqs'),
      t('create-directory', `merge-reqs/${ALICE}`),
      t('create-directory', r),
      t('create-file', `${r}/title`),
      t('create-directory', `${r}/comments`),
      t('create-directory', `${r}/comments/${ALICE}`),
      t('create-file', `${r}/comments/${ALICE}/1`),
      t('create-directory', `${r}/labels`),
      t('create-symlink', `${r}/labels/open`),
      t('create-symlink', `${r}/labels/needs-review`),
      t('create-directory', 'labels'),
      t('create-directory', 'labels/open'),
      t('create-directory', `labels/open/${ALICE}`),
      t('create-symlink', `labels/open/${ALICE}/1`),
      t('create-directory', 'labels/needs-review'),
      t('create-directory', `labels/needs-review/${ALICE}`),
      t('create-symlink', `labels/needs-review/${ALICE}/1`),
    ];
    expect(alice.all(ops)).toBe(true);
    // ... and none of it to Bob, except what anyone may do.
    const bob = judge(await withMia(), BOB);
    expect(bob.tree('create-directory', `merge-reqs/${ALICE}/2`, data)).toBe(false);
    expect(bob.tree('create-file', `${r}/title`, data)).toBe(false);
    expect(bob.tree('modify', `${r}/title`, data)).toBe(false);
  });

  test('comments: anyone, own directory only; labels: author and maintainers only', async () => {
    const files = await withMia();
    const bob = judge(files, BOB);
    const mia = judge(files, MIA);
    const r = `merge-reqs/${ALICE}/1`;
    expect(
      bob.all([
        t('create-directory', `${r}/comments/${BOB}`),
        t('create-file', `${r}/comments/${BOB}/1`),
        t('modify', `${r}/comments/${BOB}/1`),
      ]),
    ).toBe(true);
    expect(bob.tree('modify', `${r}/comments/${ALICE}/1`, data)).toBe(false);
    expect(bob.tree('delete-file', `${r}/comments/${ALICE}/1`, data)).toBe(false);
    expect(bob.tree('create-file', `${r}/comments/${ALICE}/2`, data)).toBe(false);
    expect(bob.tree('delete-file', `${r}/comments/${BOB}/1`, data)).toBe(false);
    expect(bob.tree('create-symlink', `${r}/labels/approved`, data)).toBe(false);
    expect(bob.tree('delete-symlink', `${r}/labels/open`, data)).toBe(false);
    expect(bob.tree('create-symlink', `labels/approved/${ALICE}/1`, data)).toBe(false);
    expect(bob.tree('delete-directory', `labels/open/${ALICE}`, data)).toBe(false);
    expect(
      mia.all([
        t('delete-symlink', `${r}/labels/open`),
        t('delete-symlink', `${r}/labels/needs-review`),
        t('create-symlink', `${r}/labels/closed`),
        t('create-symlink', `${r}/labels/merged`),
        t('delete-symlink', `labels/open/${ALICE}/1`),
        t('delete-directory', `labels/open/${ALICE}`),
        t('delete-directory', 'labels/open'),
        t('create-directory', 'labels/merged'),
        t('create-directory', `labels/merged/${ALICE}`),
        t('create-symlink', `labels/merged/${ALICE}/1`),
      ]),
    ).toBe(true);
    // Titles stay the author's, maintainers included.
    expect(mia.tree('modify', `${r}/title`, data)).toBe(false);
    // Merging into main.
    expect(mia.tree('create-file', 'src/feature.c', 'refs/heads/main')).toBe(true);
    expect(bob.tree('create-file', 'src/feature.c', 'refs/heads/main')).toBe(false);
  });

  test('no merge-request rule reaches another branch', async () => {
    const alice = judge(await withMia(), ALICE);
    for (const branch of ['refs/heads/main', 'refs/heads/apps/access-control', 'refs/heads/apps/merge-reqs/other']) {
      expect(alice.tree('create-file', `merge-reqs/${ALICE}/1/title`, branch)).toBe(false);
      expect(alice.tree('create-directory', 'merge-reqs', branch)).toBe(false);
    }
  });
});
