/**
 * Failing closed (docs/reference.md#failing-closed): whatever breaks on the server, the push is
 * rejected with one line and every ref stays as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Forge, ZERO_OID, type Clone } from '../support/forge.js';
import { runPreReceive } from '../../src/server/pre-receive.js';

let forge: Forge;
let owner: Clone;
let goodPolicy: string;
let n = 0;

beforeAll(() => {
  forge = Forge.create();
  owner = forge.clone('owner');
  goodPolicy = forge.ref('refs/heads/apps/access-control')!;
});
beforeEach(() => {
  // Each test breaks the server in its own way; start from the good policy.
  forge.server(['update-ref', 'refs/heads/apps/access-control', goodPolicy]);
});
afterAll(() => forge?.cleanup());

/** An owner push that the default policy allows, so only the fault can reject it. */
function ownerPush(): { code: number; remote: string[]; ref: string } {
  const ref = `refs/heads/b${++n}`;
  const c = owner.commitTree({ 'f.txt': `${n}\n` }, [], `c${n}`);
  const before = forge.refs();
  const r = owner.push(`${c}:${ref}`);
  expect(forge.refs()).toEqual(before);
  return { code: r.code, remote: r.remote, ref };
}

/** Writes a policy commit straight into the server (bypassing the hook, as a broken server might have it). */
function serverPolicy(files: Record<string, string>): string {
  const c = owner.commitTree(files, [], 'server-side policy');
  owner.ok(['push', '--no-verify', '--no-signed', forge.bare, `${c}:refs/heads/fault-staging`]).toString();
  return c;
}

describe('a broken server rejects every push', () => {
  test('sanity: the same push is accepted on a healthy server', () => {
    const c = owner.commitTree({ 'f.txt': 'healthy\n' }, [], 'healthy');
    expect(owner.push(`${c}:refs/heads/healthy`).remote).toEqual([]);
  });

  test('missing policy branch', () => {
    forge.server(['update-ref', '-d', 'refs/heads/apps/access-control']);
    const r = ownerPush();
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      'git-acl: push rejected: the server has no policy branch refs/heads/apps/access-control; run `git acl init`',
    ]);
  });

  test('unparseable policy branch', () => {
    const bad = forge.policyFiles({ 'refs/owner.conf': 'owner fast-foward ^.*$\n' });
    forge.server(['update-ref', 'refs/heads/apps/access-control', stage(bad)]);
    const r = ownerPush();
    expect(r.remote).toEqual([
      "git-acl: push rejected: the policy on refs/heads/apps/access-control is broken (1 error, first: refs/owner.conf:1:7: error: unknown operation 'fast-foward'; did you mean 'fast-forward'?); the owner must fix it",
    ]);
  });

  test("missing key file (the owner's key removed from the policy branch)", () => {
    forge.server(['update-ref', 'refs/heads/apps/access-control', stage(forge.policyFiles({ [`keys/${forge.owner.id}.asc`]: null }))]);
    const r = ownerPush();
    expect(r.remote).toHaveLength(1);
    // The policy records the owner, whose key is gone: the policy itself is broken, and says why.
    expect(r.remote[0]).toBe(
      `git-acl: push rejected: the policy on refs/heads/apps/access-control is broken (1 error, first: owner:1:1: error: the owner ${forge.owner.id} has no key file keys/${forge.owner.id}.asc: the owner could not sign a push); the owner must fix it`,
    );
  });

  test('an object that cannot be read (a policy blob missing from the store)', () => {
    const files = forge.policyFiles({ 'groups/extra.conf': `${forge.owner.id}\n# unique ${Date.now()}\n` });
    const commit = stage(files);
    forge.server(['update-ref', 'refs/heads/apps/access-control', commit]);
    const blob = forge.server(['rev-parse', `${commit}:groups/extra.conf`]).stdout.trim();
    fs.rmSync(path.join(forge.bare, 'objects', blob.slice(0, 2), blob.slice(2)));
    const r = ownerPush();
    expect(r.code).not.toBe(0);
    expect(r.remote).toHaveLength(1);
    expect(r.remote[0]).toMatch(/^git-acl: push rejected: .*(missing|cannot read|could not read|not found).*/i);
    expect(r.remote[0]).toContain(blob);
  });

  test('acl.owner missing from the server config', () => {
    forge.server(['config', '--unset', 'acl.owner']);
    try {
      const r = ownerPush();
      expect(r.remote).toEqual(['git-acl: push rejected: acl.owner is not set on the server; run `git acl init`']);
    } finally {
      forge.server(['config', 'acl.owner', forge.owner.id]);
    }
  });
});

describe('faults inside the hook', () => {
  /** A real certificate of a real accepted push, replayed in-process against the same server. */
  let captures = 0;
  function capture(): { env: Record<string, string>; stdin: Uint8Array } {
    // A commit of its own each time: the same push repeated within one second is byte for byte a replay, and refused.
    const c = owner.commitTree({ 'f.txt': `captured ${++captures}\n` }, [], 'captured');
    const pushed = owner.push(`${c}:refs/heads/captured`);
    expect(pushed.code, pushed.stderr).toBe(0);
    const cert = forge.certificates().find((x) => x.text.includes(` ${c} refs/heads/captured\n`))!;
    const nonce = /^nonce (.*)$/m.exec(cert.text)![1]!;
    forge.server(['update-ref', '-d', 'refs/heads/captured']);
    return {
      env: {
        ...(forge.env as Record<string, string>),
        GIT_PUSH_CERT: cert.oid,
        GIT_PUSH_CERT_NONCE: nonce,
        GIT_PUSH_CERT_NONCE_STATUS: 'OK',
      },
      stdin: new TextEncoder().encode(`${ZERO_OID} ${c} refs/heads/captured\n`),
    };
  }

  test('an exception inside evaluation rejects with one line', async () => {
    const { env, stdin } = capture();
    // Judged only (pushLog: false): in the log this certificate is already used, and replaying it is refused.
    const healthy = await runPreReceive({ gitDir: forge.bare, env, stdin, pushLog: false });
    expect(healthy).toMatchObject({ accepted: true, lines: [] });
    const r = await runPreReceive({
      gitDir: forge.bare,
      env,
      stdin,
      judge: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'ops')");
      },
    });
    expect(r.accepted).toBe(false);
    expect(r.lines).toEqual([`git-acl: push rejected: Cannot read properties of undefined (reading 'ops') (user ${forge.owner.id})`]);
  });

  test('a pushed object that does not exist rejects with one line', async () => {
    const { env } = capture();
    const r = forge.runHook(env, `${ZERO_OID} ${'ab'.repeat(20)} refs/heads/captured\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `git-acl: push rejected: ref update not in the signed push certificate: ${ZERO_OID} ${'ab'.repeat(20)} refs/heads/captured\n`,
    );
  });

  test('no command on stdin rejects with one line (git never runs pre-receive without one)', () => {
    for (const stdin of ['', '\n']) {
      const r = forge.runHook({ GIT_PUSH_CERT: 'x', GIT_PUSH_CERT_NONCE_STATUS: 'OK' }, stdin);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'git-acl: push rejected: git passed this hook no ref update to judge; the server admin must check how the hook is run\n',
      );
    }
  });

  test('garbage on stdin rejects with one line', () => {
    const r = forge.runHook({ GIT_PUSH_CERT: 'x', GIT_PUSH_CERT_NONCE_STATUS: 'OK' }, 'this is not an update line\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('git-acl: push rejected: unexpected line on the hook\'s stdin: "this is not an update line"\n');
  });
});

/** Puts a policy commit with exactly `files` into the server's object store and returns it. */
function stage(files: Record<string, string>): string {
  const c = owner.commitTree(files, [], `policy ${++n}`);
  const r = owner.git(['push', '--no-verify', '--no-signed', forge.bare, `${c}:refs/staging/${n}`]);
  // The hook rejects refs/staging/* (unsigned); fetch the objects in through a side door instead.
  if (r.code !== 0) forge.sh('git', ['--git-dir', forge.bare, 'fetch', '-q', owner.dir, `${c}:refs/staging/${n}`]);
  forge.server(['update-ref', '-d', `refs/staging/${n}`]);
  return c;
}
void serverPolicy;
