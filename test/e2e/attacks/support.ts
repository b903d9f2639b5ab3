/**
 * Shared by the attack reproductions (issue 7): each attack is written as the
 * test of the FIXED behaviour (the push is refused with a given line and no
 * ref changes) and, while the bypass exists, marked `test.fails(...)`.
 *
 * A `test.fails` passes whenever its body throws, for any reason; a broken
 * setup would then look like a reproduced bypass. `attack(...)` and
 * `expectRefused` close that gap: inside `test.fails` the body fails only
 * when the bypass really happened (a ref changed); any other error, and a
 * push that was refused, end the body quietly, so that `test.fails` reports
 * "expected to fail" in red both when the bypass is fixed (flip it to
 * `test()`) and when the attack stopped reproducing for another reason.
 * Inside `test()` they assert the refusal strictly.
 *
 *     // bypass today; flip to test() when fixed
 *     test.fails('...', attack(async (ctx) => { ...; expectRefused(ctx, a, [...]); }));
 *
 * Set GIT_ACL_SHOW_BYPASSES=1 to print what each reproduced bypass changed.
 */
import { expect, type TestContext } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { Clone, Forge } from '../../support/forge.js';

export const POLICY = 'refs/heads/apps/access-control';

export interface Attempt {
  /** The server's refs before and after the push. */
  before: Record<string, string>;
  after: Record<string, string>;
  /** The hook's lines, as `git push` shows them after `remote: `. */
  remote: string[];
}

/** Thrown by `expectRefused` inside `test.fails` when the push changed refs: the one failure that proves the bypass. */
export class BypassReproduced extends Error {}

/** Wraps an attack's body; see the module comment. */
export function attack(body: (ctx: TestContext) => Promise<void> | void): (ctx: TestContext) => Promise<void> {
  return async (ctx) => {
    try {
      await body(ctx);
    } catch (e) {
      if (!ctx.task.fails || e instanceof BypassReproduced) throw e;
      // Not the bypass: a broken setup must not pass as a reproduced attack. Returning makes test.fails go red.
      console.warn(`${ctx.task.name}: the attack did not run to its end: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  };
}

/** Runs `push` against `forge` and records the refs around it. */
export async function attempt(forge: Forge, push: () => { remote: string[] } | Promise<{ remote: string[] }>): Promise<Attempt> {
  const before = forge.refs();
  const r = await push();
  return { before, after: forge.refs(), remote: r.remote };
}

/** The refs that differ, as `ref: before -> after` lines (`-` for absent). */
export function refChanges(a: Attempt): string[] {
  // The push log moves with every accepted push; what the attack did is the other refs.
  const names = [...new Set([...Object.keys(a.before), ...Object.keys(a.after)])].filter((n) => n !== 'refs/heads/apps/push-log').sort();
  return names.filter((n) => a.before[n] !== a.after[n]).map((n) => `${n}: ${a.before[n] ?? '-'} -> ${a.after[n] ?? '-'}`);
}

/**
 * The fixed behaviour: no ref changed, and the hook said `lines` (strings or
 * matchers such as `expect.stringMatching(...)`). See the module comment for
 * how it behaves inside `test.fails`. `consequence` (optional) describes what
 * the bypass did beyond the refs, for GIT_ACL_SHOW_BYPASSES.
 */
export function expectRefused(ctx: TestContext, a: Attempt, lines: unknown[], consequence?: () => string): void {
  const changed = refChanges(a);
  if (ctx.task.fails) {
    if (changed.length === 0) {
      // No bypass: either it is fixed or the attack broke. Returning makes test.fails go red.
      console.warn(
        `${ctx.task.name}: no ref changed (bypass fixed, or the attack no longer reproduces); the hook said:\n${a.remote.join('\n')}`,
      );
      return;
    }
    if (process.env.GIT_ACL_SHOW_BYPASSES) {
      console.info(
        `BYPASS ${ctx.task.name}\n  refs: ${changed.join('\n        ')}\n  hook: ${JSON.stringify(a.remote)}${consequence ? `\n  then: ${consequence()}` : ''}`,
      );
    }
    throw new BypassReproduced(`bypass reproduced: the push was accepted and changed ${changed.join(', ')}`);
  }
  expect(changed, 'refs changed by a push that must be refused').toEqual([]);
  expect(a.remote).toEqual(lines);
}

/** The first line of every refusal once the pusher is known. */
export function rejectedFor(userId: string): string {
  return `git-acl: push rejected for user ${userId}; no ref was changed`;
}

/**
 * Turns git's own object checks off on the forge's server (`git acl init`
 * turns them on): the hook must refuse what they refuse by itself, so the
 * attacks are run against the hook alone.
 */
export function withoutGitChecks(forge: Forge): void {
  forge.server(['config', 'receive.fsckObjects', 'false']);
}

let strictCopies = 0;

/**
 * git's own judgement of objects: a copy of the forge's server without the
 * git-acl hook and with receive.fsckObjects=true (the setting that makes
 * receive-pack run `index-pack --strict` / `unpack-objects --strict` on every
 * push). Returns its git directory; push to it with the raw client.
 */
export function strictServer(forge: Forge): string {
  const dir = path.join(forge.root, `strict-${++strictCopies}.git`);
  forge.sh('git', ['clone', '-q', '--bare', forge.bare, dir]);
  forge.sh('git', ['--git-dir', dir, 'config', 'receive.fsckObjects', 'true']);
  fs.rmSync(path.join(dir, 'hooks', 'pre-receive'), { force: true });
  return dir;
}

/** Writes a loose object straight into a clone (no process per object: thousands of trees). */
export function looseObject(c: Clone, type: string, body: Buffer): Buffer {
  const full = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
  const id = createHash('sha1').update(full).digest();
  const hex = id.toString('hex');
  const dir = path.join(c.dir, '.git', 'objects', hex.slice(0, 2));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, hex.slice(2)), deflateSync(full));
  return id;
}

/** A tree of `entries` (name, mode, raw id), sorted as git sorts them. */
export function looseTree(c: Clone, entries: Array<[string, string, Buffer]>): Buffer {
  const sorted = [...entries].sort(([a, am], [b, bm]) =>
    Buffer.compare(Buffer.from(am === '40000' ? `${a}/` : a), Buffer.from(bm === '40000' ? `${b}/` : b)),
  );
  return looseObject(c, 'tree', Buffer.concat(sorted.flatMap(([name, mode, id]) => [Buffer.from(`${mode} ${name}\0`), id])));
}
