/**
 * docs/server.md, "HTTP (git http-backend)": over stateless HTTP the nonce is
 * issued and checked by two different receive-pack processes. git derives the
 * nonce from the time in seconds, so a push that completes within the second
 * of the ref advertisement happens to match; any slower push is SLOP (and the
 * hook rejects it) unless receive.certNonceSlop is set. With it, signed pushes
 * over HTTP go through the hook as usual.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Forge, REPO_ROOT, type Clone } from '../support/forge.js';

const BRIDGE = path.join(REPO_ROOT, 'test/support/http-backend.mjs');

let forge: Forge;
let server: ChildProcess;
let url: string;

async function startServer(root: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [BRIDGE, root], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`http bridge exited (${code})`)));
  });
  return { child, port };
}

/**
 * A clone that pushes over HTTP. `slow` adds a pre-push hook that sleeps 2 s:
 * it runs after the server advertised its refs (and its nonce) and before the
 * certificate goes out, so the push lands in a later second than the nonce.
 */
function httpClone(user: string, opts: { slow?: boolean } = {}): Clone {
  const c = forge.clone(user);
  c.ok(['remote', 'set-url', 'origin', url]);
  if (opts.slow) c.write('.git/hooks/pre-push', '#!/bin/sh\nsleep 2\n', 0o755);
  return c;
}

describe('signed pushes over stateless HTTP', () => {
  beforeAll(async () => {
    forge = Forge.create({ presets: ['per-user-branches'] });
    forge.server(['config', 'http.receivepack', 'true']);
    const s = await startServer(forge.root, forge.env);
    server = s.child;
    url = `http://127.0.0.1:${s.port}/server.git`;
  });

  afterAll(() => {
    server?.kill('SIGTERM');
    forge?.cleanup();
  });

  test('without receive.certNonceSlop a signed HTTP push that outlasts its second is rejected: the nonce is SLOP', () => {
    const c = httpClone(forge.owner.name, { slow: true });
    c.write('README.md', 'hello\n');
    c.commit('first');
    const r = c.push('HEAD:refs/heads/main');
    expect(r.code).not.toBe(0);
    // The message names the fix, which is the server's, not the pusher's.
    expect(r.remote).toContain(
      "git-acl: push rejected: push certificate nonce is SLOP: the server issued it in an earlier second than it checked it (usual over HTTP, where the push is a second request), and pushing again may fail the same way; the server's admin must set receive.certNonceSlop (git config receive.certNonceSlop 120 in the server's repository)",
    );
    expect(forge.ref('refs/heads/main')).toBeNull();
  });

  test('with receive.certNonceSlop the push is judged as usual: allowed and denied', () => {
    forge.server(['config', 'receive.certNonceSlop', '120']);
    const c = httpClone(forge.owner.name, { slow: true });
    c.write('README.md', 'hello\n');
    const head = c.commit('first');
    const r = c.push('HEAD:refs/heads/main');
    expect(r.code, r.stderr).toBe(0);
    expect(forge.ref('refs/heads/main')).toBe(head);

    // A user without a registered key is still refused, by the hook.
    forge.addUser('mallory');
    const m = httpClone('mallory');
    m.ok(['fetch', '-q', 'origin']);
    m.ok(['checkout', '-q', '-B', 'x', 'origin/main']);
    m.write('x.txt', 'x\n');
    m.commit('x');
    const before = forge.refs();
    const denied = m.push(`HEAD:refs/heads/${m.user.id}/x`);
    expect(denied.code).not.toBe(0);
    expect(denied.remote.join('\n')).toMatch(/git-acl: push rejected/);
    expect(forge.refs()).toEqual(before);
  });

  test('an unsigned push over HTTP is rejected with how to sign', () => {
    const c = httpClone(forge.owner.name);
    c.ok(['fetch', '-q', 'origin']);
    c.ok(['checkout', '-q', '-B', 'main', 'origin/main']);
    c.write('b.txt', 'b\n');
    c.commit('b');
    const r = c.pushUnsigned('HEAD:refs/heads/main');
    expect(r.code).not.toBe(0);
    expect(r.remote.join('\n')).toMatch(/git push --signed/);
  });
});
