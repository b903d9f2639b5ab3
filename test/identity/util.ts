import { createKeyFinder, type IndexedKeyFinder } from '../../src/identity/index.js';
import type { GpgKey } from '../support/gpg.js';

/** A finder over an in-memory policy branch: path → content. */
export function finderOf(files: Record<string, string>): IndexedKeyFinder & { reads: string[] } {
  const reads: string[] = [];
  const f = createKeyFinder({
    paths: Object.keys(files),
    read: async (p) => {
      reads.push(p);
      return files[p] ?? null;
    },
  });
  return Object.assign(f, { reads });
}

export const keyPath = (k: GpgKey) => `keys/${k.fingerprint}.asc`;

/** Await a promise that must reject; return the error. */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

export function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an exception');
}
