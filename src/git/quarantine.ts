/**
 * The objects of a small push, read from its quarantine directory without
 * starting git. git unpacks a push of fewer than `receive.unpackLimit`
 * objects (100 by default) into loose objects, `<quarantine>/<xx>/<rest of
 * the id>`, each a zlib stream that starts `<type> <size>\0`: a directory
 * listing and the first bytes of each file give every id and type. That
 * spares the usual one-file push a `git cat-file --batch-all-objects`
 * process (CliStore.pushedObjects asks git whenever this cannot answer).
 */
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { constants, inflateSync } from 'node:zlib';
import type { ObjectType } from './store.js';

/** Past this many loose objects one git process is cheaper than opening each file. */
const MAX_LOOSE = 256;
const FANOUT = /^[0-9a-f]{2}$/;
const REST = /^(?:[0-9a-f]{38}|[0-9a-f]{62})$/;
const TYPES = new Set<string>(['commit', 'tree', 'blob', 'tag']);

/**
 * Every commit, tree and tag of the quarantine `dir` with its type (blobs
 * left out, as CliStore.pushedObjects leaves them out), when the quarantine
 * holds only loose objects (at most 256 of them) that all read cleanly;
 * otherwise null, and the caller asks git. Never guesses: anything
 * unexpected (a pack, an unreadable file, an unknown header) is a null.
 */
export async function looseObjects(dir: string): Promise<Map<string, ObjectType> | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  const ids: string[] = [];
  for (const name of names) {
    if (!FANOUT.test(name)) {
      if (name === 'pack' && (await readdir(join(dir, name)).catch(() => ['?'])).length > 0) return null;
      continue; // git's own temporary files, `info`, an empty `pack`
    }
    for (const rest of await readdir(join(dir, name)).catch(() => null) ?? ['?']) {
      if (REST.test(rest)) ids.push(name + rest);
      else if (!rest.startsWith('tmp_obj_')) return null;
    }
    if (ids.length > MAX_LOOSE) return null;
  }
  const objects = new Map<string, ObjectType>();
  for (const id of ids) {
    const type = await looseType(join(dir, id.slice(0, 2), id.slice(2)));
    if (type === null) return null;
    if (type !== 'blob') objects.set(id, type);
  }
  return objects;
}

/** The type in a loose object's header, read from its first bytes only (a blob may be large). */
async function looseType(file: string): Promise<ObjectType | null> {
  try {
    const handle = await open(file, 'r');
    let head: Buffer;
    try {
      const buf = Buffer.alloc(128);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      head = inflateSync(buf.subarray(0, bytesRead), { finishFlush: constants.Z_SYNC_FLUSH });
    } finally {
      await handle.close();
    }
    const sp = head.indexOf(0x20);
    const nul = head.indexOf(0);
    if (sp < 0 || nul < sp) return null;
    const type = head.toString('latin1', 0, sp);
    return TYPES.has(type) && /^\d+$/.test(head.toString('latin1', sp + 1, nul)) ? (type as ObjectType) : null;
  } catch {
    return null;
  }
}
