/**
 * No rule may change how another rule matches. Rules of one kind are matched
 * through RE2 unions for speed (bind.ts); an unterminated `\Q` in one rule
 * used to quote the rest of the union, so a later deny rule silently stopped
 * matching. The linter refuses it, and unions check that every alternative
 * kept its meaning whatever reaches them.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { compilePolicy, evaluate, lintPolicy, parsePolicy, PolicyError } from '../../src/core/index.js';
import type { Operation, Policy, PolicyFile } from '../../src/core/index.js';
import { unionOf } from '../../src/core/bind.js';
import { analysePattern, instantiate } from '../../src/core/pattern.js';
import { ALICE, OWNER, files, ref } from './helpers.js';

/** The review's case: nine rules share `heads/`, so they are matched through one union. */
const ATTACK = {
  'refs/a.conf': [
    'anyone create-branch ^heads/a\\Q',
    'deny anyone create-branch ^heads/main$',
    ...Array.from({ length: 7 }, (_, i) => `anyone create-branch ^heads/b${i}$`),
    'anyone create-branch ^heads/\\Qc\\E$',
    '',
  ].join('\n'),
  'refs/b.conf': 'anyone create-branch ^.*$\n',
};

describe('an unterminated \\Q', () => {
  test('is a lint error at the \\Q, so the policy is refused', () => {
    expect(lintPolicy(files(ATTACK))).toEqual([
      {
        file: 'refs/a.conf',
        line: 1,
        col: 30,
        severity: 'error',
        code: 'unterminated-quote',
        message: 'unterminated \\Q: end the quoted text with \\E (RE2 would quote everything after it)',
      },
    ]);
    // A branch scope too.
    expect(
      lintPolicy(files({ 'branches/a.conf': 'branch ^heads/\\Qmain\nanyone modify ^x$\n' })).map((d) => [d.line, d.col, d.code]),
    ).toEqual([[1, 15, 'unterminated-quote']]);
  });

  test('a Policy given as data (not parsed from files) is refused by compilePolicy', () => {
    const fine = parsePolicy(files({ 'refs/a.conf': 'anyone create-branch ^heads/a$\n' }));
    const forged: Policy = { ...fine, rules: [{ ...fine.rules[0]!, pattern: '^heads/a\\Q' }] };
    expect(() => compilePolicy(forged)).toThrow(PolicyError);
  });

  test('the union builder refuses the union such a rule would make, and takes the rules one by one', () => {
    const sources = ATTACK['refs/a.conf']
      .trim()
      .split('\n')
      .map((l) => l.split(' ').pop()!);
    // Every pattern compiles alone (that is why the linter used to pass it)...
    for (const s of sources) expect(() => RE2JS.compile(s)).not.toThrow();
    const alternatives = sources.map((source) => ({ source, captures: RE2JS.compile(source).groupCount() }));
    // ... and the plain union compiles too, but means something else: the deny rule's name no longer matches.
    const naive = RE2JS.compile(sources.map((s) => `(?:${s})`).join('|'));
    expect(naive.testExact('heads/main')).toBe(false);
    expect(unionOf(alternatives)).toBeNull();
    expect(unionOf(alternatives.slice(1))!.testExact('heads/main')).toBe(true);
  });
});

// Pieces of RE2 syntax that could leak across `|` if a pattern's text were read differently inside a union:
// quoting (terminated or not), stray \E, flag groups and flag settings, alternation, groups (named too),
// escapes and trailing backslashes, classes, $user_id.
const atom = fc.constantFrom(
  'a',
  'b',
  'A',
  '.',
  '\\.',
  '\\\\',
  '(?i)a',
  '(?i:b)',
  '(?s).',
  '(?-s).',
  '(?U)a*',
  '(a|b)',
  'a|b',
  '|',
  '\\Qa|b\\E',
  '\\Q(\\E',
  '\\Q)\\E',
  '\\Q\\\\E',
  '\\Qa',
  '\\E',
  '(?P<n>a)',
  '(?P<m>b)',
  '[ab]',
  '[|(]',
  'x*',
  'b+',
  '$user_id',
  '\\x{41}',
  '(',
  ')',
);
const namePiece = fc.constantFrom('a', 'b', 'A', 'B', '.', '|', '(', ')', '\\', 'Q', 'E', 'x', '\n', ALICE);

describe('unions mean "any of the alternatives", whatever the alternatives are', () => {
  test('raw patterns, sealed or not: a union is either refused or agrees with matching one by one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.array(atom, { minLength: 1, maxLength: 4 })), { minLength: 2, maxLength: 12 }),
        fc.array(fc.array(namePiece, { maxLength: 5 }), { minLength: 1, maxLength: 12 }),
        (specs, names) => {
          const alone: RE2JS[] = [];
          const alternatives: Array<{ source: string; captures: number }> = [];
          for (const [anchored, atoms] of specs) {
            const source = (anchored ? '^heads/' : '') + atoms.join('');
            let re: RE2JS;
            try {
              re = RE2JS.compile(source);
            } catch {
              continue; // what does not compile alone never reaches a union
            }
            alone.push(re);
            alternatives.push({ source, captures: re.groupCount() });
          }
          fc.pre(alternatives.length >= 2);
          const union = unionOf(alternatives);
          if (union === null) return;
          for (const n of names.map((p) => p.join(''))) {
            for (const name of [n, `heads/${n}`]) expect(union.testExact(name)).toBe(alone.some((re) => re.testExact(name)));
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('policies: union matching equals rule-by-rule matching, and deny rules keep matching', () => {
  const rule = fc.tuple(fc.boolean(), fc.constantFrom('^heads/', 'glob:heads/', ''), fc.array(atom, { minLength: 1, maxLength: 4 }));
  const glob = fc.constantFrom(
    'glob:heads/*',
    'glob:heads/**',
    'glob:heads/{a,b}*',
    'glob:heads/$user_id/*',
    'glob:heads/[ab]?',
    'glob:**',
  );

  /** Rule by rule: each pattern compiled alone, deny wins, then any allow. */
  function oracle(policy: Policy, name: string): boolean {
    let allow = false;
    for (const r of policy.rules) {
      const info = analysePattern(r.pattern).info!;
      if (!RE2JS.compile(instantiate(info, ALICE)).testExact(name)) continue;
      if (r.deny) return false;
      if (!/[\x00-\x1f\x7f]/.test(name) || info.literal?.join(ALICE) === name) allow = true;
    }
    return allow;
  }

  test('generated rule sets of 9 to 40 rules sharing heads/ (matched through unions)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            rule.map(([deny, head, atoms]) => `${deny ? 'deny ' : ''}anyone create-branch ${head}${atoms.join('')}`),
            glob.map((g) => `anyone create-branch ${g}`),
          ),
          {
            minLength: 9,
            maxLength: 40,
          },
        ),
        fc.array(fc.array(namePiece, { maxLength: 5 }), { minLength: 1, maxLength: 10 }),
        (lines, names) => {
          const map = (ls: string[]) => ({
            'refs/a.conf': ls.join('\n') + '\ndeny anyone create-branch ^heads/ab$\n',
            'refs/z.conf': 'anyone create-branch ^.*$\n',
          });
          // Rules that lint refuses (an unterminated \Q, a stray \E, a bad group) make the whole policy refused;
          // the rest, once those lines are dropped, must lint clean and be judged exactly as rule by rule.
          const first = parsePolicy(files(map(lines)));
          const bad = new Set(first.diagnostics.filter((d) => d.severity === 'error').map((d) => d.line));
          if (bad.size > 0) expect(() => compilePolicy(first)).toThrow(PolicyError);
          const kept = lines.filter((_, i) => !bad.has(i + 1));
          const policy = parsePolicy(files(map(kept)));
          expect(policy.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
          fc.pre(kept.length >= 9);
          const compiled = compilePolicy(policy);
          const all = [...names.map((p) => `heads/${p.join('')}`), 'heads/ab', 'heads/main'];
          const ops: Operation[] = all.map((n) => ref('create-branch', n));
          const got = evaluate(compiled, { userId: ALICE, ownerId: OWNER }, ops).map((d) => d.allowed);
          expect(got).toEqual(all.map((n) => oracle(policy, n)));
          expect(got[all.length - 2]).toBe(false); // heads/ab: the deny rule matches, after up to 40 other rules
        },
      ),
      { numRuns: 400 },
    );
  });
});

test('the generator above does reach refused rules and accepted unions', () => {
  // A fixed sample, so the property is known to cover both sides.
  const refused = parsePolicy(files({ 'refs/a.conf': 'anyone create-branch ^heads/\\Qa\nanyone create-branch ^heads/\\E\n' }));
  expect(refused.diagnostics.map((d) => d.code)).toEqual(['unterminated-quote', 'invalid-regex']);
  const fine: PolicyFile[] = files({
    'refs/a.conf':
      Array.from({ length: 12 }, (_, i) => `anyone create-branch ^heads/(?i)x${i}\\Q|(\\E$`).join('\n') +
      '\ndeny anyone create-branch ^heads/X3\\|\\($\n',
  });
  const c = compilePolicy(parsePolicy(fine));
  const d = evaluate(c, { userId: ALICE, ownerId: OWNER }, [
    ref('create-branch', 'heads/X3|('),
    ref('create-branch', 'heads/X4|('),
    ref('create-branch', 'heads/x4|'),
  ]);
  expect(d.map((x) => x.allowed)).toEqual([false, true, false]);
});
