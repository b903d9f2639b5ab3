/**
 * docs/cookbook.md stays true: every recipe's policy files (the ```conf blocks
 * of one `##` section, each headed by its path) lint clean together with the
 * default policy, and the recipes grant and deny what the text says.
 */
import { describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compilePolicy, evaluate, formatDiagnostic, lintPolicy, parsePolicy } from '../../src/core/index.js';
import type { PolicyFile, RefOp, TreeOp } from '../../src/core/index.js';
import { readPresetFiles } from '../../src/server/init.js';
import { REPO_ROOT } from '../support/env.js';

const ROOT = REPO_ROOT;
const COOKBOOK = fs.readFileSync(path.join(ROOT, 'docs/cookbook.md'), 'utf8');

const OWNER = 'F'.repeat(40);
const DEV = '0123456789ABCDEF0123456789ABCDEF01234567';
const REVIEWER = '89ABCDEF0123456789ABCDEF0123456789ABCDEF';
const ALICE = 'A1'.repeat(20);
const BOB = 'B0'.repeat(20);

/** Section title -> its policy files. */
function recipes(): Map<string, PolicyFile[]> {
  const out = new Map<string, PolicyFile[]>();
  let section = '';
  const re = /^## (.+)$|^```conf\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(COOKBOOK); m; m = re.exec(COOKBOOK)) {
    if (m[1] !== undefined) {
      section = m[1];
      continue;
    }
    const body = m[2]!;
    const head = /^# ((?:refs|branches|groups)\/[^\s]+\.conf)\n/.exec(body);
    if (!head) throw new Error(`a conf block in "${section}" does not start with its path:\n${body}`);
    const list = out.get(section) ?? [];
    list.push({ path: head[1]!, content: body });
    out.set(section, list);
  }
  return out;
}

async function withDefault(files: PolicyFile[]): Promise<PolicyFile[]> {
  const base = [...(await readPresetFiles('default'))].map(([p, c]) => ({ path: p, content: c.toString('utf8') }));
  return [...base, ...files];
}

async function judge(section: string | string[], user: string) {
  const files = await withDefault([section].flat().flatMap((s) => recipes().get(s)!));
  const compiled = compilePolicy(parsePolicy(files));
  const actor = { userId: user, ownerId: OWNER };
  return {
    ref: (op: RefOp, ref: string) => evaluate(compiled, actor, [{ type: 'ref', op, ref: `refs/${ref}` }])[0]!.allowed,
    tree: (op: TreeOp, p: string, branch = 'heads/main') =>
      evaluate(compiled, actor, [{ type: 'tree', op, path: p, branch: `refs/${branch}` }])[0]!.allowed,
  };
}

describe('docs/cookbook.md', () => {
  const all = recipes();

  test('has the recipes it promises', () => {
    expect([...all.keys()]).toEqual(
      expect.arrayContaining([
        'Per-user namespaces',
        'Sticky directories',
        'Protected files with `deny`',
        'A maintainers group',
        'Key registration',
        'Rotating or revoking a key',
      ]),
    );
  });

  for (const [section, files] of all) {
    test(`"${section}" lints clean with the default policy`, async () => {
      expect(lintPolicy(await withDefault(files)).map(formatDiagnostic)).toEqual([]);
    });
  }

  test('per-user namespaces: own refs and home directory only', async () => {
    const alice = await judge('Per-user namespaces', ALICE);
    expect(alice.ref('force', `heads/${ALICE}/x`)).toBe(true);
    expect(alice.ref('force', `heads/${BOB}/x`)).toBe(false);
    expect(alice.tree('create-file', 'a.txt', `heads/${ALICE}/x`)).toBe(true);
    expect(alice.tree('create-file', `home/${ALICE}/notes`)).toBe(true);
    expect(alice.tree('create-file', `home/${BOB}/notes`)).toBe(false);
  });

  test('sticky directories: create-only at the top, no squatting', async () => {
    const alice = await judge('Sticky directories', ALICE);
    expect(alice.tree('create-file', 'shared/a')).toBe(true);
    expect(alice.tree('modify', 'shared/a')).toBe(false);
    expect(alice.tree('create-file', `shared/${BOB}`)).toBe(false);
    expect(alice.tree('modify', `shared/${ALICE}/a`)).toBe(true);
  });

  test('protected files: developers everywhere but LICENSE, ci/ and the policy branch; release tags immutable', async () => {
    const dev = await judge('Protected files with `deny`', DEV);
    const owner = await judge('Protected files with `deny`', OWNER);
    expect(dev.ref('fast-forward', 'heads/main')).toBe(true);
    expect(dev.ref('fast-forward', 'heads/apps/access-control')).toBe(false);
    expect(dev.tree('modify', 'src/x.c')).toBe(true);
    for (const op of ['modify', 'delete-file', 'create-file'] as const) expect(dev.tree(op, 'LICENSE'), op).toBe(false);
    expect(dev.tree('create-file', 'ci/run.sh')).toBe(false);
    expect(dev.tree('delete-directory', 'ci')).toBe(false);
    expect(dev.tree('create-file', 'refs/x.conf', 'heads/apps/access-control')).toBe(false);
    expect(dev.ref('create-tag', 'tags/v1.0')).toBe(false);
    expect(owner.ref('create-tag', 'tags/v1.0')).toBe(true);
    expect(owner.ref('force', 'tags/v1.0')).toBe(false);
    expect(owner.ref('delete', 'tags/v1.0')).toBe(false);
    expect(owner.tree('modify', 'LICENSE')).toBe(true);
  });

  test('maintainers group: nested members count', async () => {
    const reviewer = await judge('A maintainers group', REVIEWER);
    expect(reviewer.ref('fast-forward', 'heads/release/1.x')).toBe(true);
    expect(reviewer.tree('modify', 'src/x.c', 'heads/release/1.x')).toBe(true);
    expect((await judge('A maintainers group', ALICE)).ref('fast-forward', 'heads/main')).toBe(false);
  });

  test('key registration: own key only', async () => {
    const alice = await judge('Key registration', ALICE);
    expect(alice.tree('create-file', `keys/${ALICE}.asc`, 'heads/apps/access-control')).toBe(true);
    expect(alice.tree('create-file', `keys/${BOB}.asc`, 'heads/apps/access-control')).toBe(false);
  });

  test('revoked: a denied ID can do nothing, even with an allow rule', async () => {
    const sections = ['Per-user namespaces', 'Rotating or revoking a key'];
    expect((await judge(sections[0]!, DEV)).ref('fast-forward', `heads/${DEV}/x`)).toBe(true);
    const revoked = await judge(sections, DEV);
    expect(revoked.ref('fast-forward', `heads/${DEV}/x`)).toBe(false);
    expect(revoked.ref('create-tag', `tags/${DEV}/x`)).toBe(false);
    expect((await judge(sections, ALICE)).ref('fast-forward', `heads/${ALICE}/x`)).toBe(true);
  });
});
