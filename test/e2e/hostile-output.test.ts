/**
 * A hostile server against the client's terminal, and a hostile pusher
 * against other pushers' (issue 8 point 4): what `git acl lint`, `check`,
 * `check --trace`, `preview`, the pre-push hook and the server's hook print
 * that comes from a repository (file names, rule text and tokens, ref names,
 * paths) must never carry a character a terminal acts on or hides.
 *
 * The property is checked over every such code point: all 4,272 of them (the
 * engine's own Unicode data: Cc, Cf, Zl, Zp, Default_Ignorable_Code_Point,
 * and the C1 controls and bidi marks by name), spread over policy file names,
 * rule patterns and tokens, ref names and paths, plus a fast-check sample of
 * any other code points. Every other code point is printed as it is by
 * construction (test/core/escape.test.ts shows it for all of them). Each
 * command's output must hold none of them raw, and every one of them must
 * show up escaped somewhere: the hostile text was printed, not dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, run, type Clone, type ForgeUser } from '../support/forge.js';
import { escapeCodePoint } from '../../src/core/text.js';

const POLICY = 'refs/heads/apps/access-control';
const DANGER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
const NAMED = (cp: number): boolean =>
  cp < 0x20 ||
  (cp >= 0x7f && cp <= 0x9f) ||
  cp === 0x61c ||
  cp === 0x200e ||
  cp === 0x200f ||
  (cp >= 0x202a && cp <= 0x202e) ||
  (cp >= 0x2066 && cp <= 0x2069);

/** Every code point that must not reach a terminal raw (surrogates cannot be in UTF-8 names), NUL left out (git stores no NUL in a name). */
const DANGEROUS: number[] = [];
for (let cp = 1; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  if (DANGER.test(String.fromCodePoint(cp)) || NAMED(cp)) DANGEROUS.push(cp);
}

/** Some of any other code points (fixed seed): they must not break anything on the way. */
const OTHERS: number[] = fc.sample(
  fc.integer({ min: 0x20, max: 0x10ffff }).filter((cp) => !(cp >= 0xd800 && cp <= 0xdfff) && !DANGEROUS.includes(cp) && cp !== 0x2f),
  { seed: 8, numRuns: 400 },
);

const isWhitespace = (cp: number) => /\s/u.test(String.fromCodePoint(cp)) || cp === 0x85;
/** Not in a ref name (git check_refname_format): ASCII controls and DEL. */
const inRefName = (cp: number) => cp >= 0x20 && cp !== 0x7f;

function chunks(cps: number[], size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < cps.length; i += size) out.push(String.fromCodePoint(...cps.slice(i, i + size)));
  return out;
}

/** The first character of `s`, but LF, that must not reach a terminal, as U+XXXX; undefined when there is none. */
function firstDanger(s: string): string | undefined {
  for (const ch of s) {
    if (ch === '\n') continue;
    const cp = ch.codePointAt(0)!;
    if ((cp >= 0xd800 && cp <= 0xdfff) || DANGER.test(ch) || NAMED(cp)) return `U+${cp.toString(16).padStart(4, '0')}`;
  }
  return undefined;
}

const JSON_SHORT: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

/**
 * The code points of `cps` whose escape appears nowhere in `out`: core's
 * spelling (`\x1b`, `\u202e`, `\u{e0041}`), or for a C0 control the JSON
 * one that quoted names use (`\u001b`, `\t`).
 */
function missing(out: string, cps: number[]): string[] {
  const spelled = (cp: number) =>
    out.includes(escapeCodePoint(cp)) ||
    (cp < 0x20 &&
      (out.includes(`\\u${cp.toString(16).padStart(4, '0')}`) || (JSON_SHORT[cp] !== undefined && out.includes(JSON_SHORT[cp]!))));
  return cps.filter((cp) => !spelled(cp)).map((cp) => `U+${cp.toString(16)}`);
}

/**
 * What git-acl wrote, of a `git push`'s stderr: git's own report names the refs as they are (` ! [rejected] ...`,
 * `To <url>`), which is git's output, not ours.
 */
function ours(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/^( ! | \* |To |error: failed to push|hint: )/.test(l))
    .join('\n');
}

let forge: Forge;
let bob: ForgeUser;
let clone: Clone;
let policyA: string;
let policyB: string;
let nameCps: number[];

/** Writes a tree of exactly `files` (raw names, -z) in the clone and commits it; returns the commit. */
function commitFiles(c: Clone, files: Array<[string, string]>, parents: string[] = []): string {
  const index = path.join(forge.root, `index-${Math.random().toString(36).slice(2)}`);
  const env = { ...forge.env, GIT_INDEX_FILE: index };
  try {
    const entries = files.map(([name, content]) => {
      const oid = run('git', ['hash-object', '-w', '--stdin'], { cwd: c.dir, env, input: content }).stdout.trim();
      return `100644 ${oid}\t${name}\0`;
    });
    const r = run('git', ['update-index', '-z', '--add', '--index-info'], { cwd: c.dir, env, input: entries.join('') });
    if (r.code !== 0) throw new Error(r.stderr);
    const tree = run('git', ['write-tree'], { cwd: c.dir, env }).stdout.trim();
    return c.ok(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', 'hostile']);
  } finally {
    fs.rmSync(index, { force: true });
  }
}

/** What a hostile server serves: `commit` as its policy, bypassing its own hook. */
function serve(commit: string): void {
  forge.sh('git', ['--git-dir', forge.bare, 'fetch', '-q', clone.dir, `${commit}:refs/hostile-staging`]);
  forge.server(['update-ref', POLICY, commit]);
  forge.server(['update-ref', '-d', 'refs/hostile-staging']);
}

/** `git acl <args>` in Bob's clone: stdout and stderr together. */
function acl(args: string[]): string {
  const r = forge.acl(args, { cwd: clone.dir });
  return r.stdout + r.stderr;
}

beforeAll(() => {
  forge = Forge.create({ users: ['bob'] });
  bob = forge.user('bob');
  clone = forge.clone(bob);
  nameCps = [...DANGEROUS, ...OTHERS];
  // A: valid; hostile file names, and hostile patterns (whitespace cannot be in a pattern: it ends the token).
  const base = Object.entries(forge.policyFiles()).map(([p, c]) => [p, c] as [string, string]);
  const names = chunks(nameCps, 40);
  const patterns = chunks(
    DANGEROUS.filter((cp) => !isWhitespace(cp)),
    40,
  );
  const a: Array<[string, string]> = [...base];
  names.forEach((n, i) => a.push([`refs/r${i}-${n}.conf`, `owner create-branch ^heads/${patterns[i % patterns.length]}$\n`]));
  patterns.forEach((p, i) => a.push([`branches/b${i}.conf`, `branch ^heads/zz${i}$\nowner create-file ^${p}$\n`]));
  policyA = commitFiles(clone, a);
  // B: A plus tokens made of anything, whitespace and newlines included: every line a lint error quoting it.
  const b = [...a];
  names.forEach((n, i) => b.push([`refs/t${i}-${n}.conf`, `owner bogus${n} ^x$\n${n} create-branch ^y$\n`]));
  policyB = commitFiles(clone, b);
  serve(policyA);
  clone.ok(['fetch', '-q', 'origin']);
}, 120_000);
afterAll(() => forge?.cleanup());

describe('a hostile policy (every code point a terminal acts on) is printed escaped by every command', () => {
  test('lint, text and --json: nothing raw, every name escaped', () => {
    const outs = [acl(['lint', '--ref', policyA]), acl(['lint', '--ref', policyB]), acl(['lint', '--ref', policyB, '--json'])];
    for (const o of outs) expect(firstDanger(o)).toBeUndefined();
    expect(missing(outs[1]!, DANGEROUS)).toEqual([]);
  }, 120_000);

  test('check and check --trace, with hostile paths and branches as the operation', () => {
    const paths = chunks(DANGEROUS, 540);
    const refs = chunks(DANGEROUS.filter(inRefName), 540);
    const outs: string[] = [];
    for (let i = 0; i < paths.length; i++) {
      for (const trace of [[], ['--trace']]) {
        outs.push(
          acl([
            'check',
            '--user',
            bob.id,
            'create-file',
            paths[i]!,
            '--branch',
            `heads/${refs[i % refs.length]}`,
            '--ref',
            'origin/apps/access-control',
            ...trace,
          ]),
        );
      }
    }
    outs.push(
      acl([
        'check',
        '--user',
        bob.id,
        'create-file',
        paths[0]!,
        '--branch',
        'heads/main',
        '--ref',
        'origin/apps/access-control',
        '--trace',
        '--json',
      ]),
    );
    for (const o of outs) expect(firstDanger(o)).toBeUndefined();
    const all = outs.join('\n');
    // The paths and branches given, and every rule's text and file (the trace shows them all).
    expect(missing(all, DANGEROUS)).toEqual([]);
  }, 180_000);

  test('preview (--all, text and --json), and the pre-push hook: hostile paths and ref names pushed against the hostile policy', () => {
    const files = chunks(DANGEROUS, 200).map((n, i) => [`f${i}-${n}`, `${i}\n`] as [string, string]);
    const work = commitFiles(clone, files);
    const refspecs = chunks(DANGEROUS.filter(inRefName), 60).map((n, i) => `${work}:refs/heads/r${i}-${n}`);
    const preview = acl(['preview', 'origin', ...refspecs, '--all']);
    const json = acl(['preview', 'origin', ...refspecs, '--json']);
    const summarized = acl(['preview', 'origin', ...refspecs]);
    for (const o of [preview, json, summarized]) expect(firstDanger(o)).toBeUndefined();
    expect(missing(preview, DANGEROUS)).toEqual([]);

    // The pre-push hook shows the first 20 denials (then a summary): pushes of at most 20 denials each.
    expect(acl(['install-client-hook'])).toMatch(/installed/);
    const said: string[] = [];
    for (const specs of pushSets()) {
      const pushed = run('git', ['push', '--signed', 'origin', ...specs], { cwd: clone.dir, env: forge.env });
      expect(pushed.code).not.toBe(0);
      const hookSaid = ours(pushed.stderr);
      expect(hookSaid).toContain('preview: origin would reject this push, so it was not sent');
      expect(firstDanger(hookSaid)).toBeUndefined();
      said.push(hookSaid);
    }
    expect(missing(said.join('\n'), DANGEROUS)).toEqual([]);
    fs.rmSync(path.join(clone.dir, '.git', 'hooks', 'pre-push'));
  }, 180_000);
});

/**
 * Pushes that each cause at most 20 denials (what the hooks list before their summary), and together name
 * every dangerous code point: one of 19 files with hostile names, then pushes of 20 hostile ref names to a
 * commit that changes no file.
 */
function pushSets(): string[][] {
  const files = chunks(DANGEROUS, Math.ceil(DANGEROUS.length / 19)).map((n, i) => [`f${i}-${n}`, `${i}\n`] as [string, string]);
  const sets = [[`${commitFiles(clone, files)}:refs/heads/paths`]];
  const empty = commitFiles(clone, []);
  const refs = chunks(DANGEROUS.filter(inRefName), 60);
  for (let i = 0; i < refs.length; i += 20) sets.push(refs.slice(i, i + 20).map((n, k) => `${empty}:refs/heads/r${i + k}-${n}`));
  return sets;
}

describe('the server hook prints them escaped to the pusher', () => {
  test('denied paths and ref names, nearest rules from hostile files, and the errors of a hostile pushed policy', () => {
    serve(policyA);
    const outs: string[] = [];
    for (const specs of pushSets())
      outs.push(run('git', ['push', '--signed', '--no-verify', 'origin', ...specs], { cwd: clone.dir, env: forge.env }).stderr);
    // The owner pushes policy B through the hook: every error of the pushed policy is listed.
    const owner = forge.clone('owner');
    owner.ok(['fetch', '-q', clone.dir, `${policyB}:refs/b`]);
    const b = owner.ok(['commit-tree', `${policyB}^{tree}`, '-p', forge.ref(POLICY)!, '-m', 'b']);
    outs.push(owner.push(`${b}:${POLICY}`).stderr);
    for (const o of outs.map(ours)) {
      expect(o).toContain('remote: git-acl: ');
      expect(firstDanger(o)).toBeUndefined();
    }
    expect(
      missing(
        outs.join('\n'),
        DANGEROUS.filter((cp) => !isWhitespace(cp)),
      ),
    ).toEqual([]);
  }, 240_000);
});
