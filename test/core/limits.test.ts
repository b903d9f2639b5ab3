/**
 * Bounds on policy input (docs/policy-language.md, "Limits"): a policy is
 * data that others contribute, and the client reads the remote's. Past a
 * bound the policy has an error with its own code, the work the bound
 * protects is not done, and compilePolicy refuses a Policy given as data
 * that breaks one. (bench/core.mjs keeps its 10,000-rule policy clean.)
 */
import { describe, expect, test } from 'vitest';
import { compilePolicy, formatDiagnostic, parsePolicy, PolicyError } from '../../src/core/index.js';
import type { Policy, PolicyFile } from '../../src/core/index.js';
import { ALICE, files } from './helpers.js';

const MiB = 1024 * 1024;
const errors = (p: Policy): string[] => p.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
const compileErrors = (p: Policy): string[] => {
  try {
    compilePolicy(p);
  } catch (e) {
    if (e instanceof PolicyError) return e.diagnostics.map(formatDiagnostic);
    throw e;
  }
  return [];
};

describe('bytes', () => {
  test('a rule or group file is at most 1 MiB (UTF-8): past it, one error and the file is not read', () => {
    expect(errors(parsePolicy(files({ 'refs/a.conf': '#'.repeat(MiB) })))).toEqual([]);
    expect(errors(parsePolicy(files({ 'refs/a.conf': '#'.repeat(MiB + 1) + '\nanyone fast-foward ^x$\n' })))).toEqual([
      'refs/a.conf:1:1: error: file is too large (1,048,601 bytes, limit 1 MiB); it is not read',
    ]);
    // Counted in bytes, not characters: 524,289 two-byte characters.
    expect(errors(parsePolicy(files({ 'refs/a.conf': '#' + 'é'.repeat(MiB / 2) })))).toEqual([
      'refs/a.conf:1:1: error: file is too large (1,048,577 bytes, limit 1 MiB); it is not read',
    ]);
    // A group file that is not read is still a group (empty), so rules naming it add no errors of their own.
    const p = parsePolicy(files({ 'groups/team.conf': `${ALICE}\n`.repeat(30_000), 'refs/a.conf': 'team force ^heads/x$\n' }));
    expect(errors(p)).toEqual(['groups/team.conf:1:1: error: file is too large (1,230,000 bytes, limit 1 MiB); it is not read']);
    expect(p.groups['team']!.members).toEqual([]);
  });

  test('all rule and group files together are at most 8 MiB: the file that crosses it and the ones after are not read', () => {
    const big = '#'.repeat(1_000_000) + '\n';
    const map: Record<string, string> = { 'keys/README': big.repeat(2), 'README.md': big.repeat(2) };
    for (let i = 0; i < 9; i++) map[`refs/f${i}.conf`] = big;
    map['refs/f9.conf'] = 'anyone fast-foward ^x$\n';
    // Only rule and group files count: keys/ and other files are not read by the core.
    expect(errors(parsePolicy(files(map)))).toEqual([
      'refs/f8.conf:1:1: error: the policy is too large: its rule and group files hold more than 8 MiB in all; this file and the ones after it are not read',
    ]);
  });
});

describe('counts', () => {
  test('at most 20,000 rule and branch lines', () => {
    const ok = parsePolicy(files({ 'refs/a.conf': 'anyone force ^heads/x$\n'.repeat(20_000) }));
    expect(errors(ok)).toEqual([]);
    const p = parsePolicy(
      files({
        'refs/a.conf': 'anyone force ^heads/x$\n'.repeat(20_000),
        'refs/b.conf': 'anyone force ^heads/y$\nanyone fast-foward ^x$\n',
      }),
    );
    expect(errors(p)).toEqual([
      'refs/b.conf:1:1: error: too many rules: a policy holds at most 20,000 rule and branch lines; this one and the rest are not read',
    ]);
    expect(p.rules).toHaveLength(20_000);
  }, 60_000);

  test('at most 10,000 group files', () => {
    const map: Record<string, string> = { 'refs/a.conf': 'g10000 force ^heads/x$\n' };
    for (let i = 0; i <= 10_000; i++) map[`groups/g${String(i).padStart(5, '0')}.conf`] = `${ALICE}\n`;
    const p = parsePolicy(files(map));
    expect(errors(p)).toEqual([
      'groups/g10000.conf:1:1: error: too many groups: a policy has at most 10,000 group files; this one and the rest are not read',
    ]);
    expect(p.groups['g10000']!.members).toEqual([]);
  }, 60_000);

  test('at most 500,000 member lines in all groups', () => {
    const lines = (n: number): string => 'x\n'.repeat(n);
    const ok = parsePolicy(files({ 'groups/a.conf': lines(300_000), 'groups/b.conf': lines(199_999), 'groups/x.conf': `${ALICE}\n` }));
    expect(errors(ok)).toEqual([]);
    const p = parsePolicy(
      files({ 'groups/a.conf': lines(300_000), 'groups/b.conf': lines(200_001), 'groups/c.conf': 'nope\n', 'groups/x.conf': `${ALICE}\n` }),
    );
    expect(errors(p)).toEqual([
      "groups/b.conf:200001:1: error: too many group members: a policy's groups list at most 500,000 members in all; this one and the rest are not read",
    ]);
    expect(p.groups['b']!.members).toHaveLength(200_000);
    expect(p.groups['c']!.members).toEqual([]);
  }, 60_000);
});

describe('patterns', () => {
  test('a pattern or branch scope is at most 8,192 characters; a longer one is not parsed', () => {
    const pattern = (n: number): string => '^' + 'a'.repeat(n - 2) + '$';
    expect(errors(parsePolicy(files({ 'branches/a.conf': `anyone modify ${pattern(8_192)}\n` })))).toEqual([]);
    expect(errors(parsePolicy(files({ 'branches/a.conf': `anyone modify ${pattern(8_193)}\nbranch ${pattern(9_000)}\n` })))).toEqual([
      'branches/a.conf:1:15: error: pattern is too long (8,193 characters, limit 8,192); split it into several rules or use a group',
      'branches/a.conf:2:8: error: pattern is too long (9,000 characters, limit 8,192); split it into several rules or use a group',
    ]);
  });

  const costly = (i: number): string => `anyone create-branch ^heads/k${i}/${'[ab]{1000}'.repeat(18)}$`;

  test('all distinct patterns together compile to at most 1,000,000 RE2 instructions: past it, no further rule is read', () => {
    const p = parsePolicy(files({ 'refs/a.conf': Array.from({ length: 60 }, (_, i) => costly(i)).join('\n') + '\n' }));
    expect(errors(p)).toEqual([
      "refs/a.conf:56:22: error: the policy's patterns compile to more than 1,000,000 RE2 instructions in all (this one: at least 18,010); rules from here on are not read",
    ]);
    expect(p.rules).toHaveLength(55);
    // A pattern written many times counts once.
    expect(errors(parsePolicy(files({ 'refs/a.conf': `${costly(0)}\n`.repeat(100) })))).toEqual([]);
  }, 120_000);

  test('compilePolicy holds the same bounds for a Policy given as data', () => {
    const base = parsePolicy(files({ 'refs/a.conf': 'anyone force ^heads/x$\n', 'groups/team.conf': `${ALICE}\n` }));
    const rule = base.rules[0]!;
    const many: Policy = {
      ...base,
      rules: Array.from({ length: 20_001 }, (_, i) => ({ ...rule, source: { ...rule.source, line: i + 1 } })),
    };
    expect(compileErrors(many)).toEqual(['refs/a.conf:20001:1: error: too many rules: a policy holds at most 20,000 rules']);
    const groups: Policy['groups'] = {};
    for (let i = 0; i <= 10_000; i++)
      groups[`g${String(i).padStart(5, '0')}`] = { name: `g${i}`, file: `groups/g${String(i).padStart(5, '0')}.conf`, members: [] };
    expect(compileErrors({ ...base, groups })).toEqual([
      'groups/g10000.conf:1:1: error: too many groups: a policy has at most 10,000 groups',
    ]);
    const members = Array.from({ length: 500_001 }, (_, i) => ({ name: ALICE, line: i + 1, col: 1 }));
    expect(compileErrors({ ...base, groups: { team: { name: 'team', file: 'groups/team.conf', members } } })).toEqual([
      "groups/team.conf:1:1: error: too many group members: a policy's groups list at most 500,000 members in all",
    ]);
    const pricey: Policy = {
      ...base,
      rules: Array.from({ length: 60 }, (_, i) => ({
        ...rule,
        pattern: costly(i).split(' ').pop()!,
        source: { ...rule.source, line: i + 1 },
      })),
    };
    expect(compileErrors(pricey)).toEqual([
      "refs/a.conf:56:1: error: the policy's patterns compile to more than 1,000,000 RE2 instructions in all",
    ]);
    expect(compileErrors({ ...base, rules: [{ ...rule, pattern: 'a'.repeat(9_000) }] })).toEqual([
      'refs/a.conf:1:1: error: pattern is too long (9,000 characters, limit 8,192); split it into several rules or use a group',
    ]);
  }, 120_000);
});

test("files that are not read cost nothing: a key file of any size is the adapter's business", () => {
  const huge: PolicyFile = { path: 'keys/' + 'A'.repeat(40) + '.asc', content: 'x'.repeat(20 * MiB) };
  expect(errors(parsePolicy([huge]))).toEqual([]);
});
