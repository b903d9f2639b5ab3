/**
 * Object ids and git's object formats (tag, commit and tree objects), parsed
 * the same way by both ObjectStores. No Node-only imports: the isomorphic-git
 * store uses these in a browser too.
 */
import type { EntryMode, TreeEntry } from './store.js';
import { canonicalMode, kindOfMode } from './modes.js';
import { bytesKey, decodeKey, keyToBytes } from './names.js';
import { errorMessage } from '../core/messages.js';
import { InvalidOidError, MalformedObjectError } from './errors.js';
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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[bytes[i]!];
  return s;
}

/**
 * The tree and parents of a commit, read the way git reads them (headers.ts
 * `parseCommit`: parents stop at the first line that is not `parent`). A
 * commit git cannot read is a MalformedObjectError naming it.
 */
export function readCommitHeader(content: Uint8Array, commitOid: string): ParsedCommit {
  try {
    return parseCommit(content, formatOf(commitOid));
  } catch (e) {
    if (e instanceof UnreadableObjectError) throw new MalformedObjectError(`commit ${commitOid} cannot be read by git: ${e.message}`);
    throw e;
  }
}

/** The object an annotated tag points at and the type it declares, read the way git peels it (headers.ts `parseTag`). */
export function readTagHeader(content: Uint8Array, tagOid: string): ParsedTag {
  try {
    return parseTag(content, formatOf(tagOid));
  } catch (e) {
    if (e instanceof UnreadableObjectError) throw new MalformedObjectError(`tag ${tagOid} cannot be read by git: ${e.message}`);
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

/** The hash format of the repository an object id comes from (SHA-1: 40 hex, SHA-256: 64). */
function formatOf(oid: string): ObjectFormat {
  return { hashBytes: oid.length === 64 ? 32 : 20 };
}

/** A tree entry with the exact bytes of its name (as a `bytesKey` string) and its mode as stored. */
export interface RawTreeEntry extends TreeEntry {
  key: string;
  rawMode: string;
}

/** Parses a raw tree object: repeated `<octal mode> <name>\0<hash bytes>`. */
export function parseTreeRaw(data: Uint8Array, treeOid: string, hashLen: number): RawTreeEntry[] {
  const entries: RawTreeEntry[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 1 + hashLen > data.length) throw new MalformedObjectError(`malformed tree object ${treeOid}`);
    const rawMode = bytesKey(data, i, sp);
    let mode: EntryMode;
    try {
      mode = canonicalMode(rawMode);
    } catch (e) {
      throw new MalformedObjectError(`tree ${treeOid}: ${errorMessage(e)}`);
    }
    const key = bytesKey(data, sp + 1, nul);
    const { text, unsafe } = decodeKey(key);
    const entry: RawTreeEntry = {
      name: text,
      mode,
      kind: kindOfMode(mode),
      oid: bytesToHex(data, nul + 1, nul + 1 + hashLen),
      key,
      rawMode,
    };
    if (unsafe) entry.rawName = keyToBytes(key);
    entries.push(entry);
    i = nul + 1 + hashLen;
  }
  return entries;
}

/** Parses a raw tree object into public TreeEntry values (`rawName` only when the name is not valid UTF-8). */
export function parseTreeObject(data: Uint8Array, treeOid: string, hashLen: number): TreeEntry[] {
  return parseTreeRaw(data, treeOid, hashLen).map((e) => {
    const t: TreeEntry = { name: e.name, mode: e.mode, kind: e.kind, oid: e.oid };
    if (e.rawName) t.rawName = e.rawName;
    return t;
  });
}
