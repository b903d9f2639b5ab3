/**
 * Helpers for the CLI tests: they drive the real built binary
 * (`node dist/cli/main.js`) on real temporary git repositories.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CLI,
  REPO_ROOT,
  cleanupTempDirs,
  ensureBuilt,
  run as runProgram,
  tempDir,
  withoutGitVars,
  type RunResult,
} from '../support/env.js';

export { CLI, REPO_ROOT, ensureBuilt, tempDir };
export type Result = RunResult;

export const cleanup = cleanupTempDirs;

/** An environment with no user or system git config, no colours forced, no GIT_* leaking in. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = withoutGitVars();
  delete env.NO_COLOR;
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    LC_ALL: 'C',
    ...extra,
  };
}

/** Runs a program in cleanEnv() unless told otherwise. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Result {
  return runProgram(cmd, args, { ...opts, env: opts.env ?? cleanEnv() });
}

/** Runs the built git-acl binary. */
export function acl(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Result {
  return run(process.execPath, [CLI, ...args], opts);
}

export function git(args: string[], cwd: string, env = cleanEnv()): string {
  const r = run('git', args, { cwd, env });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Writes files (path → content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [p, content] of Object.entries(files)) {
    const full = path.join(dir, p);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
}

/**
 * A non-bare repository whose `apps/access-control` branch holds `files`
 * (committed), with `main` checked out. Returns the work tree.
 */
export function repoWithPolicy(files: Record<string, string>, opts: { branch?: string } = {}): string {
  const dir = tempDir();
  git(['init', '-q', '-b', 'main', dir], dir);
  git(['commit', '-q', '--allow-empty', '-m', 'start'], dir);
  git(['checkout', '-q', '--orphan', opts.branch ?? 'apps/access-control'], dir);
  git(['rm', '-rfq', '--ignore-unmatch', '.'], dir);
  writeFiles(dir, files);
  git(['add', '-A'], dir);
  git(['commit', '-q', '-m', 'policy'], dir);
  git(['checkout', '-q', 'main'], dir);
  return dir;
}
