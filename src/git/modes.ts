/** Tree-entry modes: git's canonical form of a raw mode, and the kind of entry each mode stands for. */
import type { EntryKind, EntryMode } from './store.js';
import { MalformedObjectError } from './errors.js';

/**
 * Git's canonical mode for a raw tree-entry mode (octal text as stored in a
 * tree object, e.g. `40000`, or as printed by diff-tree, e.g. `040000`).
 * Regular files other than 100644/100755 (old git wrote e.g. 100664) are
 * canonicalised the way git does it: executable when the owner-x bit is set.
 * Anything else is not a valid tree entry and throws.
 */
export function canonicalMode(raw: string): EntryMode {
  switch (raw) {
    case '40000':
    case '040000':
      return '040000';
    case '100644':
      return '100644';
    case '100755':
      return '100755';
    case '120000':
      return '120000';
    case '160000':
      return '160000';
  }
  if (/^100[0-7]{3}$/.test(raw)) {
    return (parseInt(raw, 8) & 0o100) !== 0 ? '100755' : '100644';
  }
  throw new MalformedObjectError(`unsupported tree entry mode ${JSON.stringify(raw)}`);
}

export function kindOfMode(mode: EntryMode): EntryKind {
  switch (mode) {
    case '040000':
      return 'directory';
    case '100644':
    case '100755':
      return 'file';
    case '120000':
      return 'symlink';
    case '160000':
      return 'submodule';
  }
}
