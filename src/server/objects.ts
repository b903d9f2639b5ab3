/**
 * Writing the push log's few small objects, and reading the refs it needs,
 * without a git process where one would cost more than the work: a log entry
 * is written during every accepted push, and the log's budget is a few
 * milliseconds (docs/performance.md). Loose objects are written as git
 * writes them (a zlib stream of `<type> <size>\0<body>`, small ones
 * uncompressed: see STORED_MAX_BYTES; a temporary file, then a link to
 * `objects/xx/yyyy...`, read-only), into `GIT_OBJECT_DIRECTORY` when
 * git sets it: inside pre-receive that is the push's quarantine, which git
 * moves into the repository only if it applies the push.
 */
import { zlib } from '../git/lazy-zlib.js';
import {
  type BigIntStats,
  closeSync,
  existsSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { exitStatus, failureLine, runGit, succeeded } from '../git/exec.js';
import { zlibStored } from '../git/loose-objects.js';
import type { GitObject, HashAlgorithm } from '../push/log-format.js';

/** The id git gives an object, computed synchronously (see buildEntry's `hash`). */
export function hashObject(type: string, body: Uint8Array, algo: HashAlgorithm): string {
  return createHash(algo).update(`${type} ${body.length}\0`).update(body).digest('hex');
}

/** Where new objects go: git's `GIT_OBJECT_DIRECTORY` (the quarantine during pre-receive), else `<git dir>/objects`. */
export function objectDirectory(gitDir: string, env: Record<string, string | undefined>): string {
  return env.GIT_OBJECT_DIRECTORY || join(gitDir, 'objects');
}

/**
 * Writes `objects` as loose objects of `objectDir`. `privateDir`: the directory is this push's own quarantine
 * (ownQuarantine), which nothing else reads or writes until git moves it into the repository, and only
 * after this process exited 0: each object is then written in place, without git's temporary file and link (which
 * keep a reader of a shared directory from seeing half a file). A process that dies half-way exits non-zero, and git
 * deletes the quarantine with whatever was in it.
 */
export async function writeLooseObjects(objectDir: string, objects: readonly GitObject[], privateDir = false): Promise<void> {
  // Synchronous on purpose: a handful of small files, on the push's critical path, where each asynchronous
  // call would cost a thread-pool round trip more than the write itself.
  for (const o of objects) writeLooseObject(objectDir, o, privateDir);
}

/**
 * `GIT_OBJECT_DIRECTORY` when it is the quarantine git made for this push (`GIT_QUARANTINE_PATH`, the same absolute
 * path, named as git names it: `tmp_objdir-incoming-XXXXXX`): the one directory writeLooseObjects may treat as private.
 */
export function quarantineObjectDirectory(env: Record<string, string | undefined>): string | undefined {
  const q = env.GIT_QUARANTINE_PATH;
  return q && isAbsolute(q) && env.GIT_OBJECT_DIRECTORY === q && basename(q).startsWith('tmp_objdir-incoming-') ? q : undefined;
}

/**
 * quarantineObjectDirectory, when the file system agrees: a directory itself (not a symbolic link) whose parent is
 * this repository's object directory, where git makes its quarantine. The variables alone are a name: a hook run by
 * hand with one that leads elsewhere (a link named like a quarantine to the repository's own objects) would have
 * objects written in place where readers look, and one cut short there (killed, a full disk) left as a truncated
 * object git then takes for the real one. Any doubt: undefined, and objects go through a temporary file.
 */
export function ownQuarantine(gitDir: string, env: Record<string, string | undefined>): string | undefined {
  const q = quarantineObjectDirectory(env);
  if (!q) return undefined;
  try {
    if (!lstatSync(q).isDirectory()) return undefined;
    const parent = statSync(dirname(q), { bigint: true });
    const objects = statSync(join(gitDir, 'objects'), { bigint: true });
    return parent.dev === objects.dev && parent.ino === objects.ino ? q : undefined;
  } catch {
    return undefined;
  }
}

function looseData(o: GitObject): Buffer {
  const raw = Buffer.concat([Buffer.from(`${o.type} ${o.body.length}\0`), o.body]);
  return raw.length <= STORED_MAX_BYTES ? zlibStored(raw) : zlib().deflateSync(raw);
}

function writeLooseObject(objectDir: string, o: GitObject, privateDir: boolean): void {
  const dir = join(objectDir, o.oid.slice(0, 2));
  const final = join(dir, o.oid.slice(2));
  if (privateDir) {
    try {
      mkdirSync(dir); // the quarantine itself exists: git made it
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    try {
      writeFileSync(final, looseData(o), { flag: 'wx', mode: 0o444 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // the push brought it: the same bytes
    }
    return;
  }
  if (existsSync(final)) return;
  mkdirSync(dir, { recursive: true });
  const data = looseData(o);
  const tmp = join(dir, `tmp_obj_git_acl_${process.pid}_${randomBytes(6).toString('hex')}`);
  writeFileSync(tmp, data, { flag: 'wx', mode: 0o444 });
  try {
    linkSync(tmp, final);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

/**
 * An entry's objects are a few hundred bytes: compressing them saves nothing worth the cost, which on a push's
 * critical path is a zlib stream set up per object (its buffers allocated and cleared, about 0.3 ms each on a
 * cold hook). Up to this size they are written as zlib streams of stored (uncompressed) deflate blocks, which
 * git, like any zlib reader, reads as it reads its own (`git gc` compresses them when it packs them).
 */
const STORED_MAX_BYTES = 16 * 1024;

/**
 * Refs' values read from the files git keeps (a loose ref file, else `packed-refs`, read once on first need), for
 * the log lock's waiting loop and admission, where a git process per poll would cost more than the wait.
 * Undefined for a ref git may be writing (`<ref>.lock` present) or stores some other way (reftable, a symbolic
 * ref): the caller asks git then.
 */
export function refFileReader(gitDir: string): ((ref: string) => string | null | undefined) | undefined {
  if (existsSync(join(gitDir, 'reftable'))) return undefined;
  const file = join(gitDir, 'packed-refs');
  // Kept while the file is the same one (git's stat_validity_check): `git pack-refs` (gc) may rewrite it between
  // two answers, moving a ref out of its loose file; an older read would then call that ref missing.
  let packed: { refs: Map<string, string>; stat: BigIntStats | undefined } | undefined;
  return (ref) => {
    if (existsSync(join(gitDir, `${ref}.lock`))) return undefined;
    const loose = readText(join(gitDir, ref));
    if (loose !== null) {
      const m = /^([0-9a-f]{40}|[0-9a-f]{64})\n?$/.exec(loose);
      return m ? m[1]! : undefined;
    }
    if (!packed || !sameFile(packed.stat, statSync(file, { bigint: true, throwIfNoEntry: false }))) packed = readPackedRefs(file);
    return packed.refs.get(ref) ?? null;
  };
}

/** packed-refs' refs and the stat of the very file read (opened once: content and stat belong together). */
function readPackedRefs(file: string): { refs: Map<string, string>; stat: BigIntStats | undefined } {
  const refs = new Map<string, string>();
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { refs, stat: undefined };
    throw e;
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    for (const line of readFileSync(fd, 'utf8').split('\n')) {
      const m = /^([0-9a-f]{40}|[0-9a-f]{64}) (.+)$/.exec(line);
      if (m) refs.set(m[2]!, m[1]!);
    }
    return { refs, stat };
  } finally {
    closeSync(fd);
  }
}

const sameFile = (a: BigIntStats | undefined, b: BigIntStats | undefined): boolean =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    a.ino === b.ino &&
    a.dev === b.dev &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs);

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/** The values of the given refs (exact names), one `git for-each-ref` call. */
export async function readRefs(gitDir: string, env: NodeJS.ProcessEnv, refs: string[]): Promise<Map<string, string>> {
  const wanted = new Set(refs);
  const all = await forEachRef(gitDir, env, ['--', ...refs]);
  for (const name of all.keys()) if (!wanted.has(name)) all.delete(name);
  return all;
}

/** Every ref of the repository (the starting state of a log). */
export async function readAllRefs(gitDir: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  return forEachRef(gitDir, env, ['refs/']);
}

/** `git for-each-ref` over `patterns`: ref name to object id. */
async function forEachRef(gitDir: string, env: NodeJS.ProcessEnv, patterns: string[]): Promise<Map<string, string>> {
  const r = await runGit(['for-each-ref', '--format=%(objectname) %(refname)', ...patterns], { env: { ...env, GIT_DIR: gitDir } });
  if (!succeeded(r)) throw new Error(`cannot read refs: ${r.stderr || `git for-each-ref ${exitStatus(r)}`}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) out.set(line.slice(sp + 1), line.slice(0, sp));
  }
  return out;
}

/** `git update-ref <ref> <new> <old>`: false when the ref no longer had `old` (someone else moved it first). */
export async function compareAndSwapRef(
  gitDir: string,
  env: NodeJS.ProcessEnv,
  ref: string,
  next: string,
  expected: string,
): Promise<boolean> {
  const r = await runGit(['update-ref', ref, next, expected], { env: { ...env, GIT_DIR: gitDir } });
  if (succeeded(r)) return true;
  if (/cannot lock ref|is at .* but expected|reference already exists|unable to resolve reference/i.test(r.stderr)) return false;
  throw new Error(`cannot update ${ref}: ${failureLine(r)}`);
}

/** The raw body of an annotated tag object (the log keeps a copy: a deleted tag's object is not fetched by clones). */
export async function readTagObject(gitDir: string, env: NodeJS.ProcessEnv, oid: string): Promise<Uint8Array> {
  const r = await runGit(['cat-file', 'tag', oid], { env: { ...env, GIT_DIR: gitDir } });
  if (!succeeded(r)) throw new Error(`cannot read tag ${oid}: ${r.stderr || exitStatus(r)}`);
  return new Uint8Array(r.stdout);
}
