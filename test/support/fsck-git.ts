/**
 * Asks real git for its verdict on raw objects the way a server with
 * `receive.fsckObjects=true` reaches it: receive-pack hands the pushed pack to
 * `git index-pack --strict` (or `unpack-objects --strict` for small packs; both
 * parse each object, then run fsck with warnings counted as errors). Each
 * call writes a one-object pack (so one bad object cannot hide another's
 * messages) and runs `git index-pack --strict` on it inside a scratch
 * repository that holds the objects the pack refers to.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import { git, gitEnv, runGit, tempDir } from './git.js';

export type Kind = 'commit' | 'tree' | 'blob' | 'tag';

const PACK_TYPE: Record<Kind, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

export function objectId(type: Kind, data: Uint8Array): string {
  return createHash('sha1').update(`${type} ${data.length}\0`).update(data).digest('hex');
}

/** A version-2 pack holding the objects whole (no deltas). */
export function writePack(objects: { type: Kind; data: Uint8Array }[]): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  parts.push(header);
  for (const { type, data } of objects) {
    let size = data.length;
    const h: number[] = [];
    let b = (PACK_TYPE[type] << 4) | (size & 15);
    size = Math.floor(size / 16);
    while (size > 0) {
      h.push(b | 0x80);
      b = size & 0x7f;
      size = Math.floor(size / 128);
    }
    h.push(b);
    parts.push(Buffer.from(h), deflateSync(data));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** The objects every generated object may point at, already stored in the scratch repository. */
export interface FsckRepo {
  dir: string;
  /** An empty blob (fine as .gitmodules and .gitattributes content). */
  blob: string;
  /** A blob that git's fsck refuses as .gitmodules content (a submodule path that is an option). */
  badModules: string;
  /** A tree holding one file. */
  tree: string;
  /** Two commits (the second has the first as parent). */
  commit: string;
  commit2: string;
  /** An annotated tag of `commit`. */
  tag: string;
  /** Scratch directory for packs. */
  scratch: string;
}

export function makeFsckRepo(): FsckRepo {
  const dir = tempDir('git-acl-fsck-');
  git(['init', '-q', '--bare', dir]);
  const blob = git(['hash-object', '-w', '--stdin'], { gitDir: dir, input: '' });
  const badModules = git(['hash-object', '-w', '--stdin'], { gitDir: dir, input: '[submodule "x"]\n\tpath = -x\n' });
  const tree = git(['mktree'], { gitDir: dir, input: `100644 blob ${blob}\tfile\n` });
  const commit = git(['commit-tree', '-m', 'one', tree], { gitDir: dir });
  const commit2 = git(['commit-tree', '-m', 'two', '-p', commit, tree], { gitDir: dir });
  const tag = git(['mktag'], {
    gitDir: dir,
    input: `object ${commit}\ntype commit\ntag v1\ntagger Test <test@example.com> 1700000000 +0000\n\nv1\n`,
  });
  const scratch = path.join(dir, 'scratch');
  fs.mkdirSync(scratch);
  return { dir, blob, badModules, tree, commit, commit2, tag, scratch };
}

/** Stores objects loose with `hash-object --literally` (any bytes, no checks); returns their ids. */
export function storeLiterally(repo: FsckRepo, objects: { type: Kind; data: Uint8Array }[]): string[] {
  const ids: string[] = [];
  const byType = new Map<Kind, number[]>();
  objects.forEach((o, i) => byType.set(o.type, [...(byType.get(o.type) ?? []), i]));
  for (const [type, idx] of byType) {
    const files = idx.map((i) => {
      const f = path.join(repo.scratch, `obj-${i}`);
      fs.writeFileSync(f, objects[i]!.data);
      return f;
    });
    const out = git(['hash-object', '-t', type, '--literally', '-w', '--stdin-paths'], {
      gitDir: repo.dir,
      input: files.join('\n') + '\n',
    }).split('\n');
    idx.forEach((i, k) => (ids[i] = out[k]!));
    for (const f of files) fs.rmSync(f);
  }
  return ids;
}

export interface GitMessage {
  severity: 'error' | 'warning';
  oid: string;
  id: string;
}

export interface GitVerdict {
  /** index-pack's exit status was not 0: receive-pack would refuse the push. */
  refused: boolean;
  /** The fsck messages git printed (`error: object <oid>: <id>: ...`), in order. */
  messages: GitMessage[];
  stderr: string;
}

let packSeq = 0;

/** `git index-pack --strict` on a pack of `objects`, in the scratch repository. */
export function indexPackStrict(repo: FsckRepo, objects: { type: Kind; data: Uint8Array }[]): Promise<GitVerdict> {
  const base = path.join(repo.scratch, `p${process.pid}-${packSeq++}`);
  fs.writeFileSync(`${base}.pack`, writePack(objects));
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['index-pack', '--strict', '-o', `${base}.idx`, `${base}.pack`], {
      env: { ...gitEnv(), GIT_DIR: repo.dir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      fs.rmSync(`${base}.pack`, { force: true });
      fs.rmSync(`${base}.idx`, { force: true });
      const stderr = Buffer.concat(err).toString('latin1');
      const messages: GitMessage[] = [];
      for (const line of stderr.split('\n')) {
        const m = /^(error|warning): object ([0-9a-f]{40}): (\w+): /.exec(line);
        if (m) messages.push({ severity: m[1] as 'error' | 'warning', oid: m[2]!, id: m[3]! });
      }
      resolve({ refused: code !== 0, messages, stderr });
    });
  });
}

/** Runs `f` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, f: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Tree, parents as git reads them, for commits git can parse: one
 * `git rev-list --no-walk --parents --format=%T` run. Throws if any of
 * them cannot be parsed by git (the caller then asks one by one).
 */
export function revListParents(repo: FsckRepo, commits: string[]): Map<string, { tree: string; parents: string[] }> {
  const out = new Map<string, { tree: string; parents: string[] }>();
  if (commits.length === 0) return out;
  const text = git(['rev-list', '--no-walk=unsorted', '--parents', '--format=%T', '--stdin'], {
    gitDir: repo.dir,
    input: commits.join('\n') + '\n',
  });
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [word, oid, ...parents] = lines[i]!.split(' ');
    if (word !== 'commit' || !oid) throw new Error(`unexpected rev-list output: ${lines[i]}`);
    out.set(oid, { tree: lines[i + 1]!, parents });
  }
  return out;
}

/** Whether git can read one commit at all (`git rev-list --no-walk --parents <id>` succeeds), and what it reads. */
export function revListOne(repo: FsckRepo, commit: string): { tree: string; parents: string[] } | null {
  const r = runGit(['rev-list', '--no-walk', '--parents', '--format=%T', commit], { gitDir: repo.dir, allowFail: true });
  if (r.status !== 0) return null;
  const lines = r.stdout.toString('latin1').trim().split('\n');
  const [, , ...parents] = lines[0]!.split(' ');
  return { tree: lines[1]!, parents };
}

/** What git peels `<tag>^{}` to, or null where git cannot read the tag (or what it points at). */
export function revParsePeel(repo: FsckRepo, tag: string): string | null {
  const r = runGit(['rev-parse', '--verify', '--quiet', `${tag}^{}`], { gitDir: repo.dir, allowFail: true });
  return r.status === 0 ? r.stdout.toString('latin1').trim() : null;
}

/**
 * git's findings as `<severity>:<id>` strings, in the order printed. A parse
 * failure before fsck (git prints "fatal: invalid commit" / "invalid tag")
 * appears as `error:invalidCommit` / `error:invalidTag`, the ids our module
 * uses for it.
 */
export function gitFindings(v: GitVerdict): string[] {
  const out = v.messages.map((m) => `${m.severity}:${m.id}`);
  const m = /^fatal: invalid (commit|tag)$/m.exec(v.stderr);
  if (m) out.push(m[1] === 'commit' ? 'error:invalidCommit' : 'error:invalidTag');
  return out;
}
