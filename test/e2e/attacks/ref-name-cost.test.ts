/**
 * Red-team pass on issue 7, class 5 (cost, and unbounded work): ref names.
 *
 * A push certificate may carry ref names of up to a pkt-line (about 64 KB)
 * each, and git's check_refname_format bounds neither a name's length nor
 * its depth. The hook compares every directory of every pushed name with
 * the repository's (ref-names.ts); folding each directory whole cost the
 * square of a name's length: four 64 KB names of 32,000 levels each (a
 * 256 KB certificate, from any registered user, whatever the rules) ran the
 * hook out of its 4 GB heap after a minute. Now a name longer than git can
 * write as a ref file is refused first, and directories are compared one
 * component at a time, and a name more than 100 directories deep is refused.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone } from '../../support/forge.js';
import { ZERO_OID } from '../../support/env.js';
import { packObjects, receivePack } from '../../support/receive-pack-client.js';
import { attempt, refChanges, rejectedFor } from './support.js';

describe('ref names past what git can write', () => {
  let forge: Forge;
  let alice: Clone;
  let A: string;

  beforeAll(() => {
    forge = Forge.create({ presets: ['per-user-branches'], users: ['alice'] });
    forge.setPolicy(Forge.presetFiles('per-user-branches'));
    A = forge.user('alice').id;
    alice = forge.clone('alice');
  });
  afterAll(() => forge?.cleanup());

  test('four 64 KB names of 32,000 directories each are refused at once, in one line each', async () => {
    const base = alice.commitTree({ 'notes.txt': 'one\n' }, [], 'one');
    const deep = (i: number) => `refs/heads/${A}/${i}/${'a/'.repeat(32_000)}x`;
    const a = await attempt(forge, () =>
      receivePack(forge.bare, forge.env, {
        commands: [0, 1, 2, 3].map((i) => ({ oldOid: ZERO_OID, newOid: base, ref: deep(i) })),
        certificate: { signingKey: A },
        pack: packObjects(alice.dir, forge.env, [base]),
      }),
    );
    expect(refChanges(a)).toEqual([]);
    const bytes = deep(0).length.toLocaleString('en-US');
    expect(a.remote).toEqual([
      rejectedFor(A),
      ...[0, 1, 2].map(
        (i) =>
          `git-acl: ${deep(i).slice(0, 60)}... is a ref name of ${bytes} bytes; git cannot write a ref file of more than 4,096 bytes, so such names are refused`,
      ),
    ]);
  });

  test('a name of 4,000 bytes in 1,950 directories is refused at once: deeper than 100 levels', async () => {
    const base = alice.commitTree({ 'notes.txt': 'two\n' }, [], 'two');
    const name = `refs/heads/${A}/${'a/'.repeat(1_950)}x`;
    expect(name.length).toBeLessThan(4_096);
    const a = await attempt(forge, () =>
      receivePack(forge.bare, forge.env, {
        commands: [{ oldOid: ZERO_OID, newOid: base, ref: name }],
        certificate: { signingKey: A },
        pack: packObjects(alice.dir, forge.env, [base]),
      }),
    );
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(A),
      `git-acl: ${name.slice(0, 60)}... is a ref name 1,953 directories deep; git-acl refuses ref names more than 100 deep (docs/security.md#limits)`,
    ]);
  });

  test('a name of 3,000 bytes 100 directories deep is judged by the rules like any other name', async () => {
    const base = alice.commitTree({ 'notes.txt': 'three\n' }, [], 'three');
    // Outside Alice's namespace, so that the rules refuse it (and git writes no ref 100 directories deep).
    const name = `refs/heads/not-alice/${'a'.repeat(2_700)}/${'a/'.repeat(96)}x`;
    expect(name.length).toBeLessThan(4_096);
    const a = await attempt(forge, () =>
      receivePack(forge.bare, forge.env, {
        commands: [{ oldOid: ZERO_OID, newOid: base, ref: name }],
        certificate: { signingKey: A },
        pack: packObjects(alice.dir, forge.env, [base]),
      }),
    );
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(A),
      expect.stringMatching(new RegExp(`^git-acl: denied: no rule lets ${A} create-branch heads/not-alice/a{2700}/(a/){96}x`)),
      expect.stringMatching(new RegExp(`^git-acl: denied: no rule lets ${A} create-file notes\\.txt on heads/not-alice/a{2700}/(a/){96}x`)),
    ]);
  });
});
