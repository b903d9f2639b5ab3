/**
 * Hand-made git objects for adversarial tests: trees with any entries in any
 * order (duplicate names, names with `/`, `..`, `.git`, empty names, odd mode
 * text) and commits with any header, written with `git hash-object
 * --literally` so that git stores them exactly as given. `git mktree` and
 * `git commit-tree` refuse or repair most of these; a hostile client does not.
 */
import { spawnSync } from 'node:child_process';

export interface RawEntry {
  /** The mode text exactly as stored: `100644`, `40000` (a tree), `040000` (zero-padded, malformed)... */
  mode: string;
  /** The name's bytes; a string is UTF-8. May hold anything but NUL. */
  name: string | Uint8Array;
  /** The 40-hex object id. */
  oid: string;
}

/** Common modes as git stores them. */
export const TREE = '40000';
export const FILE = '100644';

/** The bytes of a tree object holding `entries` in the order given (no sorting, no checks). */
export function rawTree(entries: RawEntry[]): Buffer {
  return Buffer.concat(
    entries.flatMap((e) => [Buffer.from(`${e.mode} `), Buffer.from(e.name), Buffer.from([0]), Buffer.from(e.oid, 'hex')]),
  );
}

function hashObject(repo: string, env: NodeJS.ProcessEnv, type: string, content: Buffer | string): string {
  const r = spawnSync('git', ['hash-object', '-t', type, '--literally', '-w', '--stdin'], { cwd: repo, env, input: content });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`git hash-object -t ${type} failed: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

/** Writes a tree object holding exactly `entries`, in that order, into the repository at `repo`; returns its id. */
export function writeRawTree(repo: string, env: NodeJS.ProcessEnv, entries: RawEntry[]): string {
  return hashObject(repo, env, 'tree', rawTree(entries));
}

/** Writes a blob; returns its id. */
export function writeBlob(repo: string, env: NodeJS.ProcessEnv, content: string | Buffer): string {
  return hashObject(repo, env, 'blob', content);
}

/** Writes a commit object whose text is exactly `text` (header lines, an empty line, the message). */
export function writeRawCommit(repo: string, env: NodeJS.ProcessEnv, text: string): string {
  return hashObject(repo, env, 'commit', text);
}

export const IDENT = 'Mallory <mallory@example.org> 1767225600 +0000';

/** The text of a well-formed commit: `tree`, `parent`s, author, committer, message. */
export function commitText(tree: string, parents: string[], message = 'commit'): string {
  return `tree ${tree}\n${parents.map((p) => `parent ${p}\n`).join('')}author ${IDENT}\ncommitter ${IDENT}\n\n${message}\n`;
}

/** The entries of a tree as git stores them (`git cat-file` reads the raw object; `ls-tree` would hide some oddities). */
export function readRawTree(repo: string, env: NodeJS.ProcessEnv, tree: string): RawEntry[] {
  const r = spawnSync('git', ['cat-file', 'tree', tree], { cwd: repo, env, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git cat-file tree ${tree} failed: ${r.stderr.toString()}`);
  const data: Buffer = r.stdout;
  const out: RawEntry[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const nul = data.indexOf(0, sp);
    out.push({ mode: data.toString('latin1', i, sp), name: data.subarray(sp + 1, nul), oid: data.toString('hex', nul + 1, nul + 21) });
    i = nul + 21;
  }
  return out;
}

/** `entries` in git's tree order: by name bytes, a tree's name compared as if it ended in `/`. */
export function gitOrder(entries: RawEntry[]): RawEntry[] {
  const key = (e: RawEntry) => Buffer.concat([Buffer.from(e.name), Buffer.from(isTreeMode(e.mode) ? '/' : '')]);
  return [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
}

function isTreeMode(mode: string): boolean {
  return /^0*40000$/.test(mode);
}

/** The name of an entry as text (UTF-8). */
export function entryName(e: RawEntry): string {
  return Buffer.from(e.name).toString('utf8');
}
