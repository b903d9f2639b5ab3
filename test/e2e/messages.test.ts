/**
 * The reason a pusher reads is the real one (issue 8 point 6): a repository
 * whose path holds `:`, a signed push whose certificate git could not store,
 * a certificate git stored but that cannot be read, a config git cannot
 * read, a corrupt object. Each is a real push or the installed hook run as
 * receive-pack runs it, with the exact line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, ZERO_OID, type Clone } from '../support/forge.js';

describe('a server repository whose path holds a colon', () => {
  let forge: Forge;
  beforeAll(() => {
    forge = Forge.create({ bareName: 'srv:colon/server.git' });
  });
  afterAll(() => forge?.cleanup());

  test('pushes are judged and land (git quotes the quarantine alternates; the store keeps them quoted)', () => {
    expect(forge.bare).toContain(':');
    const owner = forge.clone('owner');
    const c = owner.commitTree({ 'a.txt': 'a\n' }, [], 'a');
    const r = owner.push(`${c}:refs/heads/main`);
    expect(r.remote).toEqual([]);
    expect(r.code).toBe(0);
    expect(forge.ref('refs/heads/main')).toBe(c);
  });
});

describe('messages that say what is wrong', () => {
  let forge: Forge;
  let owner: Clone;
  let n = 0;
  beforeAll(() => {
    forge = Forge.create();
    owner = forge.clone('owner');
  });
  afterAll(() => forge?.cleanup());

  /** A real certificate env for the hook: GIT_PUSH_CERT as given, a nonce git would have called OK. */
  const hookEnv = (cert: string) => ({ GIT_PUSH_CERT: cert, GIT_PUSH_CERT_NONCE: '1-abc', GIT_PUSH_CERT_NONCE_STATUS: 'OK' });
  const stdin = `${ZERO_OID} ${'1'.repeat(40)} refs/heads/x\n`;

  test('a signed push whose certificate git could not store is not called unsigned', () => {
    // Every objects/<xx> of the repository is a file: git can write no loose object there (as on a full disk),
    // while the push's own objects go to its quarantine.
    const objects = path.join(forge.bare, 'objects');
    forge.server(['repack', '-adq']);
    forge.server(['prune-packed']);
    const made: string[] = [];
    for (let i = 0; i < 256; i++) {
      const xx = path.join(objects, i.toString(16).padStart(2, '0'));
      fs.rmSync(xx, { recursive: true, force: true });
      fs.writeFileSync(xx, '');
      made.push(xx);
    }
    try {
      const c = owner.commitTree({ 'f.txt': `${++n}\n` }, [], 'f');
      const r = owner.push(`${c}:refs/heads/full`);
      expect(r.code).not.toBe(0);
      expect(r.remote).toHaveLength(1);
      expect(r.remote[0]).toMatch(
        new RegExp(
          `^git-acl: push rejected: git passed no push certificate to this hook, and the server cannot write to its object store \\(${objects}/[0-9a-f]{2}: (EEXIST|ENOTDIR)\\): if the push was signed, git could not store its certificate \\(a full disk or a read-only repository\\); the server admin must fix it$`,
        ),
      );
    } finally {
      for (const f of made) fs.rmSync(f);
    }
    // Unsigned on a healthy server: the unsigned message, as before.
    const c = owner.commitTree({ 'f.txt': `${++n}\n` }, [], 'f');
    expect(owner.pushUnsigned(`${c}:refs/heads/full`).remote[0]).toMatch(
      /^git-acl: push rejected: unsigned push: this server accepts only signed pushes; /,
    );
  });

  test('a certificate git stored that cannot be read: missing, then corrupt', () => {
    const missing = 'ab'.repeat(20);
    const r = forge.runHook(hookEnv(missing), stdin);
    expect(r.stderr).toBe(
      `git-acl: push rejected: git stored this push's certificate as ${missing} but it cannot be read: object ${missing} not found; the server admin must check the repository\n`,
    );
    const cert = forge.serverBlob(`certificate version 0.1\nunique ${Date.now()}\n`);
    const file = path.join(forge.bare, 'objects', cert.slice(0, 2), cert.slice(2));
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, 'garbage');
    try {
      const r2 = forge.runHook(hookEnv(cert), stdin);
      expect(r2.stderr).toBe(
        `git-acl: push rejected: git stored this push's certificate as ${cert} but it cannot be read: object ${cert} is corrupt: git cannot read its file objects/${cert.slice(0, 2)}/${cert.slice(2)}; the server admin must check the repository\n`,
      );
    } finally {
      fs.rmSync(file);
    }
  });

  test('a config git cannot read is not "acl.owner is not set"', () => {
    const config = path.join(forge.bare, 'config');
    const saved = fs.readFileSync(config);
    try {
      fs.rmSync(config);
      fs.symlinkSync(path.join(forge.root, 'no-such-config'), config);
      expect(forge.runHook(hookEnv('ab'.repeat(20)), stdin).stderr).toBe(
        "git-acl: push rejected: cannot read the repository's git config (config: ENOENT); the server admin must check the repository\n",
      );
      fs.rmSync(config);
      fs.mkdirSync(config);
      expect(forge.runHook(hookEnv('ab'.repeat(20)), stdin).stderr).toBe(
        "git-acl: push rejected: cannot read git config: warning: unable to access 'config': Is a directory\n",
      );
    } finally {
      fs.rmSync(config, { recursive: true, force: true });
      fs.writeFileSync(config, saved);
    }
    // The real "not set" still says so.
    forge.server(['config', '--unset', 'acl.owner']);
    try {
      expect(forge.runHook(hookEnv('ab'.repeat(20)), stdin).stderr).toBe(
        'git-acl: push rejected: acl.owner is not set on the server; run `git acl init`\n',
      );
    } finally {
      forge.server(['config', 'acl.owner', forge.owner.id]);
    }
  });

  test('a corrupt object of the policy is reported as corrupt, not as not found', () => {
    // A policy pushed now: its new objects arrive loose (a small push is unpacked), the only copy git has.
    forge.setPolicy({ 'groups/fresh.conf': `${forge.owner.id}\n# ${Date.now()}\n` });
    const blob = forge.server(['rev-parse', 'refs/heads/apps/access-control:groups/fresh.conf']).stdout.trim();
    const file = path.join(forge.bare, 'objects', blob.slice(0, 2), blob.slice(2));
    const saved = fs.readFileSync(file);
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, 'garbage');
    try {
      const c = owner.commitTree({ 'f.txt': `${++n}\n` }, [], 'f');
      const r = owner.push(`${c}:refs/heads/corrupt`);
      expect(r.code).not.toBe(0);
      expect(r.remote).toEqual([`git-acl: push rejected: object ${blob} is corrupt: git cannot read its file ${file}`]);
    } finally {
      fs.writeFileSync(file, saved);
    }
  });
});
