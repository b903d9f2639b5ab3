/**
 * Red-team pass on the refs read from git's files (src/server/ref-list.ts):
 * a ref created on the server between a push's judgement and its admission,
 * by `git update-ref` there, loose or only in packed-refs, whose name folds
 * onto the pushed name or is a directory/file conflict with it; and a
 * packed-refs that git itself refuses ("unexpected line": two peeled lines in
 * a row) appearing while a push is judged. Real signed pushes through the
 * installed hook, held inside their judgement by a git of the test's (FIFOs,
 * no sleeps).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type ForgeUser } from '../../support/forge.js';
import { holdJudgement } from './hold.js';

const FOLD = 'on a case-insensitive or Unicode-normalising file system; such names are refused';
const CREATED = '(a ref was created while this push was being judged)';

let forge: Forge;
let bob: ForgeUser;
let existing: string;
beforeAll(() => {
  forge = Forge.create({ users: ['bob'] });
  bob = forge.user('bob');
  forge.setPolicy({
    'refs/bob.conf': `${bob.id} create-branch,fast-forward ^heads/[A-Za-z]/.+$\n`,
    'branches/bob.conf': `branch ^heads/[A-Za-z]/.+$\n${bob.id} create-file,modify,delete ^.+$\n`,
  });
  existing = forge.ref('refs/heads/apps/access-control')!;
});
afterAll(() => forge?.cleanup());

/** Pushes `pushed` held in its judgement, runs `meanwhile` on the server, releases it. */
async function heldPush(tag: string, pushed: string, meanwhile: () => void) {
  const c = forge.clone(bob);
  const work = c.commitTree({ [`${tag}.txt`]: `${tag}\n` }, [], tag);
  const hold = holdJudgement(forge.root, tag);
  const slow = c.pushAsync([`${work}:${pushed}`], hold.env);
  await hold.ready(slow);
  try {
    meanwhile();
  } finally {
    // Also when `meanwhile` failed an assertion: the held hook would otherwise wait on its FIFO forever.
    hold.release();
  }
  return slow;
}

describe('a ref created on the server while a push is judged', () => {
  test.each([
    [
      'fold-loose',
      'refs/heads/F/Foo',
      'refs/heads/F/foo',
      false,
      `refs/heads/F/Foo and the existing refs/heads/F/foo would be one file ${FOLD}`,
    ],
    [
      'fold-packed',
      'refs/heads/G/Foo',
      'refs/heads/G/foo',
      true,
      `refs/heads/G/Foo and the existing refs/heads/G/foo would be one file ${FOLD}`,
    ],
    [
      'dir-fold-loose',
      'refs/heads/H/Bar/x',
      'refs/heads/H/bar/y',
      false,
      `refs/heads/H/Bar/x: its directory refs/heads/H/Bar/ and the existing refs/heads/H/bar/ would be one directory ${FOLD}`,
    ],
    [
      'dir-fold-packed',
      'refs/heads/I/Bar/x',
      'refs/heads/I/bar/y',
      true,
      `refs/heads/I/Bar/x: its directory refs/heads/I/Bar/ and the existing refs/heads/I/bar/ would be one directory ${FOLD}`,
    ],
    [
      'df-loose',
      'refs/heads/J/a/b',
      'refs/heads/J/a',
      false,
      `refs/heads/J/a/b and the existing refs/heads/J/a cannot both be refs: one name would be a directory of the other, and git would refuse this command after the others landed; such names are refused`,
    ],
    [
      'df-packed',
      'refs/heads/K/a/b',
      'refs/heads/K/a',
      true,
      `refs/heads/K/a/b and the existing refs/heads/K/a cannot both be refs: one name would be a directory of the other, and git would refuse this command after the others landed; such names are refused`,
    ],
    [
      'fd-loose',
      'refs/heads/L/a',
      'refs/heads/L/a/b',
      false,
      `refs/heads/L/a and the existing refs/heads/L/a/b cannot both be refs: one name would be a directory of the other, and git would refuse this command after the others landed; such names are refused`,
    ],
    [
      'fd-packed',
      'refs/heads/M/a',
      'refs/heads/M/a/b',
      true,
      `refs/heads/M/a and the existing refs/heads/M/a/b cannot both be refs: one name would be a directory of the other, and git would refuse this command after the others landed; such names are refused`,
    ],
    [
      'df-fold-packed',
      'refs/heads/N/A/b',
      'refs/heads/N/a',
      true,
      `refs/heads/N/A/b and the existing refs/heads/N/a cannot both be refs: one name would be a directory of the other on a case-insensitive or Unicode-normalising file system, and git would refuse this command after the others landed; such names are refused`,
    ],
  ])('%s: %s pushed, %s created meanwhile: refused', async (tag, pushed, created, packed, line) => {
    const r = await heldPush(tag, pushed, () => {
      forge.server(['update-ref', created, existing]);
      if (packed) {
        forge.server(['pack-refs', '--all', '--prune']);
        expect(fs.existsSync(path.join(forge.bare, created))).toBe(false);
      }
    });
    expect(r.code).not.toBe(0);
    expect(r.remote).toHaveLength(1);
    expect(r.remote[0]).toBe(`git-acl: push rejected: ${line} ${CREATED} (user ${bob.id})`);
    expect(forge.ref(pushed)).toBeNull();
    expect(forge.ref(created)).toBe(existing);
    expect(fs.existsSync(path.join(forge.bare, 'git-acl', 'in-flight'))).toBe(false);
  });
});

describe('packed-refs that git refuses (two peeled lines in a row)', () => {
  test('appearing while a push is judged: refused with one line, no ref written', async () => {
    const tagged = forge
      .server(['mktag'], `object ${existing}\ntype commit\ntag t1\ntagger T <t@example.com> 1700000000 +0000\n\nt\n`)
      .stdout.trim();
    let packedRefs = '';
    const r = await heldPush('peeled', 'refs/heads/P/x', () => {
      forge.server(['update-ref', 'refs/tags/t1', tagged]);
      forge.server(['pack-refs', '--all', '--prune']);
      const file = path.join(forge.bare, 'packed-refs');
      packedRefs = fs.readFileSync(file, 'utf8').replace(/^(\^[0-9a-f]{40}\n)/m, '$1$1');
      fs.writeFileSync(file, packedRefs);
      // git itself refuses this file.
      const g = forge.server(['for-each-ref']);
      expect(g.code).not.toBe(0);
      expect(g.stderr).toContain('unexpected line');
    });
    const peeled = /^\^([0-9a-f]{40})$/m.exec(packedRefs)![1]!;
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected: cannot write the push log: cannot list refs: fatal: unexpected line in ./packed-refs: ^${peeled} (exit 128) (user ${bob.id})`,
    ]);
    fs.writeFileSync(path.join(forge.bare, 'packed-refs'), packedRefs.replace(/^(\^[0-9a-f]{40}\n)\1/m, '$1'));
    expect(forge.ref('refs/heads/P/x')).toBeNull();
    expect(fs.existsSync(path.join(forge.bare, 'git-acl', 'in-flight'))).toBe(false);
  });

  test('present before the push: git refuses the push before the hook runs, nothing is written', async () => {
    const file = path.join(forge.bare, 'packed-refs');
    const good = fs.readFileSync(file, 'utf8');
    expect(good).toMatch(/^\^[0-9a-f]{40}$/m);
    const c = forge.clone(bob);
    const work = c.commitTree({ 'q.txt': 'q\n' }, [], 'q');
    fs.writeFileSync(file, good.replace(/^(\^[0-9a-f]{40}\n)/m, '$1$1'));
    let r;
    try {
      r = c.push(`${work}:refs/heads/Q/x`);
    } finally {
      fs.writeFileSync(file, good);
    }
    // git's receive-pack itself cannot list the refs to advertise: it dies before any hook runs.
    const peeled = /^\^([0-9a-f]{40})$/m.exec(good)![1]!;
    expect([r.code, r.remote, r.stderr]).toEqual([
      128,
      [],
      `fatal: unexpected line in ./packed-refs: ^${peeled}\nfatal: the remote end hung up upon initial contact\n`,
    ]);
    expect(forge.ref('refs/heads/Q/x')).toBeNull();
  });
});
