/**
 * What every test helper shares: where the repository and its built entry
 * points are, the zero oid, temporary directories, an environment without
 * GIT_* variables, running a program, and building dist/ once. forge.ts,
 * git.ts and the per-folder helpers build on it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
/** The built `git-acl` binary. */
export const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');
/** The built pre-receive hook process. */
export const HOOK = path.join(REPO_ROOT, 'dist/hook/main.js');

/** The all-zero object id: "absent" on a hook's stdin. */
export const ZERO_OID = '0'.repeat(40);

const dirs = new Set<string>();

/** A fresh empty directory under the system temp dir; removed by `cleanupTempDirs()`. */
export function tempDir(prefix = 'git-acl-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.add(d);
  return d;
}

export function cleanupTempDirs(): void {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/** `env` (default: this process's) without GIT_* variables: vitest may run inside a git hook or with GIT_DIR set. */
export function withoutGitVars(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('GIT_')) out[k] = v;
  return out;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion with text output; `env` undefined means this process's environment. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env, input: opts.input ?? '', encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
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
    // The hooks start from a bundle of dist/ (scripts/bundle.mjs): a stale one would test old code.
    const b = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/bundle.mjs')], { encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`bundling the hooks failed:\n${b.stdout}${b.stderr}`);
    fs.writeFileSync(stamp, '');
    fs.utimesSync(stamp, new Date(started), new Date(started));
  } finally {
    fs.rmdirSync(lock);
  }
}
