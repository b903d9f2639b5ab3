import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { createKeyFinder, KeyFileRef } from '../../src/identity/index.js';
import { genKey, makeGpgHome, type GpgHome, type GpgKey } from '../support/gpg.js';
import { finderOf, keyPath } from './util.js';

let home: GpgHome;
let alice: GpgKey;
let sub: GpgKey;

beforeAll(() => {
  home = makeGpgHome();
  alice = genKey(home, 'Alice');
  sub = genKey(home, 'Sub', { signingSubkey: true });
});
afterAll(() => home.cleanup());

async function all(it: ReturnType<ReturnType<typeof createKeyFinder>>): Promise<string[]> {
  const out: string[] = [];
  for await (const r of it as AsyncIterable<KeyFileRef>) out.push(r.fileName);
  return out;
}

describe('createKeyFinder', () => {
  test('by fingerprint or key ID from the file names, without reading other files', async () => {
    const f = finderOf({ [keyPath(alice)]: alice.publicArmored, [keyPath(sub)]: sub.publicArmored });
    const it = f([alice.fingerprint, alice.primaryKeyId]) as AsyncIterable<KeyFileRef>;
    const first = await it[Symbol.asyncIterator]().next();
    expect(first.value?.fileName).toBe(keyPath(alice));
    expect(f.reads).toEqual([keyPath(alice)]);
    const byId = finderOf({ [keyPath(alice)]: alice.publicArmored });
    const it2 = byId([alice.primaryKeyId]) as AsyncIterable<KeyFileRef>;
    expect((await it2[Symbol.asyncIterator]().next()).value?.fileName).toBe(keyPath(alice));
    expect(byId.reads).toEqual([keyPath(alice)]);
  });

  test('a subkey is found by scanning the files', async () => {
    const f = finderOf({ [keyPath(alice)]: alice.publicArmored, [keyPath(sub)]: sub.publicArmored, 'keys/broken/x.asc': 'junk' });
    expect(await all(f([sub.subkeys[0]!, sub.keyId]))).toEqual([keyPath(sub)]);
    expect(await all(f([sub.keyId]))).toEqual([keyPath(sub)]);
  });

  test('files not named keys/<40 upper-case hex>.asc are never candidates', async () => {
    const lower = `keys/${alice.fingerprint.toLowerCase()}.asc`;
    const f = finderOf({
      [lower]: alice.publicArmored,
      [`keys/sub/${alice.fingerprint}.asc`]: alice.publicArmored,
      'keys/alice.asc': alice.publicArmored,
    });
    expect(await all(f([alice.fingerprint, alice.primaryKeyId]))).toEqual([]);
    expect(f.hasFile(lower)).toBe(false);
  });

  test('broken files in the scan are skipped, not fatal', async () => {
    const f = finderOf({
      [`keys/${'1'.repeat(40)}.asc`]: 'junk',
      [`keys/${'2'.repeat(40)}.asc`]: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n////\n-----END PGP PUBLIC KEY BLOCK-----\n',
      [keyPath(sub)]: sub.publicArmored,
    });
    expect(await all(f([sub.keyId]))).toEqual([keyPath(sub)]);
  });

  test('hasFile', () => {
    const f = finderOf({ [keyPath(alice)]: alice.publicArmored });
    expect(f.hasFile(keyPath(alice))).toBe(true);
    expect(f.hasFile(keyPath(sub))).toBe(false);
  });
});
