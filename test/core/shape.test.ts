/**
 * shapeMatcher answers the common pattern shapes with string operations: its answer must be exactly re2js's
 * (through compileSource, what the evaluator used before) for every name, and every other pattern must be
 * left to re2js.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { vi } from 'vitest';
import { RE2JS } from 're2js';
import { analysePattern, analysePatternByEngine, compileSource, instantiate, shapeMatcher } from '../../src/core/pattern.js';
import { compilePolicy, evaluate, lintPolicy, parsePolicy } from '../../src/core/index.js';
import { ALICE, OWNER, actor, files, ref, tree } from './helpers.js';

const ID = '0123456789ABCDEF0123456789ABCDEF01234567';
const OTHER = 'FEDCBA9876543210FEDCBA9876543210FEDCBA98';
/** For each tail, the shortest text it matches. */
const SHORTEST: Record<string, string> = {
  $: '',
  '(/.+)?$': '',
  '(/.*)?$': '',
  '/.+$': '/x',
  '/.*$': '/',
  '.+$': 'x',
  '.*$': '',
  '[^/]+$': 'x',
  '[^/]*$': '',
};
const TAILS = ['$', '(/.+)?$', '(/.*)?$', '/.+$', '/.*$', '.+$', '.*$', '[^/]+$', '[^/]*$'];
const HEADS = ['^', '^shared', '^shared/', '^shared/$user_id', '^heads/$user_id/', '^a-b_c/$user_id/x', '^$user_id'];

const piece = fc.constantFrom(
  'shared',
  '/',
  '//',
  ID,
  OTHER,
  'heads',
  'a-b_c',
  'x',
  'a',
  '.',
  '\n',
  '\r',
  '\u0000',
  'é',
  '😀',
  '\uD83D',
  '\uDE00',
  '\uFFFD',
  '\u2028',
  '-',
  '_',
  ' ',
);
const name = fc.array(piece, { maxLength: 8 }).map((xs) => xs.join(''));

function infoOf(pattern: string) {
  const { info, problems } = analysePattern(pattern);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return info!;
}

describe('shapeMatcher', () => {
  const patterns = HEADS.flatMap((h) => TAILS.map((t) => h + t));
  test.each(patterns)('answers exactly as re2js does: %s', (pattern) => {
    const info = infoOf(pattern);
    const fast = shapeMatcher(info, ID);
    expect(fast).toBeDefined();
    const re = compileSource(instantiate(info, ID));
    const literal = info.parts.join(ID).replace(/^\^/, '');
    const near = [
      literal,
      `${literal}/`,
      `${literal}x`,
      `${literal}/x`,
      `${literal}/x/y`,
      `${literal}/\n`,
      `${literal}\n`,
      `${literal}//`,
      '',
      'x',
      literal.slice(0, -1),
    ];
    for (const n of near) expect(fast!(n), JSON.stringify(n)).toBe(re.testExact(n));
    fc.assert(
      fc.property(name, (n) => fast!(n) === re.testExact(n)),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 6 }),
        (s) => fast!(literal + s) === re.testExact(literal + s) && fast!(s) === re.testExact(s),
      ),
      { numRuns: 300 },
    );
  });

  test('only for a user ID, with which the pattern is known to compile', () => {
    const info = infoOf('^shared/$user_id(/.+)?$');
    expect(shapeMatcher(info, ID)).toBeDefined();
    for (const id of ['', 'alice', ID.toLowerCase(), `${ID}0`, 'x'.repeat(100_000)]) expect(shapeMatcher(info, id)).toBeUndefined();
  });

  test.each([
    '^shared/[0-9A-F]{40,}$',
    '^shared/[0-9A-F]{0}$',
    '^shared/[0-9A-F]{65}$',
    '^shared/[0-9A-F]{040}$',
    '^shared/[0-9A-F]+$',
    '^shared/[^0-9]{2}$',
    '^shared/[0-9-]{2}$',
    '^shared/[-0-9]{2}$',
    '^shared/[0-9]$',
    '^shared/[[:digit:]]{2}$',
    '^shared/[0-9]{2}?$',
    '^shared/a{2}$',
    '^shared/\\d$',
    '^shared/\\Qx\\E$',
    '^shared/x\\$',
    '^shared/x\\.+$',
    '^shared/x.md$',
    '^shared|docs$',
    '^(?i)shared$',
    '^shared/(a)?$',
    '^shared\\/x$',
    '^shared/[^/]+/$',
    'shared$',
    '^shared/.+/x$',
    '^shared/$user_id+$',
    '^shared(/.+)$',
    '^shared(/.+)?',
    '^sh ared$',
    '^é$',
    'glob:shared/**',
    'glob:shared/$user_id/**',
    'glob:docs/*.md',
  ])('leaves %s to re2js', (pattern) => {
    expect(shapeMatcher(infoOf(pattern), ID)).toBeUndefined();
  });
});

/**
 * Patterns built from the pieces shapes are made of (and from pieces just outside them), so that generated
 * patterns are shapes, near-shapes and plain regexes: whichever the analyser takes, its verdict and sizes must be
 * re2js's, and a shape it claims must answer names as re2js does.
 */
const atom = fc.oneof(
  fc.constantFrom('shared', 'a', 'x-y_z', '/', '0', 'Z', '\\.', '\\$', '\\\\', '\\[', '\\(', '\\+', '$user_id'),
  fc
    .tuple(
      fc.constantFrom('0-9A-F', '0-9', 'a-z0-9', 'x', 'A-Za-z', '0-z', '^0-9', '0-9-', 'a-', '[:digit:]', '', '9-0'),
      fc.constantFrom('{1}', '{2}', '{40}', '{64}', '{65}', '{0}', '{02}', '{2,}', '{2,3}', '', '+', '*', '?'),
    )
    .map(([cls, rep]) => `[${cls}]${rep}`),
  fc.constantFrom('.', '+', '*', '(', ')', '|', '{', '}', '\\', '\\d', '[', ']', '^', '$'),
);
const tail = fc.constantFrom(...TAILS, '', '(/.+)', '(/.+)?', '.+', '/');
const generated = fc
  .tuple(fc.constantFrom('^', '^', '^', ''), fc.array(atom, { maxLength: 7 }), tail)
  .map(([head, atoms, t]) => head + atoms.join('') + t);

describe('shape analysis', () => {
  test.each(['^shared/[9-0]{2}$', '^shared/[]{2}$', '^shared/[0-9]{2}{3}$', '^shared/[0-9]{1001}$', '^[a-$user_id]{2}$'])(
    'leaves the invalid %s to re2js, with its message',
    (pattern) => {
      const a = analysePattern(pattern);
      expect(a.info).toBeUndefined();
      expect(a.problems.length).toBeGreaterThan(0);
      expect(a).toEqual(analysePatternByEngine(pattern));
    },
  );

  test("gives exactly re2js's verdicts, messages, sizes and captures on generated patterns", () => {
    let shapes = 0;
    fc.assert(
      fc.property(generated, (pattern) => {
        expect(analysePattern(pattern), pattern).toEqual(analysePatternByEngine(pattern));
        const info = analysePattern(pattern).info;
        if (info !== undefined && shapeMatcher(info, ID) !== undefined) shapes++;
      }),
      // A fixed seed: the count below is the same on every run.
      { numRuns: 3000, seed: 20261130 },
    );
    // The generator reaches the shapes, not only patterns left to re2js (about a tenth of them).
    expect(shapes).toBeGreaterThan(200);
  });

  test('sizes shapes with many holes and long classes as re2js does, up to and past the program bound', () => {
    for (const n of [1, 10, 100, 400, 499, 500, 501, 600, 1000]) {
      for (const p of [
        `^${'$user_id/'.repeat(n)}x$`,
        `^${'[0-9A-F]{40}/'.repeat(n)}(/.+)?$`,
        `^a${'[0-9]{64}'.repeat(Math.ceil(n / 3))}[^/]+$`,
      ]) {
        if (p.length > 8_192) continue;
        expect(analysePattern(p), p).toEqual(analysePatternByEngine(p));
      }
    }
  });

  test('claimed shapes answer generated names as re2js does', () => {
    // Names made from the pattern's own text, so that they come close to matching.
    const nameFor = (literal: string) =>
      fc
        .tuple(fc.integer({ min: 0, max: literal.length }), fc.array(piece, { maxLength: 3 }), fc.constantFrom('', ID, '/', '0', 'G'))
        .map(([cut, extra, mid]) => literal.slice(0, cut) + mid + extra.join(''));
    fc.assert(
      fc.property(generated, fc.integer({ min: 0, max: 1_000_000 }), (pattern, seed) => {
        const info = analysePattern(pattern).info;
        const fast = info && shapeMatcher(info, ID);
        if (fast === undefined) return;
        const re = compileSource(instantiate(info!, ID));
        // A name the pattern matches: its text, its classes filled with members, its tail with the shortest match.
        const tailText = [...TAILS].sort((a, b) => b.length - a.length).find((t) => pattern.endsWith(t))!;
        const body = info!.parts.join(ID).replace(/^\^/, '');
        const sample =
          body
            .slice(0, body.length - tailText.length)
            // One pass, left to right: an escaped `\[` is a character, not the start of a class.
            .replace(/\\(.)|\[([^\]]*)\]\{(\d+)\}/g, (_, escaped: string | undefined, cls: string, n: string) => {
              if (escaped !== undefined) return escaped;
              const members = cls.replace(/-/g, '');
              return members[seed % members.length]!.repeat(Number(n));
            }) + SHORTEST[tailText]!;
        fc.assert(
          fc.property(nameFor(sample), (n) => fast(n) === re.testExact(n)),
          { numRuns: 20, seed },
        );
        expect(fast(sample), `${pattern} on ${sample}`).toBe(true);
        expect(fast(sample), `${pattern} on ${sample}`).toBe(re.testExact(sample));
      }),
      { numRuns: 1500 },
    );
  });
});

describe('a policy made only of shapes', () => {
  test('is linted, compiled and judged without re2js', () => {
    const policy = files({
      'refs/main.conf': `anyone fast-forward ^heads/main$\nanyone create-branch,delete ^heads/$user_id/.+$\nowner create-tag ^tags/v[0-9]{1}\\.[0-9]{2}$\n`,
      'branches/shared.conf': [
        'branch ^heads/main$',
        'anyone create-directory ^shared$',
        'anyone create-file ^shared/[^/]+$',
        'deny anyone create-file,create-symlink,create-submodule ^shared/[0-9A-F]{40}$',
        'anyone create-directory,create-file,create-symlink,modify,delete ^shared/$user_id(/.+)?$',
        'anyone create-file,modify ^keys/$user_id\\.asc$',
        ...Array.from({ length: 12 }, (_, k) => `anyone modify ^shared/docs/d${k}/.*$`),
        '',
      ].join('\n'),
    });
    const compile = vi.spyOn(RE2JS, 'compile');
    try {
      expect(lintPolicy(policy).filter((d) => d.severity === 'error')).toEqual([]);
      const compiled = compilePolicy(parsePolicy(policy));
      const decisions = evaluate(compiled, actor(ALICE), [
        ref('fast-forward', 'heads/main'),
        ref('create-branch', `heads/${ALICE}/x`),
        tree('create-file', `shared/${ALICE}/a/b`),
        tree('create-file', `shared/${OWNER}`),
        tree('create-file', 'shared/x'),
        tree('modify', 'shared/docs/d3/y'),
        tree('modify', 'shared/docs/d3'),
      ]);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, true, true, false]);
      expect(compile).not.toHaveBeenCalled();
      // The same policy with one pattern outside the shapes goes through re2js, which the spy sees.
      lintPolicy([...policy, ...files({ 'refs/x.conf': 'anyone delete ^heads/x[0-9]+$\n' })]);
      expect(compile).toHaveBeenCalled();
    } finally {
      compile.mockRestore();
    }
  });
});
