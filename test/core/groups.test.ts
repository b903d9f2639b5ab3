/**
 * Groups are read in time linear in the size of the group graph: lint (member
 * checks, cycles) and membership. The graphs here took minutes when every
 * group was flattened; the tests only check that the answers are right (the
 * generous timeouts catch a hang, not a slowdown: bench/core.mjs shows speed).
 */
import { describe, expect, test } from 'vitest';
import { compilePolicy, evaluate, lintPolicy, parsePolicy } from '../../src/core/index.js';
import type { PolicyFile } from '../../src/core/index.js';
import { OWNER, actor, ref } from './helpers.js';

const user = (i: number): string => i.toString(16).toUpperCase().padStart(4, '0').repeat(10);
const STRANGER = 'E'.repeat(40);

/** `layers` x `width` groups; each group lists every group of the next layer; the last layer lists users (and the owner). */
function layered(layers: number, width: number, closeCycle = false): PolicyFile[] {
  const files: PolicyFile[] = [];
  for (let l = 0; l < layers; l++) {
    for (let w = 0; w < width; w++) {
      let members: string[];
      if (l < layers - 1) members = Array.from({ length: width }, (_, x) => `g${l + 1}_${x}`);
      else members = [w === width - 1 ? 'owner' : user(w), ...(closeCycle ? ['g0_0'] : [])];
      files.push({ path: `groups/g${l}_${w}.conf`, content: members.join('\n') + '\n' });
    }
  }
  files.push({
    path: 'refs/a.conf',
    content: [
      'g0_0 create-branch ^heads/top$',
      `g${layers - 1}_3 create-branch ^heads/bottom$`,
      `g${layers - 2}_0 create-branch ^heads/middle$`,
      '',
    ].join('\n'),
  });
  return files;
}

describe('a layered group graph (120 layers of 50 groups, each listing the whole next layer)', () => {
  const files = layered(120, 50);

  test('lints clean and decides membership through every layer', () => {
    const policy = parsePolicy(files);
    expect(policy.diagnostics).toEqual([]);
    const compiled = compilePolicy(policy);
    const ops = [ref('create-branch', 'heads/top'), ref('create-branch', 'heads/bottom'), ref('create-branch', 'heads/middle')];
    const verdicts = (userId: string, ownerId = OWNER): boolean[] => evaluate(compiled, actor(userId, ownerId), ops).map((d) => d.allowed);
    // Every user of the last layer is in every group above it; only user 3 is in g119_3.
    expect(verdicts(user(0))).toEqual([true, false, true]);
    expect(verdicts(user(3))).toEqual([true, true, true]);
    expect(verdicts(user(48))).toEqual([true, false, true]);
    // The owner is listed by g119_49 only: in the groups above it, not in g119_3.
    expect(verdicts(OWNER)).toEqual([true, false, true]);
    // Not the owner when the repository has none.
    expect(verdicts(OWNER, '')).toEqual([false, false, false]);
    expect(verdicts(STRANGER)).toEqual([false, false, false]);
    const [d] = evaluate(compiled, actor(STRANGER), [ref('create-branch', 'heads/top')]);
    expect(d!.reason).toBe(
      `denied: no rule lets ${STRANGER} create-branch heads/top; nearest: refs/a.conf:1 "g0_0 create-branch ^heads/top$" (applies to group 'g0_0', which does not include ${STRANGER})`,
    );
  }, 60_000);

  test('closing the graph into cycles: each closing member line reported once, long cycles shown by their ends', () => {
    const diags = lintPolicy(layered(120, 50, true)).filter((x) => x.code === 'group-cycle');
    // Each of the 50 groups of the last layer lists g0_0, which is on the search path every time.
    expect(diags).toHaveLength(50);
    expect(diags[0]).toEqual({
      file: 'groups/g119_0.conf',
      line: 2,
      col: 1,
      severity: 'error',
      code: 'group-cycle',
      message: 'group cycle: g0_0 -> g1_0 -> g2_0 -> g3_0 -> ... (112 more) -> g116_0 -> g117_0 -> g118_0 -> g119_0 -> g0_0',
    });
    expect(diags.map((x) => x.file)).toEqual(Array.from({ length: 50 }, (_, w) => `groups/g119_${w}.conf`).sort());
  }, 60_000);
});

describe('a chain of 10,000 nested groups', () => {
  const n = 10_000;
  const chain = (close: boolean): PolicyFile[] => [
    ...Array.from({ length: n }, (_, i) => ({
      path: `groups/c${String(i).padStart(5, '0')}.conf`,
      content: i < n - 1 ? `c${String(i + 1).padStart(5, '0')}\n` : `${user(1)}\n${close ? 'c00000\n' : ''}`,
    })),
    { path: 'refs/a.conf', content: 'c00000 force ^heads/x$\n' },
  ];

  test('is searched without recursion: no stack overflow, the bottom user is in the top group', () => {
    const policy = parsePolicy(chain(false));
    expect(policy.diagnostics).toEqual([]);
    const compiled = compilePolicy(policy);
    expect(evaluate(compiled, actor(user(1)), [ref('force', 'heads/x')])[0]!.allowed).toBe(true);
    expect(evaluate(compiled, actor(user(2)), [ref('force', 'heads/x')])[0]!.allowed).toBe(false);
  }, 60_000);

  test('closed into one long cycle: one error, at the member line that closes it', () => {
    expect(lintPolicy(chain(true)).filter((d) => d.severity === 'error')).toEqual([
      {
        file: 'groups/c09999.conf',
        line: 2,
        col: 1,
        severity: 'error',
        code: 'group-cycle',
        message: 'group cycle: c00000 -> c00001 -> c00002 -> c00003 -> ... (9992 more) -> c09996 -> c09997 -> c09998 -> c09999 -> c00000',
      },
    ]);
  }, 60_000);
});

describe('membership rules', () => {
  const compile = (map: Record<string, string>) =>
    compilePolicy(parsePolicy(Object.entries(map).map(([path, content]) => ({ path, content }))));

  test('a member that is a user ID is the user, even when a group has that name', () => {
    const id = user(9);
    const c = compile({
      [`groups/${id}.conf`]: `${user(5)}\n`,
      'groups/team.conf': `${id}\n`,
      'refs/a.conf': 'team force ^heads/x$\n',
    });
    expect(evaluate(c, actor(id), [ref('force', 'heads/x')])[0]!.allowed).toBe(true);
    expect(evaluate(c, actor(user(5)), [ref('force', 'heads/x')])[0]!.allowed).toBe(false);
  });

  test('anyone in a nested group includes every pusher; owner only the owner', () => {
    const c = compile({
      'groups/all.conf': 'inner\n',
      'groups/inner.conf': 'anyone\n',
      'groups/admins.conf': 'bosses\n',
      'groups/bosses.conf': 'owner\n',
      'refs/a.conf': 'all force ^heads/x$\nadmins delete ^heads/x$\n',
    });
    const ops = [ref('force', 'heads/x'), ref('delete', 'heads/x')];
    expect(evaluate(c, actor(STRANGER), ops).map((d) => d.allowed)).toEqual([true, false]);
    expect(evaluate(c, actor(OWNER), ops).map((d) => d.allowed)).toEqual([true, true]);
  });
});
