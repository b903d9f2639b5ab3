/**
 * Runs one command (git, or gpg for the front ends) to completion. Used by
 * the front ends (init, config reads); the hot path keeps long-lived git
 * processes in cli-store instead.
 */
import { spawn } from 'node:child_process';

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface GitOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Uint8Array;
}

export function runGit(args: string[], opts: GitOptions = {}): Promise<GitResult> {
  return runCommand('git', args, opts);
}

/** Rejects only when the program cannot be started; a non-zero exit is in `code`. */
export function runCommand(cmd: string, args: string[], opts: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8').trim() }),
    );
    child.stdin.on('error', () => undefined); // git may exit before reading its input; the exit code says why
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs git and returns stdout as text; throws with git's own message on failure. */
export async function gitText(args: string[], opts: GitOptions = {}): Promise<string> {
  const r = await runGit(args, opts);
  if (r.code !== 0) {
    const why = r.stderr.split('\n').filter(Boolean).pop() ?? `exit ${r.code}`;
    throw new Error(`git ${args[0]} failed: ${why}`);
  }
  return r.stdout.toString('utf8');
}

/** Every value of the server's `acl.*` config keys, read in one git call. */
export async function readAclConfig(gitDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Map<string, string[]>> {
  const r = await runGit(['config', '-z', '--get-regexp', '^acl\\.'], { env: { ...env, GIT_DIR: gitDir } });
  const map = new Map<string, string[]>();
  if (r.code === 1) return map; // no acl.* key at all
  if (r.code !== 0) throw new Error(`cannot read git config: ${r.stderr || `exit ${r.code}`}`);
  for (const item of r.stdout.toString('utf8').split('\0')) {
    if (!item) continue;
    const nl = item.indexOf('\n');
    const key = (nl < 0 ? item : item.slice(0, nl)).toLowerCase();
    const value = nl < 0 ? '' : item.slice(nl + 1);
    map.set(key, [...(map.get(key) ?? []), value]);
  }
  return map;
}
