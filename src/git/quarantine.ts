/**
 * The objects of a small push, found in its quarantine directory without
 * starting git. git unpacks a push of fewer than `receive.unpackLimit`
 * objects (100 by default) into loose objects, `<quarantine>/<xx>/<rest of
 * the id>`: a directory listing gives every id, and the store's running
 * `cat-file` gives their types. That spares the usual one-file push a
 * `git cat-file --batch-all-objects` process (CliStore.pushedObjects asks
 * git whenever this cannot answer). Listed with synchronous calls: at most 257 small directories, and
 * node:fs/promises is a module a hook's start would otherwise load for this alone.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Past this many loose objects one git process is cheaper than asking for each. */
const MAX_LOOSE = 256;
const FANOUT = /^[0-9a-f]{2}$/;
const REST = /^(?:[0-9a-f]{38}|[0-9a-f]{62})$/;

/**
 * The ids of the quarantine `dir`, when it holds only loose objects (at most
 * 256 of them); otherwise null, and the caller asks git. Never guesses:
 * anything unexpected (a pack, an unreadable directory, a file git would not
 * have written) is a null.
 */
export async function looseObjectIds(dir: string): Promise<string[] | null> {
  const list = (d: string): string[] | null => {
    try {
      return readdirSync(d);
    } catch {
      return null;
    }
  };
  const names = list(dir);
  if (!names) return null;
  const ids: string[] = [];
  for (const name of names) {
    if (!FANOUT.test(name)) {
      if (name === 'pack' && (list(join(dir, name)) ?? ['?']).length > 0) return null;
      continue; // git's own temporary files, `info`, an empty `pack`
    }
    for (const rest of list(join(dir, name)) ?? ['?']) {
      if (REST.test(rest)) ids.push(name + rest);
      else if (!rest.startsWith('tmp_obj_')) return null;
    }
    if (ids.length > MAX_LOOSE) return null;
  }
  return ids;
}
