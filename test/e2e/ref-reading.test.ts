/**
 * The hook reads the server's refs from git's files (src/server/ref-list.ts) when that gives `git for-each-ref`'s
 * listing with certainty, and asks git otherwise; the verdicts are git's either way (the ref-list differential
 * test compares the listings, the attack tests judge symbolic and packed refs through this very hook). Here: which
 * way a real push went, by logging the git commands the server runs.
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

/** A push of a new branch by the owner, with every git command the server runs logged; returns them. */
function pushLogged(): { code: number; stderr: string; commands: string[] } {
  const c = owner.commitTree({ [`f${++n}.txt`]: `${n}\n` }, [], `c${n}`);
  const { result: r, commands } = withGitLog(forge.root, (env) =>
    run('git', ['push', '--signed', '--porcelain', 'origin', `${c}:refs/heads/b${n}`], { cwd: owner.dir, env: { ...forge.env, ...env } }),
  );
  return { code: r.code, stderr: r.stderr, commands: commands.map((l) => l.split(' ')[0]!) };
}

test('plain loose and packed refs: the push is judged and lands without a for-each-ref child', () => {
  forge.server(['pack-refs', '--all']);
  const r = pushLogged();
  expect(r.code, r.stderr).toBe(0);
  expect(r.commands).toContain('cat-file'); // the wrapper sees the hook's children
  expect(r.commands).not.toContain('for-each-ref');
  expect(forge.ref(`refs/heads/b${n}`)).not.toBeNull();
});

test('a symbolic ref under refs/: the refs are asked of git, and the push is judged alike', () => {
  forge.server(['symbolic-ref', 'refs/heads/alias', 'refs/heads/main']);
  try {
    const r = pushLogged();
    expect(r.code, r.stderr).toBe(0);
    expect(r.commands).toContain('for-each-ref');
    expect(forge.ref(`refs/heads/b${n}`)).not.toBeNull();
  } finally {
    forge.server(['symbolic-ref', '--delete', 'refs/heads/alias']);
  }
});
