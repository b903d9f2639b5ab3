/**
 * Reading push-log entries through any ObjectStore (the server's git
 * processes, or isomorphic-git in a browser). Strict: an entry whose tree
 * holds anything but the files of its kind is malformed.
 */
import type { ObjectStore, TreeEntry } from '../git/store.js';
import type { RefUpdate } from '../git/ref-updates.js';
import {
  CERTIFICATE_FILE,
  ENTRY_FILE,
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
  /** The `objects/` entries (tag copies, trees and blobs ref values pointed at). */
  objects: TreeEntry[];
}

const REQUIRED: Record<EntryMeta['kind'], string[]> = {
  start: [ENTRY_FILE, REFS_FILE],
  push: [ENTRY_FILE, CERTIFICATE_FILE, UPDATES_FILE],
  owner: [ENTRY_FILE, UPDATES_FILE],
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads an entry's header and file list. Throws LogFormatError (or the store's error) when it is not a valid entry. */
export async function readEntry(store: ObjectStore, commit: string): Promise<LogEntry> {
  // commitTree refuses anything but a commit, naming the type.
  const root = await store.readTree(await store.commitTree(commit));
  const byName = new Map<string, TreeEntry>();
  for (const e of root) {
    if (byName.has(e.name)) throw new LogFormatError(`the entry's tree holds ${e.name} twice`);
    byName.set(e.name, e);
  }
  const metaEntry = byName.get(ENTRY_FILE);
  if (!metaEntry || metaEntry.kind !== 'file') throw new LogFormatError(`the entry has no ${ENTRY_FILE} file: not a push-log entry`);
  let text: string;
  try {
    text = utf8.decode(await store.readBlob(metaEntry.oid));
  } catch {
    throw new LogFormatError(`the ${ENTRY_FILE} file is not UTF-8`);
  }
  const meta = parseMeta(text);
  const allowed = new Set([...REQUIRED[meta.kind], OBJECTS_DIR]);
  for (const name of byName.keys()) {
    if (!allowed.has(name)) throw new LogFormatError(`a ${meta.kind} entry holds an unexpected ${JSON.stringify(name)}`);
  }
  const entry: LogEntry = { commit, meta, objects: [] };
  for (const name of REQUIRED[meta.kind]) {
    const e = byName.get(name);
    if (!e || e.kind !== 'file') throw new LogFormatError(`a ${meta.kind} entry needs a file ${name}`);
    if (name === CERTIFICATE_FILE) entry.certificate = e.oid;
    if (name === UPDATES_FILE) entry.updates = e.oid;
    if (name === REFS_FILE) entry.refs = e.oid;
  }
  const objects = byName.get(OBJECTS_DIR);
  if (objects) {
    if (objects.kind !== 'directory') throw new LogFormatError(`${OBJECTS_DIR} is not a directory`);
    entry.objects = await store.readTree(objects.oid);
  }
  return entry;
}

export async function readEntryUpdates(store: ObjectStore, entry: LogEntry): Promise<{ bytes: Uint8Array; updates: RefUpdate[] }> {
  if (!entry.updates) throw new LogFormatError('the entry has no updates file');
  const bytes = await store.readBlob(entry.updates);
  return { bytes, updates: parseUpdateLines(bytes) };
}

export async function readEntryRefs(store: ObjectStore, entry: LogEntry): Promise<Map<string, string>> {
  if (!entry.refs) throw new LogFormatError('the entry has no refs file');
  return parseRefs(await store.readBlob(entry.refs));
}

export async function readEntryCertificate(store: ObjectStore, entry: LogEntry): Promise<Uint8Array> {
  if (!entry.certificate) throw new LogFormatError('the entry has no certificate');
  return store.readBlob(entry.certificate);
}
