/**
 * The hook's loader starts `git config` and `git cat-file --batch-command` before the hook's code loads
 * (src/server/early-children.ts), and the hook takes them instead of starting its own: through a real signed push,
 * every git command the server runs is logged, and each of the two runs once, through the shipped start and
 * through the plain one alike.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, run, type Clone } from '../support/forge.js';
import { withGitLog } from '../support/git-wrapper.js';

let forge: Forge;
let owner: Clone;
let n = 0;

beforeAll(() => {
  forge = Forge.create();
  owner = forge.clone('owner');
});
afterAll(() => forge?.cleanup());

function pushLogged(extra: NodeJS.ProcessEnv = {}): { code: number; stderr: string; commands: string[] } {
  const c = owner.commitTree({ [`f${++n}.txt`]: `${n}\n` }, [], `c${n}`);
  const { result: r, commands } = withGitLog(forge.root, (env) =>
    run('git', ['push', '--signed', '--porcelain', 'origin', `${c}:refs/heads/b${n}`], {
      cwd: owner.dir,
      env: { ...forge.env, ...env, ...extra },
    }),
  );
  return { code: r.code, stderr: r.stderr, commands };
}

for (const start of ['shipped', 'plain'] as const) {
  test(`${start} start: one git config and one cat-file, started early and taken by the hook`, () => {
    const r = pushLogged(start === 'plain' ? { GIT_ACL_HOOK_START: 'plain' } : {});
    expect(r.code, r.stderr).toBe(0);
    expect(forge.ref(`refs/heads/b${n}`)).not.toBeNull();
    expect(r.commands.filter((c) => c === 'config -z')).toHaveLength(1);
    expect(r.commands.filter((c) => c === 'cat-file --batch-command')).toHaveLength(1);
  });
}

test('a push refused before the hook asks git anything: the early children change nothing of what the pusher sees', () => {
  // Unsigned: refused before the config is read; the early children are killed at exit, silently.
  const c = owner.commitTree({ [`u${++n}.txt`]: 'u\n' }, [], `u${n}`);
  const r = run('git', ['push', '--porcelain', 'origin', `${c}:refs/heads/u${n}`], { cwd: owner.dir, env: forge.env });
  expect(r.code).not.toBe(0);
  const remote = r.stderr.split('\n').filter((l) => l.startsWith('remote:'));
  expect(remote).toHaveLength(1);
  expect(remote[0]).toMatch(/^remote: git-acl: push rejected: unsigned push: this server accepts only signed pushes;/);
  expect(forge.ref(`refs/heads/u${n}`)).toBeNull();
});
