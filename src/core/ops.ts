/**
 * Operation names: the canonical ops of docs/reference.md#operations, their aliases, and the
 * did-you-mean for a misspelt one, shared by the linter and `git acl check`.
 */
import { REF_OPS, TREE_OPS, type RefOp, type RuleKind, type TreeOp } from './model.js';
import { closestName } from './suggest.js';

/** Aliases per rule kind. `delete` is a plain op in refs files and an alias in branches files. */
const REF_ALIASES: Readonly<Record<string, readonly RefOp[]>> = {
  create: ['create-branch', 'create-tag'],
};
const TREE_ALIASES: Readonly<Record<string, readonly TreeOp[]>> = {
  delete: ['delete-file', 'delete-symlink', 'delete-submodule', 'delete-directory'],
};

const REF_NAMES: readonly string[] = [...REF_OPS, ...Object.keys(REF_ALIASES)];
const TREE_NAMES: readonly string[] = [...TREE_OPS, ...Object.keys(TREE_ALIASES)];
/** Every name a rule may use, in a fixed order so suggestions are deterministic. */
export const ALL_OP_NAMES: readonly string[] = [...new Set([...REF_NAMES, ...TREE_NAMES])];

export function isRefOp(name: string): name is RefOp {
  return (REF_OPS as readonly string[]).includes(name);
}

export function isTreeOp(name: string): name is TreeOp {
  return (TREE_OPS as readonly string[]).includes(name);
}

/** The ops a name stands for in a file of the given kind, or undefined when the name is not valid there. */
export function expandOp(name: string, kind: RuleKind): Array<RefOp | TreeOp> | undefined {
  return kind === 'ref' ? expandRefOp(name) : expandTreeOp(name);
}

/** The ref ops a name stands for (`create` is create-branch and create-tag), or undefined. */
export function expandRefOp(name: string): RefOp[] | undefined {
  if (isRefOp(name)) return [name];
  // Own properties only: `constructor` or `toString` must not find Object.prototype's.
  return Object.hasOwn(REF_ALIASES, name) ? [...REF_ALIASES[name]!] : undefined;
}

/** The tree ops a name stands for (`delete` is every delete-* op), or undefined. */
export function expandTreeOp(name: string): TreeOp[] | undefined {
  if (isTreeOp(name)) return [name];
  return Object.hasOwn(TREE_ALIASES, name) ? [...TREE_ALIASES[name]!] : undefined;
}

/** What a name means in the other kind of file, for the "wrong kind" hint. */
export function wrongKindHint(name: string, kind: RuleKind): string | undefined {
  if (kind === 'ref') {
    if (!isTreeOp(name)) return undefined;
    const instead = name === 'modify' ? 'fast-forward or force' : name.startsWith('create-') ? 'create-branch or create-tag' : 'delete';
    return `'${name}' is a tree operation (branches/*.conf); for refs use ${instead}`;
  }
  const refAlias = Object.hasOwn(REF_ALIASES, name);
  if (!isRefOp(name) && !refAlias) return undefined;
  const instead =
    name === 'fast-forward' || name === 'force'
      ? 'modify'
      : name === 'delete'
        ? 'delete'
        : 'create-file, create-directory, create-symlink or create-submodule';
  const what = refAlias ? 'a ref alias' : 'a ref operation';
  return `'${name}' is ${what} (refs/*.conf); in branches use ${instead}`;
}

/**
 * The operation name closest to a misspelt one, or undefined when nothing is
 * close. `suggestOp('fast-foward') === 'fast-forward'`.
 */
export function suggestOp(name: string, kind?: RuleKind): string | undefined {
  // `fast_forward` is a spelling of fast-forward; an abbreviation needs four letters (`del` is too vague).
  const word = name.replace(/_/g, '-');
  const any = closestName(word, ALL_OP_NAMES, { minPrefix: 4 });
  if (kind === undefined || any === undefined) return any?.name;
  // Prefer an op of the file's own kind unless one of the other kind is strictly closer.
  const own = closestName(word, kind === 'ref' ? REF_NAMES : TREE_NAMES, { minPrefix: 4 });
  return own !== undefined && own.distance <= any.distance ? own.name : any.name;
}
