/**
 * Issue 7, class 1: two commands for one ref in one push, and ref names that
 * a case-insensitive or normalizing file system stores as one file.
 *
 * git applies a push's commands in order and takes them from the signed
 * certificate; a client may send `X -> D` for the policy branch (X a stale old
 * value: the command fails at its ref lock) followed by `P -> Y` (P the real
 * tip: it lands). The hook's policy-branch checks look at the first command
 * only, so Y is never checked. `git push` never sends this; the raw client
 * (test/support/receive-pack-client.ts) does, with a real signed certificate.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone } from '../../support/forge.js';
import { exportSecret } from '../../support/gpg.js';
import { packObjects, receivePack } from '../../support/receive-pack-client.js';
import { ZERO_OID } from '../../support/env.js';
import { attack, attempt, expectRefused, POLICY, refChanges, rejectedFor, type Attempt } from './support.js';

/** A commit with `base`'s tree plus `files` (path → content; null removes), on top of `parents`. */
function withFiles(c: Clone, base: string, files: Record<string, string | null>, parents: string[], message: string): string {
  c.ok(['read-tree', base]);
  for (const [p, content] of Object.entries(files)) {
    if (content === null) c.ok(['update-index', '--force-remove', p]);
    else c.ok(['update-index', '--add', '--cacheinfo', `100644,${c.ok(['hash-object', '-w', '--stdin'], content)},${p}`]);
  }
  const tree = c.ok(['write-tree']);
  c.ok(['read-tree', '--empty']);
  return c.ok(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message]);
}

/** A stale old value for the decoy command: a commit on top of the tip with the tip's tree, never a ref value. */
function staleTip(c: Clone, tip: string): string {
  return c.ok(['commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'decoy base']);
}

describe('the owner, on a default install', () => {
  let forge: Forge;
  let owner: Clone;
  let tip: string;

  beforeAll(() => {
    forge = Forge.create();
    owner = forge.clone('owner');
    tip = forge.ref(POLICY)!;
  });
  afterAll(() => forge?.cleanup());

  /** Puts the policy branch back where it was (the operator can), so each case starts from the same server. */
  function restore(): void {
    forge.server(['update-ref', POLICY, tip]);
  }

  /** [X -> decoy, P -> real] on the policy branch, signed by the owner, without --atomic. */
  async function decoyThen(real: string): Promise<Attempt> {
    const x = staleTip(owner, tip);
    const decoy = withFiles(owner, x, { 'groups/decoy.conf': `${forge.owner.id}\n` }, [x], 'a valid policy change');
    return attempt(forge, () =>
      receivePack(forge.bare, forge.env, {
        commands: [
          { oldOid: x, newOid: decoy, ref: POLICY },
          { oldOid: tip, newOid: real, ref: POLICY },
        ],
        certificate: { signingKey: forge.owner.id },
        pack: packObjects(owner.dir, forge.env, [decoy, ...(real === ZERO_OID ? [] : [real]), `^${tip}`]),
      }),
    );
  }

  test(
    'deleting the policy branch behind a decoy update of it is refused',
    attack(async (ctx) => {
      const a = await decoyThen(ZERO_OID);
      try {
        expectRefused(
          ctx,
          a,
          [rejectedFor(forge.owner.id), expect.stringMatching(/refs\/heads\/apps\/access-control .*(more than once|twice)/)],
          () => `the server has no policy branch: ${forge.ref(POLICY) === null}`,
        );
      } finally {
        restore();
      }
    }),
  );

  test(
    'a broken policy behind a decoy update of the policy branch is refused',
    attack(async (ctx) => {
      const broken = withFiles(owner, tip, { 'refs/broken.conf': 'owner fast-foward ^heads/x$\n' }, [tip], 'a policy with a lint error');
      const a = await decoyThen(broken);
      try {
        expectRefused(
          ctx,
          a,
          [rejectedFor(forge.owner.id), expect.stringMatching(/refs\/heads\/apps\/access-control .*(more than once|twice)/)],
          () => {
            const next = owner.push(`${tip}:refs/heads/after`);
            return `the owner's next push: ${JSON.stringify(next.remote)}`;
          },
        );
      } finally {
        restore();
      }
    }),
  );

  test(
    'a ref whose Unicode case folding is the policy branch (U+017F) is refused',
    attack(async (ctx) => {
      // ſ (LATIN SMALL LETTER LONG S) folds to s: on APFS, NTFS or casefold ext4 this is the policy branch's ref file.
      // The guard compares toLowerCase(), and 'ſ'.toLowerCase() is 'ſ'.
      const a = await attempt(forge, () => owner.push(`${tip}:refs/heads/app\u017f/access-control`));
      expectRefused(ctx, a, [
        rejectedFor(forge.owner.id),
        expect.stringMatching(/refs\/heads\/app\u017f\/access-control .*refs\/heads\/apps\/access-control/),
      ]);
    }),
  );
});

describe('a newcomer, under self-registration', () => {
  let forge: Forge;

  beforeAll(() => {
    forge = Forge.create({ presets: ['self-registration', 'per-user-branches'] });
  });
  afterAll(() => forge?.cleanup());

  test(
    'is identified by a decoy commit that registers her public key while the commit that lands holds her secret key',
    attack(async (ctx) => {
      const nina = forge.addUser('nina');
      const c = forge.clone(nina);
      const tip = c.fetchRef(POLICY)!;
      const keyFile = `keys/${nina.id}.asc`;
      const x = staleTip(c, tip);
      // The decoy: a proper registration (verified with the key it adds, key file checked), with a stale old value.
      const decoy = withFiles(c, x, { [keyFile]: nina.key.publicArmored }, [x], 'register nina');
      // What lands: the same path, holding her secret key. Its tree op (create-file keys/<her id>.asc) is allowed.
      const secret = withFiles(c, tip, { [keyFile]: exportSecret(forge.gpgHome, nina.id) }, [tip], 'register nina (secret)');
      const a = await attempt(forge, () =>
        receivePack(forge.bare, forge.env, {
          commands: [
            { oldOid: x, newOid: decoy, ref: POLICY },
            { oldOid: tip, newOid: secret, ref: POLICY },
          ],
          certificate: { signingKey: nina.id },
          pack: packObjects(c.dir, forge.env, [decoy, secret, `^${tip}`]),
        }),
      );
      expectRefused(
        ctx,
        a,
        [rejectedFor(nina.id), expect.stringMatching(/refs\/heads\/apps\/access-control .*(more than once|twice)/)],
        () => {
          const landed = forge.server(['cat-file', 'blob', `${POLICY}:${keyFile}`]).stdout;
          return `${keyFile} on the policy branch starts with ${JSON.stringify(landed.split('\n')[0])}`;
        },
      );
    }),
  );
});

describe('two ref names that one file system entry would hold', () => {
  let forge: Forge;
  let alice: Clone;
  let A: string;
  let base: string;

  beforeAll(() => {
    forge = Forge.create({ presets: ['per-user-branches'], users: ['alice'] });
    forge.setPolicy(Forge.presetFiles('per-user-branches'));
    A = forge.user('alice').id;
    alice = forge.clone('alice');
    base = alice.commitTree({ 'notes.txt': 'one\n' }, [], 'one');
  });
  afterAll(() => forge?.cleanup());

  test("each name alone is the pusher's own branch (the preset allows it)", () => {
    const r = alice.push(`${base}:refs/heads/${A}/alone`);
    expect(r.remote).toEqual([]);
    expect(forge.ref(`refs/heads/${A}/alone`)).toBe(base);
  });

  test(
    'names that differ only by Unicode normalization (NFC / NFD) in one push are refused',
    attack(async (ctx) => {
      const other = alice.commitTree({ 'notes.txt': 'two\n' }, [], 'two');
      const nfc = `refs/heads/${A}/caf\u00e9`;
      const nfd = `refs/heads/${A}/cafe\u0301`;
      expect(nfc.normalize('NFD')).toBe(nfd);
      // On APFS and HFS+ both names are one file: the second write silently replaces the first.
      const a = await attempt(forge, () => alice.push(`${base}:${nfc}`, `${other}:${nfd}`));
      expectRefused(ctx, a, [rejectedFor(A), expect.stringMatching(/caf\u00e9.*cafe\u0301|cafe\u0301.*caf\u00e9/)]);
    }),
  );

  test(
    'names that differ only in case in one push are refused',
    attack(async (ctx) => {
      const other = alice.commitTree({ 'notes.txt': 'three\n' }, [], 'three');
      const a = await attempt(forge, () => alice.push(`${base}:refs/heads/${A}/Topic`, `${other}:refs/heads/${A}/topic`));
      expectRefused(ctx, a, [rejectedFor(A), expect.stringMatching(/\/Topic.*\/topic|\/topic.*\/Topic/)]);
    }),
  );
});

describe('ref names the rules would see differently from the file git writes', () => {
  let forge: Forge;
  let alice: Clone;
  let A: string;
  let base: string;

  beforeAll(() => {
    forge = Forge.create({ presets: ['per-user-branches'], users: ['alice'] });
    forge.setPolicy(Forge.presetFiles('per-user-branches'));
    A = forge.user('alice').id;
    alice = forge.clone('alice');
    base = alice.commitTree({ 'notes.txt': 'one\n' }, [], 'one');
    expect(alice.push(`${base}:refs/heads/${A}/dir/one`).remote).toEqual([]);
    const owner = forge.clone('owner');
    expect(owner.push(`${owner.commitTree({ README: 'main\n' }, [], 'main')}:refs/heads/main`).remote).toEqual([]);
  });
  afterAll(() => forge?.cleanup());

  test('a name whose directory differs from an existing one only in case is refused (it would be written into that directory)', async () => {
    const a = await attempt(forge, () => alice.push(`${base}:refs/heads/${A}/DIR/two`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(A),
      `git-acl: refs/heads/${A}/DIR/two: its directory refs/heads/${A}/DIR/ and the existing refs/heads/${A}/dir/ would be one directory on a case-insensitive or Unicode-normalising file system; such names are refused`,
    ]);
  });

  test('a name that differs from an existing ref only by a character HFS+ ignores is refused', async () => {
    const a = await attempt(forge, () => alice.push(`${base}:refs/heads/${A}/dir/o\u200cne`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(A),
      `git-acl: refs/heads/${A}/dir/o\\u200cne and the existing refs/heads/${A}/dir/one would be one file on a case-insensitive or Unicode-normalising file system; such names are refused`,
    ]);
  });

  test('two commands for one ordinary ref are refused, whatever their order', async () => {
    const two = alice.commitTree({ 'notes.txt': 'two\n' }, [base], 'two');
    const a = await attempt(forge, () =>
      receivePack(forge.bare, forge.env, {
        commands: [
          { oldOid: base, newOid: two, ref: `refs/heads/${A}/dir/one` },
          { oldOid: base, newOid: ZERO_OID, ref: `refs/heads/${A}/dir/one` },
        ],
        certificate: { signingKey: A },
        pack: packObjects(alice.dir, forge.env, [two, `^${base}`]),
      }),
    );
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(A),
      `git-acl: refs/heads/${A}/dir/one is named twice in this push; a push may update each ref only once`,
    ]);
  });

  test('a push to a symbolic ref is refused: git would update the ref it points to, which the rules never judged', async () => {
    // The operator made a symbolic ref in Alice's namespace that points at main (nobody but the owner may move main).
    forge.server(['symbolic-ref', `refs/heads/${A}/alias`, 'refs/heads/main']);
    try {
      const next = alice.commitTree({ README: 'alice was here\n' }, [alice.fetchRef('refs/heads/main')!], 'alice');
      const a = await attempt(forge, () => alice.push(`${next}:refs/heads/${A}/alias`));
      expect(refChanges(a)).toEqual([]);
      expect(a.remote).toEqual([
        rejectedFor(A),
        `git-acl: refs/heads/${A}/alias is a symbolic ref to refs/heads/main; git would update refs/heads/main: push to it by its own name`,
      ]);
    } finally {
      forge.server(['symbolic-ref', '--delete', `refs/heads/${A}/alias`]);
    }
  });
});
