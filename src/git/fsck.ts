/**
 * git's object checks as a server applies them with `receive.fsckObjects=true`
 * (git 2.39.5): a port of fsck.c's fsck_tree, fsck_commit,
 * fsck_tag_standalone and fsck_blob/fsck_finish, with the helpers they call
 * (utf8.c is_hfs_dot*, path.c is_ntfs_dot*, refs.c check_refname_format,
 * config.c's parser, submodule URL checks). Pure and browser-safe: bytes in,
 * findings out.
 *
 * Severity. receive-pack runs `index-pack --strict` (or `unpack-objects
 * --strict` for packs under receive.unpackLimit objects); both set
 * `strict`, under which fsck's WARN messages count as errors, INFO messages
 * are printed as warnings and never refuse, and IGNORE messages are silent.
 * Before fsck, both parse the object (parse_object_buffer) and die on a
 * commit or tag git cannot read at all; that refusal has no fsck message id,
 * so it is reported here as `invalidCommit` / `invalidTag`. The result is
 * what a server with no `receive.fsck.<id>` overrides does; overrides are not
 * modelled (the hook judges with git's defaults whatever the server says).
 *
 * Not judged here, because one object's bytes cannot tell: whether the
 * objects a tree, commit or tag names exist and have the type the reference
 * implies (index-pack checks that while walking the pack), and the content
 * of the blobs a tree names `.gitmodules` / `.gitattributes` (fsck_finish
 * does that after all trees are seen; see fsckTree's `gitmodules` /
 * `gitattributes` lists and fsckNamedBlob).
 */
import { hexDigit, hexLength, parseCommit, parseTag, UnreadableObjectError, type ObjectFormat, type ObjectKind } from './headers.js';

/** How git classifies each message by default (fsck.h FOREACH_FSCK_MSG_ID). */
export const FSCK_MESSAGE_TYPES = {
  // fatal
  nulInHeader: 'fatal',
  unterminatedHeader: 'fatal',
  // errors
  badDate: 'error',
  badDateOverflow: 'error',
  badEmail: 'error',
  badName: 'error',
  badObjectSha1: 'error',
  badParentSha1: 'error',
  badTimezone: 'error',
  badTree: 'error',
  badTreeSha1: 'error',
  badType: 'error',
  duplicateEntries: 'error',
  missingAuthor: 'error',
  missingCommitter: 'error',
  missingEmail: 'error',
  missingNameBeforeEmail: 'error',
  missingObject: 'error',
  missingSpaceBeforeDate: 'error',
  missingSpaceBeforeEmail: 'error',
  missingTag: 'error',
  missingTagEntry: 'error',
  missingTree: 'error',
  missingType: 'error',
  missingTypeEntry: 'error',
  multipleAuthors: 'error',
  treeNotSorted: 'error',
  unknownType: 'error',
  zeroPaddedDate: 'error',
  gitmodulesMissing: 'error',
  gitmodulesBlob: 'error',
  gitmodulesLarge: 'error',
  gitmodulesName: 'error',
  gitmodulesSymlink: 'error',
  gitmodulesUrl: 'error',
  gitmodulesPath: 'error',
  gitmodulesUpdate: 'error',
  gitattributesMissing: 'error',
  gitattributesLarge: 'error',
  gitattributesLineLength: 'error',
  gitattributesBlob: 'error',
  // warnings (errors under --strict, hence errors for receive-pack)
  emptyName: 'warn',
  fullPathname: 'warn',
  hasDot: 'warn',
  hasDotdot: 'warn',
  hasDotgit: 'warn',
  nullSha1: 'warn',
  zeroPaddedFilemode: 'warn',
  nulInCommit: 'warn',
  // infos (printed as warnings, never refuse)
  badFilemode: 'info',
  gitmodulesParse: 'info',
  gitignoreSymlink: 'info',
  gitattributesSymlink: 'info',
  mailmapSymlink: 'info',
  badTagName: 'info',
  missingTaggerEntry: 'info',
  // ignored unless configured
  extraHeaderEntry: 'ignore',
} as const;

/** git's fsck message ids (camelCase, as git prints them and as `receive.fsck.<id>` spells them). */
export type FsckMessageId = keyof typeof FSCK_MESSAGE_TYPES;

/**
 * A finding's id: a git fsck message id, or `invalidCommit` / `invalidTag`
 * for an object receive-pack refuses before fsck because git cannot parse it
 * at all (git prints e.g. "bad parents in commit X" then "fatal: invalid commit").
 */
export type FsckFindingId = FsckMessageId | 'invalidCommit' | 'invalidTag';

export interface FsckFinding {
  id: FsckFindingId;
  /** What receive-pack with receive.fsckObjects=true does with it: `error` refuses the push, `warning` is only printed. */
  severity: 'error' | 'warning';
  /** git's own text for the message (without the id). */
  message: string;
  /**
   * Set on the few errors git's fsck does not report at all but this module
   * does, on purpose (docs/decisions.md, "Objects git would refuse").
   */
  stricterThanGit?: true;
}

export interface TreeCheck {
  findings: FsckFinding[];
  /**
   * Ids of the objects this tree names `.gitmodules` (or an HFS+/NTFS alias)
   * other than as a symlink, in order, without duplicates. git checks each
   * with fsck_finish once all trees are read: pass each to fsckNamedBlob.
   */
  gitmodules: string[];
  /** Same for `.gitattributes`. */
  gitattributes: string[];
}

/** True when receive-pack with receive.fsckObjects=true would refuse a push carrying an object with these findings. */
export function isRefusedByReceiveFsck(findings: readonly FsckFinding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** `<id>: <message>`, as git prints it after the object name. */
export function formatFinding(f: FsckFinding): string {
  return `${f.id}: ${f.message}`;
}

/** Checks one object of any type. For a tree, the `.gitmodules`/`.gitattributes` follow-up is the caller's (fsckTree). */
export function fsckObject(type: ObjectKind, data: Uint8Array, format?: ObjectFormat): FsckFinding[] {
  switch (type) {
    case 'tree':
      return fsckTree(data, format).findings;
    case 'commit':
      return fsckCommit(data, format);
    case 'tag':
      return fsckTag(data, format);
    case 'blob':
      // fsck_blob only looks at blobs some tree names .gitmodules/.gitattributes.
      return [];
  }
}

// ---------------------------------------------------------------------------
// Reporting

class Reporter {
  readonly findings: FsckFinding[] = [];

  /** git's report(): records the finding and returns true when it is an error (the caller then usually stops). */
  report(id: FsckMessageId, message: string): boolean {
    const t = FSCK_MESSAGE_TYPES[id];
    if (t === 'ignore') return false;
    // strict: WARN becomes ERROR; FATAL is reported as ERROR; INFO is reported as WARN.
    const severity = t === 'info' ? 'warning' : 'error';
    this.findings.push({ id, severity, message });
    return severity === 'error';
  }
}

// ---------------------------------------------------------------------------
// Bytes as git's C strings: every object buffer git checks is followed by a
// NUL, and the string functions stop at the first NUL.

/** data[i], or 0 past the end (git's terminating NUL). */
function at(data: Uint8Array, i: number): number {
  return i < data.length ? data[i]! : 0;
}

function skipPrefix(data: Uint8Array, pos: number, prefix: string): number {
  for (let i = 0; i < prefix.length; i++) if (at(data, pos + i) !== prefix.charCodeAt(i)) return -1;
  return pos + prefix.length;
}

/** strchrnul(s, '\n'): index of the first '\n' or NUL from pos. */
function strchrnulNl(data: Uint8Array, pos: number): number {
  let i = pos;
  for (;;) {
    const c = at(data, i);
    if (c === 0 || c === 0x0a) return i;
    i++;
  }
}

/** strcspn(s, "<>\n") from pos; returns the stopping index. */
function cspnAngleNl(data: Uint8Array, pos: number): number {
  let i = pos;
  for (;;) {
    const c = at(data, i);
    if (c === 0 || c === 0x3c || c === 0x3e || c === 0x0a) return i;
    i++;
  }
}

/** git's isdigit / isspace / isalpha / isalnum are ASCII-only (ctype.c); isspace is " \t\n\r". */
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function gitIsSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
function isAlnum(c: number): boolean {
  return isAlpha(c) || isDigit(c);
}
function toLower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** parse_oid_hex: hexsz hex digits (either case) at pos; returns the index after them or -1. */
function parseOidHex(data: Uint8Array, pos: number, hexsz: number): number {
  for (let i = 0; i < hexsz; i++) if (hexDigit(at(data, pos + i)) < 0) return -1;
  return pos + hexsz;
}

// ---------------------------------------------------------------------------
// Names git refuses in a tree (utf8.c, path.c)

const IGNORABLE_HFS = new Set([
  0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f, 0xfeff,
]);

/**
 * pick_one_utf8_char on a NUL-terminated string: returns [code point, next
 * index], or null for malformed UTF-8. A NUL byte is a code point 0 of length 1.
 */
function pickUtf8(s: Uint8Array, i: number): [number, number] | null {
  const s0 = at(s, i);
  if (s0 < 0x80) return [s0, i + 1];
  const s1 = at(s, i + 1);
  if ((s0 & 0xe0) === 0xc0) {
    if ((s1 & 0xc0) !== 0x80 || (s0 & 0xfe) === 0xc0) return null;
    return [((s0 & 0x1f) << 6) | (s1 & 0x3f), i + 2];
  }
  if ((s0 & 0xf0) === 0xe0) {
    if ((s1 & 0xc0) !== 0x80) return null;
    const s2 = at(s, i + 2);
    if (
      (s2 & 0xc0) !== 0x80 ||
      (s0 === 0xe0 && (s1 & 0xe0) === 0x80) || // overlong
      (s0 === 0xed && (s1 & 0xe0) === 0xa0) || // surrogate
      (s0 === 0xef && s1 === 0xbf && (s2 & 0xfe) === 0xbe) // U+FFFE, U+FFFF
    ) {
      return null;
    }
    return [((s0 & 0x0f) << 12) | ((s1 & 0x3f) << 6) | (s2 & 0x3f), i + 3];
  }
  if ((s0 & 0xf8) === 0xf0) {
    if ((s1 & 0xc0) !== 0x80) return null;
    const s2 = at(s, i + 2);
    if ((s2 & 0xc0) !== 0x80) return null;
    const s3 = at(s, i + 3);
    if ((s3 & 0xc0) !== 0x80 || (s0 === 0xf0 && (s1 & 0xf0) === 0x80) || (s0 === 0xf4 && s1 > 0x8f) || s0 > 0xf4) {
      return null;
    }
    return [((s0 & 0x07) << 18) | ((s1 & 0x3f) << 12) | ((s2 & 0x3f) << 6) | (s3 & 0x3f), i + 4];
  }
  return null;
}

/** is_hfs_dot_generic: `.` + needle, case-insensitively, skipping the code points HFS+ ignores. */
function isHfsDot(s: Uint8Array, start: number, needle: string): boolean {
  let i = start;
  // next_hfs_char: 0 on malformed UTF-8 (then it cannot match), ignorable code points skipped.
  const next = (): number => {
    for (;;) {
      const r = pickUtf8(s, i);
      if (r === null) return 0;
      i = r[1];
      if (!IGNORABLE_HFS.has(r[0])) return r[0];
    }
  };
  if (next() !== 0x2e) return false;
  for (let k = 0; k < needle.length; k++) {
    const c = next();
    if (c > 127) return false;
    if (toLower(c) !== needle.charCodeAt(k)) return false;
  }
  const c = next();
  // is_dir_sep is '/' only on a Linux server.
  return c === 0 || c === 0x2f;
}

function isXplatformDirSep(c: number): boolean {
  return c === 0x2f || c === 0x5c;
}

/** is_ntfs_dotgit: `.git` or `git~1`, then only spaces and periods up to the end, a separator or `:`. */
function isNtfsDotgit(s: Uint8Array, start: number): boolean {
  let i = start;
  let c = at(s, i++);
  if (c === 0x2e) {
    c = at(s, i++);
    if (c !== 0x67 && c !== 0x47) return false;
    c = at(s, i++);
    if (c !== 0x69 && c !== 0x49) return false;
    c = at(s, i++);
    if (c !== 0x74 && c !== 0x54) return false;
  } else if (c === 0x67 || c === 0x47) {
    c = at(s, i++);
    if (c !== 0x69 && c !== 0x49) return false;
    c = at(s, i++);
    if (c !== 0x74 && c !== 0x54) return false;
    if (at(s, i++) !== 0x7e) return false;
    if (at(s, i++) !== 0x31) return false;
  } else {
    return false;
  }
  for (;;) {
    c = at(s, i++);
    if (c === 0 || isXplatformDirSep(c) || c === 0x3a) return true;
    if (c !== 0x2e && c !== 0x20) return false;
  }
}

/** strncasecmp(s + start, needle, n) === 0 with ASCII folding; stops at a NUL like C. */
function strncaseEq(s: Uint8Array, start: number, needle: string, n: number): boolean {
  for (let k = 0; k < n; k++) {
    const a = toLower(at(s, start + k));
    const b = k < needle.length ? toLower(needle.charCodeAt(k)) : 0;
    if (a !== b) return false;
    if (a === 0) return true;
  }
  return true;
}

/** is_ntfs_dot_generic: `.name`, its 8.3 short name `namexx~1`..`~4`, or the hashed fallback short name. */
function isNtfsDot(s: Uint8Array, start: number, name: string, shortPrefix: string): boolean {
  const onlySpacesAndPeriods = (from: number): boolean => {
    let i = from;
    for (;;) {
      const c = at(s, start + i++);
      if (c === 0 || c === 0x3a) return true;
      if (c !== 0x20 && c !== 0x2e) return false;
    }
  };
  const len = name.length;
  if (at(s, start) === 0x2e && strncaseEq(s, start + 1, name, len)) return onlySpacesAndPeriods(len + 1);
  if (strncaseEq(s, start, name, 6) && at(s, start + 6) === 0x7e && at(s, start + 7) >= 0x31 && at(s, start + 7) <= 0x34) {
    return onlySpacesAndPeriods(8);
  }
  let sawTilde = false;
  let i = 0;
  for (; i < 8; i++) {
    const c = at(s, start + i);
    if (c === 0) return false;
    if (sawTilde) {
      if (c < 0x30 || c > 0x39) return false;
    } else if (c === 0x7e) {
      const d = at(s, start + ++i);
      if (d < 0x31 || d > 0x39) return false;
      sawTilde = true;
    } else if (i >= 6) {
      return false;
    } else if (c & 0x80) {
      return false;
    } else if (toLower(c) !== shortPrefix.charCodeAt(i)) {
      return false;
    }
  }
  return onlySpacesAndPeriods(i);
}

const isHfsDotgit = (s: Uint8Array, i: number): boolean => isHfsDot(s, i, 'git');
const isHfsDotgitmodules = (s: Uint8Array, i: number): boolean => isHfsDot(s, i, 'gitmodules');
const isHfsDotgitignore = (s: Uint8Array, i: number): boolean => isHfsDot(s, i, 'gitignore');
const isHfsDotgitattributes = (s: Uint8Array, i: number): boolean => isHfsDot(s, i, 'gitattributes');
const isHfsDotmailmap = (s: Uint8Array, i: number): boolean => isHfsDot(s, i, 'mailmap');
const isNtfsDotgitmodules = (s: Uint8Array, i: number): boolean => isNtfsDot(s, i, 'gitmodules', 'gi7eba');
const isNtfsDotgitignore = (s: Uint8Array, i: number): boolean => isNtfsDot(s, i, 'gitignore', 'gi250a');
const isNtfsDotgitattributes = (s: Uint8Array, i: number): boolean => isNtfsDot(s, i, 'gitattributes', 'gi7d29');
const isNtfsDotmailmap = (s: Uint8Array, i: number): boolean => isNtfsDot(s, i, 'mailmap', 'maba30');

/**
 * Whether a name starting with this byte can be any of the names above. The HFS+ forms start with `.` once the
 * ignored code points (all outside ASCII) are skipped; the NTFS forms with `.`, their 8.3 short names with the
 * name's first letter (`g` or `m`, either case) or with `~` in the hashed form. A name starting with any other
 * ASCII byte (a NUL: the empty name) is none of them: the checks, five or more per tree entry, are skipped for it.
 */
function maySpellSpecialName(c0: number): boolean {
  return c0 >= 0x80 || c0 === 0x2e || c0 === 0x7e || (c0 | 0x20) === 0x67 || (c0 | 0x20) === 0x6d;
}

/** A tree entry name's bytes (a NUL-terminated C string), for callers outside a tree buffer. */
function cString(bytes: Uint8Array): Uint8Array {
  const z = new Uint8Array(bytes.length + 1);
  z.set(bytes);
  return z;
}

/**
 * True when git's fsck would call this tree-entry name `.git` (hasDotgit):
 * `.git` in any case, with HFS+-ignored code points, or an NTFS alias
 * (`git~1`, trailing dots/spaces, `:stream`), also after a backslash.
 */
export function isDotgitName(name: Uint8Array): boolean {
  const s = cString(name);
  if (isHfsDotgit(s, 0) || isNtfsDotgit(s, 0)) return true;
  for (let i = 0; i < name.length; i++) if (name[i] === 0x5c && isNtfsDotgit(s, i + 1)) return true;
  return false;
}

// ---------------------------------------------------------------------------
// Trees

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const isDirMode = (m: number): boolean => (m & S_IFMT) === S_IFDIR;
const isLinkMode = (m: number): boolean => (m & S_IFMT) === S_IFLNK;

interface RawEntry {
  /** Mode as parsed (32-bit, as git's get_mode computes it). */
  mode: number;
  start: number;
  nameStart: number;
  /** Index of the NUL after the name. */
  nameEnd: number;
}

/**
 * decode_tree_entry on the rest of the buffer from `start`; null where git
 * errors out. Note git's odd length test: the byte hashBytes+1 from the END OF
 * THE WHOLE BUFFER must be NUL, whichever entry is being decoded.
 */
function decodeEntry(data: Uint8Array, start: number, rawsz: number): RawEntry | null {
  const size = data.length - start;
  if (size < rawsz + 3 || data[data.length - (rawsz + 1)] !== 0) return null; // "too-short tree object"
  let i = start;
  if (data[i] === 0x20) return null; // "malformed mode in tree entry"
  let mode = 0;
  for (;;) {
    const c = data[i++]!; // stops at the NUL guaranteed above at the latest
    if (c === 0x20) break;
    if (c < 0x30 || c > 0x37) return null;
    mode = ((mode << 3) + (c - 0x30)) >>> 0; // unsigned int arithmetic
  }
  if (data[i] === 0) return null; // "empty filename in tree entry"
  const nameEnd = data.indexOf(0, i);
  return { mode, start, nameStart: i, nameEnd };
}

const TREE_UNORDERED = -1;
const TREE_HAS_DUPS = -2;

function isLessThanSlash(c: number): boolean {
  return c > 0 && c < 0x2f;
}

/**
 * verify_ordered: git sorts a tree's entries by name bytes, a directory's
 * name compared as if it ended in '/'. A file `foo` and a directory `foo` are
 * duplicates even when other names sort between them (`foo`, `foo.bar`,
 * `foo/`), hence the stack of file names that could still meet a directory.
 */
function verifyOrdered(data: Uint8Array, a: RawEntry, aMode: number, b: RawEntry, bMode: number, candidates: RawEntry[]): number {
  const len1 = a.nameEnd - a.nameStart;
  const len2 = b.nameEnd - b.nameStart;
  const len = Math.min(len1, len2);
  for (let k = 0; k < len; k++) {
    const x = data[a.nameStart + k]!;
    const y = data[b.nameStart + k]!;
    if (x < y) return 0;
    if (x > y) return TREE_UNORDERED;
  }
  let c1 = data[a.nameStart + len]!; // 0 at the name's end
  let c2 = data[b.nameStart + len]!;
  if (!c1 && !c2) return TREE_HAS_DUPS;
  if (!c1 && isDirMode(aMode)) c1 = 0x2f;
  if (!c2 && isDirMode(bMode)) c2 = 0x2f;
  if (!c1 && isLessThanSlash(c2)) {
    candidates.push(a);
  } else if (c2 === 0x2f && isLessThanSlash(c1)) {
    for (;;) {
      const f = candidates.pop();
      if (!f) break;
      const fl = f.nameEnd - f.nameStart;
      let prefix = fl <= len2;
      for (let k = 0; prefix && k < fl; k++) if (data[f.nameStart + k] !== data[b.nameStart + k]) prefix = false;
      if (!prefix) continue;
      if (fl === len2) return TREE_HAS_DUPS;
      if (isLessThanSlash(data[b.nameStart + fl]!)) {
        candidates.push(f);
        break;
      }
    }
  }
  return c1 < c2 ? 0 : TREE_UNORDERED;
}

/** fsck_tree: the raw tree object's bytes. */
export function fsckTree(data: Uint8Array, format?: ObjectFormat): TreeCheck {
  const rawsz = hexLength(format) / 2;
  const r = new Reporter();
  const gitmodules: string[] = [];
  const gitattributes: string[] = [];
  const seenModules = new Set<string>();
  const seenAttributes = new Set<string>();
  const result = (): TreeCheck => ({ findings: r.findings, gitmodules, gitattributes });

  let entry: RawEntry | null = null;
  if (data.length > 0) {
    entry = decodeEntry(data, 0, rawsz);
    if (!entry) {
      r.report('badTree', 'cannot be parsed as a tree');
      return result();
    }
  }

  let hasNullSha1 = false;
  let hasFullPath = false;
  let hasEmptyName = false;
  let hasDot = false;
  let hasDotdot = false;
  let hasDotgit = false;
  let hasZeroPad = false;
  let hasBadModes = false;
  let hasDupEntries = false;
  let notProperlySorted = false;
  let prev: RawEntry | null = null;
  let prevMode = 0;
  const candidates: RawEntry[] = [];

  while (entry) {
    // fsck reads the mode into an unsigned short: only the low 16 bits count from here on.
    const mode = entry.mode & 0xffff;
    const { nameStart, nameEnd } = entry;
    const oidStart = nameEnd + 1;
    const oidHex = (): string => hex(data, oidStart, oidStart + rawsz);
    const nameLen = nameEnd - nameStart;

    let isNull = true;
    for (let k = oidStart; k < oidStart + rawsz; k++) if (data[k] !== 0) isNull = false;
    hasNullSha1 ||= isNull;
    let slash = -1;
    let backslash = -1;
    for (let k = nameStart; k < nameEnd; k++) {
      const c = data[k]!;
      if (c === 0x2f && slash < 0) slash = k;
      if (c === 0x5c && backslash < 0) backslash = k;
    }
    hasFullPath ||= slash >= 0;
    hasEmptyName ||= nameLen === 0;
    hasDot ||= nameLen === 1 && data[nameStart] === 0x2e;
    hasDotdot ||= nameLen === 2 && data[nameStart] === 0x2e && data[nameStart + 1] === 0x2e;
    const special = maySpellSpecialName(data[nameStart]!);
    if (special) hasDotgit ||= isHfsDotgit(data, nameStart) || isNtfsDotgit(data, nameStart);
    hasZeroPad ||= data[entry.start] === 0x30;

    const noteModules = (): void => {
      if (!isLinkMode(mode)) {
        const id = oidHex();
        if (!seenModules.has(id)) {
          seenModules.add(id);
          gitmodules.push(id);
        }
      } else {
        r.report('gitmodulesSymlink', '.gitmodules is a symbolic link');
      }
    };
    if (special && (isHfsDotgitmodules(data, nameStart) || isNtfsDotgitmodules(data, nameStart))) noteModules();
    if (special && (isHfsDotgitattributes(data, nameStart) || isNtfsDotgitattributes(data, nameStart))) {
      if (!isLinkMode(mode)) {
        const id = oidHex();
        if (!seenAttributes.has(id)) {
          seenAttributes.add(id);
          gitattributes.push(id);
        }
      } else {
        r.report('gitattributesSymlink', '.gitattributes is a symlink');
      }
    }
    if (special && isLinkMode(mode)) {
      if (isHfsDotgitignore(data, nameStart) || isNtfsDotgitignore(data, nameStart)) {
        r.report('gitignoreSymlink', '.gitignore is a symlink');
      }
      if (isHfsDotmailmap(data, nameStart) || isNtfsDotmailmap(data, nameStart)) {
        r.report('mailmapSymlink', '.mailmap is a symlink');
      }
    }
    // fsck treats a backslash as a directory separator on every platform (a
    // Windows checkout would), for .git and .gitmodules only.
    if (backslash >= 0) {
      for (let k = backslash; k < nameEnd; k++) {
        if (data[k] !== 0x5c) continue;
        hasDotgit ||= isNtfsDotgit(data, k + 1);
        if (isNtfsDotgitmodules(data, k + 1)) noteModules();
      }
    }

    // update_tree_entry_gently: decode the next entry before judging this one's mode and order.
    const next = oidStart + rawsz;
    let nextEntry: RawEntry | null = null;
    if (next < data.length) {
      nextEntry = decodeEntry(data, next, rawsz);
      if (!nextEntry) {
        r.report('badTree', 'cannot be parsed as a tree');
        break;
      }
    }

    switch (mode) {
      case 0o100755:
      case 0o100644:
      case 0o120000:
      case 0o040000:
      case 0o160000:
        break;
      default:
        // 100664 is tolerated by plain fsck but not under --strict.
        hasBadModes = true;
    }

    if (prev) {
      const v = verifyOrdered(data, prev, prevMode, entry, mode, candidates);
      if (v === TREE_UNORDERED) notProperlySorted = true;
      else if (v === TREE_HAS_DUPS) hasDupEntries = true;
    }
    prev = entry;
    prevMode = mode;
    entry = nextEntry;
  }

  if (hasNullSha1) r.report('nullSha1', 'contains entries pointing to null sha1');
  if (hasFullPath) r.report('fullPathname', 'contains full pathnames');
  if (hasEmptyName) r.report('emptyName', 'contains empty pathname');
  if (hasDot) r.report('hasDot', "contains '.'");
  if (hasDotdot) r.report('hasDotdot', "contains '..'");
  if (hasDotgit) r.report('hasDotgit', "contains '.git'");
  if (hasZeroPad) r.report('zeroPaddedFilemode', 'contains zero-padded file modes');
  if (hasBadModes) r.report('badFilemode', 'contains bad file modes');
  if (hasDupEntries) r.report('duplicateEntries', 'contains duplicate file entries');
  if (notProperlySorted) r.report('treeNotSorted', 'not properly sorted');
  return result();
}

const HEX = '0123456789abcdef';
function hex(data: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += HEX[data[i]! >> 4]! + HEX[data[i]! & 15]!;
  return s;
}

// ---------------------------------------------------------------------------
// Commits and tags

/** verify_headers: no NUL before the blank line that ends the header, and a header that ends in '\n'. Returns true on error. */
function verifyHeaders(data: Uint8Array, r: Reporter): boolean {
  const size = data.length;
  for (let i = 0; i < size; i++) {
    const c = data[i]!;
    if (c === 0) return r.report('nulInHeader', `unterminated header: NUL at offset ${i}`);
    if (c === 0x0a && i + 1 < size && data[i + 1] === 0x0a) return false;
  }
  if (size && data[size - 1] === 0x0a) return false;
  return r.report('unterminatedHeader', 'unterminated header');
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * strtoumax(p, &end, 10) from the C library: skips leading white space
 * (" \t\n\v\f\r" — it can run onto the next line), takes an optional sign
 * (a '-' negates modulo 2^64), saturates at UINTMAX_MAX. `end` is `pos`
 * when no digit was read.
 */
function strtoumax(data: Uint8Array, pos: number): { value: bigint; end: number } {
  let i = pos;
  for (;;) {
    const c = at(data, i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) i++;
    else break;
  }
  let negative = false;
  const sign = at(data, i);
  if (sign === 0x2b || sign === 0x2d) {
    negative = sign === 0x2d;
    i++;
  }
  const digits = i;
  let value = 0n;
  let overflow = false;
  while (isDigit(at(data, i))) {
    if (!overflow) {
      value = value * 10n + BigInt(at(data, i) - 0x30);
      if (value > UINT64_MAX) overflow = true;
    }
    i++;
  }
  if (i === digits) return { value: 0n, end: pos };
  if (overflow) return { value: UINT64_MAX, end: i };
  return { value: negative ? (UINT64_MAX + 1n - value) & UINT64_MAX : value, end: i };
}

/**
 * date_overflows(): the value must fit git's timestamp_t (uintmax_t, and
 * UINTMAX_MAX itself is the overflow marker) and a signed 64-bit time_t.
 * So anything at or above 2^63 overflows — including every negative date,
 * which strtoumax wraps around.
 */
function dateOverflows(t: bigint): boolean {
  return t >= 1n << 63n;
}

/**
 * fsck_ident: `Name <email> <seconds> <+/-hhmm>\n` as git checks it. Returns
 * [error?, index of the next line]. git moves to the next line first, from
 * the line's first '\n', whatever the checks below read.
 */
function fsckIdent(data: Uint8Array, start: number, r: Reporter): [boolean, number] {
  let next = strchrnulNl(data, start);
  if (at(data, next) === 0x0a) next++;
  let p = start;
  if (at(data, p) === 0x3c) {
    // git's message text says "missing space" here too.
    return [r.report('missingNameBeforeEmail', 'invalid author/committer line - missing space before email'), next];
  }
  p = cspnAngleNl(data, p);
  if (at(data, p) === 0x3e) return [r.report('badName', 'invalid author/committer line - bad name'), next];
  if (at(data, p) !== 0x3c) return [r.report('missingEmail', 'invalid author/committer line - missing email'), next];
  if (at(data, p - 1) !== 0x20) {
    return [r.report('missingSpaceBeforeEmail', 'invalid author/committer line - missing space before email'), next];
  }
  p++;
  p = cspnAngleNl(data, p);
  if (at(data, p) !== 0x3e) return [r.report('badEmail', 'invalid author/committer line - bad email'), next];
  p++;
  if (at(data, p) !== 0x20) {
    return [r.report('missingSpaceBeforeDate', 'invalid author/committer line - missing space before date'), next];
  }
  p++;
  if (at(data, p) === 0x30 && at(data, p + 1) !== 0x20) {
    return [r.report('zeroPaddedDate', 'invalid author/committer line - zero-padded date'), next];
  }
  const { value, end } = strtoumax(data, p);
  if (dateOverflows(value)) {
    return [r.report('badDateOverflow', 'invalid author/committer line - date causes integer overflow'), next];
  }
  if (end === p || at(data, end) !== 0x20) return [r.report('badDate', 'invalid author/committer line - bad date'), next];
  p = end + 1;
  const s = at(data, p);
  if (
    (s !== 0x2b && s !== 0x2d) ||
    !isDigit(at(data, p + 1)) ||
    !isDigit(at(data, p + 2)) ||
    !isDigit(at(data, p + 3)) ||
    !isDigit(at(data, p + 4)) ||
    at(data, p + 5) !== 0x0a
  ) {
    return [r.report('badTimezone', 'invalid author/committer line - bad time zone'), next];
  }
  return [false, next];
}

function unreadable(id: 'invalidCommit' | 'invalidTag', e: unknown): FsckFinding[] {
  if (!(e instanceof UnreadableObjectError)) throw e;
  return [{ id, severity: 'error', message: `git cannot parse it: ${e.message}` }];
}

/**
 * fsck_commit, after the parse receive-pack does first. Only the header up to
 * the committer line is checked; anything after it (gpgsig, encoding, a second
 * tree or committer line) is git's business, not fsck's. git stops at the
 * first error, so there is at most one error finding.
 */
export function fsckCommit(data: Uint8Array, format?: ObjectFormat): FsckFinding[] {
  try {
    parseCommit(data, format);
  } catch (e) {
    return unreadable('invalidCommit', e);
  }
  const hexsz = hexLength(format);
  const r = new Reporter();
  if (verifyHeaders(data, r)) return r.findings;

  let p = skipPrefix(data, 0, 'tree ');
  if (p < 0) {
    r.report('missingTree', "invalid format - expected 'tree' line");
    return r.findings;
  }
  let end = parseOidHex(data, p, hexsz);
  if (end < 0 || at(data, end) !== 0x0a) {
    if (r.report('badTreeSha1', "invalid 'tree' line format - bad sha1")) return r.findings;
  }
  p = end + 1;
  for (;;) {
    const q = skipPrefix(data, p, 'parent ');
    if (q < 0) break;
    end = parseOidHex(data, q, hexsz);
    if (end < 0 || at(data, end) !== 0x0a) {
      if (r.report('badParentSha1', "invalid 'parent' line format - bad sha1")) return r.findings;
    }
    p = end + 1;
  }
  let authors = 0;
  for (;;) {
    const q = skipPrefix(data, p, 'author ');
    if (q < 0) break;
    authors++;
    const [err, next] = fsckIdent(data, q, r);
    if (err) return r.findings;
    p = next;
  }
  if (authors < 1) {
    if (r.report('missingAuthor', "invalid format - expected 'author' line")) return r.findings;
  } else if (authors > 1) {
    if (r.report('multipleAuthors', "invalid format - multiple 'author' lines")) return r.findings;
  }
  const q = skipPrefix(data, p, 'committer ');
  if (q < 0) {
    r.report('missingCommitter', "invalid format - expected 'committer' line");
    return r.findings;
  }
  const [err] = fsckIdent(data, q, r);
  if (err) return r.findings;
  if (data.indexOf(0) >= 0) r.report('nulInCommit', 'NUL byte in the commit object body');
  return r.findings;
}

/**
 * fsck_tag_standalone, after the parse receive-pack does first. git stops at
 * the first error; a bad tag name and a missing tagger are only warnings
 * (old tags have no tagger), extra headers after the tagger are ignored.
 */
export function fsckTag(data: Uint8Array, format?: ObjectFormat): FsckFinding[] {
  try {
    parseTag(data, format);
  } catch (e) {
    return unreadable('invalidTag', e);
  }
  const hexsz = hexLength(format);
  const r = new Reporter();
  if (verifyHeaders(data, r)) return r.findings;

  let p = skipPrefix(data, 0, 'object ');
  if (p < 0) {
    r.report('missingObject', "invalid format - expected 'object' line");
    return r.findings;
  }
  const end = parseOidHex(data, p, hexsz);
  if (end < 0 || at(data, end) !== 0x0a) {
    if (r.report('badObjectSha1', "invalid 'object' line format - bad sha1")) return r.findings;
  }
  p = end + 1;
  p = skipPrefix(data, p, 'type ');
  if (p < 0) {
    r.report('missingTypeEntry', "invalid format - expected 'type' line");
    return r.findings;
  }
  let eol = indexOfNlBeforeNul(data, p);
  if (eol < 0) {
    r.report('missingType', "invalid format - unexpected end after 'type' line");
    return r.findings;
  }
  // type_from_string_gently: exactly one of the four names.
  const type = eol - p <= 6 ? latin1(data.subarray(p, eol)) : '';
  if (!['commit', 'tree', 'blob', 'tag'].includes(type)) {
    if (r.report('badType', "invalid 'type' value")) return r.findings;
  }
  p = eol + 1;
  p = skipPrefix(data, p, 'tag ');
  if (p < 0) {
    r.report('missingTagEntry', "invalid format - expected 'tag' line");
    return r.findings;
  }
  eol = indexOfNlBeforeNul(data, p);
  if (eol < 0) {
    // git's message says 'type' here too.
    r.report('missingTag', "invalid format - unexpected end after 'type' line");
    return r.findings;
  }
  const name = data.subarray(p, eol);
  if (!checkRefnameFormat(concat(ascii('refs/tags/'), name))) {
    const shown = new TextDecoder('utf-8', { fatal: false }).decode(name);
    if (r.report('badTagName', `invalid 'tag' name: ${shown}`)) return r.findings;
  }
  p = eol + 1;
  const q = skipPrefix(data, p, 'tagger ');
  if (q < 0) {
    if (r.report('missingTaggerEntry', "invalid format - expected 'tagger' line")) return r.findings;
  } else {
    // git keeps going after a bad tagger line, and a following extra header
    // line (an IGNOREd message) then resets its return value to "no error":
    // git prints the error but accepts the tag. We keep the error: the line
    // is malformed by git's own rule (see docs/decisions.md).
    const [, next] = fsckIdent(data, q, r);
    p = next;
  }
  if (at(data, p) === 0) return r.findings;
  if (at(data, p) !== 0x0a) r.report('extraHeaderEntry', "invalid format - extra header(s) after 'tagger'");
  return r.findings;
}

/** strchr(s, '\n') on a C string: -1 when a NUL (or the end) comes first. */
function indexOfNlBeforeNul(data: Uint8Array, pos: number): number {
  for (let i = pos; i < data.length; i++) {
    if (data[i] === 0x0a) return i;
    if (data[i] === 0) return -1;
  }
  return -1;
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** refs.c refname_disposition: 0 ok, 1 end of component, 2 '.', 3 '{', 4 forbidden, 5 '*'. Bytes >= 0x80 are ok. */
function refnameDisposition(c: number): number {
  if (c === 0 || c === 0x2f) return 1;
  if (c < 0x20 || c === 0x7f) return 4;
  switch (c) {
    case 0x2e:
      return 2;
    case 0x7b:
      return 3;
    case 0x2a:
      return 5;
    case 0x20:
    case 0x3a:
    case 0x3f:
    case 0x5b:
    case 0x5c:
    case 0x5e:
    case 0x7e:
      return 4;
  }
  return 0;
}

/**
 * receive-pack's own test of a pushed name (builtin/receive-pack.c update(): `refs/` and check_refname_format
 * of the rest with no flags, so `refs/x` has too few components). git makes it after pre-receive, per command.
 */
export function isPushableRefName(ref: string): boolean {
  const bytes = new TextEncoder().encode(ref);
  return ref.startsWith('refs/') && !bytes.includes(0) && checkRefnameFormat(bytes.subarray(5));
}

/** check_refname_format(refname, 0) on a string with no NUL. */
function checkRefnameFormat(name: Uint8Array): boolean {
  const s = cString(name);
  if (name.length === 1 && name[0] === 0x40) return false; // "@"
  let pos = 0;
  let componentLen = 0;
  let components = 0;
  for (;;) {
    // check_refname_component
    let last = 0;
    let i = pos;
    for (; ; i++) {
      const ch = s[i]!;
      const disp = refnameDisposition(ch);
      if (disp === 1) break;
      if (disp === 2 && last === 0x2e) return false; // ".."
      if (disp === 3 && last === 0x40) return false; // "@{"
      if (disp === 4 || disp === 5) return false; // no REFNAME_REFSPEC_PATTERN
      last = ch;
    }
    componentLen = i - pos;
    if (componentLen === 0) return false;
    if (s[pos] === 0x2e) return false;
    if (componentLen >= 5 && String.fromCharCode(...s.subarray(i - 5, i)) === '.lock') return false;
    components++;
    if (s[i] === 0) break;
    pos = i + 1;
  }
  if (s[pos + componentLen - 1] === 0x2e) return false;
  return components >= 2;
}

// ---------------------------------------------------------------------------
// .gitmodules and .gitattributes (fsck_blob via fsck_finish)

/** The object a new tree names .gitmodules or .gitattributes, as the caller found it (null: not in the repository). */
export interface NamedObject {
  type: ObjectKind;
  data: Uint8Array;
}

const ATTR_MAX_FILE_SIZE = 100 * 1024 * 1024;
const ATTR_MAX_LINE_LENGTH = 2048;

/**
 * fsck_finish's check of one object some new tree names `.gitmodules` or
 * `.gitattributes` (an id from TreeCheck's lists). `object` null means it is
 * not in the repository: index-pack lets that pass (a later connectivity
 * check refuses the push), unpack-objects refuses it; we refuse.
 */
export function fsckNamedBlob(role: 'gitmodules' | 'gitattributes', object: NamedObject | null): FsckFinding[] {
  const r = new Reporter();
  if (role === 'gitmodules') {
    if (!object) r.report('gitmodulesMissing', 'unable to read .gitmodules blob');
    else if (object.type !== 'blob') r.report('gitmodulesBlob', 'non-blob found at .gitmodules');
    else checkGitmodules(object.data, r);
  } else {
    if (!object) r.report('gitattributesMissing', 'unable to read .gitattributes blob');
    else if (object.type !== 'blob') r.report('gitattributesBlob', 'non-blob found at .gitattributes');
    else checkGitattributes(object.data, r);
  }
  return r.findings;
}

function checkGitattributes(data: Uint8Array, r: Reporter): void {
  if (data.length > ATTR_MAX_FILE_SIZE) {
    r.report('gitattributesLarge', '.gitattributes too large to parse');
    return;
  }
  // git walks it as a C string: a NUL ends the check.
  let p = 0;
  while (at(data, p) !== 0) {
    const eol = strchrnulNl(data, p);
    if (eol - p >= ATTR_MAX_LINE_LENGTH) {
      r.report('gitattributesLineLength', '.gitattributes has too long lines to parse');
      break;
    }
    p = at(data, eol) !== 0 ? eol + 1 : eol;
  }
}

function latin1(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** A byte string (one char per byte) shown as UTF-8 text. */
function shown(s: string): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));
}

/** A C string: the bytes before the first NUL. */
function cstr(s: string): string {
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}

/**
 * fsck_gitmodules_fn over the blob. Read twice when the blob holds a byte
 * >= 0x80: git 2.39.5's in-memory config reader returns bytes as signed chars,
 * so fsck takes a 0xFF byte for the end of the blob (and never skips a UTF-8
 * BOM). Settings after a 0xFF go unchecked by git's fsck, yet `git submodule`
 * reads the checked-out file to its real end. The first pass is git's fsck
 * exactly; errors only the second (file) reading finds are added, marked
 * stricterThanGit.
 */
function checkGitmodules(data: Uint8Array, r: Reporter): void {
  const asFsck = gitmodulesFindings(data, true);
  r.findings.push(...asFsck);
  if (!data.some((b) => b >= 0x80)) return;
  for (const f of gitmodulesFindings(data, false)) {
    if (f.severity !== 'error' || asFsck.some((g) => g.id === f.id && g.message === f.message)) continue;
    r.findings.push({
      ...f,
      message: `${f.message} (in the checked-out file; git's fsck stops reading at a 0xFF byte)`,
      stricterThanGit: true,
    });
  }
}

function gitmodulesFindings(data: Uint8Array, signedChars: boolean): FsckFinding[] {
  const r = new Reporter();
  const ok = parseConfig(data, signedChars, (varName, value) => {
    // parse_config_key(var, "submodule", &subsection, ..., &key)
    if (!varName.startsWith('submodule.')) return;
    const rest = varName.slice('submodule'.length);
    const dot = rest.lastIndexOf('.');
    if (dot === 0) return; // no subsection
    const name = rest.slice(1, dot);
    const key = rest.slice(dot + 1);
    if (checkSubmoduleName(name) < 0) r.report('gitmodulesName', `disallowed submodule name: ${shown(name)}`);
    if (key === 'url' && value !== null && checkSubmoduleUrl(value) < 0) {
      r.report('gitmodulesUrl', `disallowed submodule url: ${shown(value)}`);
    }
    if (key === 'path' && value !== null && value.startsWith('-')) {
      r.report('gitmodulesPath', `disallowed submodule path: ${shown(value)}`);
    }
    if (key === 'update' && value !== null && parseSubmoduleUpdateIsCommand(value)) {
      r.report('gitmodulesUpdate', `disallowed submodule update setting: ${shown(value)}`);
    }
  });
  if (!ok) r.report('gitmodulesParse', 'could not parse gitmodules blob');
  return r.findings;
}

function parseSubmoduleUpdateIsCommand(value: string): boolean {
  if (value === 'none' || value === 'checkout' || value === 'rebase' || value === 'merge') return false;
  return value.startsWith('!');
}

/** check_submodule_name: not empty, no `..` path component (either slash). */
function checkSubmoduleName(name: string): number {
  if (name.length === 0) return -1;
  const sep = (c: string | undefined): boolean => c === '/' || c === '\\';
  const dotdotAt = (i: number): boolean => name[i] === '.' && name[i + 1] === '.' && (name[i + 2] === undefined || sep(name[i + 2]));
  if (dotdotAt(0)) return -1;
  for (let i = 0; i < name.length; i++) if (sep(name[i]) && dotdotAt(i + 1)) return -1;
  return 0;
}

const startsWithDotSlash = (s: string): boolean => s[0] === '.' && (s[1] === '/' || s[1] === '\\');
const startsWithDotDotSlash = (s: string): boolean => s[0] === '.' && s[1] === '.' && (s[2] === '/' || s[2] === '\\');

/** url.c url_decode_mem: the part before the first ':' verbatim, %XY decoded after it (not %00, not '+'). */
function urlDecodeMem(s: string): string {
  let out = '';
  let i = 0;
  const colon = s.indexOf(':');
  if (colon > 0) {
    out = s.slice(0, colon);
    i = colon;
  }
  while (i < s.length) {
    const c = s[i]!;
    if (c === '%' && s.length - i >= 3) {
      const hi = hexDigit(s.charCodeAt(i + 1));
      const lo = hexDigit(s.charCodeAt(i + 2));
      const val = hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
      if (val > 0) {
        out += String.fromCharCode(val);
        i += 3;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

/** credential_from_url_gently(url, quiet) === 0 with a non-empty host. */
function credentialUrlOk(url: string): boolean {
  const protoEnd = url.indexOf('://');
  if (protoEnd <= 0) return false;
  const cp = protoEnd + 3;
  const atSign = url.indexOf('@', cp);
  const colon = url.indexOf(':', cp);
  let slash = cp;
  while (slash < url.length && !'/?#'.includes(url[slash]!)) slash++;
  const parts: string[] = [url.slice(0, protoEnd)];
  let host: number;
  if (atSign < 0 || slash <= atSign) {
    host = cp;
  } else if (colon < 0 || atSign <= colon) {
    parts.push(urlDecodeMem(url.slice(cp, atSign)));
    host = atSign + 1;
  } else {
    parts.push(urlDecodeMem(url.slice(cp, colon)));
    parts.push(urlDecodeMem(url.slice(colon + 1, atSign)));
    host = atSign + 1;
  }
  const hostText = urlDecodeMem(url.slice(host, slash));
  parts.push(hostText);
  while (url[slash] === '/') slash++;
  if (slash < url.length) parts.push(urlDecodeMem(url.slice(slash)));
  if (parts.some((p) => p.includes('\n'))) return false;
  return hostText.length > 0;
}

/** fsck.c check_submodule_url. */
function checkSubmoduleUrl(url: string): number {
  if (url.startsWith('-')) return -1;
  if (startsWithDotSlash(url) || startsWithDotDotSlash(url) || url.startsWith('git://')) {
    if (urlDecodeMem(url).includes('\n')) return -1;
    let next = url;
    let dotdots = 0;
    for (;;) {
      if (startsWithDotDotSlash(next)) {
        dotdots++;
        next = next.slice(3);
      } else if (startsWithDotSlash(next)) {
        next = next.slice(2);
      } else {
        break;
      }
    }
    if (dotdots > 0 && (next[0] === ':' || next[0] === '/')) return -1;
    return 0;
  }
  let curl: string | null = null;
  for (const p of ['http::', 'https::', 'ftp::', 'ftps::']) {
    if (url.startsWith(p)) {
      curl = url.slice(p.length);
      break;
    }
  }
  if (curl === null && /^(?:https?|ftps?):\/\//.test(url)) curl = url;
  if (curl !== null && !credentialUrlOk(curl)) return -1;
  return 0;
}

/**
 * config.c's parser (git_parse_source) over a blob, calling `fn` with each
 * variable name (section and key lower-cased, subsection as written) and
 * value (null for a bare key), both as byte strings cut at a NUL the way C
 * hands them on. Returns false at a syntax error; variables before it have
 * been reported, as in git.
 */
function parseConfig(data: Uint8Array, signedChars: boolean, fn: (name: string, value: string | null) => void): boolean {
  const EOF = -1;
  let pos = 0;
  let eof = false;
  // config_buf_fgetc returns a `char` from the blob. On x86-64 (this server)
  // char is signed: 0x80..0xFF come back as -128..-1, so 0xFF reads as EOF
  // and a BOM never matches. (On arm64 Linux char is unsigned and git reads
  // the blob like a file: that is the second, signedChars=false, reading.)
  const fgetc = (): number => {
    if (pos >= data.length) return EOF;
    const b = data[pos++]!;
    return signedChars && b >= 0x80 ? b - 256 : b;
  };
  const next = (): number => {
    let c = fgetc();
    if (c === 0x0d) {
      c = fgetc();
      if (c !== 0x0a) {
        if (c !== EOF) pos--;
        c = 0x0d;
      }
    }
    if (c === EOF) {
      eof = true;
      c = 0x0a;
    }
    return c;
  };
  const isKeyChar = (c: number): boolean => isAlnum(c) || c === 0x2d;

  const parseValue = (): string | null => {
    let quote = false;
    let comment = false;
    let space = 0;
    let value = '';
    for (;;) {
      let c = next();
      if (c === 0x0a) return quote ? null : value;
      if (comment) continue;
      if (gitIsSpace(c) && !quote) {
        if (value.length) space++;
        continue;
      }
      if (!quote && (c === 0x3b || c === 0x23)) {
        comment = true;
        continue;
      }
      for (; space; space--) value += ' ';
      if (c === 0x5c) {
        c = next();
        switch (c) {
          case 0x0a:
            continue;
          case 0x74:
            c = 0x09;
            break;
          case 0x62:
            c = 0x08;
            break;
          case 0x6e:
            c = 0x0a;
            break;
          case 0x5c:
          case 0x22:
            break;
          default:
            return null;
        }
        value += String.fromCharCode(c & 0xff);
        continue;
      }
      if (c === 0x22) {
        quote = !quote;
        continue;
      }
      value += String.fromCharCode(c & 0xff);
    }
  };

  const getValue = (name: string): number => {
    let c: number;
    for (;;) {
      c = next();
      if (eof) break;
      if (!isKeyChar(c)) break;
      name += String.fromCharCode(toLower(c));
    }
    while (c === 0x20 || c === 0x09) c = next();
    let value: string | null = null;
    if (c !== 0x0a) {
      if (c !== 0x3d) return -1;
      value = parseValue();
      if (value === null) return -1;
    }
    fn(cstr(name), value === null ? null : cstr(value));
    return 0;
  };

  const getExtendedBaseVar = (c0: number): string | null => {
    let c = c0;
    do {
      if (c === 0x0a) return null;
      c = next();
    } while (gitIsSpace(c));
    if (c !== 0x22) return null;
    let sub = '.';
    for (;;) {
      let d = next();
      if (d === 0x0a) return null;
      if (d === 0x22) break;
      if (d === 0x5c) {
        d = next();
        if (d === 0x0a) return null;
      }
      sub += String.fromCharCode(d & 0xff);
    }
    if (next() !== 0x5d) return null;
    return sub;
  };

  const getBaseVar = (): string | null => {
    let name = '';
    for (;;) {
      const c = next();
      if (eof) return null;
      if (c === 0x5d) return name;
      if (gitIsSpace(c)) {
        const sub = getExtendedBaseVar(c);
        return sub === null ? null : name + sub;
      }
      if (!isKeyChar(c) && c !== 0x2e) return null;
      name += String.fromCharCode(toLower(c));
    }
  };

  const BOM = [0xef, 0xbb, 0xbf];
  let bom = 0; // bytes of a leading BOM matched; -1 once decided there is none
  let comment = false;
  let section = '';
  for (;;) {
    const c = next();
    if (bom >= 0 && bom < 3) {
      if (c === BOM[bom]) {
        bom++;
        continue;
      }
      if (bom !== 0) return false; // a partial BOM
      bom = -1;
    }
    if (c === 0x0a) {
      if (eof) return true;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (gitIsSpace(c)) continue;
    if (c === 0x23 || c === 0x3b) {
      comment = true;
      continue;
    }
    if (c === 0x5b) {
      const base = getBaseVar();
      if (base === null || base.length < 1) return false;
      section = base + '.';
      continue;
    }
    if (!isAlpha(c)) return false;
    if (getValue(section + String.fromCharCode(toLower(c))) < 0) return false;
  }
}
