/**
 * Real signed pushes for the identity tests: a bare server repo with
 * `receive.certNonceSeed` and a pre-receive hook that captures the push
 * certificate, the GIT_PUSH_CERT* environment and stdin, then rejects (or
 * accepts) the push.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePushCert } from '../../src/identity/index.js';
import type { GpgHome } from '../support/gpg.js';

export interface Captured {
  /** The certificate blob, exactly as git stored it; undefined for an unsigned push. */
  cert?: string;
  certBytes?: Uint8Array;
  env: Record<string, string>;
  stdin: string;
  /** The push's exit status and stderr. */
  status: number;
  stderr: string;
}

export interface PushRig {
  server: string;
  client: string;
  dir: string;
  /** Make a new commit on the client's main and push it (signed unless `signed: false`). */
  push(opts?: {
    signed?: boolean;
    signingKey?: string;
    options?: string[];
    refspecs?: string[];
    commit?: boolean;
    config?: Record<string, string>;
    /** One more refspec, as a printf(1) format: for ref names that are not UTF-8 (e.g. `main:refs/heads/caf\\351`). */
    printfRefspec?: string;
  }): Captured;
  cleanup(): void;
}

const HOOK = `#!/bin/sh
out="$CAPTURE_DIR"
rm -f "$out"/cert "$out"/env "$out"/stdin
cat > "$out/stdin"
env | grep '^GIT_PUSH_CERT' > "$out/env" || true
if [ -n "$GIT_PUSH_CERT" ]; then git cat-file blob "$GIT_PUSH_CERT" > "$out/cert"; fi
exit "\${HOOK_EXIT:-1}"
`;

function git(cwd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function makePushRig(home: GpgHome, signingKey: string): PushRig {
  const dir = fs.mkdtempSync('/tmp/p');
  const server = path.join(dir, 'server.git');
  const client = path.join(dir, 'client');
  const capture = path.join(dir, 'capture');
  fs.mkdirSync(capture);
  const env: NodeJS.ProcessEnv = {
    ...home.env,
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: dir,
    GIT_AUTHOR_NAME: 'T',
    GIT_AUTHOR_EMAIL: 't@example.org',
    GIT_COMMITTER_NAME: 'T',
    GIT_COMMITTER_EMAIL: 't@example.org',
    CAPTURE_DIR: capture,
  };
  git(dir, ['init', '-q', '--bare', '-b', 'main', server], env);
  git(server, ['config', 'receive.certNonceSeed', 'test-seed'], env);
  // The server's own gpg is not used by git-acl; keep it out of the way.
  git(server, ['config', 'gpg.program', 'true'], env);
  git(server, ['config', 'receive.advertisePushOptions', 'true'], env);
  fs.writeFileSync(path.join(server, 'hooks', 'pre-receive'), HOOK, { mode: 0o755 });
  git(dir, ['init', '-q', '-b', 'main', client], env);
  git(client, ['config', 'user.signingkey', signingKey], env);
  git(client, ['remote', 'add', 'origin', server], env);
  let n = 0;
  return {
    server,
    client,
    dir,
    push(opts = {}) {
      if (opts.commit !== false) {
        n++;
        fs.writeFileSync(path.join(client, `f${n}.txt`), `${n}\n`);
        git(client, ['add', '.'], env);
        git(client, ['commit', '-q', '-m', `c${n}`], env);
      }
      const args = ['push', '--porcelain'];
      if (opts.signed !== false) args.push('--signed');
      for (const o of opts.options ?? []) args.push('-o', o);
      args.push('origin', ...(opts.refspecs ?? ['main']));
      const pushEnv = { ...env, HOOK_EXIT: '1' };
      const extra = { ...(opts.config ?? {}), ...(opts.signingKey ? { 'user.signingkey': opts.signingKey } : {}) };
      const cmd = [...Object.entries(extra).flatMap(([k, v]) => ['-c', `${k}=${v}`]), ...args];
      const r = opts.printfRefspec
        ? spawnSync('sh', ['-c', 'exec git "$@" "$(printf "$RAW_REFSPEC")"', 'sh', ...cmd], {
            cwd: client,
            env: { ...pushEnv, RAW_REFSPEC: opts.printfRefspec },
            encoding: 'utf8',
          })
        : spawnSync('git', cmd, { cwd: client, env: pushEnv, encoding: 'utf8' });
      const read = (f: string) => {
        const p = path.join(capture, f);
        return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined;
      };
      const envText = read('env') ?? '';
      const envVars: Record<string, string> = {};
      for (const line of envText.split('\n')) {
        const i = line.indexOf('=');
        if (i > 0) envVars[line.slice(0, i)] = line.slice(i + 1);
      }
      const cert = read('cert');
      const certPath = path.join(capture, 'cert');
      const certBytes = fs.existsSync(certPath) ? new Uint8Array(fs.readFileSync(certPath)) : undefined;
      return {
        ...(cert !== undefined ? { cert } : {}),
        ...(certBytes ? { certBytes } : {}),
        env: envVars,
        stdin: read('stdin') ?? '',
        status: r.status ?? -1,
        stderr: r.stderr,
      };
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The signed text of a real push certificate: one real `git push --signed` by `signingKey` from `home`, for tests
 * that then make gpg's own signatures over it.
 */
export function realCertPayload(home: GpgHome, signingKey: string): string {
  const rig = makePushRig(home, signingKey);
  try {
    const c = rig.push();
    if (!c.cert) throw new Error(`no certificate: ${c.stderr}`);
    return parsePushCert(c.cert).payload;
  } finally {
    rig.cleanup();
  }
}
