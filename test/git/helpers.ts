/** Runs the same reads on both ObjectStores and insists they agree. */
import { expect } from 'vitest';
import type { Operation } from '../../src/core/model.js';
import { openCliStore } from '../../src/git/cli-store.js';
import { openNodeIsoStore } from '../../src/git/node-fs.js';
import { computeOperations } from '../../src/git/operations.js';
import type { RefUpdate } from '../../src/git/ref-updates.js';
import type { ObjectStore, RepoLocation } from '../../src/git/store.js';
import { withoutGitVars } from '../support/env.js';

export function openBoth(location: RepoLocation | string): { cli: ObjectStore; iso: ObjectStore } {
  const loc = typeof location === 'string' ? { gitDir: location } : location;
  return { cli: openCliStore(loc, { env: withoutGitVars() }), iso: openNodeIsoStore(loc) };
}

/** Calls `f` on both stores, asserts identical results, returns the git store's. */
export async function both<T>(location: RepoLocation | string, f: (s: ObjectStore) => Promise<T>): Promise<T> {
  const { cli, iso } = openBoth(location);
  try {
    const a = await f(cli);
    const b = await f(iso);
    expect(b).toEqual(a);
    return a;
  } finally {
    await cli.close();
    await iso.close();
  }
}

/** Both stores must throw; returns both messages. */
export async function bothThrow(location: RepoLocation | string, f: (s: ObjectStore) => Promise<unknown>): Promise<[string, string]> {
  const { cli, iso } = openBoth(location);
  const msgs: string[] = [];
  try {
    for (const s of [cli, iso]) {
      let threw = false;
      try {
        await f(s);
      } catch (e) {
        threw = true;
        msgs.push((e as Error).message);
      }
      expect(threw, 'store should throw').toBe(true);
    }
  } finally {
    await cli.close();
    await iso.close();
  }
  return [msgs[0]!, msgs[1]!];
}

/** Operations from both stores (asserted identical). */
export function ops(location: RepoLocation | string, updates: RefUpdate[]): Promise<Operation[]> {
  return both(location, (s) => computeOperations(s, updates));
}

/** Compact form for assertions: `ref <op> <ref>` / `<op> <path>` (+ ` !unsafe`). */
export function brief(list: Operation[]): string[] {
  return list.map((o) => (o.type === 'ref' ? `ref ${o.op} ${o.ref}` : `${o.op} ${o.path}${o.unsafeName ? ' !unsafe' : ''}`));
}
