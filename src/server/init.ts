/**
 * `git acl init <bare-repo> --owner-key <key.asc> [--preset <name>]...`
 *
 * Makes a bare repository a git-acl server: the pre-receive hook, a random
 * push-certificate nonce seed, git's own object checks on pushes
 * (receive.fsckObjects), no gpg run by git on certificates (git-signature-check.ts), the owner, and the policy branch. Safe to run
 * again: it reports what it changed and never rewrites an existing policy
 * branch (policy changes go through signed pushes, like everything else).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { gitText, runGit, succeeded } from '../git/exec.js';
import { POLICY_REF } from '../git/policy-files.js';
import { ZERO_OID } from '../git/objects.js';
import { keyFilePath } from '../core/ids.js';
import { OWNER_FILE } from '../core/owner.js';
import { POLICIES_DIR } from '../package-root.js';
import { installHook, warmHookCache } from './hook-template.js';
import { commitFiles, openBareRepo, readOwnerKey } from './setup-common.js';
import { quietGitSignatureCheck } from './git-signature-check.js';

export interface InitOptions {
  repo: string;
  ownerKeyFile: string;
  presets?: string[];
}

export interface InitResult {
  owner: string;
  /** Human-readable lines: one per thing done or left alone. */
  changes: string[];
}

export class InitError extends Error {}

export async function init(opts: InitOptions): Promise<InitResult> {
  const changes: string[] = [];
  const { gitDir, env } = await openBareRepo(opts.repo).catch((e: Error) => Promise.reject(new InitError(e.message)));
  const { armored, fingerprint: owner } = await readOwnerKey(opts.ownerKeyFile).catch((e: Error) =>
    Promise.reject(new InitError(e.message)),
  );

  const presets = [...new Set(opts.presets ?? [])].filter((p) => p !== 'default');
  const available = await listPresets();
  for (const p of presets) {
    if (!available.includes(p)) throw new InitError(`unknown preset '${p}' (available: ${available.join(', ')})`);
  }

  // Owner first: refusing a second owner must happen before anything is written.
  const currentOwner = (await runGit(['config', '--get', 'acl.owner'], { env })).stdout.toString().trim();
  if (currentOwner && currentOwner !== owner) {
    throw new InitError(
      `acl.owner is already ${currentOwner}; refusing to change the owner to ${owner} (change it with: git acl set-owner ${opts.repo} --owner-key <file>)`,
    );
  }

  // The hook.
  const hookPath = join(gitDir, 'hooks', 'pre-receive');
  const hook = await installHook('pre-receive', hookPath);
  if (hook === 'foreign') {
    throw new InitError(`${hookPath}: a pre-receive hook that git-acl did not install is in the way; move it aside and run init again`);
  }
  changes.push(hook === 'unchanged' ? `hook ${hookPath} already installed` : `${hook} ${hookPath}`);

  // Signed pushes need a nonce seed; keep an existing one so outstanding nonces stay valid.
  const seed = (await runGit(['config', '--get', 'receive.certNonceSeed'], { env })).stdout.toString().trim();
  if (!seed) {
    await gitText(['config', 'receive.certNonceSeed', randomBytes(32).toString('hex')], { env });
    changes.push('set receive.certNonceSeed (random)');
  } else {
    changes.push('receive.certNonceSeed already set');
  }

  // git's own object checks on every push: a second wall behind the hook's (which does not rely on them).
  const fsck = (await runGit(['config', '--get', 'receive.fsckObjects'], { env })).stdout.toString().trim();
  if (fsck !== 'true') {
    await gitText(['config', 'receive.fsckObjects', 'true'], { env });
    changes.push(fsck ? `set receive.fsckObjects = true (was ${fsck})` : 'set receive.fsckObjects = true');
  } else {
    changes.push('receive.fsckObjects already true');
  }

  // git's own gpg run on each certificate, whose result git-acl never reads (git-signature-check.ts).
  changes.push(await quietGitSignatureCheck(env));

  if (!currentOwner) {
    await gitText(['config', 'acl.owner', owner], { env });
    changes.push(`set acl.owner = ${owner}`);
  } else {
    changes.push(`acl.owner already ${owner}`);
  }

  const tip = await runGit(['rev-parse', '--verify', '--quiet', POLICY_REF], { env });
  if (succeeded(tip)) {
    changes.push(`policy branch ${POLICY_REF} exists; left unchanged`);
    if (presets.length) {
      changes.push(
        `presets not applied (${presets.join(', ')}): the policy branch exists; push their files from policies/ as the owner instead`,
      );
    }
  } else {
    const files = new Map<string, string | Buffer>();
    for (const p of ['default', ...presets]) {
      for (const [path, content] of await readPresetFiles(p)) {
        if (files.has(path)) throw new InitError(`presets clash: ${path} comes from more than one preset`);
        files.set(path, content);
      }
    }
    files.set(keyFilePath(owner), armored);
    files.set(OWNER_FILE, `${owner}\n`);
    const message = `git-acl init: owner ${owner}${presets.length ? `, presets ${presets.join(', ')}` : ''}`;
    const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : 1));
    const commit = await commitFiles({ gitDir, env, files: sorted, message, purpose: 'init' });
    // Create only if still absent: never clobber a policy branch that appeared meanwhile.
    await gitText(['update-ref', POLICY_REF, commit, ZERO_OID], { env });
    changes.push(`created ${POLICY_REF} (${['default', ...presets].join(', ')}; ${keyFilePath(owner)}, ${OWNER_FILE})`);
  }

  // The push log: post-receive, and the starting state if the log does not exist yet.
  const { setUpPushLog, LogSetupError } = await import('../server/log-setup.js');
  try {
    changes.push(...(await setUpPushLog({ gitDir, env, owner: currentOwner || owner })));
  } catch (e) {
    if (e instanceof LogSetupError) throw new InitError(e.message);
    throw e;
  }
  changes.push(warmHookCache(gitDir));
  return { owner, changes };
}

export async function listPresets(): Promise<string[]> {
  const entries = await readdir(POLICIES_DIR, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The policy files of a preset, keyed by their path on the policy branch. README files stay out. */
export async function readPresetFiles(name: string): Promise<Map<string, Buffer>> {
  const root = join(POLICIES_DIR, name);
  const out = new Map<string, Buffer>();
  async function walk(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && !/^readme/i.test(e.name)) out.set(relative(root, full).split(sep).join('/'), await readFile(full));
    }
  }
  if (!(await stat(root).catch(() => null))?.isDirectory()) throw new InitError(`unknown preset '${name}'`);
  await walk(root);
  return out;
}
