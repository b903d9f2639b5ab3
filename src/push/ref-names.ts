/**
 * The ref names of a push, checked before anything else is judged: git
 * applies a push's commands one after the other, each to a ref file, so the
 * hook must judge exactly one command per file git will write.
 *
 * - A name given twice: git runs both commands in order (the first may fail
 *   at its ref lock, the second land), and only one of them would be judged.
 * - Two names that one file would hold on a case-insensitive or normalising
 *   file system (git/fold.ts), among the pushed names or between a pushed
 *   name and a ref the repository has: the write of one replaces the other
 *   behind the name the rules judged (`refs/heads/appſ/access-control` is the
 *   policy branch on APFS, NTFS or casefold ext4). Directories count too: on
 *   such a file system `refs/heads/FOO/x` is written into an existing
 *   `refs/heads/foo/`, and becomes `refs/heads/foo/x`.
 * - A symbolic ref: git updates the ref it points to, under a name the rules
 *   never saw.
 * - A name git's receive-pack refuses (`refs/heads/a..b`, `refs/x`), and a
 *   name that is a ref and a directory of refs at once (`refs/heads/x` and
 *   `refs/heads/x/a`, pushed or existing, also under folding): git fails
 *   such a command only after pre-receive, at its ref lock, while the other
 *   commands of the push land. No command of an admitted push may fail for
 *   a reason its pusher controls: a push that lands in part cannot be told
 *   apart from one still being written (log-lock.ts takes the lock over from
 *   a push whose refs are all written).
 * - A name longer than a path git can write (DIFF_LIMITS.maxPathBytes,
 *   Linux's PATH_MAX), first: comparing every directory of a name costs the
 *   square of its length, and a push certificate may carry 64 KB names.
 *
 * Refused everywhere, not only where the server's file system folds: the
 * repository may move, and clones on other systems read the same names.
 */
import type { RefUpdate } from '../git/ref-updates.js';
import type { RefInfo } from '../git/store.js';
import { foldName } from '../git/fold.js';
import { DIFF_LIMITS } from '../git/limits.js';
import { isPushableRefName } from '../git/fsck.js';
import { isZeroOid } from '../git/objects.js';

/** One name a ref occupies on disk, with keys for its exact spelling and for its folded one (git/fold.ts). */
interface Occupied {
  name: string;
  exact: string;
  folded: string;
}

/**
 * The names refs occupy on disk: the full name, then each directory (with
 * its `/`), outermost first. A name's keys are ids interned one component at
 * a time (a directory's id and the next component make the next id), so a
 * name of n bytes costs O(n): folding or comparing each directory whole
 * would cost O(n²), and a push certificate may carry thousands of names of
 * PATH_MAX bytes (400 such names took 39 s and 2 GB).
 */
class Occupancy {
  private readonly ids = new Map<string, number>();

  private next(parent: number, component: string): number {
    const key = `${parent}/${component}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
    }
    return id;
  }

  of(ref: string): Occupied[] {
    const parts = ref.split('/');
    const out: Occupied[] = [];
    // Separate id spaces: an exact component and a folded one that happen to be equal must not share an id.
    let exact = this.next(-1, 'exact');
    let folded = this.next(-1, 'folded');
    let offset = 0;
    for (let i = 0; i < parts.length; i++) {
      exact = this.next(exact, parts[i]!);
      // A component folds on its own: nothing git/fold.ts does reaches across a `/`.
      folded = this.next(folded, foldName(parts[i]!));
      offset += parts[i]!.length + 1;
      if (i === parts.length - 1) out.unshift({ name: ref, exact: `f${exact}`, folded: `f${folded}` });
      else out.push({ name: ref.slice(0, offset), exact: `d${exact}`, folded: `d${folded}` });
    }
    return out;
  }
}

/** The most directories a pushed ref name may have (docs/security.md#limits). */
export const MAX_REF_DEPTH = 100;

function depthOf(ref: string): number {
  let n = 0;
  for (let i = ref.indexOf('/'); i >= 0; i = ref.indexOf('/', i + 1)) n++;
  return n;
}

function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** One line per problem with the push's ref names; empty when each command has a file of its own. */
export function refNameProblems(updates: readonly RefUpdate[], existing: ReadonlyMap<string, RefInfo>): string[] {
  const max = DIFF_LIMITS.maxPathBytes;
  const long = updates.filter((u) => u.ref.length > max / 3 && utf8Bytes(u.ref) > max);
  if (long.length) {
    const limit = max.toLocaleString('en-US');
    return long
      .slice(0, 3)
      .map(
        (u) =>
          `${u.ref.slice(0, 60)}... is a ref name of ${utf8Bytes(u.ref).toLocaleString('en-US')} bytes; git cannot write a ref file of more than ${limit} bytes, so such names are refused`,
      );
  }
  // Depth, bounded too: a certificate of 4 MiB holds a thousand names of 2,000 levels each, and every level is a
  // directory to compare (2 M keys: 39 s and 0.9 GB). Real ref names nest a handful of levels.
  const deep = updates.filter((u) => depthOf(u.ref) > MAX_REF_DEPTH);
  if (deep.length) {
    return deep
      .slice(0, 3)
      .map(
        (u) =>
          `${u.ref.slice(0, 60)}... is a ref name ${depthOf(u.ref).toLocaleString('en-US')} directories deep; git-acl refuses ref names more than ${MAX_REF_DEPTH} deep (docs/security.md#limits)`,
      );
  }
  const problems: string[] = [];
  for (const u of updates.filter((u) => !isPushableRefName(u.ref)).slice(0, 3)) {
    problems.push(
      `${u.ref} is not a ref name git accepts from a push (git check-ref-format; git would refuse this command after the others landed); such names are refused`,
    );
  }
  if (problems.length) return problems;
  const counts = new Map<string, number>();
  for (const u of updates) counts.set(u.ref, (counts.get(u.ref) ?? 0) + 1);
  for (const [ref, n] of counts) {
    if (n > 1) problems.push(`${ref} is named ${n === 2 ? 'twice' : `${n} times`} in this push; a push may update each ref only once`);
  }

  // Spellings by folded key: every name (and directory) the repository holds, then the pushed ones.
  const occupancy = new Occupancy();
  const spellings = new Map<string, { name: string; exact: string; pushed: boolean }[]>();
  const add = (n: Occupied, pushed: boolean): void => {
    const list = spellings.get(n.folded);
    if (!list) spellings.set(n.folded, [{ name: n.name, exact: n.exact, pushed }]);
    else if (!list.some((s) => s.exact === n.exact)) list.push({ name: n.name, exact: n.exact, pushed });
  };
  // For git's own file/directory conflict: folded id → a name that is a file there; a stored name that is a directory there.
  const files = new Map<string, { name: string; pushed: boolean }>();
  const dirs = new Map<string, string>();
  for (const ref of existing.keys()) {
    for (const n of occupancy.of(ref)) {
      add(n, false);
      if (n.name === ref) files.set(n.folded.slice(1), { name: ref, pushed: false });
      else if (!dirs.has(n.folded.slice(1))) dirs.set(n.folded.slice(1), ref);
    }
  }
  const pushed = new Map<string, Occupied[]>();
  for (const ref of counts.keys()) {
    const names = occupancy.of(ref);
    pushed.set(ref, names);
    for (const n of names) add(n, true);
    if (!files.has(names[0]!.folded.slice(1))) files.set(names[0]!.folded.slice(1), { name: ref, pushed: true });
  }
  problems.push(...fileDirectoryConflicts(updates, pushed, files, dirs));

  const reported = new Set<string>();
  for (const [ref, names] of pushed) {
    for (const n of names) {
      const list = spellings.get(n.folded)!;
      if (list.length < 2) continue;
      if (reported.has(n.folded)) break;
      reported.add(n.folded);
      const others = list.filter((s) => s.exact !== n.exact);
      const what = n.name.endsWith('/') ? 'directory' : 'file';
      const named = others.map((s) => (s.pushed ? s.name : `the existing ${s.name}`)).join(', ');
      problems.push(
        n.name === ref
          ? `${ref} and ${named} would be one ${what} on a case-insensitive or Unicode-normalising file system; such names are refused`
          : `${ref}: its directory ${n.name} and ${named} would be one ${what} on a case-insensitive or Unicode-normalising file system; such names are refused`,
      );
      break;
    }
    const target = existing.get(ref)?.symref;
    if (target !== undefined)
      problems.push(`${ref} is a symbolic ref to ${target}; git would update ${target}: push to it by its own name`);
  }
  return problems;
}

/**
 * A ref written where another ref's name is a directory, or under a directory that is another ref's name: git
 * cannot hold both (refs_verify_refname_available) and fails the command at its ref lock, after pre-receive.
 * Checked for every command that writes a ref (not deletions), against stored refs and the push's other names,
 * also the ones it deletes (git checks each command on its own, in order: deleting `x` and creating `x/a` in one
 * push works in one order only). Reported once, from the longer name, for two pushed names.
 */
function fileDirectoryConflicts(
  updates: readonly RefUpdate[],
  pushed: ReadonlyMap<string, Occupied[]>,
  files: ReadonlyMap<string, { name: string; pushed: boolean }>,
  dirs: ReadonlyMap<string, string>,
): string[] {
  const out: string[] = [];
  const writes = new Set(updates.filter((u) => !isZeroOid(u.newOid)).map((u) => u.ref));
  for (const [ref, names] of pushed) {
    if (!writes.has(ref)) continue;
    let other: { name: string; pushed: boolean } | undefined;
    for (const n of names.slice(1)) {
      const f = files.get(n.folded.slice(1));
      if (f && f.name !== ref) {
        other = f;
        break;
      }
    }
    const stored = dirs.get(names[0]!.folded.slice(1));
    if (!other && stored !== undefined && stored !== ref) other = { name: stored, pushed: false };
    if (!other) continue;
    const exact = ref.startsWith(`${other.name}/`) || other.name.startsWith(`${ref}/`);
    out.push(
      `${ref} and ${other.pushed ? '' : 'the existing '}${other.name} cannot both be refs: one name would be a directory of the other${exact ? '' : ' on a case-insensitive or Unicode-normalising file system'}, and git would refuse this command after the others landed; such names are refused`,
    );
  }
  return out;
}

/**
 * Commands whose old value is not the ref's value now (`existing`: every ref, as listed before the push is
 * admitted): git checks it when it locks the ref, after pre-receive, and fails that command alone ("stale
 * info"), while the push's other commands land. A creation of a ref that exists, an update or deletion of one
 * that does not, or another old value. A push from `git push` sends the values it was told; only a push raced
 * by another, or a hand-made one, gets here.
 */
export function refStateProblems(updates: readonly RefUpdate[], existing: ReadonlyMap<string, RefInfo>): string[] {
  const out: string[] = [];
  for (const u of updates) {
    const now = existing.get(u.ref)?.oid;
    if (now === undefined ? isZeroOid(u.oldOid) : now === u.oldOid) continue;
    const why =
      now === undefined
        ? `${u.ref} does not exist, but this push expects it at ${u.oldOid.slice(0, 12)}`
        : isZeroOid(u.oldOid)
          ? `${u.ref} already exists (at ${now.slice(0, 12)}), but this push would create it`
          : `${u.ref} is at ${now.slice(0, 12)}, but this push expects it at ${u.oldOid.slice(0, 12)}`;
    out.push(`${why}; git would refuse this command after the others landed: fetch and push again`);
    if (out.length === 3) break;
  }
  return out;
}
