/**
 * The objects of a push, checked the way git's own fsck checks them on a
 * server with `receive.fsckObjects=true` (git/fsck.ts), in the hook's own
 * code: that setting is off by default and may be turned off again, and a
 * tree git would refuse is one the rules cannot judge (git diff-tree reports
 * a second `notes.txt` in a tree as a creation; a checkout shows it in place
 * of the first).
 *
 * What is checked (docs/decisions.md, "Objects a push may bring"):
 * - every new-side tree the diff walks, where it sits (the changed
 *   directories of every branch; also trees already in the repository, which
 *   may predate git-acl), with the offending path in each line;
 * - every other object of the push (its quarantine): commits, tags, trees
 *   of earlier commits; blobs only where a tree names them `.gitmodules` or
 *   `.gitattributes`;
 * - stricter than git, on purpose: a tree entry whose mode git does not write
 *   (git reads `1` as a submodule, the stores would disagree); an entry whose
 *   mode says blob, tree or link while the push brings an object of another
 *   type under that id; a name the push adds next to an existing name that a
 *   case-insensitive or normalising file system would make the same file
 *   (git/fold.ts): on such a checkout one replaces the other.
 */
import type { ObjectStore, ObjectType } from '../git/store.js';
import type { TreeVisit } from '../git/tree-diff.js';
import type { RefUpdate } from '../git/ref-updates.js';
import { fsckCommit, fsckNamedBlob, fsckTag, fsckTree, isDotgitName, type FsckFinding } from '../git/fsck.js';
import { canonicalMode } from '../git/modes.js';
import { bytesKey, decodeKey, keyToBytes } from '../git/names.js';
import { bytesToHex, isZeroOid } from '../git/objects.js';
import { foldName } from '../git/fold.js';
import { ObjectNotFoundError } from '../git/errors.js';

/** Thrown from the diff's onTree once a tree is refused: the walk stops, the problems are in ObjectChecks. */
export class ObjectRefused extends Error {
  constructor() {
    super('the push holds objects git refuses');
  }
}

/** Lines of problems kept; one bad object is reason enough, a thousand would only flood the terminal. */
const MAX_PROBLEMS = 20;
/** Objects read at once when checking the rest of the push. */
const READ_AHEAD = 64;

/** What the checks need of a tree entry (tree-diff's StoredTreeEntry has it). */
interface Entry {
  /** The mode as stored. */
  rawMode: string;
  /** The name's exact bytes, one char per byte. */
  key: string;
  oid: string;
}

/** A tree's entries as stored, read leniently (any mode text), or null when the tree does not parse (fsck reports that). */
function entriesOf(data: Uint8Array, hashBytes: number): Entry[] | null {
  const out: Entry[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 1 + hashBytes > data.length) return null;
    out.push({ rawMode: bytesKey(data, i, sp), key: bytesKey(data, sp + 1, nul), oid: bytesToHex(data, nul + 1, nul + 1 + hashBytes) });
    i = nul + 1 + hashBytes;
  }
  return out;
}

/** git's tree order: name bytes, a directory's name compared as if it ended in `/`. */
function treeOrderKey(e: Entry): string {
  return /^0*40000$/.test(e.rawMode) ? `${e.key}/` : e.key;
}

/**
 * The type a tree entry's mode says its object has; null for a gitlink (a
 * commit of another repository). Throws for a mode canonicalMode refuses.
 */
function typeForMode(rawMode: string): ObjectType | null {
  // The modes git writes, first: this runs once per entry of every new tree.
  if (rawMode === '100644' || rawMode === '100755' || rawMode === '120000') return 'blob';
  if (rawMode === '40000') return 'tree';
  switch (canonicalMode(rawMode)) {
    case '040000':
      return 'tree';
    case '160000':
      return null;
    default:
      return 'blob';
  }
}

const display = (key: string): string => decodeKey(key).text;
const join = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);

export class ObjectChecks {
  readonly problems: string[] = [];
  private omitted = 0;
  /** Objects already checked (by id): each is checked once, wherever it sits. */
  private readonly checked = new Set<string>();
  /** Objects new trees name `.gitmodules` / `.gitattributes`, checked once all trees are seen (as git's fsck_finish does). */
  private readonly named: Array<{ role: 'gitmodules' | 'gitattributes'; oid: string; where: string | null }> = [];

  /**
   * `pushed`: the push's objects with their types (the quarantine, from the
   * git store's pushedObjects), or null when unknown: then only the new
   * values of the updates and the trees the diff walks are checked.
   */
  constructor(
    private readonly store: ObjectStore,
    private readonly pushed: ReadonlyMap<string, ObjectType> | null,
  ) {}

  /** For DiffOptions.onTree: checks a new-side tree where it sits; throws ObjectRefused once something is refused. */
  readonly onTree = (visit: TreeVisit): void => {
    const before = this.problems.length + this.omitted;
    const dir = display(visit.path);
    const hashBytes = formatOf(visit.oid).hashBytes;
    const entries = visit.entries ?? entriesOf(visit.data, hashBytes);
    if (!this.checked.has(visit.oid)) {
      this.checked.add(visit.oid);
      this.checkTree(visit.oid, visit.data, entries, dir, visit.path === '' ? 'the root tree' : dir);
    }
    if (visit.old && entries) {
      const old = visit.old.entries ?? entriesOf(visit.old.data, hashBytes);
      if (old) this.checkNewNames(entries, old, dir);
    }
    if (this.problems.length + this.omitted > before) throw new ObjectRefused();
  };

  /**
   * After the diffs: every object of the push the walk did not see (or, with
   * no quarantine listing, the updates' new values), then the objects named
   * `.gitmodules` / `.gitattributes`. Returns all problems found.
   */
  async finish(updates: readonly RefUpdate[]): Promise<string[]> {
    const rest: string[] = [];
    if (this.pushed) {
      for (const [oid, type] of this.pushed) if (type !== 'blob' && !this.checked.has(oid)) rest.push(oid);
    } else {
      for (const u of updates) if (!isZeroOid(u.newOid) && !this.checked.has(u.newOid)) rest.push(u.newOid);
    }
    for (let i = 0; i < rest.length && !this.full(); i += READ_AHEAD) {
      const batch = rest.slice(i, i + READ_AHEAD);
      const objects = await Promise.all(batch.map((oid) => this.store.readObject(oid)));
      for (let k = 0; k < batch.length; k++) {
        const oid = batch[k]!;
        if (this.checked.has(oid)) continue;
        this.checked.add(oid);
        const { type, content } = objects[k]!;
        if (type === 'tree') this.checkTree(oid, content, entriesOf(content, formatOf(oid).hashBytes), null, `tree ${oid}`);
        else if (type === 'commit') this.report(`commit ${oid}`, fsckCommit(content, formatOf(oid)));
        else if (type === 'tag') this.report(`tag ${oid}`, fsckTag(content, formatOf(oid)));
      }
    }
    for (const { role, oid, where } of this.named) {
      if (this.full()) break;
      const key = `${role} ${oid}`;
      if (this.checked.has(key)) continue;
      this.checked.add(key);
      const object = await this.store.readObject(oid).then(
        (o) => ({ type: o.type, data: o.content }),
        (e: unknown) => {
          if (e instanceof ObjectNotFoundError) return null;
          throw e;
        },
      );
      this.report(where === null ? `the .${role} ${oid}` : join(where, `.${role}`), fsckNamedBlob(role, object));
    }
    if (this.omitted > 0) return [...this.problems, `... and ${this.omitted} more problems with the objects of this push`];
    return [...this.problems];
  }

  private full(): boolean {
    return this.problems.length >= MAX_PROBLEMS;
  }

  private add(line: string): void {
    // git's fsck reports a bad submodule name once per setting of its section; the pusher needs the line once.
    if (this.problems.includes(line)) return;
    if (this.full()) this.omitted++;
    else this.problems.push(line);
  }

  /** One line per finding git's receive-pack refuses (severity error), naming `where`. */
  private report(where: string, findings: readonly FsckFinding[]): void {
    for (const f of findings) if (f.severity === 'error') this.add(`${where}: ${f.message} (git fsck: ${f.id})`);
  }

  /**
   * fsck's tree checks, then the stricter checks of modes and types: one
   * line for the first problem of the tree, named by the entry that causes
   * it. `dir` is the tree's path ('' for the root), null when it is not
   * known; `label` names the tree.
   */
  private checkTree(oid: string, data: Uint8Array, entries: Entry[] | null, dir: string | null, label: string): void {
    const check = fsckTree(data, formatOf(oid));
    const at = (e: Entry | undefined): string =>
      e === undefined ? label : dir === null ? `${label}, entry ${JSON.stringify(display(e.key))}` : join(dir, display(e.key));
    for (const id of check.gitmodules) this.named.push({ role: 'gitmodules', oid: id, where: dir });
    for (const id of check.gitattributes) this.named.push({ role: 'gitattributes', oid: id, where: dir });
    const refused = check.findings.find((f) => f.severity === 'error');
    if (refused) {
      this.add(`${at(entries ? culprit(refused, entries) : undefined)}: ${refused.message} (git fsck: ${refused.id})`);
      return;
    }
    if (!entries) return;
    for (const e of entries) {
      let expected: ObjectType | null;
      try {
        expected = typeForMode(e.rawMode);
      } catch {
        this.add(
          `${at(e)}: mode ${e.rawMode} is not one git writes, and git reads it as another kind of entry (refused by git-acl; git fsck only warns: badFilemode)`,
        );
        return;
      }
      const actual = this.pushed?.get(e.oid);
      if (expected && actual && actual !== expected) {
        this.add(
          `${at(e)}: its mode ${e.rawMode} says it is a ${expected === 'tree' ? 'directory' : 'file'}, but the push brings ${e.oid} as a ${actual}; git cannot check it out`,
        );
        return;
      }
    }
  }

  /**
   * Names a tree gains next to names it had: a case-insensitive or
   * normalising file system (macOS, Windows) would make an added name and an
   * existing one the same file, so a checkout would show one in place of the
   * other (the pusher's content in someone else's file). Names that arrive
   * together, or existed together before, are left alone: no one else's file
   * is replaced by them.
   */
  private checkNewNames(now: readonly Entry[], before: readonly Entry[], dir: string): void {
    const old = new Set(before.map((e) => e.key));
    let added = 0;
    for (const e of now) if (!old.has(e.key)) added++;
    if (added === 0) return;
    const kept = new Map<string, string>();
    for (const e of now) if (old.has(e.key)) kept.set(foldName(display(e.key)), e.key);
    for (const e of now) {
      if (old.has(e.key)) continue;
      const other = kept.get(foldName(display(e.key)));
      if (other === undefined) continue;
      this.add(
        `${join(dir, display(e.key))} and ${join(dir, display(other))} would be one file on a case-insensitive or Unicode-normalising file system (macOS, Windows): a checkout there would show one in place of the other; such a new name is refused`,
      );
    }
  }
}

/** The entry a tree finding is about, when one is. */
function culprit(f: FsckFinding, entries: Entry[]): Entry | undefined {
  switch (f.id) {
    case 'fullPathname':
      return entries.find((e) => e.key.includes('/'));
    case 'hasDot':
      return entries.find((e) => e.key === '.');
    case 'hasDotdot':
      return entries.find((e) => e.key === '..');
    case 'hasDotgit':
      return entries.find((e) => isDotgitName(keyToBytes(e.key)));
    case 'emptyName':
      return entries.find((e) => e.key.length === 0);
    case 'zeroPaddedFilemode':
      return entries.find((e) => e.rawMode.startsWith('0'));
    case 'nullSha1':
      return entries.find((e) => isZeroOid(e.oid));
    case 'gitmodulesSymlink':
      return entries.find((e) => e.key.toLowerCase() === '.gitmodules');
    case 'duplicateEntries': {
      const seen = new Set<string>();
      return entries.find((e) => (seen.has(e.key) ? true : (seen.add(e.key), false)));
    }
    case 'treeNotSorted':
      return entries.find((e, i) => i > 0 && treeOrderKey(entries[i - 1]!) > treeOrderKey(e));
    default:
      return undefined;
  }
}

function formatOf(oid: string): { hashBytes: 20 | 32 } {
  return { hashBytes: oid.length === 64 ? 32 : 20 };
}
