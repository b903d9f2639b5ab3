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
 *
 * Refused everywhere, not only where the server's file system folds: the
 * repository may move, and clones on other systems read the same names.
 */
import type { RefUpdate } from '../git/ref-updates.js';
import type { RefInfo } from '../git/store.js';
import { foldName } from '../git/fold.js';

/** The names a ref occupies on disk: the full name, then each directory (with its `/`), outermost first. */
function occupied(ref: string): string[] {
  const out: string[] = [ref];
  for (let i = ref.indexOf('/'); i >= 0; i = ref.indexOf('/', i + 1)) out.push(ref.slice(0, i + 1));
  return out;
}

/** One line per problem with the push's ref names; empty when each command has a file of its own. */
export function refNameProblems(updates: readonly RefUpdate[], existing: ReadonlyMap<string, RefInfo>): string[] {
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const u of updates) counts.set(u.ref, (counts.get(u.ref) ?? 0) + 1);
  for (const [ref, n] of counts) {
    if (n > 1) problems.push(`${ref} is named ${n === 2 ? 'twice' : `${n} times`} in this push; a push may update each ref only once`);
  }

  // Spellings by folded key: every name (and directory) the repository holds, then the pushed ones.
  const spellings = new Map<string, { name: string; pushed: boolean }[]>();
  const add = (name: string, pushed: boolean): void => {
    const key = foldName(name);
    const list = spellings.get(key);
    if (!list) spellings.set(key, [{ name, pushed }]);
    else if (!list.some((s) => s.name === name)) list.push({ name, pushed });
  };
  for (const ref of existing.keys()) for (const n of occupied(ref)) add(n, false);
  for (const ref of counts.keys()) for (const n of occupied(ref)) add(n, true);

  const reported = new Set<string>();
  for (const ref of counts.keys()) {
    for (const n of occupied(ref)) {
      const key = foldName(n);
      const list = spellings.get(key)!;
      if (list.length < 2) continue;
      if (reported.has(key)) break;
      reported.add(key);
      const others = list.filter((s) => s.name !== n);
      const what = n.endsWith('/') ? 'directory' : 'file';
      const named = others.map((s) => (s.pushed ? s.name : `the existing ${s.name}`)).join(', ');
      problems.push(
        n === ref
          ? `${ref} and ${named} would be one ${what} on a case-insensitive or Unicode-normalising file system; such names are refused`
          : `${ref}: its directory ${n} and ${named} would be one ${what} on a case-insensitive or Unicode-normalising file system; such names are refused`,
      );
      break;
    }
    const target = existing.get(ref)?.symref;
    if (target !== undefined) problems.push(`${ref} is a symbolic ref to ${target}; git would update ${target}: push to it by its own name`);
  }
  return problems;
}
