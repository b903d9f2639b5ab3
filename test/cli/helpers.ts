/**
 * Helpers for the CLI tests: they drive the real built binary
 * (`node dist/cli/main.js`) on real temporary git repositories.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds src → dist with `tsc -p .` unless dist is newer than every source.
 * Test files run in parallel processes: a lock directory makes one of them build.
 * With GIT_ACL_TEST_PREBUILT set, never builds (dist/ must exist).
 */
export function ensureBuilt(): void {
  // Set by test/support/repeat-suite.sh, which builds once and then starts suite runs in parallel: a run that
  // rebuilt dist/ would rewrite the hook while the other runs execute it.
  if (process.env.GIT_ACL_TEST_PREBUILT) {
    if (!fs.existsSync(CLI)) throw new Error(`GIT_ACL_TEST_PREBUILT is set but ${CLI} does not exist: run npm run build first`);
    return;
  }
  const stamp = path.join(REPO_ROOT, 'dist/.cli-test-build');
  const fresh = () => fs.existsSync(stamp) && fs.existsSync(CLI) && fs.statSync(stamp).mtimeMs >= newestSource(path.join(REPO_ROOT, 'src'));
  if (fresh()) return;
  const lock = path.join(os.tmpdir(), `git-acl-build-${Buffer.from(REPO_ROOT).toString('hex').slice(-24)}`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for too long; remove it if no build runs`);
      spawnSync('sleep', ['0.2']);
      if (fresh()) return;
    }
  }
  try {
    if (fresh()) return;
    const started = Date.now();
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', REPO_ROOT], { encoding: 'utf8' });
    if (!fs.existsSync(CLI)) throw new Error(`build failed, no ${CLI}:\n${r.stdout}${r.stderr}`);
    fs.writeFileSync(stamp, '');
    fs.utimesSync(stamp, new Date(started), new Date(started));
  } finally {
    fs.rmdirSync(lock);
  }
}

const dirs: string[] = [];

export function tempDir(prefix = 'acl-cli-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function cleanup(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** An environment with no user or system git config, no colours forced, no GIT_* leaking in. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_') && k !== 'NO_COLOR') env[k] = v;
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

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Result {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), input: opts.input ?? '', encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
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
