/**
 * Reading push-log entries through any ObjectStore (the server's git
 * processes, or isomorphic-git in a browser). Strict: an entry whose tree
 * holds anything but the files of its kind is malformed.
 */
import { ObjectTooLargeError } from '../git/errors.js';
import { readCommitHeader } from '../git/objects.js';
import type { ObjectStore, ReadLimit, TreeEntry } from '../git/store.js';
import type { RefUpdate } from '../git/ref-updates.js';
import {
  CERTIFICATE_FILE,
  ENTRY_FILE,
  LOG_LIMITS,
  LogFormatError,
  OBJECTS_DIR,
  REFS_FILE,
  UPDATES_FILE,
  parseMeta,
  parseRefs,
  parseUpdateLines,
  type EntryMeta,
} from './log-format.js';

export interface LogEntry {
  commit: string;
  meta: EntryMeta;
  /** Blob ids of the entry's files. */
  certificate?: string;
  updates?: string;
  refs?: string;
  /** The `objects/` entries (tag copies, trees and blobs ref values pointed at); empty when read with `objects: false`. */
  objects: TreeEntry[];
  /** The `objects/` tree's id, when the entry has one. */
  objectsTree?: string;
}

export interface ReadEntryOptions {
  /** Read and check the `objects/` tree too (default). Without, `objectsTree` names it for `readEntryObjects`. */
  objects?: boolean;
}

const REQUIRED: Record<EntryMeta['kind'], string[]> = {
  start: [ENTRY_FILE, REFS_FILE],
  push: [ENTRY_FILE, CERTIFICATE_FILE, UPDATES_FILE],
  owner: [ENTRY_FILE, UPDATES_FILE],
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A store that reads a commit's raw bytes within a bound, with the errors commitTree gives (another type, past the
 * bound): withLooseReads' stores (src/git/loose-objects.ts). readEntry then reads an entry's commit once.
 */
interface CommitReads {
  readCommit(oid: string, limit: ReadLimit): Promise<Uint8Array>;
}

/** Reads an entry's header and file list. Throws LogFormatError (or the store's error) when it is not a valid entry. */
export async function readEntry(store: ObjectStore, commit: string, options: ReadEntryOptions = {}): Promise<LogEntry> {
  const head = await bounded('the entry commit', () => entryCommit(store, commit));
  const root = head.tree;
  const byName = new Map<string, TreeEntry>();
  for (const e of await bounded('the entry tree', () => store.readTree(root, { maxBytes: LOG_LIMITS.rootTreeBytes }))) {
    if (byName.has(e.name)) throw new LogFormatError(`the entry's tree holds ${e.name} twice`);
    byName.set(e.name, e);
  }
  const metaEntry = byName.get(ENTRY_FILE);
  if (!metaEntry || metaEntry.kind !== 'file') throw new LogFormatError(`the entry has no ${ENTRY_FILE} file: not a push-log entry`);
  if (metaEntry.mode !== '100644') throw new LogFormatError(`the ${ENTRY_FILE} file has mode ${metaEntry.mode}, not 100644`);
  let text: string;
  const bytes = await bounded(`the ${ENTRY_FILE} file`, () => store.readBlob(metaEntry.oid, { maxBytes: LOG_LIMITS.entryFileBytes }));
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new LogFormatError(`the ${ENTRY_FILE} file is not UTF-8`);
  }
  const meta = parseMeta(text);
  const allowed = new Set([...REQUIRED[meta.kind], OBJECTS_DIR]);
  for (const name of byName.keys()) {
    if (!allowed.has(name)) throw new LogFormatError(`a ${meta.kind} entry holds an unexpected ${JSON.stringify(name)}`);
  }
  // The first parent is the previous entry: peers compare logs by following first parents (docs/push-log.md).
  if (meta.previous !== undefined) {
    const { parents, size } = await head.rest();
    const first = parents[0];
    if (first !== meta.previous)
      throw new LogFormatError(`the entry commit's first parent is ${first ?? 'missing'}, not its previous entry ${meta.previous}`);
    if (size > LOG_LIMITS.pushBytes)
      throw new LogFormatError(
        `the entry commit is ${size} bytes, more than the ${LOG_LIMITS.pushBytes} a ${meta.kind} entry's commit may have`,
      );
  }
  const entry: LogEntry = { commit, meta, objects: [] };
  for (const name of REQUIRED[meta.kind]) {
    const e = byName.get(name);
    if (!e || e.kind !== 'file') throw new LogFormatError(`a ${meta.kind} entry needs a file ${name}`);
    if (e.mode !== '100644') throw new LogFormatError(`the ${name} file has mode ${e.mode}, not 100644`);
    if (name === CERTIFICATE_FILE) entry.certificate = e.oid;
    if (name === UPDATES_FILE) entry.updates = e.oid;
    if (name === REFS_FILE) entry.refs = e.oid;
  }
  const objects = byName.get(OBJECTS_DIR);
  if (objects) {
    if (objects.kind !== 'directory') throw new LogFormatError(`${OBJECTS_DIR} is not a directory`);
    entry.objectsTree = objects.oid;
    if (options.objects !== false) entry.objects = await readEntryObjects(store, objects.oid, meta.kind);
  }
  return entry;
}

/**
 * An entry commit's tree, within the larger bound (a start entry's), refusing anything but a commit; its parents
 * and size when asked (only an entry with a previous one needs them). From one read where the store has
 * `readCommit`; from any other store the tree first (commitTree, bounded from the object's size alone), then the
 * bytes for the parents.
 */
async function entryCommit(
  store: ObjectStore & Partial<CommitReads>,
  commit: string,
): Promise<{ tree: string; rest(): Promise<{ parents: string[]; size: number }> }> {
  const limit = { maxBytes: LOG_LIMITS.startBytes };
  if (store.readCommit) {
    const raw = await store.readCommit(commit, limit);
    const { tree, parents } = readCommitHeader(raw, commit);
    return { tree, rest: async () => ({ parents, size: raw.length }) };
  }
  const tree = await store.commitTree(commit, limit);
  return {
    tree,
    async rest() {
      const raw = (await store.readObject(commit)).content;
      return { parents: readCommitHeader(raw, commit).parents, size: raw.length };
    },
  };
}

/** The `objects/` tree of an entry of `kind`: `<oid>` (the tree or blob itself) and `<oid>.tag` (a blob), nothing else. */
export async function readEntryObjects(store: ObjectStore, tree: string, kind: EntryMeta['kind']): Promise<TreeEntry[]> {
  const max = kind === 'start' ? LOG_LIMITS.startBytes : LOG_LIMITS.pushBytes;
  const items = await bounded(`the ${OBJECTS_DIR}/ tree`, () => store.readTree(tree, { maxBytes: max }));
  for (const o of items) {
    const m = /^([0-9a-f]{40}|[0-9a-f]{64})(\.tag)?$/.exec(o.name);
    const ok =
      m &&
      (m[2] ? o.mode === '100644' : (o.mode === '040000' && o.kind === 'directory') || o.mode === '100644') &&
      (m[2] || o.oid === m[1]);
    if (!ok) throw new LogFormatError(`${OBJECTS_DIR}/ holds ${JSON.stringify(o.name)} (mode ${o.mode}), not <oid> or <oid>.tag`);
  }
  return items;
}

/** A bounded read; an object past its bound makes the entry malformed, with one line saying which. */
async function bounded<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof ObjectTooLargeError) {
      const { size, maxBytes } = e;
      throw new LogFormatError(
        `${what} is ${size} bytes, more than the ${maxBytes} a reader reads (docs/push-log.md#limits-and-consequences)`,
      );
    }
    throw e;
  }
}

export async function readEntryUpdates(store: ObjectStore, entry: LogEntry): Promise<{ bytes: Uint8Array; updates: RefUpdate[] }> {
  if (!entry.updates) throw new LogFormatError('the entry has no updates file');
  const bytes = await bounded(`the ${UPDATES_FILE} file`, () => store.readBlob(entry.updates!, { maxBytes: LOG_LIMITS.pushBytes }));
  return { bytes, updates: parseUpdateLines(bytes) };
}

export async function readEntryRefs(store: ObjectStore, entry: LogEntry): Promise<Map<string, string>> {
  if (!entry.refs) throw new LogFormatError('the entry has no refs file');
  return parseRefs(await bounded(`the ${REFS_FILE} file`, () => store.readBlob(entry.refs!, { maxBytes: LOG_LIMITS.startBytes })));
}

export async function readEntryCertificate(store: ObjectStore, entry: LogEntry): Promise<Uint8Array> {
  if (!entry.certificate) throw new LogFormatError('the entry has no certificate');
  return bounded(`the ${CERTIFICATE_FILE} file`, () => store.readBlob(entry.certificate!, { maxBytes: LOG_LIMITS.pushBytes }));
}
