/**
 * Red-team pass on issue 8 (decisions that hold until git writes the refs):
 * attacks that need two pushes at once, with real signed pushes through the
 * installed hook. Races are made deterministic with FIFOs the test opens
 * (a git of the test's, for one push only, that stops at the hook's first
 * object read inside the push's quarantine), never with sleeps.
 *
 * - Two pushes that each create a ref, judged at the same time, whose names
 *   one file would hold on a case-insensitive or normalising file system
 *   (`refs/heads/X/Foo`, `refs/heads/X/foo`): each was judged against refs
 *   that did not hold the other, so the fold check at judgement passes both.
 *   The admission (under the lock) checks the created names again against the
 *   refs as they are then.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, run, type ForgeUser } from '../../support/forge.js';
import { wrapGit } from '../../support/git-wrapper.js';

const FOLD = 'on a case-insensitive or Unicode-normalising file system; such names are refused';

/** Bob may create any branch under heads/<letter>/, with any file. */
function bobUnderX(bob: ForgeUser): Record<string, string> {
  return {
    'refs/bob.conf': `${bob.id} create-branch,fast-forward ^heads/[A-Za-z]/.+$\n`,
    'branches/bob.conf': `branch ^heads/[A-Za-z]/.+$\n${bob.id} create-file,modify,delete ^.+$\n`,
  };
}

interface Hold {
  dir: string;
  ready(): Promise<void>;
  release(): void;
}

function makeHold(root: string, name: string): Hold {
  const dir = path.join(root, `hold-${name}`);
  fs.mkdirSync(dir);
  run('mkfifo', [path.join(dir, 'ready'), path.join(dir, 'go')]);
  return {
    dir,
    ready: async () => void (await fs.promises.readFile(path.join(dir, 'ready'))),
    release: () => fs.writeFileSync(path.join(dir, 'go'), 'go\n'),
  };
}

/** A git for one push's hook that waits at `hold` at its first object read inside the quarantine (judgement under way). */
function holdJudgement(root: string, hold: Hold): NodeJS.ProcessEnv {
  const wait = `mkdir '${hold.dir}/claimed' 2>/dev/null && { echo held > '${hold.dir}/ready'; read go < '${hold.dir}/go'; }`;
  return wrapGit(path.join(root, `git-${path.basename(hold.dir)}`), `if [ "$1" = cat-file ] && [ -n "$GIT_QUARANTINE_PATH" ]; then ${wait}; fi`);
}

describe('two concurrent pushes whose created refs fold to one file', () => {
  let forge: Forge;
  let bob: ForgeUser;
  beforeAll(() => {
    forge = Forge.create({ users: ['bob'] });
    bob = forge.user('bob');
    forge.setPolicy(bobUnderX(bob));
  });
  afterAll(() => forge?.cleanup());

  test.each([
    ['the same file', 'refs/heads/X/Foo', 'refs/heads/X/foo', 'file', 'refs/heads/X/Foo and the existing refs/heads/X/foo would be one file'],
    ['a directory', 'refs/heads/Y/bar', 'refs/heads/y/baz', 'directory', 'refs/heads/Y/bar: its directory refs/heads/Y/ and the existing refs/heads/y/ would be one directory'],
  ])('the push admitted second is refused (%s)', async (_name, held, other, _what, line) => {
    const a = forge.clone(bob);
    const b = forge.clone(bob);
    const workA = a.commitTree({ 'a.txt': `${held}\n` }, [], 'a');
    const workB = b.commitTree({ 'b.txt': `${other}\n` }, [], 'b');
    const hold = makeHold(forge.root, held.replace(/\W/g, '-'));
    // A is judged against the refs as they are now (no `other`), and stops inside its judgement.
    const slow = a.pushAsync([`${workA}:${held}`], holdJudgement(forge.root, hold));
    await hold.ready();
    // B lands meanwhile: when it was judged, `held` did not exist either.
    const fast = b.push(`${workB}:${other}`);
    expect([fast.code, fast.remote]).toEqual([0, []]);
    hold.release();
    const r = await slow;
    expect(r.remote).toEqual([`git-acl: push rejected: ${line} ${FOLD} (a ref was created while this push was being judged) (user ${bob.id})`]);
    expect(r.code).not.toBe(0);
    expect(forge.ref(held)).toBeNull();
    expect(forge.ref(other)).toBe(workB);
    expect(fs.existsSync(path.join(forge.bare, 'git-acl', 'in-flight'))).toBe(false);
  });
});
