/**
 * git's children started by the pre-receive script beside Node (hooks/pre-receive, src/server/early-children.ts):
 * Node takes them only when they are what the script handed over, and nothing of them outlives the hook.
 * - A Node that dies before it could unlink the two FIFOs (killed or crashed at start) left them in git-acl/, one
 *   pair a push: the script now removes them once Node ended.
 * - GIT_ACL_HOOK_CHILDREN alone was believed: a Node started without fds 3-5 (by a script of an older install,
 *   which passes on whatever its environment held) unlinked `<stem>.in` and `<stem>.out`, whatever files they
 *   were, and closed fds 3-5, which were its own (libuv's epoll and signal pipe): it hung past its time limit,
 *   silent. Node now checks that fds 4 and 5 are the named FIFOs before it touches anything.
 *
 * Every test works on a private copy of git-acl's built files (test/support/install.ts): one damages its start.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Forge, Clone } from '../../support/forge.js';
import { cleanupTempDirs, tempDir } from '../../support/env.js';
import { forgeOnPrivateInstall } from '../../support/install.js';
import { withGitLog } from '../../support/git-wrapper.js';

let forge: Forge;
let install: string;
let owner: Clone;

beforeAll(() => {
  ({ install, forge } = forgeOnPrivateInstall());
  owner = forge.clone(forge.owner);
}, 120_000);
afterAll(() => {
  forge?.cleanup();
  cleanupTempDirs();
});

/** The names the script's FIFOs take, left in git-acl/. */
function leftFifos(): string[] {
  return fs.readdirSync(path.join(forge.bare, 'git-acl')).filter((n) => n.startsWith('cat-file-'));
}

test("an accepted push: both children are the script's (one git config, one cat-file), and no FIFO is left", () => {
  const c = owner.commitTree({ 'a.txt': 'a\n' });
  const { result, commands } = withGitLog(forge.root, (env) => {
    for (const [k, v] of Object.entries(env)) forge.env[k] = v;
    try {
      return owner.push(`${c}:refs/heads/one`);
    } finally {
      for (const k of Object.keys(env)) delete forge.env[k];
    }
  });
  expect(result.remote).toEqual([]);
  expect(result.code).toBe(0);
  expect(commands.filter((l) => /^(config -z|cat-file --batch)/.test(l)).sort()).toEqual(['cat-file --batch-command', 'config -z']);
  expect(leftFifos()).toEqual([]);
});

test('Node killed before it took the FIFOs: one line, and the FIFOs are gone with the hook', () => {
  const start = path.join(install, 'dist/hook/start.cjs');
  const saved = fs.readFileSync(start);
  fs.writeFileSync(start, `process.kill(process.pid, 'SIGKILL');\n${saved}`);
  try {
    const r = owner.push(`${owner.commitTree({ 'b.txt': 'b\n' })}:refs/heads/two`);
    expect(r.remote).toEqual(['git-acl: push rejected: the access check was killed (signal 9)']);
  } finally {
    fs.writeFileSync(start, saved);
  }
  expect(leftFifos()).toEqual([]);
});

/** Node's start run as a script of an older install runs it (no fds beyond 0-2), with `env` added; null if it never ends. */
function runOldScriptStart(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string } | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(install, 'dist/hook/start.cjs'), 'pre-receive'], {
      cwd: forge.bare,
      env: { ...forge.env, GIT_DIR: '.', GIT_ACL_TEST_HOOK_TIMEOUT_MS: '3000', ...env },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    child.stdin.end(`${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/x\n`);
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(watchdog);
      resolve({ code, stderr });
    });
  });
}

test("GIT_ACL_HOOK_CHILDREN from outside, without the script's fds: same line as without it, no file unlinked", async () => {
  const { childrenTag } = (await import(pathToFileURL(path.join(install, 'dist/server/early-children.js')).href)) as {
    childrenTag(): string;
  };
  const plain = await runOldScriptStart({});
  expect(plain).not.toBeNull();
  expect(plain!.code).toBe(1);
  expect(plain!.stderr).toMatch(/^git-acl: push rejected: unsigned push: /);
  const dir = tempDir('hook-children-');
  for (const tag of ['0123456789abcdef', childrenTag()]) {
    const stem = path.join(dir, `decoy-${tag}`);
    fs.writeFileSync(`${stem}.in`, 'keep\n');
    fs.writeFileSync(`${stem}.out`, 'keep\n');
    const r = await runOldScriptStart({ GIT_ACL_HOOK_CHILDREN: `${tag}:${stem}` });
    expect(r, `tag ${tag}: the hook was still running long after its time limit`).not.toBeNull();
    expect(r).toEqual(plain);
    expect(fs.readFileSync(`${stem}.in`, 'utf8')).toBe('keep\n');
    expect(fs.readFileSync(`${stem}.out`, 'utf8')).toBe('keep\n');
  }
}, 90_000);
