/**
 * The push quarantine, proved with REAL pushes: the server's pre-receive hook
 * (fixtures/pre-receive-ops.mjs, running the built dist/) computes the push's
 * operations with both stores while the pushed objects exist only in git's
 * quarantine directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Operation } from '../../src/core/model.js';
import { ZERO_OID, cleanupTempDirs, commit, file, git, gitEnv, initRepo, runGit, symlink, tempDir } from '../support/git.js';
import { brief, ops } from './helpers.js';
import { REPO_ROOT } from '../support/env.js';

const root = REPO_ROOT;
const hookScript = path.join(root, 'test/git/fixtures/pre-receive-ops.mjs');

interface Attempt {
  ops?: Operation[];
  error?: string;
}
interface HookResult {
  env: Record<string, string | null>;
  updates: Array<{ oldOid: string; newOid: string; ref: string }>;
  quarantineFiles: string[];
  cli: Attempt;
  iso: Attempt;
  isoWithoutQuarantine: Attempt;
}

beforeAll(() => {
  // The hook runs the compiled JS, which the global setup builds once before any test file runs. Never rebuild
  // here: other test files run the installed hook from dist/ at the same time, and would read half-written files.
  for (const f of [
    'cli-store',
    'cat-file',
    'tree-diff',
    'exec',
    'errors',
    'iso-store',
    'node-fs',
    'operations',
    'objects',
    'names',
    'modes',
    'location',
    'overlay-fs',
  ]) {
    const js = path.join(root, 'dist/git', `${f}.js`);
    const ts = path.join(root, 'src/git', `${f}.ts`);
    expect(fs.existsSync(js), `${js} built`).toBe(true);
    expect(fs.statSync(js).mtimeMs).toBeGreaterThanOrEqual(fs.statSync(ts).mtimeMs - 1000);
  }
});
afterAll(() => cleanupTempDirs());

function makeServer(config: Record<string, string> = {}): string {
  const server = initRepo();
  for (const [k, v] of Object.entries(config)) git(['config', k, v], { gitDir: server });
  const hook = path.join(server, 'hooks', 'pre-receive');
  fs.writeFileSync(hook, `#!/bin/sh\nexec "${process.execPath}" "${hookScript}"\n`, { mode: 0o755 });
  return server;
}

/** Pushes `refspecs` from `client` to `server`; returns the push status and what the hook wrote. */
function push(client: string, server: string, refspecs: string[], hookExit: 0 | 1): { status: number; hook: HookResult; stderr: string } {
  const out = path.join(tempDir('hook-out-'), 'ops.json');
  const r = runGit(['push', '--porcelain', server, ...refspecs], {
    gitDir: client,
    allowFail: true,
    env: { ACL_TEST_OUT: out, ACL_TEST_DIST: path.join(root, 'dist'), ACL_TEST_EXIT: String(hookExit) },
  });
  expect(fs.existsSync(out), `hook output (push stderr: ${r.stderr})`).toBe(true);
  return { status: r.status, hook: JSON.parse(fs.readFileSync(out, 'utf8')) as HookResult, stderr: r.stderr };
}

function hasObject(gitDir: string, oid: string): boolean {
  return runGit(['cat-file', '-e', oid], { gitDir, allowFail: true }).status === 0;
}

describe.each([
  ['loose objects in the quarantine', {}],
  ['a kept pack in the quarantine', { 'receive.unpackLimit': '1' }],
] as const)('pre-receive with %s', (_name, config) => {
  let server: string;
  let client: string;
  let base: string;

  beforeAll(() => {
    server = makeServer(config);
    client = initRepo();
    base = commit(client, [file('README', 'hello'), file('docs/a.md')]);
    git(['update-ref', 'refs/heads/main', base], { gitDir: client });
    git(['update-ref', 'refs/heads/old', base], { gitDir: client });
    // Seed the server (the hook accepts this one).
    const seeded = push(client, server, ['refs/heads/main:refs/heads/main', 'refs/heads/old:refs/heads/old'], 0);
    expect(seeded.status).toBe(0);
    expect(seeded.hook.cli).toEqual(seeded.hook.iso);
  });

  test('both stores read the quarantined objects and agree; isomorphic-git alone cannot', async () => {
    const next = commit(
      client,
      [file('README', 'changed'), file('docs/a.md'), file('src/new/deep.ts', 'x'), symlink('link', 'README')],
      [base],
    );
    const unrelated = commit(client, [file('other', 'o')]);
    git(['update-ref', 'refs/heads/main', next], { gitDir: client });
    git(['tag', '-a', '-m', 'release', 'v1', next], { gitDir: client, env: gitEnv() });

    const { status, hook } = push(
      client,
      server,
      ['refs/heads/main:refs/heads/main', 'refs/tags/v1:refs/tags/v1', `${unrelated}:refs/heads/topic`, ':refs/heads/old'],
      1,
    );
    // The hook rejected the push, so the new objects never left the quarantine.
    expect(status).not.toBe(0);
    expect(hasObject(server, next)).toBe(false);
    expect(hasObject(server, unrelated)).toBe(false);

    expect(hook.env.GIT_QUARANTINE_PATH).toBeTruthy();
    expect(hook.env.GIT_OBJECT_DIRECTORY).toBe(hook.env.GIT_QUARANTINE_PATH);
    const packs = hook.quarantineFiles.filter((f) => /^pack\/.*\.pack$/.test(f));
    const loose = hook.quarantineFiles.filter((f) => /^[0-9a-f]{2}\/[0-9a-f]{38}$/.test(f));
    if ('receive.unpackLimit' in config) expect([packs.length, loose.length]).toEqual([1, 0]);
    else expect([packs.length, loose.length > 0]).toEqual([0, true]);
    expect(hook.cli.error).toBeUndefined();
    expect(hook.iso.error).toBeUndefined();
    expect(hook.iso.ops).toEqual(hook.cli.ops);
    // Git orders the updates itself; compare each ref's ops as a group.
    const groups = brief(hook.cli.ops!)
      .join('\n')
      .split(/\n(?=ref )/)
      .sort();
    expect(groups).toEqual(
      [
        'ref create-branch refs/heads/topic\ncreate-file other',
        'ref create-tag refs/tags/v1',
        'ref delete refs/heads/old',
        [
          'ref fast-forward refs/heads/main',
          'modify README',
          'create-symlink link',
          'create-directory src',
          'create-directory src/new',
          'create-file src/new/deep.ts',
        ].join('\n'),
      ].sort(),
    );
    // Without the overlay, isomorphic-git does not see the pushed objects.
    expect(hook.isoWithoutQuarantine.error).toMatch(/not found/);
  });

  test('an accepted push: the hook saw what the stores see afterwards in the repository itself', async () => {
    const prev = git(['rev-parse', 'refs/heads/main'], { gitDir: client });
    const next = commit(client, [file('README', 'v3'), file('docs/b.md')], [prev]);
    git(['update-ref', 'refs/heads/main', next], { gitDir: client });
    const { status, hook } = push(client, server, ['refs/heads/main:refs/heads/main'], 0);
    expect(status).toBe(0);
    expect(hook.iso.ops).toEqual(hook.cli.ops);
    expect(hook.isoWithoutQuarantine.error).toMatch(/not found/);
    expect(hasObject(server, next)).toBe(true);
    // Recompute now that the objects are in the main store: same operations.
    expect(await ops(server, hook.updates)).toEqual(hook.cli.ops);
  });

  test('a delete-only push has no quarantine and still works', () => {
    git(['update-ref', 'refs/heads/gone', base], { gitDir: client });
    expect(push(client, server, ['refs/heads/gone:refs/heads/gone'], 0).status).toBe(0);
    const { status, hook } = push(client, server, [':refs/heads/gone'], 0);
    expect(status).toBe(0);
    expect(hook.env.GIT_QUARANTINE_PATH).toBeNull();
    expect(hook.cli.ops).toEqual([{ type: 'ref', op: 'delete', ref: 'refs/heads/gone' }]);
    expect(hook.iso.ops).toEqual(hook.cli.ops);
    expect(hook.updates[0]!.newOid).toBe(ZERO_OID);
  });
});
