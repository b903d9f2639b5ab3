/**
 * Every ref of a repository read from git's files, in-process, as
 * `git for-each-ref` (git 2.39, the files backend) lists them, or undefined
 * whenever that cannot be done with certainty: the caller then asks git.
 *
 * Why: admission lists every ref under the log's lock when a push creates
 * one (admit.ts), and a `git for-each-ref` child costs more than the rest of
 * that check; on this path the lock is held, so every push waits for it.
 * The hook's start (pre-receive.ts) lists every ref too, for every push:
 * starting a child there is a fork of the whole Node process.
 *
 * What git does (refs/files-backend.c, refs/packed-backend.c, refs.c,
 * ref-filter.c), and what this does:
 * - loose refs: every file under `refs/`, names starting with `.` and names
 *   ending in `.lock` skipped (files and directories alike), directories
 *   walked; a loose ref hides the packed ref of the same name. Here: a file
 *   of exactly `<oid>` and a newline, anything else (a symbolic ref, a
 *   broken or null value, a symbolic link, another file type) gives up;
 * - `packed-refs`: an optional `# pack-refs with:` header of known traits,
 *   `<oid> <name>` lines, each optionally followed by a `^<oid>` peeled line.
 *   Here: anything else, or names not in strictly increasing order, gives up;
 * - names git would call broken are skipped by git with a warning; here only
 *   names of a plain shape are accepted (ASCII letters, digits and `-_.+=,@%`
 *   in components that follow check-ref-format), anything else gives up;
 * - a ref whose object is missing is listed all the same: git includes
 *   such refs unless `GIT_REF_PARANOIA` is turned off (refs.c), so a set
 *   `GIT_REF_PARANOIA` gives up;
 * - another ref backend (`extensions.*` in the config, a `reftable`
 *   directory), a linked worktree's git dir (`commondir`, `GIT_COMMON_DIR`),
 *   more than MAX_FAST_REFS refs: gives up (many refs are git's own
 *   strength; this is for the few of a push's lock).
 * The result is sorted by name, as for-each-ref sorts it. A differential test
 * compares it with `git for-each-ref` on crafted repositories
 * (test/server/ref-list.test.ts).
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RefInfo } from '../git/store.js';

/** Past this many refs the caller asks git. */
export const MAX_FAST_REFS = 1000;

const LOOSE_VALUE = /^([0-9a-f]{40})\n$/;
const PACKED_LINE = /^([0-9a-f]{40}) (.+)$/;
const PEELED_LINE = /^\^[0-9a-f]{40}$/;
const KNOWN_TRAITS = new Set(['peeled', 'fully-peeled', 'sorted']);
const COMPONENT = /^[A-Za-z0-9_+=,@%-][A-Za-z0-9._+=,@%-]*$/;
const NULL_OID = '0'.repeat(40);

class GiveUp extends Error {}

/** A ref name of a shape git accepts without question (check-ref-format's rules, on a narrower alphabet). */
export function plainRefName(name: string): boolean {
  if (!name.startsWith('refs/') || name.endsWith('.') || name.includes('..')) return false;
  for (const c of name.split('/')) if (!COMPONENT.test(c) || c.endsWith('.lock')) return false;
  return true;
}

export function listRefsFromFiles(gitDir: string, env: Record<string, string | undefined>): Map<string, RefInfo> | undefined {
  try {
    if (
      env.GIT_REF_PARANOIA !== undefined ||
      env.GIT_COMMON_DIR ||
      existsSync(join(gitDir, 'commondir')) ||
      existsSync(join(gitDir, 'reftable'))
    )
      return undefined;
    if (/extensions/i.test(readFileSync(join(gitDir, 'config'), 'latin1'))) return undefined;
    // Loose refs first, then packed-refs, as git reads them: a concurrent pack-refs then cannot hide a ref.
    const loose = new Map<string, string>();
    const top = lstatSync(join(gitDir, 'refs'));
    if (!top.isDirectory()) return undefined;
    walk(join(gitDir, 'refs'), 'refs/', loose, 0);
    const refs = readPacked(join(gitDir, 'packed-refs'));
    for (const [name, oid] of loose) refs.set(name, oid);
    if (refs.size > MAX_FAST_REFS) return undefined;
    const out = new Map<string, RefInfo>();
    for (const name of [...refs.keys()].sort()) out.set(name, { oid: refs.get(name)! });
    return out;
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return undefined; // a file that changed or cannot be read: git knows
    throw e;
  }
}

function walk(dir: string, prefix: string, into: Map<string, string>, depth: number): void {
  if (depth > 64) throw new GiveUp();
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.name.startsWith('.') || d.name.endsWith('.lock')) continue; // git skips these, files and directories
    const name = prefix + d.name;
    if (d.isDirectory()) walk(join(dir, d.name), `${name}/`, into, depth + 1);
    else if (d.isFile()) {
      if (!plainRefName(name)) throw new GiveUp();
      const m = LOOSE_VALUE.exec(readFileSync(join(dir, d.name), 'latin1'));
      if (!m || m[1] === NULL_OID) throw new GiveUp();
      into.set(name, m[1]!);
      if (into.size > MAX_FAST_REFS) throw new GiveUp();
    } else throw new GiveUp(); // a symbolic link or another file type
  }
}

function readPacked(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  const refs = new Map<string, string>();
  if (text === '') return refs;
  if (!text.endsWith('\n')) throw new GiveUp();
  const lines = text.slice(0, -1).split('\n');
  let i = 0;
  if (lines[0]!.startsWith('#')) {
    const traits = /^# pack-refs with:(.*)$/.exec(lines[0]!);
    if (!traits || traits[1]!.split(' ').some((t) => t !== '' && !KNOWN_TRAITS.has(t))) throw new GiveUp();
    i = 1;
  }
  let previous: string | null = null;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const m = PACKED_LINE.exec(line);
    if (m) {
      const name = m[2]!;
      if (!plainRefName(name) || m[1] === NULL_OID || (previous !== null && name <= previous)) throw new GiveUp();
      refs.set(name, m[1]!);
      // Given up at once: a large packed-refs is git's to read, not read twice.
      if (refs.size > MAX_FAST_REFS) throw new GiveUp();
      previous = name;
    } else if (!(PEELED_LINE.test(line) && previous !== null && !PEELED_LINE.test(lines[i - 1]!))) throw new GiveUp();
  }
  return refs;
}
