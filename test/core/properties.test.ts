/** Properties (fast-check): never throw, always terminate, same answer for any file or line order. */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { compilePolicy, evaluate, lintPolicy, parsePolicy, REF_OPS, TREE_OPS } from '../../src/core/index.js';
import type { Operation, PolicyFile } from '../../src/core/index.js';
import { analysePattern, instantiate } from '../../src/core/pattern.js';
import { ALICE, BOB, OWNER } from './helpers.js';

const dirs = fc.constantFrom('refs/', 'branches/', 'groups/', 'keys/', '', 'refs/sub/');
const anyFile: fc.Arbitrary<PolicyFile> = fc.record({
  path: fc.tuple(dirs, fc.string({ maxLength: 12 }), fc.constantFrom('.conf', '.asc', '', '.txt')).map(([d, n, e]) => d + n + e),
  content: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })),
});

// Rule-shaped lines from the pieces the language has, so the generator reaches deep into the parser.
const word = fc.constantFrom(
  'anyone',
  'owner',
  'deny',
  'branch',
  'team',
  ALICE,
  'create',
  'delete',
  'modify',
  'force',
  'fast-forward',
  'create-file',
  'create-tag',
  'create-branch',
  'delete-file',
  '^heads/.*$',
  '^x$',
  'glob:**',
  'glob:a/*',
  '^$user_id/.*$',
  '(',
  '[',
  '{',
  'glob:{a,b',
  '#',
  ',',
  '\\',
  '$user_id',
  'glob:',
  'create,force',
  '^(a+)+$',
);
const ruleLine = fc.array(word, { minLength: 0, maxLength: 5 }).map((w) => w.join(' '));
const ruleFile: fc.Arbitrary<PolicyFile> = fc.record({
  path: fc.constantFrom('refs/a.conf', 'refs/b.conf', 'branches/a.conf', 'branches/b.conf', 'groups/team.conf'),
  content: fc.array(ruleLine, { maxLength: 8 }).map((l) => l.join('\n')),
});

describe('parse and lint never throw', () => {
  test('arbitrary files', () => {
    fc.assert(
      fc.property(fc.array(anyFile, { maxLength: 6 }), (files) => {
        const p = parsePolicy(files);
        expect(Array.isArray(p.diagnostics)).toBe(true);
        const d = lintPolicy(files);
        for (const x of d) {
          expect(x.line).toBeGreaterThanOrEqual(1);
          expect(x.col).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('rule-shaped files; compile throws only PolicyError, and only when there are errors', () => {
    fc.assert(
      fc.property(fc.array(ruleFile, { maxLength: 5 }), (files) => {
        const p = parsePolicy(files);
        const hasErrors = p.diagnostics.some((d) => d.severity === 'error');
        if (hasErrors) expect(() => compilePolicy(p)).toThrow(/policy has/);
        else expect(() => compilePolicy(p)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});

// Valid rules only, for evaluation properties.
const subject = fc.constantFrom('anyone', 'owner', 'team', ALICE, BOB);
const refPattern = fc.constantFrom(
  '^heads/.*$',
  '^heads/main$',
  '^tags/v[0-9]+$',
  '^heads/$user_id/.*$',
  'glob:heads/**',
  'glob:tags/*',
  '^.*$',
  'heads/(a|b)+',
);
const treePattern = fc.constantFrom(
  '^.*$',
  '^src/.*$',
  'glob:**/*.md',
  'glob:$user_id/**',
  '^a/b$',
  'glob:{a,b}/*',
  '^[ab]+(/[ab]+)*$',
  '^docs/$user_id\\.md$',
);
const refRule = fc
  .tuple(fc.boolean(), subject, fc.subarray([...REF_OPS, 'create'], { minLength: 1 }), refPattern)
  .map(([deny, s, ops, p]) => `${deny ? 'deny ' : ''}${s} ${ops.join(',')} ${p}`);
const treeRule = fc
  .tuple(fc.boolean(), subject, fc.subarray([...TREE_OPS, 'delete'], { minLength: 1 }), treePattern)
  .map(([deny, s, ops, p]) => `${deny ? 'deny ' : ''}${s} ${ops.join(',')} ${p}`);
const policy = fc.record({
  refs: fc.array(fc.array(refRule, { maxLength: 6 }), { minLength: 1, maxLength: 3 }),
  branches: fc.array(fc.array(treeRule, { maxLength: 6 }), { minLength: 1, maxLength: 3 }),
});
const refName = fc.constantFrom(
  'heads/main',
  'heads/a',
  'heads/ab',
  `heads/${ALICE}/x`,
  `heads/${BOB}/x`,
  'tags/v1',
  'tags/x',
  'notes/x',
  'heads/a\u0001',
);
const path = fc.constantFrom('src/x.c', 'a/b', 'README.md', 'docs/README.md', `${ALICE}/notes`, `docs/${ALICE}.md`, 'b/a', 'a/\u0007', '');
const op: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ type: fc.constant('ref' as const), op: fc.constantFrom(...REF_OPS), ref: refName.map((n) => `refs/${n}`) }),
  fc.record({
    type: fc.constant('tree' as const),
    op: fc.constantFrom(...TREE_OPS),
    branch: fc.constantFrom('refs/heads/main', `refs/heads/${ALICE}/x`),
    path,
  }),
);
const who = fc.constantFrom({ userId: ALICE, ownerId: OWNER }, { userId: BOB, ownerId: OWNER }, { userId: OWNER, ownerId: OWNER });

function toFiles(p: { refs: string[][]; branches: string[][] }): PolicyFile[] {
  return [
    { path: 'groups/team.conf', content: `${ALICE}\n` },
    ...p.refs.map((lines, i) => ({ path: `refs/r${i}.conf`, content: lines.join('\n') })),
    ...p.branches.map((lines, i) => ({ path: `branches/b${i}.conf`, content: lines.join('\n') })),
  ];
}

/** The specification, spelled out naively: deny wins, any allow, default deny. */
function oracle(files: PolicyFile[], actor: { userId: string; ownerId: string }, o: Operation): boolean {
  const p = parsePolicy(files);
  const name = o.type === 'ref' ? o.ref.slice(5) : o.path;
  const unsafe = /[\x00-\x1f\x7f]/.test(name);
  let allow = false;
  for (const r of p.rules) {
    if (r.kind !== o.type || !(r.ops as string[]).includes(o.op)) continue;
    const s = r.subject;
    const member =
      s.kind === 'anyone' ||
      (s.kind === 'owner' && actor.userId === actor.ownerId) ||
      (s.kind === 'user' && s.id === actor.userId) ||
      (s.kind === 'group' && actor.userId === ALICE);
    if (!member) continue;
    const info = analysePattern(r.pattern).info!;
    if (!RE2JS.compile(instantiate(info, actor.userId)).testExact(name)) continue;
    if (r.deny) return false;
    if (!unsafe || (info.literal !== undefined && info.literal.join(actor.userId) === name)) allow = true;
  }
  return allow;
}

describe('evaluation', () => {
  test('agrees with a naive implementation of the rules', () => {
    fc.assert(
      fc.property(policy, who, fc.array(op, { minLength: 1, maxLength: 10 }), (p, a, ops) => {
        const files = toFiles(p);
        const got = evaluate(compilePolicy(parsePolicy(files)), a, ops).map((d) => d.allowed);
        expect(got).toEqual(ops.map((o) => oracle(files, a, o)));
      }),
      { numRuns: 300 },
    );
  });

  test('the trace agrees with the decision it comes with', () => {
    fc.assert(
      fc.property(policy, who, fc.array(op, { minLength: 1, maxLength: 10 }), (p, a, ops) => {
        const compiled = compilePolicy(parsePolicy(toFiles(p)));
        const plain = evaluate(compiled, a, ops);
        const traced = evaluate(compiled, a, ops, { trace: true });
        traced.forEach((d, k) => {
          expect([d.allowed, d.rule, d.candidates, d.reason]).toEqual([
            plain[k]!.allowed,
            plain[k]!.rule,
            plain[k]!.candidates,
            plain[k]!.reason,
          ]);
          const steps = d.trace!;
          const kind = d.operation.type;
          expect(steps.map((s) => s.rule)).toEqual(
            compiled.rules
              .filter((r) => r.kind === kind)
              .map((r) => ({ file: r.source.file, line: r.source.line, text: r.source.text, deny: r.deny })),
          );
          const applying = steps.filter((s) => s.effect !== 'skip');
          for (const s of steps) {
            const passed = s.subject && s.op && s.pattern && s.scope !== false && s.literal !== false;
            expect(s.effect).toBe(passed ? (s.rule.deny ? 'deny' : 'allow') : 'skip');
          }
          const firstDeny = applying.find((s) => s.effect === 'deny');
          const decisive = steps.filter((s) => s.decisive);
          expect(decisive).toEqual(d.rule === undefined ? [] : [firstDeny ?? applying[0]]);
          expect(d.allowed).toBe(firstDeny === undefined && applying.length > 0);
        });
      }),
      { numRuns: 300 },
    );
  });

  test('is deterministic and independent of file order and of line order', () => {
    fc.assert(
      fc.property(policy, who, fc.array(op, { minLength: 1, maxLength: 10 }), fc.integer(), (p, a, ops, seed) => {
        const files = toFiles(p);
        const first = evaluate(compilePolicy(parsePolicy(files)), a, ops);
        const again = evaluate(compilePolicy(parsePolicy(files)), a, ops);
        expect(again.map((d) => [d.allowed, d.rule, d.reason])).toEqual(first.map((d) => [d.allowed, d.rule, d.reason]));
        // Shuffle files, and lines within each file (no branch lines here, so scopes do not move).
        const rnd = fc.sample(fc.integer(), { numRuns: 64, seed });
        let k = 0;
        const shuffle = <T>(xs: T[]): T[] =>
          xs
            .map((x) => ({ x, r: rnd[k++ % rnd.length]! }))
            .sort((u, v) => u.r - v.r)
            .map((u) => u.x);
        const shuffled = shuffle(files).map((f) => ({ ...f, content: shuffle(f.content.split('\n')).join('\n') }));
        const other = evaluate(compilePolicy(parsePolicy(shuffled)), a, ops);
        expect(other.map((d) => d.allowed)).toEqual(first.map((d) => d.allowed));
        // Only file order shuffled: the deciding rule is the same too (canonical order, not input order).
        const reordered = evaluate(compilePolicy(parsePolicy(shuffle(files))), a, ops);
        expect(reordered.map((d) => [d.allowed, d.rule, d.candidates, d.reason])).toEqual(
          first.map((d) => [d.allowed, d.rule, d.candidates, d.reason]),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('literal prefixes are never too long (the evaluator skips rules by them)', () => {
  const atom = fc.constantFrom(
    'a',
    'b',
    '/',
    '\\.',
    '.',
    'a*',
    'b+',
    'a?',
    '(a|b)',
    '[ab]',
    '$user_id',
    '$user_id+',
    '\\Qa.\\E',
    '\\x41',
    'x{2}',
    'a|b',
    '(?i)a',
    '\\d',
  );
  test('every name a pattern matches starts with its prefix', () => {
    fc.assert(
      fc.property(
        fc.array(atom, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.array(fc.constantFrom('a', 'b', '/', '.', 'A', 'U', '1', 'x'), { maxLength: 8 }),
        (atoms, anchored, chars) => {
          const pattern = (anchored ? '^' : '') + atoms.join('');
          const info = analysePattern(pattern).info;
          fc.pre(info !== undefined);
          const re = RE2JS.compile(instantiate(info!, 'U'));
          const prefix = info!.prefixParts.join('U');
          const name = chars.join('');
          for (const n of [name, prefix + name, prefix]) if (re.testExact(n)) expect(n.startsWith(prefix)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
