/**
 * A throwaway forge for end-to-end tests: a bare repository made a git-acl
 * server by `git acl init`, real gpg keys, and clones that push with
 * `git push --signed` through the installed hook. Nothing here is mocked.
 *
 * All users' keys live in one gpg home (one agent per forge); each clone signs
 * as its own user through `user.signingkey`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { genKey, makeGpgHome, type GpgHome, type GpgKey } from './gpg.js';
import { CLI, REPO_ROOT, run, withoutGitVars, ZERO_OID, type RunResult } from './env.js';

export { CLI, REPO_ROOT, run, ZERO_OID, type RunResult };

export type Entry = string | { mode: '100644' | '100755' | '120000' | '160000'; content?: string; oid?: string };

export interface ForgeUser {
  name: string;
  key: GpgKey;
  /** The user ID: the primary key's fingerprint. */
  id: string;
}

export interface PushResult extends RunResult {
  /** What the hook said: stderr lines that git prefixed with `remote: `, prefix removed. */
  remote: string[];
}

export class Clone {
  constructor(
    readonly forge: Forge,
    readonly dir: string,
    readonly user: ForgeUser,
  ) {}

  git(args: string[], input?: string): RunResult {
    return run('git', args, { cwd: this.dir, env: this.forge.env, input });
  }

  /** Runs git and throws with its stderr on failure. */
  ok(args: string[], input?: string): string {
    const r = this.git(args, input);
    if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout.trim();
  }

  write(file: string, content: string, mode?: number): this {
    const full = path.join(this.dir, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
    if (mode !== undefined) fs.chmodSync(full, mode);
    return this;
  }

  symlink(target: string, file: string): this {
    const full = path.join(this.dir, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.rmSync(full, { force: true });
    fs.symlinkSync(target, full);
    return this;
  }

  remove(file: string): this {
    fs.rmSync(path.join(this.dir, file), { recursive: true, force: true });
    return this;
  }

  /** Stages everything and commits; returns the new commit id. */
  commit(message: string): string {
    this.ok(['add', '-A']);
    this.ok(['commit', '-q', '--allow-empty', '-m', message]);
    return this.ok(['rev-parse', 'HEAD']);
  }

  checkout(branch: string, opts: { create?: boolean; orphan?: boolean } = {}): this {
    if (opts.orphan) {
      this.ok(['checkout', '-q', '--orphan', branch]);
      this.ok(['rm', '-rfq', '--ignore-unmatch', '.']);
    } else this.ok(['checkout', '-q', ...(opts.create ? ['-b'] : []), branch]);
    return this;
  }

  /**
   * Writes a commit whose tree is exactly `entries` (path → content, or a mode
   * with content or an object id for gitlinks), without touching the work tree.
   */
  commitTree(entries: Record<string, Entry>, parents: string[] = [], message = 'commit'): string {
    const index = path.join(this.forge.root, `index-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const env = { ...this.forge.env, GIT_INDEX_FILE: index };
    try {
      for (const [file, entry] of Object.entries(entries)) {
        const e = typeof entry === 'string' ? { mode: '100644' as const, content: entry } : entry;
        const oid = e.oid ?? this.ok(['hash-object', '-w', '--stdin'], e.content ?? '');
        const r = run('git', ['update-index', '--add', '--cacheinfo', `${e.mode},${oid},${file}`], { cwd: this.dir, env });
        if (r.code !== 0) throw new Error(`update-index ${file}: ${r.stderr}`);
      }
      const tree = run('git', ['write-tree'], { cwd: this.dir, env }).stdout.trim();
      return this.ok(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message]);
    } finally {
      fs.rmSync(index, { force: true });
    }
  }

  /** Fetches and returns the server's oid of a ref (null when absent). */
  fetchRef(ref: string): string | null {
    this.ok(['fetch', '-q', 'origin', '+refs/*:refs/remotes/origin-all/*']);
    const r = this.git(['rev-parse', '--verify', '--quiet', `refs/remotes/origin-all/${ref.replace(/^refs\//, '')}`]);
    return r.code === 0 ? r.stdout.trim() : null;
  }

  /** `git push --signed origin <args>`; never throws. */
  push(...args: string[]): PushResult {
    const r = this.git(['push', '--signed', '--porcelain', 'origin', ...args]);
    return { ...r, remote: remoteLines(r.stderr) };
  }

  /** `git push --signed origin <args>` without waiting for it, with `env` added to the forge's; never rejects for a refused push. */
  pushAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<PushResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', ['push', '--signed', '--porcelain', 'origin', ...args], {
        cwd: this.dir,
        env: { ...this.forge.env, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, remote: remoteLines(stderr) }));
    });
  }

  /** A push without a certificate. */
  pushUnsigned(...args: string[]): PushResult {
    const r = this.git(['push', '--no-signed', '--porcelain', 'origin', ...args]);
    return { ...r, remote: remoteLines(r.stderr) };
  }

  /** The oid a ref has on the server, or null. */
  remoteRef(ref: string): string | null {
    return this.forge.ref(ref);
  }
}

export class Forge {
  readonly root: string;
  readonly bare: string;
  readonly gpgHome: GpgHome;
  readonly env: NodeJS.ProcessEnv;
  readonly users = new Map<string, ForgeUser>();
  owner!: ForgeUser;
  private clones = 0;

  /** `bareName`: the server repository's path under the forge's root (default `server.git`). */
  constructor(bareName = 'server.git') {
    this.root = fs.mkdtempSync('/tmp/forge-');
    this.bare = path.join(this.root, bareName);
    this.gpgHome = makeGpgHome();
    const env = withoutGitVars(this.gpgHome.env);
    this.env = {
      ...env,
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: this.root,
      GIT_AUTHOR_NAME: 'Forge Test',
      GIT_AUTHOR_EMAIL: 'test@example.org',
      GIT_COMMITTER_NAME: 'Forge Test',
      GIT_COMMITTER_EMAIL: 'test@example.org',
      // Fixed dates make commits deterministic: every clone that writes the same tree gets the same commit id.
      GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
      NO_COLOR: '1',
      // `GIT_ACL_TEST_HOOK_START=plain npm test` runs every push through the hooks' plain ES-module start
      // (`bundle`: the bundle without its code cache) instead of the shipped one; see test/e2e/hook-start.test.ts.
      ...(process.env.GIT_ACL_TEST_HOOK_START ? { GIT_ACL_HOOK_START: process.env.GIT_ACL_TEST_HOOK_START } : {}),
    };
    fs.writeFileSync(path.join(this.root, '.gitconfig'), '[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');
  }

  /** Creates the bare repository, the owner's key, and runs `git acl init` through the real binary. */
  /** The git-acl binary this forge runs (`init` names its install in the hooks). */
  cli = CLI;

  /** `cli`: another install of git-acl than this worktree's (a copy, see hook-start.test.ts). */
  static create(opts: { presets?: string[]; users?: string[]; cli?: string; bareName?: string } = {}): Forge {
    const forge = new Forge(opts.bareName);
    if (opts.cli) forge.cli = opts.cli;
    forge.owner = forge.addUser('owner');
    for (const u of opts.users ?? []) forge.addUser(u);
    fs.mkdirSync(path.dirname(forge.bare), { recursive: true });
    forge.sh('git', ['init', '-q', '--bare', forge.bare]);
    const keyFile = path.join(forge.root, 'owner.asc');
    fs.writeFileSync(keyFile, forge.owner.key.publicArmored);
    const presets = (opts.presets ?? []).flatMap((p) => ['--preset', p]);
    const r = forge.acl(['init', forge.bare, '--owner-key', keyFile, ...presets]);
    if (r.code !== 0) throw new Error(`git acl init failed: ${r.stderr}${r.stdout}`);
    return forge;
  }

  addUser(name: string, opts: { signingSubkey?: boolean } = {}): ForgeUser {
    const key = genKey(this.gpgHome, name, opts);
    const user = { name, key, id: key.fingerprint };
    this.users.set(name, user);
    return user;
  }

  user(name: string): ForgeUser {
    const u = this.users.get(name);
    if (!u) throw new Error(`no user ${name}`);
    return u;
  }

  /** The files of `policies/<preset>/` (README files left out), keyed by their path on the policy branch. */
  static presetFiles(preset: string): Record<string, string> {
    const root = path.join(REPO_ROOT, 'policies', preset);
    const out: Record<string, string> = {};
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else if (!/^readme/i.test(e.name)) out[path.relative(root, full)] = fs.readFileSync(full, 'utf8');
      }
    };
    walk(root);
    return out;
  }

  /** The default policy plus every user's key file and the owner file, plus `extra` (a null value leaves a file out). */
  policyFiles(extra: Record<string, string | null> = {}): Record<string, string> {
    const files: Record<string, string | null> = { ...Forge.presetFiles('default') };
    for (const u of this.users.values()) files[`keys/${u.id}.asc`] = u.key.publicArmored;
    files.owner = `${this.owner.id}\n`; // the owner file `git acl init` writes; a policy push must keep it
    Object.assign(files, extra);
    return Object.fromEntries(Object.entries(files).filter((e): e is [string, string] => e[1] !== null));
  }

  /** The owner pushes a new policy commit (default + keys + `extra`) on top of the current one. Throws if rejected. */
  setPolicy(extra: Record<string, string | null> = {}): string {
    const c = (this.ownerClone ??= this.clone(this.owner));
    const tip = c.fetchRef('refs/heads/apps/access-control');
    const commit = c.commitTree(this.policyFiles(extra), tip ? [tip] : [], 'policy');
    const r = c.push(`${commit}:refs/heads/apps/access-control`);
    if (r.code !== 0) throw new Error(`policy push rejected: ${r.remote.join('\n')}`);
    return commit;
  }

  private ownerClone?: Clone;

  /** A fresh clone of the server that signs as `user`. */
  clone(user: ForgeUser | string): Clone {
    const u = typeof user === 'string' ? this.user(user) : user;
    const dir = path.join(this.root, `clone-${u.name}-${++this.clones}`);
    this.sh('git', ['clone', '-q', this.bare, dir]);
    const c = new Clone(this, dir, u);
    c.ok(['config', 'user.signingkey', u.id]);
    c.ok(['config', 'user.name', u.name]);
    c.ok(['config', 'user.email', `${u.name}@example.org`]);
    return c;
  }

  /** Runs the real `git-acl` binary. */
  acl(args: string[], opts: { cwd?: string; input?: string } = {}): RunResult {
    return run(process.execPath, [this.cli, ...args], { cwd: opts.cwd ?? this.root, env: this.env, input: opts.input });
  }

  /** Runs a git command against the server repository. */
  server(args: string[], input?: string): RunResult {
    return run('git', ['--git-dir', this.bare, ...args], { env: this.env, input });
  }

  /** Writes a blob straight into the server's object store. */
  serverBlob(content: string): string {
    return this.server(['hash-object', '-w', '--stdin'], content).stdout.trim();
  }

  /**
   * Runs the installed pre-receive hook directly, the way receive-pack would,
   * with `env` added (for states a well-behaved client cannot produce, such as
   * a BAD nonce or a corrupt certificate).
   */
  runHook(env: NodeJS.ProcessEnv, stdin: string): RunResult {
    return run(path.join(this.bare, 'hooks', 'pre-receive'), [], {
      cwd: this.bare,
      env: { ...this.env, GIT_DIR: '.', ...env },
      input: stdin,
    });
  }

  /** The push certificates the server has stored (receive-pack writes each one as a blob), in no particular order. */
  certificates(): Array<{ oid: string; text: string }> {
    const all = this.server(['cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)']).stdout;
    const out: Array<{ oid: string; text: string }> = [];
    for (const line of all.split('\n')) {
      const [oid, type] = line.split(' ');
      if (type !== 'blob' || !oid) continue;
      const text = this.server(['cat-file', 'blob', oid]).stdout;
      if (text.startsWith('certificate version 0.1\n')) out.push({ oid, text });
    }
    return out;
  }

  ref(ref: string): string | null {
    const r = this.server(['rev-parse', '--verify', '--quiet', ref]);
    return r.code === 0 ? r.stdout.trim() : null;
  }

  /** Every ref on the server with its oid, to assert that a rejected push changed nothing. */
  refs(): Record<string, string> {
    const out = this.server(['for-each-ref', '--format=%(refname) %(objectname)']).stdout;
    return Object.fromEntries(
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]),
    );
  }

  sh(cmd: string, args: string[], cwd = this.root): string {
    const r = run(cmd, args, { cwd, env: this.env });
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  cleanup(): void {
    this.gpgHome.cleanup();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export function remoteLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('remote: '))
    .map((l) => l.slice('remote: '.length).trimEnd())
    .filter((l) => l.length > 0);
}
