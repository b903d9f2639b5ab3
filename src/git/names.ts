/**
 * Names as git stores them: bytes, usually UTF-8. Tree entry names and paths
 * are decoded here, keyed by their exact bytes, and sorted in git's byte
 * order; ref names are checked before they reach git's argv. No Node-only
 * imports (browser-safe).
 */
import type { TreeChange } from './store.js';
import { InvalidRefNameError } from './errors.js';

/**
 * Throws unless `ref` is `HEAD` or a full ref name under `refs/` that git
 * could store (no control characters, spaces, `~^:?*[\\`, `..`, `//`, `/.`,
 * trailing `/` or `.lock`). Keeps arbitrary text out of git's argv and
 * out of file paths.
 */
export function assertRefName(ref: string): void {
  if (
    typeof ref !== 'string' ||
    !(ref === 'HEAD' || ref.startsWith('refs/')) ||
    /[\x00-\x20\x7f~^:?*[\\]|\.\.|\/\/|\/$|\.lock$|\/\.|@\{/.test(ref)
  ) {
    throw new InvalidRefNameError(ref);
  }
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Decodes a path or name as git stores it. `unsafe` is true when the bytes are
 * not valid UTF-8; the text then holds U+FFFD for the bad bytes. A leading
 * U+FEFF is kept (ignoreBOM), so no byte is silently dropped.
 */
export function decodeName(bytes: Uint8Array): { text: string; unsafe: boolean } {
  try {
    return { text: strictDecoder.decode(bytes), unsafe: false };
  } catch {
    return { text: lenientDecoder.decode(bytes), unsafe: true };
  }
}

/**
 * Node's Buffer decodes a range to a string in one native call (`latin1Slice`, `hexSlice`: what its toString uses,
 * without the encoding lookup), which in a fresh hook process is several times faster than the byte loops, run by
 * V8's interpreter on the few thousand tree entries of a small push (docs/performance.md, "A fourth round"), and
 * gives a flat string. The loops remain for plain Uint8Arrays (isomorphic-git in a browser): the same strings.
 */
export type NativeSlices = Uint8Array & {
  latin1Slice?: (start: number, end: number) => string;
  hexSlice?: (start: number, end: number) => string;
};

/** A key that identifies raw bytes exactly (one char per byte), for grouping names whose lossy decodings collide. */
export function bytesKey(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const native = (bytes as NativeSlices).latin1Slice;
  if (native !== undefined && 0 <= start && start <= end && end <= bytes.length) return native.call(bytes, start, end);
  let s = '';
  if (end - start <= 64) {
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  for (let i = start; i < end; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  }
  return s;
}

/** The bytes a `bytesKey` string stands for. */
export function keyToBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

function isAsciiKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** decodeName for a `bytesKey` string; ASCII keys decode to themselves without a TextDecoder call. */
export function decodeKey(key: string): { text: string; unsafe: boolean } {
  return isAsciiKey(key) ? { text: key, unsafe: false } : decodeName(keyToBytes(key));
}

/** A TreeChange plus the exact bytes of its path, so sorting is by git's bytes. */
export interface KeyedChange {
  key: string;
  change: TreeChange;
}

/**
 * Sorts changes by the raw bytes of their paths (plain byte order, so `a` <
 * `a/b` < `a-b` < `ab`) and returns them. Both stores use it, so they return
 * the same list in the same order.
 */
export function sortChanges(changes: KeyedChange[]): TreeChange[] {
  changes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return changes.map((c) => c.change);
}
