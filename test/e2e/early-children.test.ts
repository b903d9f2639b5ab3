/**
 * The hook script starts `git config` and `git cat-file --batch-command` beside Node, or Node's loader starts them
 * before the hook's code loads (src/server/early-children.ts), and the hook takes them instead of starting its own:
 * through a real signed push, every git command the server runs is logged with the program that started it, and
 * each of the two runs once, through the shipped start and through the plain one alike. When the script's children
 * cannot be made or used, Node starts its own and the pusher sees the same thing.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, run, type Clone } from '../support/forge.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withGitLog, wrapGit } from '../support/git-wrapper.js';

let forge: Forge;
let owner: Clone;
let n = 0;

beforeAll(() => {
  forge = Forge.create();
  // These tests are about the hook the script starts; a warm judge starts its children itself (warm-judge.test.ts).
  forge.server(['config', 'acl.warmSeconds', '0']);
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

/** Leftovers of the script's FIFOs in the repository's git-acl/ directory. */
function fifos(): string[] {
  return fs.readdirSync(path.join(forge.bare, 'git-acl')).filter((f) => f.startsWith('cat-file-'));
}

for (const start of ['shipped', 'plain'] as const) {
  test(`${start} start: one git config and one cat-file, started early and taken by the hook`, () => {
    const r = pushLogged(start === 'plain' ? { GIT_ACL_HOOK_START: 'plain' } : {});
    expect(r.code, r.stderr).toBe(0);
    expect(forge.ref(`refs/heads/b${n}`)).not.toBeNull();
    expect(r.commands.filter((c) => c === 'config -z')).toHaveLength(1);
    expect(r.commands.filter((c) => c === 'cat-file --batch-command')).toHaveLength(1);
  });

  test(`${start} start: the hook script starts both beside Node, and leaves no FIFO behind`, () => {
    const r = pushWatched(start === 'plain' ? { GIT_ACL_HOOK_START: 'plain' } : {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.started).toEqual(['pre-receive cat-file --batch-command', 'pre-receive config -z'].sort());
    expect(fifos()).toEqual([]);
  });
}

/**
 * Pushes a new branch with every git command the server runs logged as `<parent program> <first two arguments>`
 * (sorted), and `body` run before the real git (sh; may end the wrapper early). `exec` adds programs to the hooks'
 * exec path, which git puts first on their PATH.
 */
function pushWatched(extra: NodeJS.ProcessEnv = {}, body = '', exec: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(forge.root, 'watch-'));
  const log = path.join(dir, 'commands');
  fs.writeFileSync(log, '');
  const env = wrapGit(
    path.join(dir, 'exec'),
    `read -r parent < /proc/$PPID/comm; printf '%s %s %s\\n' "$parent" "$1" "$2" >> '${log}'\n${body}`,
  );
  for (const [name, script] of Object.entries(exec)) {
    const file = path.join(env.GIT_EXEC_PATH, name);
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, script, { mode: 0o755 });
  }
  const c = owner.commitTree({ [`w${++n}.txt`]: `${n}\n` }, [], `w${n}`);
  const r = run('git', ['push', '--signed', '--porcelain', 'origin', `${c}:refs/heads/w${n}`], {
    cwd: owner.dir,
    env: { ...forge.env, ...env, ...extra },
  });
  const started = fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => /^\S+ (cat-file --batch-command|config -z)$/.test(l))
    .sort();
  return { code: r.code, stderr: r.stderr, started, landed: forge.ref(`refs/heads/w${n}`) !== null };
}

test('no FIFO can be made (mkfifo fails): Node starts both children itself, and the push lands as before', () => {
  const r = pushWatched({}, '', { mkfifo: '#!/bin/sh\nexit 1\n' });
  expect(r.code, r.stderr).toBe(0);
  expect(r.landed).toBe(true);
  expect(r.started).toEqual(['node cat-file --batch-command', 'node config -z']);
  expect(fifos()).toEqual([]);
});

test("the script's cat-file ends before answering: the store asks one it starts itself, and the push lands", () => {
  // The wrapper ends the script's cat-file (its parent is the script's shell) before git runs.
  const r = pushWatched({}, 'if [ "$1" = cat-file ] && [ "$parent" != node ]; then exit 1; fi');
  expect(r.code, r.stderr).toBe(0);
  expect(r.landed).toBe(true);
  expect(r.started).toEqual(['node cat-file --batch-command', 'pre-receive cat-file --batch-command', 'pre-receive config -z']);
});

test("the script's git config output is not whole: Node runs git config itself, and the push lands", () => {
  // Output without the NUL that ends every item: the script's trailer cannot be told from it.
  const r = pushWatched({}, 'if [ "$1" = config ] && [ "$parent" != node ]; then printf acl.owner; exit 0; fi');
  expect(r.code, r.stderr).toBe(0);
  expect(r.landed).toBe(true);
  expect(r.started).toEqual(['node config -z', 'pre-receive cat-file --batch-command', 'pre-receive config -z']);
});

test("the script's git config fails: the push is refused with git's own line, as when Node runs it", () => {
  const both = ['plain', 'script'].map((how) => {
    const exec: Record<string, string> = how === 'plain' ? { mkfifo: '#!/bin/sh\nexit 1\n' } : {};
    return pushWatched({}, 'if [ "$1" = config ]; then echo "fatal: bad config line 7 in file config" >&2; exit 128; fi', exec);
  });
  for (const r of both) {
    expect(r.code).not.toBe(0);
    expect(r.landed).toBe(false);
    expect(r.stderr).toContain('remote: git-acl: push rejected: cannot read git config: fatal: bad config line 7 in file config');
  }
  expect(both[0]!.stderr.split('\n').filter((l) => l.startsWith('remote:'))).toEqual(
    both[1]!.stderr.split('\n').filter((l) => l.startsWith('remote:')),
  );
});

test('a hook script of another git-acl (another tag): its children are not taken, Node starts its own', () => {
  const hook = path.join(forge.bare, 'hooks', 'pre-receive');
  const text = fs.readFileSync(hook, 'utf8');
  const tagged = /export GIT_ACL_HOOK_CHILDREN='([0-9a-f]+)':/.exec(text);
  expect(tagged).not.toBeNull();
  fs.writeFileSync(hook, text.replace(tagged![1]!, '0123456789abcdef'));
  try {
    const r = pushWatched();
    expect(r.code, r.stderr).toBe(0);
    expect(r.landed).toBe(true);
    expect(r.started).toEqual([
      'node cat-file --batch-command',
      'node config -z',
      'pre-receive cat-file --batch-command',
      'pre-receive config -z',
    ]);
    expect(fifos()).toEqual([]);
  } finally {
    fs.writeFileSync(hook, text);
  }
});

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
