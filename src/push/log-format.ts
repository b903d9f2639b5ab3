/**
 * The push log's format (docs/push-log.md is the reference for other
 * implementations): one commit per entry on `refs/heads/apps/push-log`, whose
 * tree holds
 *
 *     entry          the entry's header (below), text
 *     certificate    push entries: the push certificate blob git stored, byte for byte
 *     updates        push and owner entries: `<old> <new> <ref>` lines, as git applied them
 *     refs           the start entry: `<oid> <ref>` lines, every ref when logging began
 *     objects/       optional: what a clone needs that no commit parent carries
 *                    (`<oid>` = a tree or blob a ref pointed at, `<oid>.tag` = the raw
 *                    bytes of an annotated tag object)
 *
 * and whose parents are the previous entry (first; none for the start entry)
 * and then every commit the entry's ref values peel to, so that a clone of the
 * log branch holds every object an entry needs, even after a force push or a
 * deletion left it unreferenced on the server.
 *
 * Pure (no Node built-ins): `verifyLog` runs in a browser too. Object ids are
 * computed with WebCrypto (`crypto.subtle`), present in Node 20 and browsers.
 */
import { isOid, isZeroOid } from '../git/objects.js';
import { decodeName } from '../git/names.js';
import type { RefUpdate } from '../git/ref-updates.js';
import { isUserId } from '../core/ids.js';

export const LOG_REF = 'refs/heads/apps/push-log';
export const LOG_FORMAT_VERSION = 1;
export const LOG_MAGIC = 'git-acl push-log';

export const ENTRY_FILE = 'entry';
export const CERTIFICATE_FILE = 'certificate';
export const UPDATES_FILE = 'updates';
export const REFS_FILE = 'refs';
export const OBJECTS_DIR = 'objects';

export type EntryKind = 'start' | 'push' | 'owner';

/** The header of one entry (the `entry` file). */
export interface EntryMeta {
  version: number;
  kind: EntryKind;
  /** The previous entry's commit; absent for the start entry only. */
  previous?: string;
  /**
   * The entry's place on the server's clock, Unix time in milliseconds: when a push was admitted
   * (under the log's lock, so entries never go back in time), when a start or owner entry was written.
   * The entry commit's date.
   */
  time: number;
  /** push: when the hook judged the push; its keys were checked at this moment (≤ time). */
  judgedAt?: number;
  /** The policy commit in force: the push was judged by it (start: the policy branch's value). */
  policy: string;
  /** The owner the push was judged with (`acl.owner`); for an owner entry, the new owner. */
  owner: string;
  /** push: the user ID whose key verified the certificate. */
  pusher?: string;
  /** push: the certificate's nonce. */
  nonce?: string;
  /** owner: the owner before this entry. */
  previousOwner?: string;
}

export class LogFormatError extends Error {}

/**
 * Bounds on what a reader reads of one entry. A log comes from a server the
 * reader does not trust, and an object can be named by any number of entries
 * while stored once, so each read is bounded by what an honest server writes:
 * past a bound the entry is malformed, and the object is not read (a size
 * check, then nothing). docs/push-log.md lists them.
 */
export const LOG_LIMITS = {
  /** The `entry` file: nine short lines, a nonce of at most 256 bytes. */
  entryFileBytes: 4096,
  /** An entry's root tree: at most five names. */
  rootTreeBytes: 4096,
  /**
   * `certificate`, `updates`, a push or owner entry's commit and `objects/` tree: the hook reads no
   * certificate over 4 MiB (git-acl's bound on a push certificate), and a push logs at most the updates
   * its certificate names, with one parent and one `objects/` entry per update at most.
   */
  pushBytes: 4 * 1024 * 1024,
  /** A start entry's `refs` file, commit and `objects/` tree: every ref of the repository when logging began. */
  startBytes: 256 * 1024 * 1024,
} as const;

const FIELDS: Record<EntryKind, Array<keyof EntryMeta>> = {
  start: ['time', 'policy', 'owner'],
  push: ['previous', 'time', 'judgedAt', 'policy', 'owner', 'pusher', 'nonce'],
  owner: ['previous', 'time', 'policy', 'owner', 'previousOwner'],
};
const KEY_OF: Record<string, string> = {
  previous: 'previous',
  time: 'time',
  judgedAt: 'judged-at',
  policy: 'policy',
  owner: 'owner',
  pusher: 'pusher',
  nonce: 'nonce',
  previousOwner: 'previous-owner',
};

/** The `entry` file of an entry: fixed first line, `kind`, then the kind's fields in a fixed order. */
export function serialiseMeta(m: EntryMeta): string {
  const lines = [`${LOG_MAGIC} ${m.version}`, `kind ${m.kind}`];
  for (const f of FIELDS[m.kind]) {
    const v = m[f];
    if (v === undefined) throw new LogFormatError(`entry header: missing ${KEY_OF[f]}`);
    lines.push(`${KEY_OF[f]} ${String(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses an `entry` file strictly: any deviation is an error, so two readers never disagree on an entry. */
export function parseMeta(text: string): EntryMeta {
  const bad = (why: string) => new LogFormatError(`malformed entry header: ${why}`);
  if (!text.endsWith('\n')) throw bad('it does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const first = /^git-acl push-log (\d+)$/.exec(lines[0] ?? '');
  if (!first) throw bad(`first line is ${JSON.stringify((lines[0] ?? '').slice(0, 60))}, not "${LOG_MAGIC} <version>"`);
  const version = Number(first[1]);
  if (version !== LOG_FORMAT_VERSION)
    throw new LogFormatError(`entry format version ${version}: this git-acl reads version ${LOG_FORMAT_VERSION}`);
  const kindLine = /^kind (start|push|owner)$/.exec(lines[1] ?? '');
  if (!kindLine) throw bad(`second line is ${JSON.stringify((lines[1] ?? '').slice(0, 60))}, not "kind start|push|owner"`);
  const kind = kindLine[1] as EntryKind;
  const fields = FIELDS[kind];
  if (lines.length !== 2 + fields.length)
    throw bad(`a ${kind} entry has ${fields.length} fields after its kind, this one ${lines.length - 2}`);
  const meta: EntryMeta = { version, kind, time: 0, policy: '', owner: '' };
  fields.forEach((f, i) => {
    const line = lines[2 + i]!;
    const key = KEY_OF[f]!;
    if (!line.startsWith(`${key} `)) throw bad(`line ${3 + i} is ${JSON.stringify(line.slice(0, 60))}, expected "${key} ..."`);
    const value = line.slice(key.length + 1);
    switch (f) {
      case 'previous':
      case 'policy':
        if (!isOid(value)) throw bad(`${key} is not an object id`);
        meta[f] = value;
        break;
      case 'owner':
      case 'pusher':
      case 'previousOwner':
        if (!isUserId(value)) throw bad(`${key} is not a user ID`);
        meta[f] = value;
        break;
      case 'time':
      case 'judgedAt':
        if (!/^(0|[1-9]\d{0,15})$/.test(value)) throw bad(`${key} is not a time in milliseconds`);
        meta[f] = Number(value);
        break;
      case 'nonce':
        if (!/^[\x21-\x7e]{1,256}$/.test(value)) throw bad(`${key} is not a nonce`);
        meta.nonce = value;
        break;
    }
  });
  return meta;
}

/** The seconds a git nonce (`<unix time>-<hmac>`) was issued at, or null when it is not one. */
export function nonceTime(nonce: string): number | null {
  const m = /^(\d{1,15})-[0-9a-f]+$/.exec(nonce);
  return m ? Number(m[1]) : null;
}

// ---------------------------------------------------------------- updates and refs files

/** Parses `<old> <new> <ref>` lines (the `updates` file), keeping ref names as git's bytes decode. */
export function parseUpdateLines(bytes: Uint8Array): RefUpdate[] {
  const out: RefUpdate[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    if (i === bytes.length && start === i) break;
    if (i === bytes.length) throw new LogFormatError('updates: the last line has no newline');
    const { text, unsafe } = decodeName(bytes.subarray(start, i));
    start = i + 1;
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/.exec(text);
    if (!m || m[1]!.length !== m[2]!.length) throw new LogFormatError(`updates: malformed line ${JSON.stringify(text.slice(0, 120))}`);
    if (isZeroOid(m[1]!) && isZeroOid(m[2]!)) throw new LogFormatError(`updates: ${m[3]} has neither an old nor a new value`);
    out.push({ oldOid: m[1]!, newOid: m[2]!, ref: m[3]!, ...(unsafe ? { unsafeName: true } : {}) });
  }
  if (out.length === 0) throw new LogFormatError('updates: no ref update');
  return out;
}

/** `<oid> <ref>` lines sorted by ref name bytes: the start entry's `refs` file. */
export function serialiseRefs(refs: ReadonlyMap<string, string>): string {
  return [...refs]
    .sort(([a], [b]) => compareBytes(a, b))
    .map(([ref, oid]) => `${oid} ${ref}\n`)
    .join('');
}

export function parseRefs(bytes: Uint8Array): Map<string, string> {
  const text = decodeName(bytes).text;
  const out = new Map<string, string>();
  if (text === '') return out;
  if (!text.endsWith('\n')) throw new LogFormatError('refs: the last line has no newline');
  let prev: string | null = null;
  for (const line of text.slice(0, -1).split('\n')) {
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/.exec(line);
    if (!m || isZeroOid(m[1]!)) throw new LogFormatError(`refs: malformed line ${JSON.stringify(line.slice(0, 120))}`);
    if (prev !== null && compareBytes(prev, m[2]!) >= 0) throw new LogFormatError(`refs: not sorted, or ${m[2]} twice`);
    prev = m[2]!;
    out.set(m[2]!, m[1]!);
  }
  return out;
}

const enc = new TextEncoder();

function compareBytes(a: string, b: string): number {
  const x = enc.encode(a);
  const y = enc.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

// ---------------------------------------------------------------- git objects

export type HashAlgorithm = 'sha1' | 'sha256';

export interface GitObject {
  oid: string;
  type: 'blob' | 'tree' | 'commit';
  body: Uint8Array;
}

export function hashAlgorithmOf(oid: string): HashAlgorithm {
  return oid.length === 64 ? 'sha256' : 'sha1';
}

/** The id git gives an object: the hash of `<type> <size>\0<body>`. */
export async function gitObjectId(type: string, body: Uint8Array, algo: HashAlgorithm): Promise<string> {
  const head = enc.encode(`${type} ${body.length}\0`);
  const all = new Uint8Array(head.length + body.length);
  all.set(head);
  all.set(body, head.length);
  const digest = new Uint8Array(await crypto.subtle.digest(algo === 'sha256' ? 'SHA-256' : 'SHA-1', all));
  let s = '';
  for (const b of digest) s += b.toString(16).padStart(2, '0');
  return s;
}

export interface TreeItem {
  name: string;
  mode: '40000' | '100644';
  oid: string;
}

/** A tree object's body, entries in git's order (by name bytes, a directory compared as if its name ended in `/`). */
export function encodeTree(items: TreeItem[]): Uint8Array {
  const keyed = items.map((it) => ({ it, key: enc.encode(it.mode === '40000' ? `${it.name}/` : it.name) }));
  keyed.sort((a, b) => {
    const n = Math.min(a.key.length, b.key.length);
    for (let i = 0; i < n; i++) if (a.key[i] !== b.key[i]) return a.key[i]! - b.key[i]!;
    return a.key.length - b.key.length;
  });
  const parts: Uint8Array[] = [];
  for (const { it } of keyed) {
    parts.push(enc.encode(`${it.mode} ${it.name}\0`), hexToBytes(it.oid));
  }
  return concat(parts);
}

export function encodeCommit(c: { tree: string; parents: string[]; seconds: number; message: string }): Uint8Array {
  const who = `git-acl <git-acl@localhost> ${c.seconds} +0000`;
  const lines = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`), `author ${who}`, `committer ${who}`, '', c.message];
  return enc.encode(`${lines.join('\n')}${c.message.endsWith('\n') ? '' : '\n'}`);
}

/** What one entry holds; `buildEntry` turns it into git objects. */
export interface EntryContent {
  meta: EntryMeta;
  /** push: the certificate blob's id (the blob git stored; it is referenced, not copied). */
  certificate?: string;
  /** push and owner: the `updates` file's bytes. */
  updates?: Uint8Array;
  /** start: the starting refs. */
  refs?: ReadonlyMap<string, string>;
  /** Entries of `objects/` (see the module comment). */
  objects?: TreeItem[];
  /** Commits after the previous entry: every commit the entry's ref values peel to. */
  extraParents?: string[];
  /** The commit message's first line. */
  summary: string;
  algo: HashAlgorithm;
  /** A synchronous object hasher (the server passes Node's, which saves a thread-pool round trip per object). */
  hash?: (type: string, body: Uint8Array, algo: HashAlgorithm) => string;
}

/** The objects of one entry and its commit id; writing them is the caller's business (nothing here does I/O). */
export async function buildEntry(e: EntryContent): Promise<{ commit: string; objects: GitObject[] }> {
  const objects: GitObject[] = [];
  const add = async (type: GitObject['type'], body: Uint8Array): Promise<string> => {
    const oid = e.hash ? e.hash(type, body, e.algo) : await gitObjectId(type, body, e.algo);
    objects.push({ oid, type, body });
    return oid;
  };
  const items: TreeItem[] = [{ name: ENTRY_FILE, mode: '100644', oid: await add('blob', enc.encode(serialiseMeta(e.meta))) }];
  if (e.certificate) items.push({ name: CERTIFICATE_FILE, mode: '100644', oid: e.certificate });
  if (e.updates) items.push({ name: UPDATES_FILE, mode: '100644', oid: await add('blob', e.updates) });
  if (e.refs) items.push({ name: REFS_FILE, mode: '100644', oid: await add('blob', enc.encode(serialiseRefs(e.refs))) });
  if (e.objects && e.objects.length > 0) items.push({ name: OBJECTS_DIR, mode: '40000', oid: await add('tree', encodeTree(e.objects)) });
  const tree = await add('tree', encodeTree(items));
  const parents: string[] = [];
  if (e.meta.previous) parents.push(e.meta.previous);
  for (const p of e.extraParents ?? []) if (!parents.includes(p)) parents.push(p);
  const commit = await add('commit', encodeCommit({ tree, parents, seconds: Math.floor(e.meta.time / 1000), message: e.summary }));
  return { commit, objects };
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** git-acl's own refs on each peer (`git acl verify` keeps its copies of a remote there): never pushed. */
export const RESERVED_REFS = 'refs/git-acl/';

/**
 * No push may update the log branch, the owner's neither: only the server's
 * hooks write it. Names that a case-insensitive file system would store as
 * the log's own ref file are refused too. Nor may a push write under
 * refs/git-acl/: a ref there on a server can only have been moved outside
 * any push, which `git acl verify` reports as such.
 */
export function logRefProblems(updates: ReadonlyArray<{ ref: string }>): string[] {
  const fold = (s: string) => s.normalize('NFC').toLowerCase();
  const problems: string[] = [];
  for (const u of updates) {
    if (fold(u.ref) === fold(LOG_REF)) {
      problems.push(
        u.ref === LOG_REF
          ? `${LOG_REF} is the push log: only the server writes it, no push may update it (the owner's neither)`
          : `${u.ref} differs from the push log ${LOG_REF} only in case; such a ref is refused`,
      );
    } else if (fold(u.ref).startsWith(RESERVED_REFS)) {
      problems.push(
        `${u.ref}: ${RESERVED_REFS} is git-acl's own namespace on each peer (git acl verify's copies of a remote); no push may write it`,
      );
    }
  }
  return problems;
}
