/**
 * Identity before cost, and a registration that lands whole (issue 8 points 2
 * and 3, issue 7 class 5a), through real signed pushes:
 * - a push that registers its signer's key may update nothing but the policy
 *   branch, atomic or not;
 * - the hook reads nothing an unregistered pusher brings but the one key file
 *   that could name the signer (a git wrapper on the server's PATH logs every
 *   object the hook asks `git cat-file` for);
 * - a subkey-signed registration: the single key file added is the candidate;
 * - the bounds on a certificate, a rule file and a key file, each refused in
 *   one line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, remoteLines, run, ZERO_OID, type Clone, type ForgeUser } from '../support/forge.js';
import { wrapGit } from '../support/git-wrapper.js';

const POLICY = 'refs/heads/apps/access-control';
const MiB = 1024 * 1024;

let forge: Forge;
let owner: Clone;

beforeAll(() => {
  forge = Forge.create({ presets: ['self-registration', 'per-user-branches'] });
  owner = forge.clone('owner');
});
afterAll(() => forge?.cleanup());

/** A new user with a key, not registered on the server, and a clone that signs with it. */
function newcomer(name: string, opts: { signingSubkey?: boolean } = {}): { clone: Clone; user: ForgeUser } {
  const user = forge.addUser(name, opts);
  const clone = forge.clone(user);
  // gpg may pick either signing key when both were made within one second: say which.
  if (opts.signingSubkey) clone.ok(['config', 'user.signingkey', `${user.key.keyId}!`]);
  return { clone, user };
}

/** A commit on the policy branch that adds `files` (path -> content, or -> an existing blob id) to its current tree. */
function policyCommit(c: Clone, files: Record<string, string | { oid: string }>): string {
  const tip = c.fetchRef(POLICY)!;
  c.ok(['read-tree', tip]);
  const lines: string[] = [];
  for (const [p, content] of Object.entries(files)) {
    const oid = typeof content === 'string' ? c.ok(['hash-object', '-w', '--stdin'], content) : content.oid;
    lines.push(`100644 ${oid}\t${p}`);
  }
  c.ok(['update-index', '--add', '--index-info'], `${lines.join('\n')}\n`);
  const tree = c.ok(['write-tree']);
  c.ok(['read-tree', '--empty']);
  return c.ok(['commit-tree', tree, '-p', tip, '-m', 'policy']);
}

/**
 * Pushes from `c` with a `git` on PATH that logs what every `git cat-file` is asked (the hook's object
 * reads: `info <oid>` / `contents <oid>`); returns the push and the logged requests.
 */
function pushLogged(c: Clone, ...refspecs: string[]): { remote: string[]; code: number; requests: string[] } {
  const dir = fs.mkdtempSync(path.join(forge.root, 'wrap-'));
  const log = path.join(dir, 'requests');
  fs.writeFileSync(log, '');
  const env = wrapGit(path.join(dir, 'exec'), `if [ "$1" = cat-file ]; then tee -a '${log}' | "$REAL_GIT" "$@"; exit $?; fi`);
  const r = run('git', ['push', '--signed', '--porcelain', 'origin', ...refspecs], { cwd: c.dir, env: { ...forge.env, ...env } });
  return { remote: remoteLines(r.stderr), code: r.code, requests: fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('a push that registers its signer updates nothing else', () => {
  test('registration plus the pusher’s own branch is refused, atomic or not; the key alone lands, then the branch', () => {
    const { clone, user } = newcomer('nora');
    const policy = policyCommit(clone, { [`keys/${user.id}.asc`]: user.key.publicArmored });
    const work = clone.commitTree({ 'n.txt': 'nora\n' }, [], 'work');
    const branch = `refs/heads/${user.id}/work`;
    const line = `git-acl: push rejected: this push registers the key keys/${user.id}.asc and also updates ${branch}: a push that registers its signer may update nothing but ${POLICY}; push the key alone first, then the rest`;
    for (const atomic of [[], ['--atomic']]) {
      const before = forge.refs();
      const r = clone.push(...atomic, `${policy}:${POLICY}`, `${work}:${branch}`);
      expect(r.code).not.toBe(0);
      expect(r.remote).toEqual([line]);
      expect(forge.refs()).toEqual(before);
    }
    expect(clone.push(`${policy}:${POLICY}`).remote).toEqual([]);
    expect(clone.push(`${work}:${branch}`).remote).toEqual([]);
    expect(forge.ref(branch)).toBe(work);
  });

  test('a key already registered may travel with other refs: it is not what identifies the pusher', () => {
    const { clone, user } = newcomer('olga');
    expect(clone.push(`${policyCommit(clone, { [`keys/${user.id}.asc`]: user.key.publicArmored })}:${POLICY}`).remote).toEqual([]);
    // A policy push that changes nothing of hers (an empty commit) plus her branch: identified by her registered key.
    const tip = clone.fetchRef(POLICY)!;
    const same = clone.ok(['commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'noop']);
    const work = clone.commitTree({ 'o.txt': 'olga\n' }, [], 'work');
    expect(clone.push(`${same}:${POLICY}`, `${work}:refs/heads/${user.id}/work`).remote).toEqual([]);
  });
});

describe('registration signed by a signing subkey', () => {
  test('the one key file the push adds is the candidate; among several, none is, and the push says so', () => {
    const { clone, user } = newcomer('sam', { signingSubkey: true });
    const other = forge.addUser('sams-friend');
    const signing = user.key.subkeys.find((f) => f.endsWith(user.key.keyId))!;
    const both = policyCommit(clone, {
      [`keys/${user.id}.asc`]: user.key.publicArmored,
      [`keys/${other.id}.asc`]: other.key.publicArmored,
    });
    const r = clone.push(`${both}:${POLICY}`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected: push certificate is signed by key ${signing} (key ID ${user.key.keyId}), which no key file of the policy branch holds, and none of the 2 key files this push adds is named after it: a registration adds one key file, keys/<PRIMARY KEY FINGERPRINT>.asc, signed by that key`,
    ]);
    expect(clone.push(`${policyCommit(clone, { [`keys/${user.id}.asc`]: user.key.publicArmored })}:${POLICY}`).remote).toEqual([]);
  });
});

describe('nothing an unregistered pusher brings is read before identity', () => {
  test('a huge policy file and a keys/ flood: the hook reads the keys/ listing and no blob of the push', () => {
    const { clone, user } = newcomer('ursula');
    // 2,000 key files (one blob, many names) and a 4 MiB rule file: all the pushed policy's blobs.
    const junkKey = clone.ok(
      ['hash-object', '-w', '--stdin'],
      '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\njunk\n-----END PGP PUBLIC KEY BLOCK-----\n',
    );
    const files: Record<string, string | { oid: string }> = { 'refs/huge.conf': `# ${'h'.repeat(4 * MiB)}\n` };
    for (let i = 0; i < 2000; i++) files[`keys/${(0xa000000 + i).toString(16).toUpperCase().padStart(40, 'F')}.asc`] = { oid: junkKey };
    const commit = policyCommit(clone, files);
    const huge = clone.ok(['rev-parse', `${commit}:refs/huge.conf`]);
    const r = pushLogged(clone, `${commit}:${POLICY}`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected: push certificate is signed by key ${user.id} (key ID ${user.id.slice(-16)}), which no key file of the policy branch holds, and none of the 2,000 key files this push adds is named after it: a registration adds one key file, keys/<PRIMARY KEY FINGERPRINT>.asc, signed by that key`,
    ]);
    // The hook lists the types and sizes of what the push brought (`info`, cat-file --batch-check: no content is
    // read), to check those objects once the pusher is known. Contents it reads of the pushed policy: two trees
    // (root, keys/) to find keys/<signer>.asc, never a blob.
    const read = r.requests.filter((q) => q.startsWith('contents ')).join('\n');
    expect(read).not.toContain(junkKey);
    expect(read).not.toContain(huge);
    const pushedTree = clone.ok(['rev-parse', `${commit}^{tree}`]);
    const pushedKeys = clone.ok(['rev-parse', `${commit}:keys`]);
    expect(r.requests.filter((q) => q.startsWith('contents ') && (q.includes(pushedTree) || q.includes(pushedKeys))).sort()).toEqual(
      [`contents ${pushedKeys}`, `contents ${pushedTree}`].sort(),
    );
  });
});

describe('bounds on what the hook reads, each refused in one line', () => {
  test('an unregistered pusher’s policy commit larger than 1 MiB is not read', () => {
    const { clone } = newcomer('huge-message');
    const tip = clone.fetchRef(POLICY)!;
    const message = `register\n\n${'m'.repeat(2 * MiB)}\n`;
    const commit = clone.ok(['commit-tree', `${tip}^{tree}`, '-p', tip, '-F', '-'], message);
    const size = clone.ok(['cat-file', '-s', commit]);
    const r = pushLogged(clone, `${commit}:${POLICY}`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected: the pushed policy's commit is ${Number(size).toLocaleString('en-US')} bytes, more than 1 MiB (git-acl's limit, see docs/security.md#bounds-on-what-the-hook-reads)`,
    ]);
    expect(r.requests).toContain(`info ${commit}`);
    expect(r.requests).not.toContain(`contents ${commit}`);
  });

  test('the owner’s policy commit larger than 1 MiB is refused, not read', () => {
    const tip = owner.fetchRef(POLICY)!;
    const commit = owner.ok(['commit-tree', `${tip}^{tree}`, '-p', tip, '-F', '-'], `policy\n\n${'m'.repeat(2 * MiB)}\n`);
    const size = Number(owner.ok(['cat-file', '-s', commit])).toLocaleString('en-US');
    const r = owner.push(`${commit}:${POLICY}`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected: the policy commit ${commit.slice(0, 12)} is ${size} bytes, more than 1 MiB (git-acl's limit, see docs/security.md#bounds-on-what-the-hook-reads) (user ${forge.owner.id})`,
    ]);
    expect(forge.ref(POLICY)).toBe(tip);
  });

  test('a certificate larger than 4 MiB', () => {
    const cert = forge.serverBlob(`certificate version 0.1\n${'x'.repeat(5 * MiB)}\n`);
    const r = forge.runHook({ GIT_PUSH_CERT: cert, GIT_PUSH_CERT_NONCE_STATUS: 'OK' }, `${ZERO_OID} ${'1'.repeat(40)} refs/heads/x\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "git-acl: push rejected: the push certificate is 5,242,905 bytes, more than 4 MiB (git-acl's limit, see docs/security.md#bounds-on-what-the-hook-reads); push fewer refs at once\n",
    );
  });

  test('a rule file larger than 1 MiB in a pushed policy is a lint error of the pushed policy', () => {
    const commit = forge.policyFiles({ 'refs/big.conf': `# ${'b'.repeat(MiB)}\n` });
    const c = owner.commitTree(commit, [owner.fetchRef(POLICY)!], 'big');
    const r = owner.push(`${c}:${POLICY}`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${forge.owner.id}; no ref was changed`,
      'git-acl: the pushed policy has 1 error; fix it and push again',
      'git-acl: refs/big.conf:1:1: error: file is too large (1,048,579 bytes, limit 1 MiB); it is not read',
    ]);
  });

  test('a key file larger than 1 MiB in a pushed policy', () => {
    const id = 'C'.repeat(40);
    const files = forge.policyFiles({ [`keys/${id}.asc`]: `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${'k'.repeat(MiB)}\n` });
    const c = owner.commitTree(files, [owner.fetchRef(POLICY)!], 'big key');
    const r = owner.push(`${c}:${POLICY}`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected: keys/${id}.asc is 1,048,615 bytes; a key file holds at most 1 MiB (export a minimal key: gpg --export --armor --export-options export-minimal <FINGERPRINT>) (user ${forge.owner.id})`,
    ]);
  });
});
