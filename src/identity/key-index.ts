/**
 * Finding the key file that signed a push, among the `keys/<FPR>.asc` files
 * of the policy branch, without parsing thousands of keys on every push.
 *
 * A signature names its issuer: the 16-hex key ID, and (gpg 2.2 and later) the
 * 40-hex fingerprint of the key that made it. That key is either a primary key,
 * whose file name is its fingerprint (found from the file list alone, no read),
 * or a signing subkey, which no file name reveals: then every key file is read
 * once and scanned (packets only, no signature checks) into an index from
 * key ID to files. The index is only a way to pick candidates: each candidate
 * is then checked and verified in full, so a wrong or hostile entry can only
 * make a lookup fail, never make a signature verify.
 */
import { KEY_FILE_PATH } from '../core/ids.js';
import { scanKeyFile } from './key-scan.js';

/** A key file as the hook hands it over: its path on the policy branch and its content. */
export interface KeyFileRef {
  /** Path on the policy branch, e.g. `keys/0123...ABCD.asc`. */
  fileName: string;
  armored: string;
}

/**
 * Given the signature's issuer identifiers (upper-case hex: the issuer
 * fingerprint, 40 digits, when the signature carries one, then the issuer
 * key ID, 16 digits), return the key files that may hold that key as primary
 * key or subkey: best candidates first. Returning too many is harmless (each is
 * verified, in order, until one verifies); returning none means "not
 * registered". An async iterable is consumed lazily: later candidates are only
 * produced when the earlier ones did not verify.
 */
export type KeyFinder = (candidateKeyIds: string[]) => Promise<KeyFileRef | KeyFileRef[] | null> | AsyncIterable<KeyFileRef>;

/** A `KeyFinder` that also knows which key files the policy branch holds (by path). */
export type IndexedKeyFinder = KeyFinder & { hasFile(path: string): boolean };

export interface KeyFileSource {
  /** Paths of the policy branch's files (at least those under `keys/`); other paths are ignored. */
  paths: Iterable<string>;
  /** Read one file of the policy branch; null if it does not exist. */
  read(path: string): Promise<string | null>;
}

/**
 * Build a `KeyFinder` over the key files of a policy branch. Reads nothing up
 * front; a primary-key signature costs one read. A subkey signature (or a
 * first candidate that fails) costs one read and scan of every `keys/<FPR>.asc`
 * file, once per finder (measured: see docs/decisions.md, "Identity").
 */
const SCAN_AHEAD = 16;

export function createKeyFinder(source: KeyFileSource): IndexedKeyFinder {
  const byFingerprint = new Map<string, string>();
  for (const p of source.paths) {
    const m = KEY_FILE_PATH.exec(p);
    if (m) byFingerprint.set(m[1]!, p);
  }
  const bySuffix = new Map<string, string[]>();
  for (const [fpr, p] of byFingerprint) {
    const id = fpr.slice(-16);
    const list = bySuffix.get(id);
    if (list) list.push(p);
    else bySuffix.set(id, [p]);
  }
  let scanned: Promise<Map<string, string[]>> | undefined;

  const scanAll = async (): Promise<Map<string, string[]>> => {
    const index = new Map<string, string[]>();
    const paths = [...byFingerprint.values()].sort();
    // A few reads in flight at a time, each dropped once scanned: memory stays that of a few key files, however many there are.
    const contents: Array<string | null> = [];
    for (let i = 0; i < paths.length; i++) {
      if (i % SCAN_AHEAD === 0)
        contents.push(...(await Promise.all(paths.slice(i, i + SCAN_AHEAD).map((p) => source.read(p).catch(() => null)))));
      const text = contents[i];
      contents[i] = null;
      if (text == null) continue;
      let ids: string[];
      try {
        const scan = await scanKeyFile(text);
        ids = [...scan.keyIds, ...scan.fingerprints];
      } catch {
        continue; // a broken file is the linter's business; it can sign nothing
      }
      for (const id of new Set(ids)) {
        const list = index.get(id);
        if (list) list.push(paths[i]!);
        else index.set(id, [paths[i]!]);
      }
    }
    return index;
  };

  const finder = (candidateKeyIds: string[]) => candidates(candidateKeyIds);
  return Object.assign(finder, { hasFile: (path: string) => byFingerprint.get(KEY_FILE_PATH.exec(path)?.[1] ?? '') === path });

  async function* candidates(candidateKeyIds: string[]): AsyncGenerator<KeyFileRef> {
    const ids = candidateKeyIds.map((c) => c.toUpperCase());
    const seen = new Set<string>();
    async function* emit(paths: Iterable<string>): AsyncGenerator<KeyFileRef> {
      for (const p of paths) {
        if (seen.has(p)) continue;
        seen.add(p);
        const armored = await source.read(p);
        if (armored != null) yield { fileName: p, armored };
      }
    }
    // 1. By file name: a primary-key signature. No file is read but the candidates.
    for (const id of ids) {
      if (id.length === 40) yield* emit([byFingerprint.get(id)].filter((p): p is string => p !== undefined));
      else if (id.length === 16) yield* emit(bySuffix.get(id) ?? []);
    }
    // 2. By content, only if the caller is still looking: a subkey signature.
    scanned ??= scanAll();
    const index = await scanned;
    for (const id of ids) yield* emit(index.get(id) ?? []);
  }
}
