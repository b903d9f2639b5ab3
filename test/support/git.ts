/**
 * Test helpers: throw-away git repositories, commits built straight from a
 * list of entries (any path bytes, any mode, gitlinks), and git runs with
 * captured output.
 *
 * Commits are written with plumbing (a private index file, `update-index -z
 * --index-info`, `write-tree`, `commit-tree`), so a bare repository works and
 * paths may hold newlines, quotes or bytes that are not UTF-8.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanupTempDirs, tempDir, withoutGitVars, ZERO_OID } from './env.js';

export { cleanupTempDirs, tempDir };

/** A clean environment for git: no user or system config, fixed identities and dates. */
export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...withoutGitVars(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_AUTHOR_DATE: '1700000000 +0000',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_COMMITTER_DATE: '1700000000 +0000',
    LC_ALL: 'C',
    ...extra,
  };
}

export interface GitRunOptions {
  cwd?: string;
  /** Sets GIT_DIR. */
  gitDir?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Uint8Array;
  /** Do not throw on a non-zero exit. */
  allowFail?: boolean;
}

export interface GitRun {
  status: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs git, capturing stdout (bytes) and stderr; throws with stderr on failure unless `allowFail`. */
export function runGit(args: string[], opts: GitRunOptions = {}): GitRun {
  const env = gitEnv(opts.env);
  if (opts.gitDir) env.GIT_DIR = opts.gitDir;
  const r = spawnSync('git', args, { cwd: opts.cwd, env, input: opts.input, maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  const out: GitRun = { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
  if (out.status !== 0 && !opts.allowFail) {
    throw new Error(`git ${args.join(' ')} failed (${out.status}): ${out.stderr.trim()}`);
  }
  return out;
}

/** Runs git and returns trimmed stdout text. */
export function git(args: string[], opts: GitRunOptions = {}): string {
  return runGit(args, opts).stdout.toString('utf8').trim();
}

/** `git init` (bare by default) in a new temp dir; returns the git directory. */
export function initRepo(opts: { bare?: boolean } = {}): string {
  const dir = tempDir();
  if (opts.bare ?? true) {
    git(['init', '-q', '--bare', '-b', 'main', dir]);
    return dir;
  }
  git(['init', '-q', '-b', 'main', dir]);
  return path.join(dir, '.git');
}

export type Mode = '100644' | '100755' | '120000' | '160000';

/** One entry of a commit's tree. */
export interface Entry {
  /** Path with `/` separators; a Uint8Array for bytes that are not UTF-8. */
  path: string | Uint8Array;
  /** Default 100644. */
  mode?: Mode;
  /** File content or symlink target (default: the path itself). Not for 160000. */
  content?: string | Uint8Array;
  /** For a gitlink (160000): the commit id it points at. */
  oid?: string;
}

export const file = (p: string | Uint8Array, content?: string, mode: Mode = '100644'): Entry =>
  content === undefined ? { path: p, mode } : { path: p, mode, content };
export const exe = (p: string, content?: string): Entry => file(p, content, '100755');
export const symlink = (p: string, target: string): Entry => ({ path: p, mode: '120000', content: target });
export const gitlink = (p: string, oid: string): Entry => ({ path: p, mode: '160000', oid });

/** Writes a blob; returns its id. */
export function writeBlob(gitDir: string, content: string | Uint8Array): string {
  return git(['hash-object', '-w', '--stdin'], { gitDir, input: content });
}

/** Writes many blobs with one git process; returns their ids in order. */
export function writeBlobs(gitDir: string, contents: Array<string | Uint8Array>): string[] {
  if (contents.length === 0) return [];
  const dir = tempDir('blobs-');
  const paths = contents.map((c, i) => {
    const p = path.join(dir, String(i));
    fs.writeFileSync(p, c);
    return p;
  });
  const out = git(['hash-object', '-w', '--no-filters', '--stdin-paths'], { gitDir, input: `${paths.join('\n')}\n` });
  fs.rmSync(dir, { recursive: true, force: true });
  return out.split('\n');
}

/** Writes a tree holding exactly `entries` (parents are implied); returns its id. */
export function writeTree(gitDir: string, entries: Entry[]): string {
  const index = path.join(tempDir('idx-'), 'index');
  const env = { GIT_INDEX_FILE: index };
  const blobEntries = entries.filter((e) => (e.mode ?? '100644') !== '160000');
  const blobOids = writeBlobs(
    gitDir,
    blobEntries.map((e) => e.content ?? e.path),
  );
  const oidOf = new Map(blobEntries.map((e, i) => [e, blobOids[i]!]));
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const mode = e.mode ?? '100644';
    const oid = mode === '160000' ? e.oid! : oidOf.get(e)!;
    chunks.push(Buffer.from(`${mode} ${oid}\t`), Buffer.from(e.path), Buffer.from([0]));
  }
  git(['update-index', '-z', '--add', '--index-info'], { gitDir, env, input: Buffer.concat(chunks) });
  return git(['write-tree'], { gitDir, env });
}

let commitCounter = 0;

/** Commits a tree of `entries` on top of `parents`; returns the commit id. Does not move any ref. */
export function commit(gitDir: string, entries: Entry[], parents: string[] = [], message?: string): string {
  const tree = writeTree(gitDir, entries);
  const args = ['commit-tree', tree];
  for (const p of parents) args.push('-p', p);
  args.push('-m', message ?? `commit ${++commitCounter}`);
  return git(args, { gitDir });
}

/** Sets a ref (no reflog checks). */
export function setRef(gitDir: string, ref: string, oid: string): void {
  git(['update-ref', ref, oid], { gitDir });
}

/** Creates an annotated tag object of `target` (any object); returns the tag object's id. Moves no ref. */
export function annotatedTag(gitDir: string, name: string, target: string, message = `tag ${name}`): string {
  const type = git(['cat-file', '-t', target], { gitDir });
  const body = `object ${target}\ntype ${type}\ntag ${name}\ntagger Test <test@example.com> 1700000000 +0000\n\n${message}\n`;
  return git(['hash-object', '-t', 'tag', '-w', '--stdin'], { gitDir, input: body });
}

/** `target` with each of its methods' calls recorded by name, in order: what a layer in front of it asked of it. */
export function recordCalls<T extends object>(target: T): { proxy: T; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(target, {
    get(t, k: string) {
      const v = (t as unknown as Record<string, unknown>)[k];
      return typeof v === 'function' ? (...a: unknown[]) => (calls.push(k), (v as (...x: unknown[]) => unknown).apply(t, a)) : v;
    },
  });
  return { proxy, calls };
}

export { ZERO_OID };
