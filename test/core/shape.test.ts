/**
 * shapeMatcher answers the common pattern shapes with string operations: its answer must be exactly re2js's
 * (through compileSource, what the evaluator used before) for every name, and every other pattern must be
 * left to re2js.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { analysePattern, compileSource, instantiate, shapeMatcher } from '../../src/core/pattern.js';

const ID = '0123456789ABCDEF0123456789ABCDEF01234567';
const OTHER = 'FEDCBA9876543210FEDCBA9876543210FEDCBA98';
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
    '^shared/[0-9A-F]{40}$',
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
