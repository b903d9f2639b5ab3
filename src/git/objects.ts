/**
 * Object ids and git's object formats (tag, commit and tree objects), parsed
 * the same way by both ObjectStores. No Node-only imports: the isomorphic-git
 * store uses these in a browser too.
 */
import type { EntryKind, EntryMode, ObjectType, TreeEntry } from './store.js';
import { canonicalMode, kindOfMode } from './modes.js';
import { bytesKey, decodeKey, keyToBytes, type NativeSlices } from './names.js';
import { errorMessage } from '../core/messages.js';
import { GitError, InvalidOidError, MalformedObjectError } from './errors.js';
import { parseCommit, parseTag, UnreadableObjectError, type ObjectFormat, type ParsedCommit, type ParsedTag } from './headers.js';

/** The all-zero object id git uses on a hook's stdin for "absent". */
export const ZERO_OID = '0000000000000000000000000000000000000000';

/** The id of the empty tree (SHA-1). Git knows it even when the object is not stored. */
export const EMPTY_TREE_OID = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

const OID_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** True for a full lower-case hex object id (SHA-1 or SHA-256). */
export function isOid(s: string): boolean {
  return OID_RE.test(s);
}

/** True for an all-zero object id (the "absent" marker of a hook's stdin). */
export function isZeroOid(s: string): boolean {
  return /^0+$/.test(s) && (s.length === 40 || s.length === 64);
}

/** Throws unless `oid` is a full lower-case hex object id. Keeps arbitrary text out of git's argv and stdin protocols. */
export function assertOid(oid: string, what = 'object id'): void {
  if (typeof oid !== 'string' || !OID_RE.test(oid)) {
    throw new InvalidOidError(oid, what);
  }
}

const HEX_CODES = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/** Scratch space for bytesToHex: enough for any object id (32 bytes). */
const hexScratch = new Uint8Array(128);
const asciiDecoder = new TextDecoder();

/**
 * Lower-case hex of `bytes[start..end)`, built in one piece (the ASCII
 * digits decoded at once): ids are hashed as Map keys by the hundred
 * thousand, and a string built by `+=` is a rope that each lookup must
 * first flatten (measured: 3x slower over a 250,000-file push).
 */
export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const native = (bytes as NativeSlices).hexSlice; // names.ts NativeSlices: Node's Buffer, in one native call
  if (native !== undefined && 0 <= start && start <= end && end <= bytes.length) return native.call(bytes, start, end);
  const n = end - start;
  const codes = n <= 64 ? hexScratch : new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const b = bytes[start + i]!;
    codes[2 * i] = HEX_CODES[b >> 4]!;
    codes[2 * i + 1] = HEX_CODES[b & 15]!;
  }
  return asciiDecoder.decode(codes.subarray(0, n * 2));
}

/**
 * The tree and parents of a commit, read the way git reads them (headers.ts
 * `parseCommit`: parents stop at the first line that is not `parent`). A
 * commit git cannot read is a MalformedObjectError naming it.
 */
export function readCommitHeader(content: Uint8Array, commitOid: string): ParsedCommit {
  return readHeader('commit', parseCommit, content, commitOid);
}

/** The object an annotated tag points at and the type it declares, read the way git peels it (headers.ts `parseTag`). */
export function readTagHeader(content: Uint8Array, tagOid: string): ParsedTag {
  return readHeader('tag', parseTag, content, tagOid);
}

function readHeader<T>(
  type: 'commit' | 'tag',
  parse: (content: Uint8Array, format: ObjectFormat) => T,
  content: Uint8Array,
  oid: string,
): T {
  try {
    return parse(content, formatOf(oid));
  } catch (e) {
    if (e instanceof UnreadableObjectError) throw new MalformedObjectError(`${type} ${oid} cannot be read by git: ${e.message}`);
    throw e;
  }
}

/**
 * git cannot peel a tag whose declared type is not its target's real type
 * (`rev-parse <tag>^{}` fails): neither may the hook, or it would judge a
 * tree git never checks out.
 */
export function assertTagTargetType(tagOid: string, tag: ParsedTag, actual: string): void {
  if (tag.type !== actual) {
    throw new MalformedObjectError(`tag ${tagOid} says it points at a ${tag.type}, but ${tag.object} is a ${actual}; git cannot peel it`);
  }
}

/** The longest chain of annotated tags git-acl peels or follows: a release is a tag or two, not dozens. */
export const MAX_TAG_DEPTH = 64;

/**
 * Peels `oid` through annotated tags to the first object that is not a tag,
 * the way git does (`assertTagTargetType` at every step). A store opens each
 * object as cheaply as it can (`open`: at least its type) and reads a tag's
 * body from what it opened (`tagContent`).
 */
export async function peelTags<T extends { type: ObjectType }>(
  oid: string,
  open: (oid: string) => Promise<T>,
  tagContent: (obj: T, oid: string) => Promise<Uint8Array> | Uint8Array,
): Promise<{ oid: string; type: ObjectType }> {
  assertOid(oid);
  let cur = oid;
  let obj = await open(cur);
  for (let depth = 0; obj.type === 'tag'; depth++) {
    if (depth >= MAX_TAG_DEPTH) throw new GitError('read-failed', `tag chain too deep at ${oid}`);
    const tag = readTagHeader(await tagContent(obj, cur), cur);
    obj = await open(tag.object);
    assertTagTargetType(cur, tag, obj.type);
    cur = tag.object;
  }
  return { oid: cur, type: obj.type };
}

/** The hash format of the repository an object id comes from (SHA-1: 40 hex, SHA-256: 64). */
function formatOf(oid: string): ObjectFormat {
  return { hashBytes: oid.length === 64 ? 32 : 20 };
}

/** A tree entry as stored: its name's exact bytes (a `bytesKey` string), its mode as stored and as git reads it. */
export interface StoredTreeEntry {
  key: string;
  rawMode: string;
  mode: EntryMode;
  kind: EntryKind;
  oid: string;
}

/** A tree entry with the exact bytes of its name (as a `bytesKey` string) and its mode as stored. */
export interface RawTreeEntry extends TreeEntry, StoredTreeEntry {}

/**
 * Parses a raw tree object, repeated `<octal mode> <name>\0<hash bytes>`,
 * without decoding names (what the diff walk needs, per entry of every tree
 * it reads). Throws MalformedObjectError on a truncated entry or a mode
 * canonicalMode does not know.
 */
export function parseTreeEntries(data: Uint8Array, treeOid: string, hashLen: number): StoredTreeEntry[] {
  const entries: StoredTreeEntry[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 1 + hashLen > data.length) throw new MalformedObjectError(`malformed tree object ${treeOid}`);
    const rawMode = storedMode(data, i, sp);
    let mode: EntryMode;
    try {
      mode = canonicalMode(rawMode);
    } catch (e) {
      throw new MalformedObjectError(`tree ${treeOid}: ${errorMessage(e)}`);
    }
    entries.push({
      key: bytesKey(data, sp + 1, nul),
      rawMode,
      mode,
      kind: kindOfMode(mode),
      oid: bytesToHex(data, nul + 1, nul + 1 + hashLen),
    });
    i = nul + 1 + hashLen;
  }
  return entries;
}

const MODES_AS_STORED = ['40000', '100644', '100755', '120000', '160000'];
const MODE_BYTES = MODES_AS_STORED.map((m) => Array.from(m, (c) => c.charCodeAt(0)));

/** The mode text of `data[start..end)`: one of the shared strings for the modes git writes, else a new one. */
function storedMode(data: Uint8Array, start: number, end: number): string {
  const n = end - start;
  next: for (let m = 0; m < MODE_BYTES.length; m++) {
    const bytes = MODE_BYTES[m]!;
    if (bytes.length !== n) continue;
    for (let k = 0; k < n; k++) if (data[start + k] !== bytes[k]) continue next;
    return MODES_AS_STORED[m]!;
  }
  return bytesKey(data, start, end);
}

/** parseTreeEntries plus each name decoded as UTF-8 (`rawName` when it is not valid UTF-8). */
function parseTreeRaw(data: Uint8Array, treeOid: string, hashLen: number): RawTreeEntry[] {
  return parseTreeEntries(data, treeOid, hashLen).map((e) => {
    const { text, unsafe } = decodeKey(e.key);
    const entry: RawTreeEntry = { name: text, mode: e.mode, kind: e.kind, oid: e.oid, key: e.key, rawMode: e.rawMode };
    if (unsafe) entry.rawName = keyToBytes(e.key);
    return entry;
  });
}

/** Parses a raw tree object into public TreeEntry values (`rawName` only when the name is not valid UTF-8). */
export function parseTreeObject(data: Uint8Array, treeOid: string, hashLen: number): TreeEntry[] {
  return parseTreeRaw(data, treeOid, hashLen).map((e) => {
    const t: TreeEntry = { name: e.name, mode: e.mode, kind: e.kind, oid: e.oid };
    if (e.rawName) t.rawName = e.rawName;
    return t;
  });
}
