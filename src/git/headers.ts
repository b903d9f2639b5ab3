/**
 * Reads commit and tag headers exactly the way git 2.39.5 reads them when it
 * walks history or peels a tag: ports of commit.c `parse_commit_buffer` and
 * tag.c `parse_tag_buffer`. Pure and browser-safe (bytes in, values out).
 *
 * Why a port and not a tidy parser: the hook must decide ancestry and peel
 * tags the way git will once the push lands. git's readers are deliberately
 * narrow and sometimes surprising, and every surprise is a place where a
 * friendlier parser would see a different history than git:
 *
 * - parents are the `parent` lines that follow the first line (`tree`)
 *   without a gap: git stops at the first line that is not `parent `. So
 *   `tree A`, `tree A`, `parent P` is a ROOT commit to git (rev-list, merge-base,
 *   checkout all agree), however many `parent` lines come later;
 * - hex digits may be upper case (git's hex decoder accepts both); git
 *   reports the ids in lower case;
 * - a commit shorter than `tree <hex>\n` plus one byte, a first line that is
 *   not exactly `tree <hex>\n`, or a `parent ` line that is cut short or not
 *   followed by a newline makes the whole commit unreadable ("bogus commit
 *   object", "bad parents"): every git command that walks it fails;
 * - a tag must start `object <hex>\ntype <commit|tree|blob|tag>\ntag <name>\n`
 *   (the name line is required, the tagger is not) and be at least
 *   hexsz + 24 bytes long; otherwise git cannot peel it.
 *
 * What is NOT modelled here, because it is repository state rather than
 * object bytes: `info/grafts` and a shallow repository's `shallow` file (they
 * replace a commit's parents), `refs/replace/` (replaces whole objects unless
 * GIT_NO_REPLACE_OBJECTS is set), and the commit-graph file (git reads parents
 * from it when present; it is written from these same objects, so it agrees
 * unless grafts or replace refs were in play when it was written).
 */

/** Thrown when git itself could not read the object; git would fail on it too. */
export class UnreadableObjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableObjectError';
  }
}

export type ObjectKind = 'commit' | 'tree' | 'blob' | 'tag';

export interface ObjectFormat {
  /** Raw hash length: 20 for SHA-1 repositories (the default), 32 for SHA-256. */
  hashBytes?: 20 | 32;
}

export interface ParsedCommit {
  /** The tree id, lower-case hex. */
  tree: string;
  /** The parent ids in order, lower-case hex, duplicates kept (git keeps them too). */
  parents: string[];
}

export interface ParsedTag {
  /** The tagged object's id, lower-case hex. */
  object: string;
  /** The tagged object's type as the tag declares it. */
  type: ObjectKind;
  /** The tag name as stored (bytes up to the line end, decoded as UTF-8 with U+FFFD for bad bytes). */
  tag: string;
}

/** git's hexval(): 0-15 for [0-9a-fA-F], -1 otherwise. */
export function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const HEX = '0123456789abcdef';

/**
 * git's get_oid_hex(): `hexsz` hex digits (either case) at `at`, returned in
 * lower case, or null. Does not look at what follows. Bytes past the end of
 * `data` read as NUL, like the NUL git keeps after every object buffer.
 */
export function readHexOid(data: Uint8Array, at: number, hexsz: number): string | null {
  if (at < 0 || at + hexsz > data.length) return null;
  let s = '';
  for (let i = at; i < at + hexsz; i++) {
    const v = hexDigit(data[i]!);
    if (v < 0) return null;
    s += HEX[v];
  }
  return s;
}

function startsWithAscii(data: Uint8Array, at: number, prefix: string): boolean {
  if (at < 0 || at + prefix.length > data.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[at + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

export function hexLength(format: ObjectFormat | undefined): number {
  return (format?.hashBytes ?? 20) * 2;
}

/**
 * The tree and parents of a commit, as git's parse_commit_buffer reads them
 * (what `git rev-list --parents` and `%T` show, what merge-base and
 * `--is-ancestor` use). Throws UnreadableObjectError where git fails to read
 * the commit. Does not judge anything else: a commit git reads but fsck
 * refuses (no author, bad date, ...) still parses; use fsckCommit for that.
 */
export function parseCommit(data: Uint8Array, format?: ObjectFormat): ParsedCommit {
  const hexsz = hexLength(format);
  const treeEntryLen = hexsz + 5; // "tree " + hex
  const parentEntryLen = hexsz + 7; // "parent " + hex
  const size = data.length;
  // `tail <= bufptr + tree_entry_len + 1`: git wants at least one byte after "tree <hex>\n".
  if (size <= treeEntryLen + 1 || !startsWithAscii(data, 0, 'tree ') || data[treeEntryLen] !== 0x0a) {
    throw new UnreadableObjectError('bogus commit object: it does not start with a "tree <id>" line');
  }
  const tree = readHexOid(data, 5, hexsz);
  if (tree === null) throw new UnreadableObjectError('bad tree pointer in commit');
  const parents: string[] = [];
  let pos = treeEntryLen + 1;
  // git only enters the loop while more than a parent line's length remains;
  // a shorter remainder starting "parent " is left alone (fsck still refuses it).
  while (pos + parentEntryLen < size && startsWithAscii(data, pos, 'parent ')) {
    const parent = readHexOid(data, pos + 7, hexsz);
    if (size <= pos + parentEntryLen + 1 || parent === null || data[pos + parentEntryLen] !== 0x0a) {
      throw new UnreadableObjectError('bad parents in commit');
    }
    parents.push(parent);
    pos += parentEntryLen + 1;
  }
  return { tree, parents };
}

const TAG_TYPES: readonly ObjectKind[] = ['blob', 'tree', 'commit', 'tag'];

/**
 * The tagged object of an annotated tag, as git's parse_tag_buffer reads it
 * (what peeling `<tag>^{}` follows). Throws UnreadableObjectError where git
 * cannot read the tag.
 */
export function parseTag(data: Uint8Array, format?: ObjectFormat): ParsedTag {
  const hexsz = hexLength(format);
  const size = data.length;
  if (size < hexsz + 24) throw new UnreadableObjectError('tag object too short');
  const object = readHexOid(data, 7, hexsz);
  if (!startsWithAscii(data, 0, 'object ') || object === null || data[7 + hexsz] !== 0x0a) {
    throw new UnreadableObjectError('tag object does not start with an "object <id>" line');
  }
  let pos = 8 + hexsz;
  if (!startsWithAscii(data, pos, 'type ')) throw new UnreadableObjectError('tag object has no "type" line');
  pos += 5;
  const nl = data.indexOf(0x0a, pos);
  // git copies the type into a 20-byte buffer and compares it as a C string.
  if (nl < 0 || nl - pos >= 20) throw new UnreadableObjectError('tag object has a bad "type" line');
  const nul = data.subarray(pos, nl).indexOf(0);
  const typeEnd = nul < 0 ? nl : pos + nul;
  const typeText = String.fromCharCode(...data.subarray(pos, typeEnd));
  const type = TAG_TYPES.find((t) => t === typeText);
  if (!type) throw new UnreadableObjectError(`unknown tag type '${sanitise(typeText)}'`);
  pos = nl + 1;
  if (!(pos + 4 < size && startsWithAscii(data, pos, 'tag '))) throw new UnreadableObjectError('tag object has no "tag" line');
  pos += 4;
  const nameEnd = data.indexOf(0x0a, pos);
  if (nameEnd < 0) throw new UnreadableObjectError('tag object has an unterminated "tag" line');
  const tag = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(data.subarray(pos, nameEnd));
  return { object, type, tag };
}

function sanitise(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
