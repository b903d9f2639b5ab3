/** Decisions: every op and alias of docs/reference.md#operations, subjects, deny, scopes, $user_id, unsafe names, reasons. */
import { describe, expect, test } from 'vitest';
import { compilePolicy, evaluate, parsePolicy, REF_OPS, TREE_OPS } from '../../src/core/index.js';
import type { RefOp, TreeOp } from '../../src/core/index.js';
import { ALICE, BOB, CAROL, OWNER, actor, allowed, files, judge, ref, tree } from './helpers.js';

describe('ref ops and aliases', () => {
  test.each(REF_OPS.map((op) => [op]))('%s alone grants exactly itself', (op) => {
    const policy = { 'refs/a.conf': `anyone ${op} ^heads/x$\n` };
    expect(
      allowed(
        policy,
        actor(ALICE),
        REF_OPS.map((o) => ref(o, 'heads/x')),
      ),
    ).toEqual(REF_OPS.map((o) => o === op));
  });

  test('create = create-branch + create-tag', () => {
    const policy = { 'refs/a.conf': 'anyone create ^.*$\n' };
    expect(
      allowed(
        policy,
        actor(ALICE),
        REF_OPS.map((o) => ref(o, 'heads/x')),
      ),
    ).toEqual([true, true, false, false, false]);
  });

  test('delete in a refs file is the ref op', () => {
    const p = parsePolicy(files({ 'refs/a.conf': 'anyone delete ^heads/x$\n' }));
    expect(p.rules[0]!.ops).toEqual(['delete']);
    expect(p.rules[0]!.opsWritten).toEqual(['delete']);
  });

  test('ops list: aliases expanded once, written form kept', () => {
    const p = parsePolicy(files({ 'refs/a.conf': 'anyone create,create-tag,force ^heads/x$\n' }));
    expect(p.rules[0]!.opsWritten).toEqual(['create', 'create-tag', 'force']);
    expect(p.rules[0]!.ops).toEqual(['create-branch', 'create-tag', 'force']);
  });

  test('ref names are matched without refs/', () => {
    const policy = { 'refs/a.conf': 'anyone fast-forward ^heads/main$\nanyone create-tag ^tags/v[0-9.]+$\n' };
    expect(
      allowed(policy, actor(ALICE), [
        ref('fast-forward', 'refs/heads/main'),
        ref('fast-forward', 'refs/heads/main2'),
        ref('create-tag', 'refs/tags/v1.0'),
        ref('create-tag', 'refs/tags/v1.0-rc'),
      ]),
    ).toEqual([true, false, true, false]);
  });
});

describe('tree ops and aliases', () => {
  test.each(TREE_OPS.map((op) => [op]))('%s alone grants exactly itself', (op) => {
    const policy = { 'branches/a.conf': `anyone ${op} ^x$\n` };
    expect(
      allowed(
        policy,
        actor(ALICE),
        TREE_OPS.map((o) => tree(o, 'x')),
      ),
    ).toEqual(TREE_OPS.map((o) => o === op));
  });

  test('delete = every delete-* op, nothing else', () => {
    const policy = { 'branches/a.conf': 'anyone delete ^x$\n' };
    expect(
      allowed(
        policy,
        actor(ALICE),
        TREE_OPS.map((o) => tree(o, 'x')),
      ),
    ).toEqual(TREE_OPS.map((o) => o.startsWith('delete-')));
    expect(parsePolicy(files(policy)).rules[0]!.ops).toEqual(['delete-file', 'delete-symlink', 'delete-submodule', 'delete-directory']);
  });

  test('ref rules never judge tree ops and tree rules never judge ref ops', () => {
    const policy = { 'refs/a.conf': 'anyone delete ^.*$\n', 'branches/a.conf': 'anyone delete ^.*$\n' };
    expect(allowed(policy, actor(ALICE), [ref('delete', 'heads/x'), tree('delete-file', 'heads/x')])).toEqual([true, true]);
    expect(allowed({ 'refs/a.conf': 'anyone delete ^.*$\n' }, actor(ALICE), [tree('delete-file', 'heads/x')])).toEqual([false]);
    expect(allowed({ 'branches/a.conf': 'anyone delete ^.*$\n' }, actor(ALICE), [ref('delete', 'heads/x')])).toEqual([false]);
  });
});

describe('subjects', () => {
  const policy = {
    'groups/maintainers.conf': `${ALICE}\nreviewers\n`,
    'groups/reviewers.conf': `${BOB}\n`,
    'groups/admins.conf': 'owner\n',
    'groups/everyone.conf': 'anyone\n',
    'refs/a.conf': [
      'anyone fast-forward ^heads/anyone$',
      'owner fast-forward ^heads/owner$',
      'maintainers fast-forward ^heads/maintainers$',
      'reviewers fast-forward ^heads/reviewers$',
      'admins fast-forward ^heads/admins$',
      'everyone fast-forward ^heads/everyone$',
      `${CAROL} fast-forward ^heads/carol$`,
    ].join('\n'),
  };
  const names = ['anyone', 'owner', 'maintainers', 'reviewers', 'admins', 'everyone', 'carol'];
  const ops = names.map((n) => ref('fast-forward', `heads/${n}`));
  test.each([
    ['owner', actor(OWNER), [true, true, false, false, true, true, false]],
    ['alice (maintainer)', actor(ALICE), [true, false, true, false, false, true, false]],
    ['bob (reviewer, so maintainer too)', actor(BOB), [true, false, true, true, false, true, false]],
    ['carol (by user ID)', actor(CAROL), [true, false, false, false, false, true, true]],
    ['a stranger', actor('D'.repeat(40)), [true, false, false, false, false, true, false]],
    ['no owner configured: nobody is owner', actor('', ''), [true, false, false, false, false, true, false]],
  ])('%s', (_, who, expected) => {
    expect(allowed(policy, who, ops)).toEqual(expected);
  });
});

describe('deny, default deny and which rule decided', () => {
  const policy = {
    'refs/b.conf': 'anyone fast-forward,force ^heads/.*$\n',
    'refs/a.conf': 'deny anyone force ^heads/main$\nanyone fast-forward ^heads/main$\n',
    'refs/c.conf': 'deny owner delete ^heads/main$\n',
  };
  test('deny wins over any allow, in any file', () => {
    const [ff, force, other] = judge(policy, actor(ALICE), [
      ref('fast-forward', 'heads/main'),
      ref('force', 'heads/main'),
      ref('force', 'heads/dev'),
    ]);
    expect(ff!.allowed).toBe(true);
    // The first matching allow rule in canonical order (file path, then line) decides.
    expect(ff!.rule).toEqual({ file: 'refs/a.conf', line: 2, text: 'anyone fast-forward ^heads/main$', deny: false });
    expect(force!.allowed).toBe(false);
    expect(force!.rule).toEqual({ file: 'refs/a.conf', line: 1, text: 'deny anyone force ^heads/main$', deny: true });
    expect(force!.candidates).toEqual([]);
    expect(force!.reason).toBe(
      `denied: ${ALICE} may not force heads/main: refs/a.conf:1 "deny anyone force ^heads/main$" forbids it (deny rules always win)`,
    );
    expect(other!.allowed).toBe(true);
    expect(other!.rule?.file).toBe('refs/b.conf');
    expect(other!.reason).toBe(`allowed: ${ALICE} may force heads/dev by refs/b.conf:1 "anyone fast-forward,force ^heads/.*$"`);
  });

  test('a deny rule for the owner binds the owner only', () => {
    expect(allowed({ ...policy, 'refs/d.conf': 'anyone delete ^heads/main$\n' }, actor(OWNER), [ref('delete', 'heads/main')])).toEqual([
      false,
    ]);
    expect(allowed({ ...policy, 'refs/d.conf': 'anyone delete ^heads/main$\n' }, actor(ALICE), [ref('delete', 'heads/main')])).toEqual([
      true,
    ]);
  });

  test('nothing matches: default deny, no rule', () => {
    const [d] = judge(policy, actor(ALICE), [ref('create-tag', 'tags/v1')]);
    expect(d!.allowed).toBe(false);
    expect(d!.rule).toBeUndefined();
    expect('rule' in d!).toBe(false);
  });

  test('an empty policy denies everything', () => {
    const c = compilePolicy(parsePolicy([]));
    const ds = evaluate(c, actor(OWNER), [ref('create-branch', 'heads/main'), tree('create-file', 'README')]);
    expect(ds.map((d) => d.allowed)).toEqual([false, false]);
    expect(ds[0]!.reason).toBe(
      `denied: no rule lets ${OWNER} create-branch heads/main; no rule comes close: a rule like '${OWNER} create-branch ^heads/main$' in refs/*.conf would allow it`,
    );
    expect(ds[1]!.reason).toBe(
      `denied: no rule lets ${OWNER} create-file README on heads/main; no rule comes close: a rule like '${OWNER} create-file ^README$' in branches/*.conf (under 'branch ^heads/main$' to limit it to this branch) would allow it`,
    );
  });

  test('decisions come back in the order of the ops', () => {
    const ops = [ref('force', 'heads/main'), ref('fast-forward', 'heads/main'), ref('force', 'heads/x'), ref('create-tag', 'tags/x')];
    const ds = judge(policy, actor(ALICE), ops);
    expect(ds.map((d) => d.operation)).toEqual(ops);
    expect(ds.map((d) => d.allowed)).toEqual([false, true, true, false]);
  });
});

describe('branch scopes', () => {
  const policy = {
    'branches/a.conf': [
      'anyone create-file ^README$',
      'branch ^heads/main$',
      'anyone modify ^src/.*$',
      'deny anyone delete ^src/.*$',
      'branch glob:heads/$user_id/**',
      'anyone create-file,modify,delete ^.*$',
    ].join('\n'),
    'branches/b.conf': 'anyone delete-file ^src/old$\n',
  };
  test('rules before any branch line apply everywhere; scopes last until the next branch line; a new file starts unscoped', () => {
    expect(
      allowed(policy, actor(ALICE), [
        tree('create-file', 'README', 'refs/heads/main'),
        tree('create-file', 'README', 'refs/heads/dev'),
        tree('modify', 'src/a.c', 'refs/heads/main'),
        tree('modify', 'src/a.c', 'refs/heads/dev'),
        tree('delete-file', 'src/old', 'refs/heads/main'),
        tree('delete-file', 'src/old', 'refs/heads/dev'),
        tree('modify', 'src/a.c', `refs/heads/${ALICE}/wip`),
        tree('modify', 'src/a.c', `refs/heads/${BOB}/wip`),
      ]),
    ).toEqual([true, true, true, false, false, true, true, false]);
  });

  test('the nearest rule for a scope miss names the scope', () => {
    const [d] = judge(policy, actor(ALICE), [tree('modify', 'src/a.c', 'refs/heads/dev')]);
    expect(d!.reason).toBe(
      `denied: no rule lets ${ALICE} modify src/a.c on heads/dev; nearest: branches/a.conf:3 "anyone modify ^src/.*$" (only on branches matching ^heads/main$)`,
    );
  });
});

describe('$user_id', () => {
  const policy = {
    'refs/a.conf': 'anyone create-branch,fast-forward,force,delete ^heads/$user_id/.*$\n',
    'branches/a.conf': 'anyone create-file,modify,delete-file ^$user_id/.*$\nanyone create-file glob:keys/$user_id.asc\n',
  };
  test('expands to the pusher, per push', () => {
    expect(
      allowed(policy, actor(ALICE), [
        ref('create-branch', `heads/${ALICE}/x`),
        ref('create-branch', `heads/${BOB}/x`),
        tree('modify', `${ALICE}/notes`),
        tree('modify', `${BOB}/notes`),
        tree('create-file', `keys/${ALICE}.asc`),
        tree('create-file', `keys/${BOB}.asc`),
      ]),
    ).toEqual([true, false, true, false, true, false]);
    expect(allowed(policy, actor(BOB), [ref('create-branch', `heads/${BOB}/x`)])).toEqual([true]);
  });

  test.each([['.*'], ['a|b'], [')'], ['(?:'], ['[x'], ['\\'], ['{1000}'], ['$user_id'], ['\\E.*'], ['**'], ['a\nb'], ['Ω☃😀']])(
    'a hostile user ID %j is matched literally',
    (id) => {
      const c = compilePolicy(parsePolicy(files(policy)));
      const ds = evaluate(c, actor(id), [
        ref('create-branch', `heads/${id}/x`),
        ref('create-branch', 'heads/anything/x'),
        ref('create-branch', 'heads/x/y'),
        tree('create-file', `keys/${id}.asc`),
        tree('create-file', 'keys/other.asc'),
        tree('modify', `${id}/a`),
        tree('modify', 'zzz/a'),
      ]);
      // A newline makes the names unsafe: only the literal keys/ glob may still allow them.
      const nl = id.includes('\n');
      expect(ds.map((d) => d.allowed)).toEqual([!nl, false, false, true, false, !nl, false]);
    },
  );

  test('a literal "$user_id" in a name is just text', () => {
    expect(allowed(policy, actor(ALICE), [tree('modify', '$user_id/a'), ref('create-branch', 'heads/$user_id/x')])).toEqual([false, false]);
    expect(
      allowed({ 'branches/a.conf': 'anyone modify ^x\\$user_id$\n' }, actor(ALICE), [
        tree('modify', 'x$user_id'),
        tree('modify', `x${ALICE}`),
      ]),
    ).toEqual([true, false]);
  });

  test('$user_id followed by a quantifier applies it to the whole ID', () => {
    expect(
      allowed({ 'branches/a.conf': 'anyone modify ^($user_id/)+x$\n' }, actor(ALICE), [
        tree('modify', `${ALICE}/${ALICE}/x`),
        tree('modify', `${ALICE}${ALICE}/x`),
      ]),
    ).toEqual([true, false]);
  });
});

describe('unsafe names', () => {
  const name = 'dir/a\u0001b';
  test('wildcards never allow a name with a control character; an exact rule does', () => {
    expect(
      allowed({ 'branches/a.conf': 'anyone create-file ^.*$\n' }, actor(ALICE), [tree('create-file', name), tree('create-file', 'dir/ab')]),
    ).toEqual([false, true]);
    expect(allowed({ 'branches/a.conf': 'anyone create-file ^dir/a\\x01b$\n' }, actor(ALICE), [tree('create-file', name)])).toEqual([true]);
    expect(allowed({ 'branches/a.conf': 'anyone create-file ^dir/a\\x{1}b$\n' }, actor(ALICE), [tree('create-file', name)])).toEqual([
      true,
    ]);
    expect(allowed({ 'branches/a.conf': 'anyone create-file ^dir/a.b$\n' }, actor(ALICE), [tree('create-file', name)])).toEqual([false]);
  });

  test('names flagged unsafeName by the adapter (invalid UTF-8) likewise', () => {
    const bad = 'dir/\uFFFD.txt';
    expect(
      allowed({ 'branches/a.conf': 'anyone create-file glob:dir/*\n' }, actor(ALICE), [tree('create-file', bad, 'refs/heads/main', true)]),
    ).toEqual([false]);
    expect(
      allowed({ 'branches/a.conf': 'anyone create-file glob:dir/\uFFFD.txt\n' }, actor(ALICE), [
        tree('create-file', bad, 'refs/heads/main', true),
      ]),
    ).toEqual([true]);
    expect(
      allowed({ 'branches/a.conf': 'anyone create-file ^dir/\uFFFD\\.txt$\n' }, actor(ALICE), [
        tree('create-file', bad, 'refs/heads/main', true),
      ]),
    ).toEqual([true]);
    expect(allowed({ 'refs/a.conf': 'anyone create-branch ^heads/.*$\n' }, actor(ALICE), [ref('create-branch', 'heads/x', true)])).toEqual([
      false,
    ]);
  });

  test('a literal with $user_id is still a literal', () => {
    expect(
      allowed({ 'branches/a.conf': 'anyone create-file ^keys/$user_id\\.a\\x7f$\n' }, actor(ALICE), [
        tree('create-file', `keys/${ALICE}.a\u007f`),
      ]),
    ).toEqual([true]);
  });

  test('deny rules still apply to unsafe names', () => {
    const [d] = judge({ 'branches/a.conf': 'anyone create-file ^dir/a\\x01b$\ndeny anyone create-file ^dir/.*$\n' }, actor(ALICE), [
      tree('create-file', name),
    ]);
    expect(d!.allowed).toBe(false);
    expect(d!.rule?.deny).toBe(true);
  });

  test('the reason says why a wildcard rule did not count', () => {
    const [d] = judge({ 'branches/a.conf': 'anyone create-file ^dir/.*$\n' }, actor(ALICE), [tree('create-file', name)]);
    expect(d!.reason).toBe(
      `denied: no rule lets ${ALICE} create-file "dir/a\\u0001b" on heads/main: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/a.conf:1 "anyone create-file ^dir/.*$" (has wildcards, which never allow names with control characters or invalid UTF-8)`,
    );
  });
});

describe('explanations', () => {
  const policy = {
    'refs/owner.conf': 'owner create-branch,create-tag,fast-forward,force,delete ^.*$\n',
    'refs/users.conf': 'anyone create-branch,fast-forward ^heads/$user_id/.*$\nanyone fast-forward ^heads/dev$\n',
    'groups/release.conf': `${BOB}\n`,
    'refs/release.conf': 'release create-tag ^tags/v.*$\n',
  };
  test('same op and subject, other pattern first; longest common prefix, then file order', () => {
    const [d] = judge(policy, actor(ALICE), [ref('fast-forward', 'heads/main')]);
    expect(d!.candidates.map((c) => `${c.file}:${c.line}`)).toEqual(['refs/users.conf:1', 'refs/users.conf:2', 'refs/owner.conf:1']);
    expect(d!.reason).toBe(
      `denied: no rule lets ${ALICE} fast-forward heads/main; nearest: refs/users.conf:1 "anyone create-branch,fast-forward ^heads/$user_id/.*$" (pattern does not match heads/main)`,
    );
    const [d2] = judge(policy, actor(ALICE), [ref('fast-forward', 'heads/develop')]);
    expect(d2!.candidates.map((c) => `${c.file}:${c.line}`)).toEqual(['refs/users.conf:2', 'refs/users.conf:1', 'refs/owner.conf:1']);
  });

  test('same pattern, other op', () => {
    const [d] = judge(policy, actor(ALICE), [ref('force', `heads/${ALICE}/x`)]);
    expect(d!.candidates.map((c) => `${c.file}:${c.line}`)).toEqual(['refs/users.conf:1', 'refs/owner.conf:1']);
    expect(d!.reason).toBe(
      `denied: no rule lets ${ALICE} force heads/${ALICE}/x; nearest: refs/users.conf:1 "anyone create-branch,fast-forward ^heads/$user_id/.*$" (allows create-branch,fast-forward, not force)`,
    );
  });

  test('another subject: owner, group', () => {
    const [d1, d2] = judge(policy, actor(ALICE), [ref('delete', 'heads/main'), ref('create-tag', 'tags/v1')]);
    expect(d1!.reason).toBe(
      `denied: no rule lets ${ALICE} delete heads/main; nearest: refs/owner.conf:1 "owner create-branch,create-tag,fast-forward,force,delete ^.*$" (applies to the owner only)`,
    );
    // A rule about tags/v... is a better hint than the owner's catch-all.
    expect(d2!.candidates.map((c) => `${c.file}:${c.line}`)).toEqual(['refs/release.conf:1', 'refs/owner.conf:1']);
    expect(d2!.reason).toBe(
      `denied: no rule lets ${ALICE} create-tag tags/v1; nearest: refs/release.conf:1 "release create-tag ^tags/v.*$" (applies to group 'release', which does not include ${ALICE})`,
    );
  });

  test('a user-ID subject', () => {
    const [d] = judge({ 'refs/a.conf': `${BOB} force ^heads/x$\n` }, actor(ALICE), [ref('force', 'heads/x')]);
    expect(d!.reason).toBe(
      `denied: no rule lets ${ALICE} force heads/x; nearest: refs/a.conf:1 "${BOB} force ^heads/x$" (applies to ${BOB} only)`,
    );
  });

  test('a group the pusher is not in', () => {
    const [d] = judge(policy, actor(CAROL), [ref('create-tag', 'tags/v2')]);
    expect(d!.candidates.map((c) => `${c.file}:${c.line}`)).toEqual(['refs/release.conf:1', 'refs/owner.conf:1']);
    const [d2] = judge({ 'groups/release.conf': `${BOB}\n`, 'refs/release.conf': 'release create-tag ^tags/v.*$\n' }, actor(CAROL), [
      ref('create-tag', 'tags/v2'),
    ]);
    expect(d2!.reason).toBe(
      `denied: no rule lets ${CAROL} create-tag tags/v2; nearest: refs/release.conf:1 "release create-tag ^tags/v.*$" (applies to group 'release', which does not include ${CAROL})`,
    );
  });

  test('at most three candidates', () => {
    const many = Array.from({ length: 10 }, (_, i) => `anyone fast-forward ^heads/x${i}$`).join('\n');
    const [d] = judge({ 'refs/a.conf': many }, actor(ALICE), [ref('fast-forward', 'heads/main')]);
    expect(d!.candidates).toHaveLength(3);
  });

  test('names with spaces or quotes are quoted; one line always', () => {
    const [d] = judge({}, actor(ALICE), [tree('create-file', 'a b/"c"\nd')]);
    expect(d!.reason).toContain('create-file "a b/\\"c\\"\\nd" on heads/main');
    expect(d!.reason).not.toContain('\n');
  });

  test('one call shares the words of the user, rules, ops and branch across operations, and says exactly what each op alone gets', () => {
    const p = {
      'refs/owner.conf': 'owner create-branch,create-tag,fast-forward,force,delete ^.*$\n',
      'branches/all.conf': 'anyone create-file,modify ^.*$\ndeny anyone modify ^x/.*$\n',
    };
    const ops = [
      tree('create-file', 'a.txt'),
      tree('modify', 'x/b', 'refs/heads/dev'),
      tree('create-file', 'c d', 'refs/heads/dev'),
      ref('force', 'heads/main'),
      tree('modify', 'x/"q"', 'refs/heads/main'),
      tree('create-file', 'é\u202e', 'refs/heads/"odd"'),
      tree('create-file', 'z', 'refs/heads/main'),
    ];
    const together = judge(p, actor(OWNER), ops);
    const alone = ops.map((op) => judge(p, actor(OWNER), [op])[0]!);
    const traced = evaluate(compilePolicy(parsePolicy(files(p))), actor(OWNER), ops, { trace: true });
    expect(together.map((d) => d.reason)).toEqual(alone.map((d) => d.reason));
    expect(together.map((d) => d.reason)).toEqual(traced.map((d) => d.reason));
    expect(together.map((d) => d.allowed)).toEqual([true, false, true, true, false, true, true]);
    expect(together[1]!.reason).toBe(
      `denied: ${OWNER} may not modify x/b on heads/dev: branches/all.conf:2 "deny anyone modify ^x/.*$" forbids it (deny rules always win)`,
    );
    expect(together[5]!.reason).toBe(
      `allowed: ${OWNER} may create-file "é\\u202e" on "heads/\\"odd\\"" by branches/all.conf:1 "anyone create-file,modify ^.*$"`,
    );
  });

  test('reasons are plain enumerable strings (JSON, spread)', () => {
    const [d] = judge(policy, actor(OWNER), [ref('force', 'heads/main')]);
    const json = JSON.parse(JSON.stringify(d)) as { reason: string };
    expect(json.reason).toBe(
      `allowed: ${OWNER} may force heads/main by refs/owner.conf:1 "owner create-branch,create-tag,fast-forward,force,delete ^.*$"`,
    );
    expect({ ...d }.reason).toBe(json.reason);
    expect(structuredClone(d).reason).toBe(json.reason);
  });
});

describe('trace', () => {
  const policy = {
    'refs/owner.conf': 'owner create-branch,create-tag,fast-forward,force,delete ^.*$\n',
    'refs/users.conf': 'anyone create-branch,fast-forward ^heads/$user_id/.*$\ndeny anyone force ^heads/main$\n',
    'branches/a.conf': 'anyone create-file ^dir/.*$\nanyone create-file ^dir/a\\x01b$\nbranch ^heads/main$\ndeny anyone modify ^dir/.*$\n',
  };
  const traced = (who: string, ops: Parameters<typeof evaluate>[2]) =>
    evaluate(compilePolicy(parsePolicy(files(policy))), actor(who), ops, { trace: true });

  test('only when asked for; then every rule of the kind, in canonical order, with each test', () => {
    const [plain] = judge(policy, actor(ALICE), [ref('force', 'heads/main')]);
    expect(plain).not.toHaveProperty('trace');
    const [d] = traced(ALICE, [ref('force', 'heads/main')]);
    expect(d!.trace!.map((s) => [`${s.rule.file}:${s.rule.line}`, s.subject, s.op, s.pattern, s.effect, s.decisive, s.note])).toEqual([
      ['refs/owner.conf:1', false, true, true, 'skip', false, 'applies to the owner only'],
      [
        'refs/users.conf:1',
        true,
        false,
        false,
        'skip',
        false,
        'allows create-branch,fast-forward, not force; pattern does not match heads/main',
      ],
      ['refs/users.conf:2', true, true, true, 'deny', true, 'decides: deny rules always win'],
    ]);
    // The decision itself is the same with or without a trace.
    expect([d!.allowed, d!.rule, d!.reason]).toEqual([plain!.allowed, plain!.rule, plain!.reason]);
  });

  test('an unsafe name: a matching wildcard allow rule is not a literal; the literal one decides', () => {
    const [d] = traced(ALICE, [tree('create-file', 'dir/a\u0001b')]);
    expect(d!.allowed).toBe(true);
    expect(d!.trace!.map((s) => ({ line: s.rule.line, literal: s.literal, effect: s.effect, decisive: s.decisive, note: s.note }))).toEqual(
      [
        {
          line: 1,
          literal: false,
          effect: 'skip',
          decisive: false,
          note: 'has wildcards, which never allow names with control characters or invalid UTF-8',
        },
        {
          line: 2,
          literal: true,
          effect: 'allow',
          decisive: true,
          note: 'decides: the first allow rule that applies, and no deny rule applies',
        },
        { line: 4, literal: undefined, effect: 'skip', decisive: false, note: 'denies modify, not create-file' },
      ],
    );
    // A scoped rule on a tree op says whether the branch matched; unscoped rules have no scope test.
    const [dev] = traced(ALICE, [tree('modify', 'dir/x', 'refs/heads/dev')]);
    expect(dev!.trace!.map((s) => s.scope)).toEqual([undefined, undefined, false]);
  });

  test('the first allow decides; a later one applies too', () => {
    const [d] = traced(OWNER, [ref('fast-forward', `heads/${OWNER}/x`)]);
    expect(d!.trace!.filter((s) => s.effect !== 'skip').map((s) => [s.rule.line, s.effect, s.decisive, s.note])).toEqual([
      [1, 'allow', true, 'decides: the first allow rule that applies, and no deny rule applies'],
      [1, 'allow', false, 'applies too; an earlier allow rule decided'],
    ]);
  });
});

describe('compiled policies are reusable', () => {
  test('many actors, one compiled policy', () => {
    const c = compilePolicy(parsePolicy(files({ 'refs/a.conf': 'anyone create-branch ^heads/$user_id/.*$\nowner force ^.*$\n' })));
    for (let i = 0; i < 100; i++) {
      const id = i.toString(16).toUpperCase().padStart(40, '0');
      const ds = evaluate(c, actor(id), [
        ref('create-branch', `heads/${id}/x`),
        ref('create-branch', `heads/${ALICE}/x`),
        ref('force', 'heads/main'),
      ]);
      expect(ds.map((d) => d.allowed)).toEqual([true, id === ALICE, false]);
    }
    expect(evaluate(c, actor(OWNER), [ref('force', 'heads/main')])[0]!.allowed).toBe(true);
  });
});

const ALL: Array<RefOp | TreeOp> = [...REF_OPS, ...TREE_OPS];
test('op lists are complete', () => {
  expect(ALL).toHaveLength(14);
});
