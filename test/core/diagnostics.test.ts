/** Every diagnostic of the language, with its exact position and text (docs/policy-language.md lists them). */
import { describe, expect, test } from 'vitest';
import { compilePolicy, formatDiagnostic, lintPolicy, parsePolicy, PolicyError } from '../../src/core/index.js';
import { files, lint } from './helpers.js';

const A = 'A1'.repeat(20);

function one(path: string, content: string, extra: Record<string, string> = {}): string[] {
  return lint({ [path]: content, ...extra });
}

describe('rule syntax', () => {
  test.each([
    ['anyone fast-foward ^heads/main$', "refs/a.conf:1:8: error: unknown operation 'fast-foward'; did you mean 'fast-forward'?"],
    ['anyone create-fil ^heads/x$', "refs/a.conf:1:8: error: unknown operation 'create-fil'; did you mean 'create-file'?"],
    ['anyone frobnicate ^heads/x$', "refs/a.conf:1:8: error: unknown operation 'frobnicate'"],
    ['anyone Force ^heads/x$', "refs/a.conf:1:8: error: unknown operation 'Force'; did you mean 'force'?"],
    ['anyone fast-forward,forse ^heads/x$', "refs/a.conf:1:21: error: unknown operation 'forse'; did you mean 'force'?"],
    ['anyone fast-forward,,force ^heads/x$', 'refs/a.conf:1:21: error: empty operation name in the list (stray comma?)'],
    [
      'anyone modify ^heads/x$',
      "refs/a.conf:1:8: error: 'modify' is a tree operation (branches/*.conf); for refs use fast-forward or force",
    ],
    [
      'anyone create-file ^heads/x$',
      "refs/a.conf:1:8: error: 'create-file' is a tree operation (branches/*.conf); for refs use create-branch or create-tag",
    ],
    ['anyone delete-file ^heads/x$', "refs/a.conf:1:8: error: 'delete-file' is a tree operation (branches/*.conf); for refs use delete"],
    ['anyone', 'refs/a.conf:1:8: error: missing operations and pattern: a rule is [deny] <subject> <op>[,<op>...] <pattern>'],
    ['deny', "refs/a.conf:1:6: error: missing subject, operations and pattern after 'deny'"],
    ['anyone force', 'refs/a.conf:1:14: error: missing pattern: a rule is [deny] <subject> <op>[,<op>...] <pattern>'],
    [
      'anyone force ^heads/x$ extra',
      "refs/a.conf:1:24: error: unexpected 'extra' after the pattern (a pattern cannot contain spaces; write '\\ ' or \\x20)",
    ],
    [
      'branch ^heads/main$',
      "refs/a.conf:1:1: error: 'branch' lines are only allowed in branches/*.conf; ref rules match the ref name itself",
    ],
    ['deny deny force ^heads/x$', "refs/a.conf:1:6: error: 'deny' is reserved and cannot be a subject"],
    ['branch2 force ^heads/x$', "refs/a.conf:1:1: error: undefined group 'branch2' (no file groups/branch2.conf)"],
    [
      'a@b force ^heads/x$',
      "refs/a.conf:1:1: error: invalid subject 'a@b': expected anyone, owner, a group name or a user ID (40 upper-case hex digits)",
    ],
    ['maintainers force ^heads/x$', "refs/a.conf:1:1: error: undefined group 'maintainers' (no file groups/maintainers.conf)"],
    [
      '3F2A9C0B7D1E5F4A force ^heads/x$',
      "refs/a.conf:1:1: error: malformed user ID '3F2A9C0B7D1E5F4A': a user ID is the full fingerprint of the key's primary key, 40 upper-case hex digits (gpg --with-colons --fingerprint); a 16-digit (64-bit) key ID is not enough",
    ],
    [
      '0x3F2A9C0B force ^heads/x$',
      "refs/a.conf:1:1: error: malformed user ID '0x3F2A9C0B': a user ID is the full fingerprint of the key's primary key, 40 upper-case hex digits (gpg --with-colons --fingerprint); an 8-digit short key ID is not enough",
    ],
    [
      `${A.toLowerCase()} force ^heads/x$`,
      `refs/a.conf:1:1: error: malformed user ID '${A.toLowerCase()}': a user ID is the full fingerprint of the key's primary key, 40 upper-case hex digits (gpg --with-colons --fingerprint); write it without prefix, in upper case: ${A}`,
    ],
  ])('refs: %s', (line, expected) => {
    expect(one('refs/a.conf', `${line}\n`)).toEqual([expected]);
  });

  test.each([
    [
      'anyone create-branch ^x$',
      "branches/b.conf:1:8: error: 'create-branch' is a ref operation (refs/*.conf); in branches use create-file, create-directory, create-symlink or create-submodule",
    ],
    ['anyone fast-forward ^x$', "branches/b.conf:1:8: error: 'fast-forward' is a ref operation (refs/*.conf); in branches use modify"],
    ['anyone force ^x$', "branches/b.conf:1:8: error: 'force' is a ref operation (refs/*.conf); in branches use modify"],
    [
      'anyone create ^x$',
      "branches/b.conf:1:8: error: 'create' is a ref alias (refs/*.conf); in branches use create-file, create-directory, create-symlink or create-submodule",
    ],
    ['anyone delete-dir ^x$', "branches/b.conf:1:8: error: unknown operation 'delete-dir'; did you mean 'delete-directory'?"],
    ['anyone modfy ^x$', "branches/b.conf:1:8: error: unknown operation 'modfy'; did you mean 'modify'?"],
    ['branch', "branches/b.conf:1:8: error: missing branch pattern after 'branch'"],
    [
      'branch ^heads/a$ ^heads/b$',
      "branches/b.conf:1:18: error: unexpected '^heads/b$' after the branch pattern (a pattern cannot contain spaces; write '\\ ' or \\x20)",
    ],
  ])('branches: %s', (line, expected) => {
    expect(one('branches/b.conf', `${line}\n`)).toEqual([expected]);
  });

  test('comments, blank lines, CRLF and extra spaces are accepted', () => {
    expect(one('refs/a.conf', '\uFEFF# header\r\n\r\n  anyone\tfast-forward   ^heads/x$   # trailing\r\n')).toEqual([]);
  });

  test('a backslash keeps a space in a pattern', () => {
    const p = parsePolicy(files({ 'branches/b.conf': 'anyone create-file ^my\\ file$\n' }));
    expect(p.diagnostics).toEqual([]);
    expect(p.rules[0]!.pattern).toBe('^my\\ file$');
  });
});

describe('patterns', () => {
  test.each([
    ['(a', 'refs/a.conf:1:14: error: invalid regular expression: missing closing ): `(a`'],
    ['heads/[a', 'refs/a.conf:1:14: error: invalid regular expression: missing closing ]: `[a`'],
    ['heads/a**', 'refs/a.conf:1:14: error: invalid regular expression: invalid nested repetition operator: `**`'],
    [
      '(a)\\1',
      'refs/a.conf:1:14: error: backreferences are not supported: patterns use RE2 syntax, which guarantees matching in linear time',
    ],
    [
      '^(?=heads/)x$',
      'refs/a.conf:1:14: error: lookahead and lookbehind are not supported: patterns use RE2 syntax, which guarantees matching in linear time',
    ],
    [
      '^(?!heads/)x$',
      'refs/a.conf:1:14: error: lookahead and lookbehind are not supported: patterns use RE2 syntax, which guarantees matching in linear time',
    ],
    [
      '(?<!a)b',
      'refs/a.conf:1:14: error: lookahead and lookbehind are not supported: patterns use RE2 syntax, which guarantees matching in linear time',
    ],
    [
      'heads/a++',
      'refs/a.conf:1:14: error: possessive quantifiers are not supported: patterns use RE2 syntax, which guarantees matching in linear time',
    ],
    ['^heads/[$user_id]$', 'refs/a.conf:1:22: error: $user_id cannot be used inside a character class [...]'],
    ['glob:heads/[ab', "refs/a.conf:1:25: error: unclosed '[' in glob"],
    ['glob:heads/{a,b', "refs/a.conf:1:25: error: unclosed '{' in glob"],
    ['glob:heads/a}', "refs/a.conf:1:26: error: unmatched '}' in glob (write '\\}' for a literal brace)"],
    ['glob:heads/[z-a]', "refs/a.conf:1:25: error: invalid range 'z-a' in [...]"],
    ['glob:heads/[$user_id]', 'refs/a.conf:1:26: error: $user_id cannot be used inside a character class [...]'],
    ['glob:', 'refs/a.conf:1:19: error: empty glob'],
    ['glob:heads/x\\', 'refs/a.conf:1:26: error: a glob cannot end with a lone backslash'],
    ['^heads/(a{1000}){1000}$', 'refs/a.conf:1:14: error: invalid regular expression: invalid repeat count: `{1000}`'],
    [
      '^heads/.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}.{1000}$',
      'refs/a.conf:1:14: error: regex is too large (at least 21006 instructions, limit 20000); split it into several rules',
    ],
  ])('%s', (pattern, expected) => {
    expect(one('refs/a.conf', `anyone force ${pattern}\n`)).toEqual([expected]);
  });

  test.each([
    [
      'refs/a.conf',
      'anyone force ^refs/heads/main$',
      "refs/a.conf:1:14: warning: pattern can never match: ref names are matched without 'refs/' (write 'heads/main', not 'refs/heads/main')",
    ],
    [
      'refs/a.conf',
      'anyone force glob:refs/heads/*',
      "refs/a.conf:1:14: warning: pattern can never match: ref names are matched without 'refs/' (write 'heads/main', not 'refs/heads/main')",
    ],
    [
      'refs/a.conf',
      'anyone force ^apps/data$',
      "refs/a.conf:1:14: warning: '^apps/data$' matches no branch or tag: ref names are matched as heads/<branch> or tags/<tag> (did you mean '^heads/apps/data$'?)",
    ],
    [
      'refs/a.conf',
      'anyone create-tag ^apps/v[0-9]+$',
      "refs/a.conf:1:19: warning: '^apps/v[0-9]+$' matches no branch or tag: ref names are matched as heads/<branch> or tags/<tag> (did you mean '^tags/apps/v[0-9]+$'?)",
    ],
    [
      'refs/a.conf',
      'anyone force main',
      "refs/a.conf:1:14: warning: 'main' matches no branch or tag: ref names are matched as heads/<branch> or tags/<tag> (did you mean 'heads/main'?)",
    ],
    [
      'branches/b.conf',
      'anyone modify /etc/passwd',
      "branches/b.conf:1:15: warning: pattern can never match: paths are matched without a leading '/'",
    ],
    [
      'branches/b.conf',
      'anyone modify glob:/etc/*',
      "branches/b.conf:1:15: warning: pattern can never match: paths are matched without a leading '/'",
    ],
    [
      'branches/b.conf',
      'branch ^refs/heads/main$',
      "branches/b.conf:1:8: warning: branch pattern can never match: branch names are matched without 'refs/' (write 'heads/main')",
    ],
    ['branches/b.conf', 'branch ^tags/v1$', 'branches/b.conf:1:8: warning: branch pattern can never match: tree rules never apply to tags'],
    [
      'branches/b.conf',
      'branch main',
      "branches/b.conf:1:8: warning: 'main' matches no branch: branch names are matched as heads/<branch> (did you mean 'heads/main'?)",
    ],
    [
      'branches/b.conf',
      'anyone modify glob:a**b',
      "branches/b.conf:1:21: warning: '**' crosses '/' only as a whole path segment (like 'a/**/b'); here it acts like '*'",
    ],
  ])('%s: %s', (path, line, expected) => {
    expect(one(path, `${line}\n`)).toEqual([expected]);
  });

  test('known ref namespaces and $user_id-led patterns are not flagged', () => {
    expect(
      one('refs/a.conf', 'anyone force ^notes/.*$\nanyone force ^$user_id/x$\nanyone force stash\nanyone force glob:tags/**\n'),
    ).toEqual([]);
  });
});

describe('files', () => {
  test('stray files under refs/, branches/, groups/ and keys/ are warned about; others ignored', () => {
    expect(
      lint({
        'refs/README': 'x',
        'branches/notes.txt': 'x',
        'groups/sub/x.conf': 'x',
        'keys/abc.asc': '',
        [`keys/${A}.asc`]: '',
        [`keys/${A.toLowerCase()}.asc`]: '',
        'README.md': 'anything',
        'apps/config.json': '{}',
      }),
    ).toEqual([
      'branches/notes.txt:1:1: warning: ignored: only *.conf files are read in branches/',
      'groups/sub/x.conf:1:1: warning: ignored: a group is a file groups/<name>.conf (no subfolders, .conf suffix)',
      "keys/a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1.asc:1:1: warning: ignored: key files are named keys/<USER_ID>.asc, the key's fingerprint in 40 upper-case hex digits",
      "keys/abc.asc:1:1: warning: ignored: key files are named keys/<USER_ID>.asc, the key's fingerprint in 40 upper-case hex digits",
      'refs/README:1:1: warning: ignored: only *.conf files are read in refs/',
    ]);
  });

  test('a policy file that is not a regular file is an error, never an empty file', () => {
    const NOT_A_FILE = "policy files are read only as regular files (a symlink's target is never followed)";
    const diags = lintPolicy([
      { path: 'refs/deny.conf', content: '', kind: 'symlink' },
      { path: 'groups/admins.conf', content: '', kind: 'symlink' },
      { path: 'branches/sub.conf', content: '', kind: 'submodule' },
      { path: `keys/${A}.asc`, content: '', kind: 'symlink' },
      { path: 'refs/README', content: '', kind: 'symlink' },
      { path: 'refs/ok.conf', content: 'admins force ^heads/x$\n' },
    ]).map(formatDiagnostic);
    expect(diags).toEqual([
      `branches/sub.conf:1:1: error: is a submodule, not a regular file: ${NOT_A_FILE}`,
      `groups/admins.conf:1:1: error: is a symlink, not a regular file: ${NOT_A_FILE}`,
      `keys/${A}.asc:1:1: error: is a symlink, not a regular file: ${NOT_A_FILE}`,
      'refs/README:1:1: warning: ignored: only *.conf files are read in refs/',
      `refs/deny.conf:1:1: error: is a symlink, not a regular file: ${NOT_A_FILE}`,
      "refs/ok.conf:1:1: error: undefined group 'admins' (no file groups/admins.conf)",
    ]);
  });

  test('.conf files in subfolders are read', () => {
    const p = parsePolicy(files({ 'refs/team/a.conf': 'anyone force ^heads/x$\n', 'branches/x/y/b.conf': 'anyone modify ^x$\n' }));
    expect(p.rules.map((r) => `${r.kind} ${r.source.file}`)).toEqual(['tree branches/x/y/b.conf', 'ref refs/team/a.conf']);
  });
});

describe('groups', () => {
  test('every group problem', () => {
    expect(
      lint({
        'groups/x.conf': 'y\n',
        'groups/y.conf': 'x\n',
        'groups/self.conf': 'self\n',
        'groups/empty.conf': '# nobody yet\n',
        'groups/owner.conf': 'anyone\n',
        'groups/bad name.conf': 'anyone\n',
        'groups/z.conf': `${A} more\n0123456789abcdef\nnope\n@@\ndeny\nowner\nanyone\nx\n`,
      }),
    ).toEqual([
      "groups/bad name.conf:1:1: error: invalid group name 'bad name': group names use only A-Z a-z 0-9 _ . -",
      "groups/empty.conf:1:1: warning: group 'empty' has no members",
      "groups/owner.conf:1:1: error: 'owner' is reserved and cannot be a group name (reserved: owner, anyone, deny, branch)",
      'groups/self.conf:1:1: error: group cycle: self -> self',
      'groups/y.conf:1:1: error: group cycle: x -> y -> x',
      `groups/z.conf:1:42: error: one member per line: unexpected 'more' after '${A}'`,
      "groups/z.conf:2:1: error: malformed user ID '0123456789abcdef': a user ID is the full fingerprint of the key's primary key, 40 upper-case hex digits (gpg --with-colons --fingerprint); a 16-digit (64-bit) key ID is not enough",
      "groups/z.conf:3:1: error: undefined group 'nope' (no file groups/nope.conf)",
      "groups/z.conf:4:1: error: '@@' is neither a user ID (40 upper-case hex digits) nor a group name",
      "groups/z.conf:5:1: error: 'deny' is reserved and cannot be a group member",
    ]);
  });

  test('a group name that looks like hex is a group when the file exists', () => {
    expect(lint({ 'groups/3F2A9C0B7D1E5F4A.conf': `${A}\n`, 'refs/a.conf': '3F2A9C0B7D1E5F4A force ^heads/x$\n' })).toEqual([]);
  });

  test('a group named like an Object.prototype member is an ordinary name', () => {
    expect(lint({ 'refs/a.conf': 'constructor force ^heads/x$\n__proto__ force ^heads/x$\n' })).toEqual([
      "refs/a.conf:1:1: error: undefined group 'constructor' (no file groups/constructor.conf)",
      "refs/a.conf:2:1: error: undefined group '__proto__' (no file groups/__proto__.conf)",
    ]);
  });
});

describe('duplicates and ordering', () => {
  test('a duplicate points at the first rule, whatever the op order or spacing', () => {
    expect(
      lint({
        'refs/b.conf': 'anyone  force,fast-forward   ^heads/x$ # again\n',
        'refs/a.conf': 'anyone fast-forward,force ^heads/x$\ndeny anyone fast-forward,force ^heads/x$\n',
      }),
    ).toEqual(['refs/b.conf:1:1: warning: duplicate rule: same as refs/a.conf:1']);
  });

  test('the same rule under different branch scopes is no duplicate', () => {
    expect(lint({ 'branches/a.conf': 'branch ^heads/a$\nanyone modify ^x$\nbranch ^heads/b$\nanyone modify ^x$\n' })).toEqual([]);
  });

  test('diagnostics are sorted by file, line, column and the same for any file order', () => {
    const map = { 'refs/b.conf': 'x y heads/z\nanyone force (\n', 'refs/a.conf': 'anyone forse ^heads/x$\n' };
    const reversed = Object.fromEntries(Object.entries(map).reverse());
    expect(lint(map)).toEqual(lint(reversed));
    expect(lint(map)).toEqual([
      "refs/a.conf:1:8: error: unknown operation 'forse'; did you mean 'force'?",
      "refs/b.conf:1:1: error: undefined group 'x' (no file groups/x.conf)",
      "refs/b.conf:1:3: error: unknown operation 'y'",
      'refs/b.conf:2:14: error: invalid regular expression: missing closing ): `(`',
    ]);
  });
});

describe('compilePolicy', () => {
  test('throws PolicyError carrying the errors (not the warnings)', () => {
    const policy = parsePolicy(files({ 'refs/a.conf': 'anyone forse ^heads/x$\nanyone force ^refs/x$\n' }));
    let caught: unknown;
    try {
      compilePolicy(policy);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    const err = caught as PolicyError;
    expect(err.diagnostics.map(formatDiagnostic)).toEqual(["refs/a.conf:1:8: error: unknown operation 'forse'; did you mean 'force'?"]);
    expect(err.message).toBe("policy has 1 error; first: refs/a.conf:1:8: unknown operation 'forse'; did you mean 'force'?");
  });

  test('a hand-built policy with a bad pattern is rejected too', () => {
    const policy = parsePolicy(files({ 'refs/a.conf': 'anyone force ^heads/x$\n' }));
    policy.rules[0]!.pattern = '(';
    expect(() => compilePolicy(policy)).toThrow(PolicyError);
  });

  test('warnings do not stop compilation', () => {
    expect(() => compilePolicy(parsePolicy(files({ 'refs/a.conf': 'anyone force ^refs/x$\n' })))).not.toThrow();
  });

  test('lintPolicy equals parsePolicy(...).diagnostics', () => {
    const f = files({ 'refs/a.conf': 'anyone forse x\n' });
    expect(lintPolicy(f)).toEqual(parsePolicy(f).diagnostics);
  });
});
