/**
 * Reading a policy is bounded before anything is read (core LIMITS): a rule,
 * group or owner file past its bound is listed unread with its size, and the
 * parser reports it as it reports a file it read; trees, the number of
 * entries and key files stop the read with one line. Both stores, a commit
 * and a checkout, must say the same.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LIMITS } from '../../src/core/limits.js';
import { parsePolicy } from '../../src/core/index.js';
import { readKeyBlob, readPolicyOwner, readPolicyTree } from '../../src/git/policy-files.js';
import { readPolicyDirectory } from '../../src/git/policy-directory.js';
import { cleanupTempDirs, git, initRepo, tempDir, writeBlob } from '../support/git.js';
import { both, bothThrow } from './helpers.js';

afterAll(() => cleanupTempDirs());

const MiB = 1024 * 1024;
const OWNER = 'A'.repeat(40);
let repo: string;
let ownerKey: string;

/** A tree from `ls-tree`-style lines (`<mode> <type> <oid>\t<name>`). */
function mktree(lines: string[]): string {
  return git(['mktree'], { gitDir: repo, input: `${lines.join('\n')}\n` });
}

function commitOf(tree: string): string {
  return git(['commit-tree', tree, '-m', 'policy'], { gitDir: repo });
}

/** A policy commit: `refs/` and `groups/` files with the given blobs, plus the owner and the owner's key. */
function policy(refs: Record<string, string>, groups: Record<string, string> = {}, owner = writeBlob(repo, `${OWNER}\n`)): string {
  const dir = (m: Record<string, string>) => mktree(Object.entries(m).map(([n, oid]) => `100644 blob ${oid}\t${n}`));
  const top = [`100644 blob ${owner}\towner`, `040000 tree ${dir({ [`${OWNER}.asc`]: ownerKey })}\tkeys`];
  if (Object.keys(refs).length) top.push(`040000 tree ${dir(refs)}\trefs`);
  if (Object.keys(groups).length) top.push(`040000 tree ${dir(groups)}\tgroups`);
  return commitOf(mktree(top));
}

function diagnostics(files: Parameters<typeof parsePolicy>[0]): string[] {
  return parsePolicy(files)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.file}: ${d.code}: ${d.message}`);
}

beforeAll(() => {
  repo = initRepo();
  ownerKey = writeBlob(repo, 'not read by the policy reader\n');
});

describe('rule, group and owner files', () => {
  test('a file past fileBytes is listed with its size and not read; the parser reports it', async () => {
    const big = writeBlob(repo, `# ${'x'.repeat(2 * MiB)}\n`);
    const c = policy({ 'big.conf': big, 'ok.conf': writeBlob(repo, 'owner create-branch ^refs/heads/x$\n') });
    const tree = await both(repo, (s) => readPolicyTree(s, c));
    expect(tree.files.find((f) => f.path === 'refs/big.conf')).toEqual({ path: 'refs/big.conf', content: '', size: 2 * MiB + 3 });
    expect(tree.files.find((f) => f.path === 'refs/ok.conf')?.content).toBe('owner create-branch ^refs/heads/x$\n');
    expect(diagnostics(tree.files)).toEqual([
      'refs/big.conf: file-too-large: file is too large (2,097,155 bytes, limit 1 MiB); it is not read',
    ]);
  });

  test('past policyBytes in all, in path order: that file and every one after it are unread', async () => {
    // Nine files of 1 MiB - 1 KiB (each within fileBytes): the ninth crosses 8 MiB.
    const each = MiB - 1024;
    const blobs = Array.from({ length: 10 }, (_, i) => writeBlob(repo, `#${String(i)}${'y'.repeat(each - 3)}\n`));
    const files = Object.fromEntries(blobs.map((b, i) => [`f${i}.conf`, b]));
    const c = policy(files);
    const tree = await both(repo, (s) => readPolicyTree(s, c));
    const unread = tree.files.filter((f) => f.size !== undefined).map((f) => f.path);
    expect(unread).toEqual(['refs/f8.conf', 'refs/f9.conf']);
    expect(Math.floor(LIMITS.policyBytes / each)).toBe(8);
    expect(diagnostics(tree.files)).toEqual([
      'refs/f8.conf: policy-too-large: the policy is too large: its rule and group files hold more than 8 MiB in all; this file and the ones after it are not read',
    ]);
  });

  test('an owner file past fileBytes is reported as too large, not as empty', async () => {
    const c = policy({}, {}, writeBlob(repo, `${OWNER}\n#${'z'.repeat(MiB)}\n`));
    const tree = await both(repo, (s) => readPolicyTree(s, c));
    expect(diagnostics(tree.files)).toEqual(['owner: file-too-large: file is too large (1,048,619 bytes, limit 1 MiB); it is not read']);
    expect(await both(repo, (s) => readPolicyOwner(s, c))).toBeNull();
  });

  test('a checkout is read with the same bounds', async () => {
    const dir = tempDir('checkout-');
    fs.mkdirSync(path.join(dir, 'refs'));
    fs.writeFileSync(path.join(dir, 'refs', 'big.conf'), `# ${'x'.repeat(2 * MiB)}\n`);
    fs.writeFileSync(path.join(dir, 'owner'), `${OWNER}\n`);
    const files = await readPolicyDirectory(dir);
    expect(files.find((f) => f.path === 'refs/big.conf')).toEqual({ path: 'refs/big.conf', content: '', size: 2 * MiB + 3 });
  });
});

describe('trees, entries and key files', () => {
  test('a tree past policyTreeBytes stops the read with one line', async () => {
    const blob = writeBlob(repo, 'k\n');
    // 120,000 entries of ~74 bytes: about 8.5 MiB.
    const lines = Array.from({ length: 120_000 }, (_, i) => `100644 blob ${blob}\t${i.toString(16).padStart(40, '0').toUpperCase()}.asc`);
    const keys = mktree(lines);
    const c = commitOf(mktree([`040000 tree ${keys}\tkeys`]));
    const [cli, iso] = await bothThrow(repo, (s) => readPolicyTree(s, c));
    expect(cli).toBe(
      "the policy branch's tree keys/ is 8,640,000 bytes, more than 8 MiB (git-acl's limit, see docs/security.md#bounds-on-what-the-hook-reads)",
    );
    expect(iso).toBe(cli);
  }, 60_000);

  test('more than policyEntries files and directories stop the read with one line', async () => {
    const blob = writeBlob(repo, 'g\n');
    const sub = mktree(Array.from({ length: 70_000 }, (_, i) => `100644 blob ${blob}\tg${i}.conf`));
    // Three directories naming the same tree: 210,000 entries from one 5 MB tree object.
    const groups = mktree(['a', 'b', 'c'].map((n) => `040000 tree ${sub}\t${n}`));
    const c = commitOf(mktree([`040000 tree ${groups}\tgroups`]));
    const [cli] = await bothThrow(repo, (s) => readPolicyTree(s, c));
    expect(cli).toBe(
      "the policy branch lists more than 200,000 files and directories (git-acl's limit, see docs/security.md#bounds-on-what-the-hook-reads)",
    );
  }, 60_000);

  test('a key file past keyFileBytes is refused before it is read', async () => {
    const hugeKey = writeBlob(repo, `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${'A'.repeat(MiB)}\n`);
    const c = commitOf(mktree([`040000 tree ${mktree([`100644 blob ${hugeKey}\t${OWNER}.asc`])}\tkeys`]));
    const [cli, iso] = await bothThrow(repo, async (s) => readKeyBlob(s, await readPolicyTree(s, c), `keys/${OWNER}.asc`));
    expect(cli).toBe(
      `keys/${OWNER}.asc is 1,048,615 bytes; a key file holds at most 1 MiB (export a minimal key: gpg --export --armor --export-options export-minimal <FINGERPRINT>)`,
    );
    expect(iso).toBe(cli);
  });
});
