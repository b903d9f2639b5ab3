/**
 * A bounded read asks for the content at once and refuses an object past its bound from the header git sends
 * first (cli-store.ts). Before, it asked for the size first, and the refusals of a push were the ones that
 * reading met. Sibling directories are read at once by the tree walk (tree-diff.ts): one whose tree fails once
 * its content is read (a path past the bound on path length) and one whose tree is past 16 MiB. With sizes
 * first, the size answer came before any content, and 6ada53b named the tree whether receive-pack kept the push
 * as a pack or unpacked it. Now a packed push (its objects listed without sizes) meets the path first, and an
 * unpacked one (each object described, size included, when the push is listed) the tree: the push is refused
 * either way, and which of its problems is named first may depend on how git stored it (docs/security.md#limits).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, run, type Clone } from '../../support/forge.js';
import { withGitLog } from '../../support/git-wrapper.js';
import { attempt, looseObject as writeLoose, looseTree as tree, refChanges } from './support.js';

describe('refusal order with a tree past 16 MiB', () => {
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

  test('a directory past 16 MiB beside one holding a path past 4,096 bytes: refused packed or not, the first problem met named', async () => {
    const blob = writeLoose(alice, 'blob', Buffer.from('x\n'));
    const big = tree(
      alice,
      Array.from({ length: 62_000 }, (_, i): [string, string, Buffer] => [
        `${String(i).padStart(6, '0')}${'n'.repeat(260)}`,
        '100644',
        blob,
      ]),
    );
    const long = tree(alice, [['x'.repeat(5000), '100644', blob]]);
    // Past receive.unpackLimit (100 objects): the push stays a pack, whose objects the hook lists without sizes.
    const files = Array.from({ length: 120 }, (_, i): [string, string, Buffer] => [
      `f${String(i).padStart(3, '0')}`,
      '100644',
      writeLoose(alice, 'blob', Buffer.from(`${i}\n`)),
    ]);
    const root = tree(alice, [['b', '40000', big], ...files, ['z', '40000', long]]);
    const commit = alice.ok(['commit-tree', root.toString('hex'), '-m', 'order']);
    const size = Number(alice.ok(['cat-file', '-s', big.toString('hex')]));
    const mib = (size / 1048576).toLocaleString('en-US', { maximumFractionDigits: 1 });
    const line = `git-acl: push rejected: the push holds a tree of ${mib} MiB (${big.toString('hex')}), more than 16 MiB (git-acl's limit, see docs/security.md#limits) (user ${A})`;
    // As a pack (past receive.unpackLimit: its objects are listed without their sizes) ...
    const packed = await attempt(forge, () => alice.push(`${commit}:refs/heads/${A}/order`));
    // ... and the same objects unpacked into loose objects (each described, size included, when the push is listed).
    forge.server(['config', 'receive.unpackLimit', '1000']);
    try {
      const loose = await attempt(forge, () => alice.push(`${commit}:refs/heads/${A}/order`));
      expect(refChanges(loose)).toEqual([]);
      expect(loose.remote).toEqual([line]);
    } finally {
      forge.server(['config', '--unset', 'receive.unpackLimit']);
    }
    expect(refChanges(packed)).toEqual([]);
    expect(packed.remote).toHaveLength(1);
    expect(packed.remote[0]).toMatch(/^git-acl: push rejected: the push holds a path longer than 4,096 bytes \("z\/x+/);
    expect(packed.remote[0]).toMatch(new RegExp(`\\(user ${A}\\)$`));
  });

  test('six distinct trees past 16 MiB (one pack, deltas of each other) beside small ones, on three refs: one cat-file stopped, one more started', async () => {
    const blob = writeLoose(alice, 'blob', Buffer.from('y\n'));
    const bigs = Array.from({ length: 6 }, (_, k) =>
      tree(
        alice,
        Array.from({ length: 62_000 }, (_, i): [string, string, Buffer] => [
          `${String(i).padStart(6, '0')}${'m'.repeat(259)}${k}`,
          '100644',
          blob,
        ]),
      ),
    );
    const small = tree(alice, [['f', '100644', blob]]);
    const entries: Array<[string, string, Buffer]> = [];
    for (let k = 0; k < 6; k++) entries.push([`big${k}`, '40000', bigs[k]!]);
    for (let k = 0; k < 6; k++) entries.push([`ok${k}`, '40000', small]);
    const commit = alice.ok(['commit-tree', tree(alice, entries).toString('hex'), '-m', 'many']);
    const refs = [0, 1, 2].map((i) => `${commit}:refs/heads/${A}/many-${i}`);
    const before = forge.refs();
    // Kept as a pack (its objects listed without sizes): the hook's first reads of the trees ask for their content.
    forge.server(['config', 'receive.unpackLimit', '1']);
    let logged: { result: ReturnType<typeof run>; commands: string[] };
    try {
      logged = withGitLog(forge.root, (env) =>
        run('git', ['push', '--signed', '--porcelain', 'origin', ...refs], { cwd: alice.dir, env: { ...forge.env, ...env } }),
      );
    } finally {
      forge.server(['config', '--unset', 'receive.unpackLimit']);
    }
    const { result: r, commands } = logged;
    expect(forge.refs(), r.stderr).toEqual(before);
    expect(r.stderr).toMatch(/remote: git-acl: push rejected: the push holds a tree of 17\.4 MiB \([0-9a-f]{40}\), more than 16 MiB /);
    // The hook's reader (started early) is stopped at the first tree's header; the next one asks sizes first.
    expect(commands.filter((c) => c === 'cat-file --batch-command')).toHaveLength(2);
  });
});
