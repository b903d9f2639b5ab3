/**
 * Red-team pass on issue 7, class 1 (names one file would hold), beyond
 * duplicate-commands.test.ts: spellings that Unicode's *full* case folding
 * makes one name although upper-casing then lower-casing does not.
 *
 * ext4 with casefold (and any file system that folds with CaseFolding.txt's
 * C+F mappings) stores `ẞ` (U+1E9E LATIN CAPITAL LETTER SHARP S), `ß` and
 * `ss` as one entry; `'ẞ'.toUpperCase().toLowerCase()` is `ß`, not `ss`, so
 * a fold key built from one upper/lower round trip kept `acceẞ` and `access`
 * apart. And characters Unicode calls default-ignorable (U+00AD SOFT HYPHEN,
 * U+200B ZERO WIDTH SPACE, variation selectors, ...) beyond the HFS+ list:
 * file systems that drop ignorables in their fold keys drop all of them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone } from '../../support/forge.js';
import { attempt, POLICY, refChanges, rejectedFor } from './support.js';

describe('ref names', () => {
  let forge: Forge;
  let owner: Clone;
  let tip: string;

  beforeAll(() => {
    forge = Forge.create();
    owner = forge.clone('owner');
    tip = forge.ref(POLICY)!;
  });
  afterAll(() => forge?.cleanup());

  test('a ref spelled with U+1E9E where the policy branch has "ss" is refused (full case folding: ẞ → ss)', async () => {
    const name = 'refs/heads/apps/acce\u1e9e-control';
    const a = await attempt(forge, () => owner.push(`${tip}:${name}`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(forge.owner.id),
      `git-acl: ${name} and the existing ${POLICY} would be one file on a case-insensitive or Unicode-normalising file system; such names are refused`,
    ]);
  });

  test('a ref name that is the policy branch plus a soft hyphen (U+00AD, default-ignorable) is refused', async () => {
    const name = 'refs/heads/apps/access-con\u00adtrol';
    const a = await attempt(forge, () => owner.push(`${tip}:${name}`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(forge.owner.id),
      `git-acl: refs/heads/apps/access-con\\xadtrol and the existing ${POLICY} would be one file on a case-insensitive or Unicode-normalising file system; such names are refused`,
    ]);
  });
});

describe('tree names (shared-directory preset: anyone may create a file at the top of shared/, only the owner may modify one)', () => {
  let forge: Forge;
  let alice: Clone;
  let A: string;
  let main1: string;

  beforeAll(() => {
    forge = Forge.create({ users: ['alice', 'bob'] });
    forge.setPolicy(Forge.presetFiles('shared-directory'));
    A = forge.user('alice').id;
    const owner = forge.clone('owner');
    const main0 = owner.commitTree({ README: 'shared notes live in shared/\n' }, [], 'main');
    expect(owner.push(`${main0}:refs/heads/main`).code).toBe(0);
    const bob = forge.clone('bob');
    main1 = bob.commitTree({ README: 'shared notes live in shared/\n', 'shared/passwords.txt': "Bob's list\n" }, [main0], 'bob');
    expect(bob.push(`${main1}:refs/heads/main`).remote).toEqual([]);
    alice = forge.clone('alice');
  });
  afterAll(() => forge?.cleanup());
  // Each case starts from Bob's commit (a case that was accepted moved main).
  afterEach(() => {
    if (main1) forge.server(['update-ref', 'refs/heads/main', main1]);
  });

  test('a new file spelled with U+1E9E next to Bob\'s "ss" file is refused: on a casefold checkout it replaces his', async () => {
    const c = alice.commitTree(
      { README: 'shared notes live in shared/\n', 'shared/passwords.txt': "Bob's list\n", 'shared/pa\u1e9ewords.txt': "Alice's list\n" },
      [main1],
      'alice',
    );
    const a = await attempt(forge, () => alice.push(`${c}:refs/heads/main`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(A),
      'git-acl: shared/pa\u1e9ewords.txt and shared/passwords.txt would be one file on a case-insensitive or Unicode-normalising file system (macOS, Windows): a checkout there would show one in place of the other; such a new name is refused',
    ]);
  });

  test("a new file that is Bob's name plus a zero width space (U+200B) is refused", async () => {
    const c = alice.commitTree(
      { README: 'shared notes live in shared/\n', 'shared/passwords.txt': "Bob's list\n", 'shared/pass\u200bwords.txt': "Alice's list\n" },
      [main1],
      'alice',
    );
    const a = await attempt(forge, () => alice.push(`${c}:refs/heads/main`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(A),
      'git-acl: shared/pass\\u200bwords.txt and shared/passwords.txt would be one file on a case-insensitive or Unicode-normalising file system (macOS, Windows): a checkout there would show one in place of the other; such a new name is refused',
    ]);
  });

  test('a name that folds to nothing else is still allowed (the check is not a blanket refusal of non-ASCII)', async () => {
    const c = alice.commitTree(
      { README: 'shared notes live in shared/\n', 'shared/passwords.txt': "Bob's list\n", 'shared/gro\u00dfe-liste.txt': 'ok\n' },
      [main1],
      'alice',
    );
    const a = await attempt(forge, () => alice.push(`${c}:refs/heads/main`));
    expect(a.remote).toEqual([]);
    expect(forge.ref('refs/heads/main')).toBe(c);
  });
});
