/**
 * Helpers shared by both ObjectStore implementations. No Node-only imports:
 * the isomorphic-git store uses these in a browser too.
 */
import type { EntryKind, EntryMode, RepoLocation, TreeChange, TreeEntry } from './store.js';

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
    throw new Error(`invalid ${what}: ${JSON.stringify(String(oid)).slice(0, 100)}`);
  }
}

/**
 * Throws unless `ref` is `HEAD` or a full ref name under `refs/` that git
 * could store (no control characters, spaces, `~^:?*[\\`, `..`, `//`, `/.`,
 * trailing `/` or `.lock`). Keeps arbitrary text out of git's argv and
 * out of file paths.
 */
export function assertRefName(ref: string): void {
  if (
    typeof ref !== 'string' ||
    !(ref === 'HEAD' || ref.startsWith('refs/')) ||
    /[\x00-\x20\x7f~^:?*[\\]|\.\.|\/\/|\/$|\.lock$|\/\.|@\{/.test(ref)
  ) {
    throw new Error(`invalid ref name ${JSON.stringify(String(ref)).slice(0, 200)}`);
  }
}

/**
 * Git's canonical mode for a raw tree-entry mode (octal text as stored in a
 * tree object, e.g. `40000`, or as printed by diff-tree, e.g. `040000`).
 * Regular files other than 100644/100755 (old git wrote e.g. 100664) are
 * canonicalised the way git does it: executable when the owner-x bit is set.
 * Anything else is not a valid tree entry and throws.
 */
export function canonicalMode(raw: string): EntryMode {
  switch (raw) {
    case '40000':
    case '040000':
      return '040000';
    case '100644':
      return '100644';
    case '100755':
      return '100755';
    case '120000':
      return '120000';
    case '160000':
      return '160000';
  }
  if (/^100[0-7]{3}$/.test(raw)) {
    return (parseInt(raw, 8) & 0o100) !== 0 ? '100755' : '100644';
  }
  throw new Error(`unsupported tree entry mode ${JSON.stringify(raw)}`);
}

export function kindOfMode(mode: EntryMode): EntryKind {
  switch (mode) {
    case '040000':
      return 'directory';
    case '100644':
    case '100755':
      return 'file';
    case '120000':
      return 'symlink';
    case '160000':
      return 'submodule';
  }
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Decodes a path or name as git stores it. `unsafe` is true when the bytes are
 * not valid UTF-8; the text then holds U+FFFD for the bad bytes. A leading
 * U+FEFF is kept (ignoreBOM), so no byte is silently dropped.
 */
export function decodeName(bytes: Uint8Array): { text: string; unsafe: boolean } {
  try {
    return { text: strictDecoder.decode(bytes), unsafe: false };
  } catch {
    return { text: lenientDecoder.decode(bytes), unsafe: true };
  }
}

/** A key that identifies raw bytes exactly (one char per byte), for grouping names whose lossy decodings collide. */
export function bytesKey(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  if (end - start <= 64) {
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  for (let i = start; i < end; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  }
  return s;
}

/** The bytes a `bytesKey` string stands for. */
export function keyToBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

function isAsciiKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** decodeName for a `bytesKey` string; ASCII keys decode to themselves without a TextDecoder call. */
export function decodeKey(key: string): { text: string; unsafe: boolean } {
  return isAsciiKey(key) ? { text: key, unsafe: false } : decodeName(keyToBytes(key));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[bytes[i]!];
  return s;
}

/** A TreeChange plus the exact bytes of its path, so sorting is by git's bytes. */
export interface KeyedChange {
  key: string;
  change: TreeChange;
}

/**
 * Sorts changes by the raw bytes of their paths (plain byte order, so `a` <
 * `a/b` < `a-b` < `ab`) and returns them. Both stores use it, so they return
 * the same list in the same order.
 */
export function sortChanges(changes: KeyedChange[]): TreeChange[] {
  changes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return changes.map((c) => c.change);
}

/** Parses the header of an annotated tag object: the object it points at and that object's type. */
export function parseTagTarget(content: Uint8Array, tagOid: string): { oid: string; type: string } {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(content.subarray(0, 200));
  const m = /^object ([0-9a-f]{40}|[0-9a-f]{64})\ntype (commit|tree|blob|tag)\n/.exec(head);
  if (!m) throw new Error(`malformed tag object ${tagOid}`);
  return { oid: m[1]!, type: m[2]! };
}

/** Parses the tree id out of a commit object. */
export function parseCommitTree(content: Uint8Array, commitOid: string): string {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(content.subarray(0, 100));
  const m = /^tree ([0-9a-f]{40}|[0-9a-f]{64})\n/.exec(head);
  if (!m) throw new Error(`malformed commit object ${commitOid}`);
  return m[1]!;
}

/** The parent ids of a commit object: the `parent` lines that follow its `tree` line in the header. */
export function parseCommitParents(content: Uint8Array): string[] {
  const parents: string[] = [];
  let start = 0;
  for (;;) {
    const end = content.indexOf(0x0a, start);
    if (end <= start) break; // the blank line ends the header
    const line = new TextDecoder().decode(content.subarray(start, end));
    const m = /^parent ([0-9a-f]{40}|[0-9a-f]{64})$/.exec(line);
    if (m) parents.push(m[1]!);
    else if (!line.startsWith('tree ')) break; // parents come right after the tree line
    start = end + 1;
  }
  return parents;
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
    if (sp < 0 || nul < 0 || nul + 1 + hashLen > data.length) throw new Error(`malformed tree object ${treeOid}`);
    const rawMode = bytesKey(data, i, sp);
    let mode: EntryMode;
    try {
      mode = canonicalMode(rawMode);
    } catch (e) {
      throw new Error(`tree ${treeOid}: ${(e as Error).message}`);
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

/**
 * Splits a colon-separated object-directory list the way git writes
 * `GIT_ALTERNATE_OBJECT_DIRECTORIES`: an entry starting with `"` is C-quoted.
 */
export function splitObjectDirectories(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    if (value[i] === ':') {
      i++;
      continue;
    }
    if (value[i] === '"') {
      let s = '';
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < value.length) {
          const c = value[i + 1]!;
          const oct = /^[0-7]{3}/.exec(value.slice(i + 1, i + 4));
          if (oct) {
            s += String.fromCharCode(parseInt(oct[0], 8));
            i += 4;
            continue;
          }
          s += ({ n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' } as Record<string, string>)[c] ?? c;
          i += 2;
        } else {
          s += value[i];
          i++;
        }
      }
      i++; // closing quote
      // Octal escapes are bytes: re-decode as UTF-8.
      out.push(decodeName(Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0xff)).text);
    } else {
      const end = value.indexOf(':', i);
      out.push(value.slice(i, end < 0 ? value.length : end));
      i = end < 0 ? value.length : end;
    }
  }
  return out.filter((d) => d.length > 0);
}

/**
 * The RepoLocation of a hook: `gitDir` plus the push quarantine from the
 * environment git gives pre-receive (`GIT_OBJECT_DIRECTORY`, or
 * `GIT_QUARANTINE_PATH`, and `GIT_ALTERNATE_OBJECT_DIRECTORIES`).
 */
export function locationFromEnv(gitDir: string, env: Record<string, string | undefined>): RepoLocation {
  const loc: RepoLocation = { gitDir };
  const objectDirectory = env.GIT_OBJECT_DIRECTORY || env.GIT_QUARANTINE_PATH;
  if (objectDirectory) loc.objectDirectory = objectDirectory;
  const alternates = env.GIT_ALTERNATE_OBJECT_DIRECTORIES;
  if (alternates) loc.alternateObjectDirectories = splitObjectDirectories(alternates);
  return loc;
}
