/**
 * Operation names: the canonical ops of SPEC §4, their aliases, and the
 * did-you-mean helper shared by the linter and the CLI.
 */
import { REF_OPS, TREE_OPS, type RefOp, type RuleKind, type TreeOp } from './model.js';

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
  if (kind === 'ref') {
    if (isRefOp(name)) return [name];
    const alias = REF_ALIASES[name];
    return alias ? [...alias] : undefined;
  }
  if (isTreeOp(name)) return [name];
  const alias = TREE_ALIASES[name];
  return alias ? [...alias] : undefined;
}

/** What a name means in the other kind of file, for the "wrong kind" hint. */
export function wrongKindHint(name: string, kind: RuleKind): string | undefined {
  if (kind === 'ref') {
    if (!isTreeOp(name)) return undefined;
    const instead =
      name === 'modify'
        ? 'fast-forward or force'
        : name.startsWith('create-')
          ? 'create-branch or create-tag'
          : 'delete';
    return `'${name}' is a tree operation (branches/*.conf); for refs use ${instead}`;
  }
  if (!isRefOp(name) && !(name in REF_ALIASES)) return undefined;
  const instead =
    name === 'fast-forward' || name === 'force'
      ? 'modify'
      : name === 'delete'
        ? 'delete'
        : 'create-file, create-directory, create-symlink or create-submodule';
  const what = name in REF_ALIASES ? 'a ref alias' : 'a ref operation';
  return `'${name}' is ${what} (refs/*.conf); in branches use ${instead}`;
}

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2: number[] = new Array<number>(n + 1).fill(0);
  let prev: number[] = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur: number[] = new Array<number>(n + 1).fill(0);
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n]!;
}

function closest(name: string, candidates: readonly string[]): { name: string; distance: number } | undefined {
  const lower = name.toLowerCase().replace(/_/g, '-');
  if (candidates.includes(lower)) return { name: lower, distance: 0 };
  // An abbreviation such as `delete-dir`: a unique prefix match beats a spelling guess.
  if (lower.length >= 4) {
    const prefixed = candidates.filter((c) => c.startsWith(lower));
    if (prefixed.length === 1) return { name: prefixed[0]!, distance: 0 };
  }
  // Typos scale with length: one edit for short names, up to a third of the name for long ones.
  const limit = Math.max(1, Math.floor(lower.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(lower, c);
    if (d <= limit && (best === undefined || d < best.distance)) best = { name: c, distance: d };
  }
  return best;
}

/**
 * The operation name closest to a misspelt one, or undefined when nothing is
 * close. `suggestOp('fast-foward') === 'fast-forward'`.
 */
export function suggestOp(name: string, kind?: RuleKind): string | undefined {
  const any = closest(name, ALL_OP_NAMES);
  if (kind === undefined || any === undefined) return any?.name;
  // Prefer an op of the file's own kind unless one of the other kind is strictly closer.
  const own = closest(name, kind === 'ref' ? REF_NAMES : TREE_NAMES);
  return own !== undefined && own.distance <= any.distance ? own.name : any.name;
}
