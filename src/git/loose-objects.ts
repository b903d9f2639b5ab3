/**
 * Small loose objects read in-process, in front of another ObjectStore.
 *
 * Why: admitting a push reads the push log's newest entries (the replay
 * check), each a commit, a tree and a blob; through `git cat-file` every
 * bounded read is two round trips (size, then content), seven per entry, and
 * under the log's lock that was most of what logging adds to a push. The
 * newest entries are loose objects (the server wrote them; `git gc` packs
 * them later), and reading a small loose file costs a few microseconds.
 *
 * The in-process read answers only when it is certain to give what git gives:
 * a regular file under one of the given object directories (searched in
 * git's order: the object directory, then the alternates), that inflates
 * completely with nothing after the zlib stream, whose header is
 * `<type> <size>\0` with the size of the rest, whose bytes hash to the id
 * asked for, of the type asked for and within the bound. Anything else (not
 * loose, packed, corrupt, too large, another type, an unreadable file) is
 * asked of the store behind, which gives git's answer and git's errors.
 *
 * In front of a store (withLooseReads) only the log's own objects are read
 * in-process: stored zlib streams (zlibStored), which need no zlib. An object
 * git compressed (a push certificate, read when a logged push has the same
 * nonce) goes to the store: inflating it here would load node:zlib and set up
 * a stream (lazy-zlib.ts), a few ms in a cold hook, against two `cat-file`
 * round trips.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import * as crypto from 'node:crypto';
import { zlib } from './lazy-zlib.js';
import type { ObjectStore, ObjectType, ReadLimit, TreeChange, TreeEntry } from './store.js';
import { parseTreeObject, readCommitHeader } from './objects.js';
import { splitObjectDirectories } from './location.js';
import type { DiffOptions } from './tree-diff.js';

/** Objects larger than this (inflated) are left to the store behind: in-process reads are for small objects. */
export const LOOSE_READ_MAX_BYTES = 1024 * 1024;

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const HEADER = /^(commit|tree|blob|tag) (0|[1-9][0-9]{0,9})$/;

/**
 * The directories git searches for `GIT_DIR=gitDir` with `env`, in its order, as far as they are known for certain:
 * `GIT_OBJECT_DIRECTORY` (else `<gitDir>/objects`), then `GIT_ALTERNATE_OBJECT_DIRECTORIES`. Relative paths are
 * left out (an object not found in these is asked of the store, which knows every alternate).
 */
export function objectDirectories(gitDir: string, env: Record<string, string | undefined>): string[] {
  const dirs = [env.GIT_OBJECT_DIRECTORY || join(gitDir, 'objects')];
  if (env.GIT_ALTERNATE_OBJECT_DIRECTORIES) dirs.push(...splitObjectDirectories(env.GIT_ALTERNATE_OBJECT_DIRECTORIES));
  return dirs.filter((d) => isAbsolute(d));
}

/** A loose object's type and content, or undefined when it cannot be read in-process with certainty (see above). */
export function readLooseObject(
  dirs: readonly string[],
  oid: string,
  maxBytes = LOOSE_READ_MAX_BYTES,
  options: { inflate?: boolean } = {},
): { type: ObjectType; content: Uint8Array } | undefined {
  const inflate = options.inflate ?? true;
  if (!OID.test(oid)) return undefined;
  const max = Math.min(maxBytes, LOOSE_READ_MAX_BYTES);
  // The path as git makes it (the directory, "/", the fan-out, "/", the rest): no lexical normalising.
  const name = `/${oid.slice(0, 2)}/${oid.slice(2)}`;
  for (let i = 0; i < dirs.length; i++) {
    const file = dirs[i] + name;
    // Where git would look further, a test that throws nothing when the file is not there: during pre-receive
    // every log object is first looked for in the push's quarantine, and the exception openSync makes of a
    // miss costs more, in a cold hook, than reading the object. (Not there for any reason, the next directory,
    // as git does.)
    if (i < dirs.length - 1 && !existsSync(file)) continue;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue; // not in this directory: git looks in the next
      return undefined;
    }
    try {
      return readLoose(fd, oid, max, inflate);
    } catch {
      return undefined; // not readable as a file (a directory): the store says what git says
    } finally {
      closeSync(fd);
    }
  }
  return undefined;
}

/** Small loose files are read through one buffer first: a log entry's objects are a few hundred bytes. */
const scratch = Buffer.allocUnsafeSlow(64 * 1024);

function readLoose(fd: number, oid: string, max: number, inflate: boolean): { type: ObjectType; content: Uint8Array } | undefined {
  // zlib grows incompressible data by a few bytes per 16 KiB block: a larger file cannot be within the bound.
  const most = max + (max >> 10) + 1024;
  let raw: Buffer;
  const got = readInto(fd, scratch);
  if (got < scratch.length) {
    // The whole file (a read came back empty): no stat needed. Anything but a regular file failed to read, or
    // fails the checks below.
    if (got > most) return undefined;
    raw = Buffer.from(scratch.subarray(0, got));
  } else {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > most) return undefined;
    raw = Buffer.allocUnsafe(st.size);
    if (readInto(fd, raw) !== raw.length) return undefined; // shrank while read
  }
  let inflated = unzlibStored(raw, max + 32);
  if (!inflated) {
    if (!inflate) return undefined; // compressed: left to the store (see above)
    try {
      const r = zlib().inflateSync(raw, { info: true, maxOutputLength: max + 32 }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      if (r.engine.bytesWritten !== raw.length) return undefined; // bytes after the zlib stream: git calls that corrupt
      inflated = r.buffer;
    } catch {
      return undefined; // corrupt or past the bound: the store says which
    }
  }
  const nul = inflated.indexOf(0);
  if (nul < 0 || nul > 32) return undefined;
  const m = HEADER.exec(inflated.toString('latin1', 0, nul));
  if (!m || Number(m[2]) !== inflated.length - nul - 1 || Number(m[2]) > max) return undefined;
  if (hashHex(oid.length === 64 ? 'sha256' : 'sha1', inflated) !== oid) return undefined;
  // A Buffer view, as cat-file's reads give (names.ts NativeSlices).
  return { type: m[1] as ObjectType, content: Buffer.from(inflated.buffer, inflated.byteOffset + nul + 1, inflated.length - nul - 1) };
}

/** Reads `buf.length` bytes from the start of the file, fewer when it ends first; returns how many. */
function readInto(fd: number, buf: Buffer): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * A digest in hex: Node's one-shot `crypto.hash` where it has one (20.12 and later), which spares the Hash
 * stream object `createHash` builds (in a cold hook, more than the hashing of a small object).
 */
export const hashHex: (algo: 'sha1' | 'sha256', data: Uint8Array) => string =
  typeof crypto.hash === 'function'
    ? (algo, data) => crypto.hash(algo, data, 'hex')
    : (algo, data) => crypto.createHash(algo).update(data).digest('hex');

/** A zlib stream (RFC 1950) holding `data` in stored deflate blocks (RFC 1951, 3.2.4): see src/server/objects.ts. */
export function zlibStored(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / 0xffff));
  const out = Buffer.alloc(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78; // deflate, 32 KiB window
  out[1] = 0x01; // no dictionary, lowest level; (0x78 << 8 | 0x01) % 31 === 0
  let at = 2;
  for (let i = 0; i < blocks; i++) {
    const chunk = data.subarray(i * 0xffff, Math.min(data.length, (i + 1) * 0xffff));
    out[at] = i === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00
    out.writeUInt16LE(chunk.length, at + 1);
    out.writeUInt16LE(~chunk.length & 0xffff, at + 3);
    out.set(chunk, at + 5);
    at += 5 + chunk.length;
  }
  out.writeUInt32BE(adler32(data), at);
  return out;
}

/**
 * The bytes of a zlib stream written as zlibStored writes it (stored blocks only, nothing after the checksum), or
 * undefined for any other stream (then inflated by zlib). Spares a zlib stream's set-up per read: the push log's
 * entries are written this way, and the replay check reads the newest ones on every push.
 */
export function unzlibStored(raw: Uint8Array, max: number): Buffer | undefined {
  if (raw.length < 11 || raw[0] !== 0x78 || raw[1] !== 0x01) return undefined;
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = 2;
  for (let last = false; !last; ) {
    if (at + 5 > raw.length || raw[at]! > 1) return undefined; // not a stored block (or padding bits set)
    last = raw[at] === 1;
    const len = raw[at + 1]! | (raw[at + 2]! << 8);
    if ((raw[at + 3]! | (raw[at + 4]! << 8)) !== (~len & 0xffff) || at + 5 + len > raw.length) return undefined;
    total += len;
    if (total > max) return undefined;
    parts.push(raw.subarray(at + 5, at + 5 + len));
    at += 5 + len;
  }
  if (at + 4 !== raw.length) return undefined;
  // One block (every object the log writes): its bytes where they are, no copy.
  const data = parts.length === 1 ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, total) : Buffer.concat(parts, total);
  const sum = ((raw[at]! << 24) | (raw[at + 1]! << 16) | (raw[at + 2]! << 8) | raw[at + 3]!) >>> 0;
  return sum === adler32(data) ? data : undefined;
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    // At most 5552 bytes between reductions (zlib's NMAX): the sums stay small. Eight bytes a step where it can:
    // in a cold hook this loop runs in V8's interpreter, where each step's own cost outweighs a byte's.
    const end = Math.min(data.length, i + 5552);
    for (const end8 = end - 7; i < end8; i += 8) {
      // b takes a after each byte: 8a plus each byte weighted by how many of the eight sums it is in.
      const x0 = data[i]!;
      const x1 = data[i + 1]!;
      const x2 = data[i + 2]!;
      const x3 = data[i + 3]!;
      const x4 = data[i + 4]!;
      const x5 = data[i + 5]!;
      const x6 = data[i + 6]!;
      const x7 = data[i + 7]!;
      b += 8 * (a + x0) + 7 * x1 + 6 * x2 + 5 * x3 + 4 * x4 + 3 * x5 + 2 * x6 + x7;
      a += x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
    }
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * `store` with its reads of loose objects written as stored zlib streams (the log's own) answered from their files
 * in `dirs` where that is certain (see above), and one read more: `readCommit`, a commit's raw bytes within a bound
 * (push/log-entries.ts takes an entry's tree and parents from one read with it).
 */
export function withLooseReads(
  store: ObjectStore,
  dirs: readonly string[],
): ObjectStore & { readCommit(oid: string, limit: ReadLimit): Promise<Uint8Array> } {
  // The last few objects read (an id names its bytes), for a second question about one of them (its type after
  // its content).
  const recent = new Map<string, { type: ObjectType; content: Uint8Array }>();
  const loose = (oid: string, maxBytes?: number): { type: ObjectType; content: Uint8Array } | undefined => {
    let o = recent.get(oid);
    if (!o) {
      o = readLooseObject(dirs, oid, LOOSE_READ_MAX_BYTES, { inflate: false });
      if (!o) return undefined;
      if (recent.size >= 8) recent.delete(recent.keys().next().value!);
      recent.set(oid, o);
    }
    return maxBytes === undefined || o.content.length <= maxBytes ? o : undefined;
  };
  const typed = (oid: string, type: ObjectType, limit?: ReadLimit): Uint8Array | undefined => {
    const o = loose(oid, limit?.maxBytes);
    return o && o.type === type ? o.content : undefined;
  };
  return {
    resolveRef: (ref: string) => store.resolveRef(ref),
    async readType(oid: string): Promise<ObjectType> {
      // An object read already; else the store's header-only answer (a pushed object is usually deflated by git,
      // and a first zlib stream in a fresh process costs more than the round trip).
      return recent.get(oid)?.type ?? store.readType(oid);
    },
    peel: (oid: string) => store.peel(oid),
    async commitTree(oid: string, limit?: ReadLimit): Promise<string> {
      const c = typed(oid, 'commit', limit);
      return c ? readCommitHeader(c, oid).tree : store.commitTree(oid, limit);
    },
    async readCommit(oid: string, limit: ReadLimit): Promise<Uint8Array> {
      const c = typed(oid, 'commit', limit);
      if (c) return c;
      // The store's checks and errors (another type, past the bound, unreadable) from commitTree, which refuses
      // a larger object from its size alone; only then the bytes.
      await store.commitTree(oid, limit);
      return (await store.readObject(oid)).content;
    },
    async readBlob(oid: string, limit?: ReadLimit): Promise<Uint8Array> {
      return typed(oid, 'blob', limit) ?? store.readBlob(oid, limit);
    },
    async readObject(oid: string): Promise<{ type: ObjectType; content: Uint8Array }> {
      const o = loose(oid);
      return o ? { type: o.type, content: o.content } : store.readObject(oid);
    },
    async readTree(oid: string, limit?: ReadLimit): Promise<TreeEntry[]> {
      const t = typed(oid, 'tree', limit);
      return t ? parseTreeObject(t, oid, oid.length / 2) : store.readTree(oid, limit);
    },
    diffTrees: (a: string | null, b: string, options?: DiffOptions): Promise<TreeChange[]> => store.diffTrees(a, b, options),
    isAncestor: (a: string, b: string) => store.isAncestor(a, b),
    close: () => store.close(),
  };
}
