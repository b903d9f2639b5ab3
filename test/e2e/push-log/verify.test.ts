/**
 * The push log end to end: real signed pushes by several users (registration,
 * policy changes by the owner, branch creation, fast-forward, force, delete,
 * tags), each accepted push one entry, a denied push none, the log branch
 * closed to every push; then a fresh clone's `git acl verify` passes, and
 * `verifyLog` on isomorphic-git (the browser path) agrees.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone } from '../../support/forge.js';
import { readLog, updateLines } from '../../support/push-log.js';
import { openNodeIsoStore } from '../../../src/git/node-fs.js';
import { verifyLog } from '../../../src/push/verify-log.js';

const POLICY = 'refs/heads/apps/access-control';
const LOG = 'refs/heads/apps/push-log';

let forge: Forge;
let owner: Clone;
let alice: Clone;
let bob: Clone;
let A: string;
let B: string;
let O: string;

function register(c: Clone): void {
  c.ok(['fetch', '-q', 'origin']);
  c.ok(['checkout', '-q', '-B', 'policy', 'origin/apps/access-control']);
  c.write(`keys/${c.user.id}.asc`, c.user.key.publicArmored);
  c.commit(`register ${c.user.name}`);
  const r = c.push(`HEAD:${POLICY}`);
  expect(r.remote).toEqual([]);
  expect(r.code).toBe(0);
}

const entries = () => readLog(forge.bare, forge.env);

beforeAll(async () => {
  forge = Forge.create({ users: ['alice', 'bob'], presets: ['self-registration', 'per-user-branches'] });
  A = forge.user('alice').id;
  B = forge.user('bob').id;
  O = forge.owner.id;
  owner = forge.clone('owner');
  alice = forge.clone('alice');
  bob = forge.clone('bob');
});
afterAll(() => forge?.cleanup());

describe('every accepted push is one entry', () => {
  test('starts with the starting state that init recorded', async () => {
    const log = await entries();
    expect(log).toHaveLength(1);
    expect(log[0]!.meta).toMatchObject({ kind: 'start', owner: O, policy: forge.ref(POLICY) });
    expect([...log[0]!.refs!]).toEqual([[POLICY, forge.ref(POLICY)]]);
  });

  test('logs registrations, branch creation, fast-forward, force, delete and tags, with the certificate byte for byte', async () => {
    register(alice);
    register(bob);
    const m1 = owner.commitTree({ README: 'main\n' }, [], 'main');
    expect(owner.push(`${m1}:refs/heads/main`).code).toBe(0);

    const t1 = alice.commitTree({ 'a.txt': '1\n' }, [], 't1');
    const t2 = alice.commitTree({ 'a.txt': '2\n' }, [t1], 't2');
    const t3 = alice.commitTree({ 'a.txt': '3\n' }, [], 't3');
    expect(alice.push(`${t1}:refs/heads/${A}/topic`).code).toBe(0);
    expect(alice.push(`${t2}:refs/heads/${A}/topic`).code).toBe(0);
    expect(alice.push(`+${t3}:refs/heads/${A}/topic`).code).toBe(0);
    // An annotated tag, deleted afterwards: a fresh clone never sees its object but in the log.
    alice.ok(['tag', '-a', '-m', 'release 1', 'v1', t2]);
    expect(alice.push(`refs/tags/v1:refs/tags/${A}/v1`).code).toBe(0);
    expect(alice.push(`:refs/tags/${A}/v1`).code).toBe(0);
    expect(alice.push(`${t1}:refs/tags/${A}/light`).code).toBe(0);
    expect(alice.push(`:refs/heads/${A}/topic`).code).toBe(0);

    const log = await entries();
    expect(log).toHaveLength(11);
    expect(log.map((e) => e.meta.kind)).toEqual(['start', ...Array(10).fill('push')]);
    expect(log.map((e) => e.meta.pusher ?? null)).toEqual([null, A, B, O, A, A, A, A, A, A, A]);
    expect(updateLines(log[6]!)).toEqual([`${t2} ${t3} refs/heads/${A}/topic`]);
    // The certificate is the very blob git stored for that push.
    const cert = forge.certificates().find((c) => c.text.includes(`${t2} ${t3} refs/heads/${A}/topic\n`))!;
    expect(log[6]!.certificate).toBe(cert.oid);
    // The force-pushed-away t2 stays reachable from the log (entry 6 names it as a parent).
    expect(log[5]!.extraParents).toEqual([t2]);
    // The annotated tag's object is kept in the entry that created it.
    const tagObject = alice.ok(['rev-parse', 'refs/tags/v1']);
    expect(log[7]!.objects.map((o) => o.name)).toEqual([`${tagObject}.tag`]);
    expect(log[7]!.extraParents).toEqual([t2]);
    // Every entry is judged by the policy in force: registrations moved it.
    expect(log[3]!.meta.policy).toBe(forge.ref(POLICY));
    expect(forge.server(['fsck', '--strict', '--no-dangling']).code).toBe(0);
  });

  test('logs a policy change by the owner, and a push it allows', async () => {
    forge.setPolicy({
      ...Forge.presetFiles('self-registration'),
      ...Forge.presetFiles('per-user-branches'),
      'groups/devs.conf': `${A}\n`,
      'refs/devs.conf': 'devs fast-forward ^heads/main$\n',
      'branches/devs.conf': 'branch ^heads/main$\ndevs create-directory,create-file,modify ^docs(/.*)?$\n',
    });
    const m1 = forge.ref('refs/heads/main')!;
    alice.ok(['fetch', '-q', 'origin']);
    const m2 = alice.commitTree({ README: 'main\n', 'docs/a.md': 'doc\n' }, [m1], 'docs');
    const r = alice.push(`${m2}:refs/heads/main`);
    expect(r.remote).toEqual([]);
    expect(r.code).toBe(0);
    const log = await entries();
    expect(log).toHaveLength(13);
    expect(log[12]!.meta.policy).toBe(log[11]!.updates && forge.ref(POLICY));
  });

  test('logs nothing for a denied push', async () => {
    const before = forge.ref(LOG);
    const m = forge.ref('refs/heads/main')!;
    bob.ok(['fetch', '-q', 'origin']);
    const c = bob.commitTree({ README: 'bob was here\n' }, [m], 'nope');
    const r = bob.push(`${c}:refs/heads/main`);
    expect(r.code).not.toBe(0);
    expect(r.remote[0]).toBe(`git-acl: push rejected for user ${B}; no ref was changed`);
    expect(forge.ref(LOG)).toBe(before);
  });

  test('refuses every push to the log branch, the owner included', () => {
    const before = forge.ref(LOG)!;
    owner.ok(['fetch', '-q', 'origin']);
    const forged = owner.commitTree({ entry: 'not an entry\n' }, [before], 'forged');
    const r = owner.push(`${forged}:${LOG}`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${O}; no ref was changed`,
      `git-acl: ${LOG} is the push log: only the server writes it, no push may update it (the owner's neither)`,
    ]);
    const del = owner.push(`:${LOG}`);
    expect(del.code).not.toBe(0);
    expect(del.remote).toContain(`git-acl: ${LOG} is the push log: only the server writes it, no push may update it (the owner's neither)`);
    expect(forge.ref(LOG)).toBe(before);
  });
});

describe('a fresh clone verifies the log', () => {
  test('git acl verify passes and names the tip, the entry count and the owner', () => {
    const carol = forge.addUser('carol');
    const c = forge.clone(carol);
    const r = forge.acl(['verify'], { cwd: c.dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`verified the push log of origin: 13 entries (all 13 checked), tip ${forge.ref(LOG)}\nowner: ${O}\n`);
    expect(r.code).toBe(0);

    // The next run checks only what is new.
    const t = alice.commitTree({ 'x.txt': 'x\n' }, [], 'x');
    expect(alice.push(`${t}:refs/heads/${A}/x`).code).toBe(0);
    const again = forge.acl(['verify', '--json'], { cwd: c.dir });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      remote: 'origin',
      ok: true,
      entries: 14,
      checked: 1,
      owner: O,
      problems: [],
      previous: { entries: 13 },
    });
  });

  test('verifyLog on isomorphic-git (what a browser peer runs) gives the same verdict', async () => {
    const c = forge.clone(forge.user('carol'));
    expect(forge.acl(['verify'], { cwd: c.dir }).code).toBe(0); // fetches everything into refs/git-acl/verify/origin/
    const refs: Record<string, string> = {};
    for (const line of c.ok(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/git-acl/verify/origin/']).split('\n')) {
      const [oid, name] = line.split(' ');
      refs[`refs/${name!.slice('refs/git-acl/verify/origin/'.length)}`] = oid!;
    }
    const store = openNodeIsoStore({ gitDir: `${c.dir}/.git` });
    try {
      const result = await verifyLog({ store, tip: refs[LOG]!, refs });
      expect(result.problems).toEqual([]);
      expect(result).toMatchObject({ ok: true, entries: 14, checked: 14, owner: O });
      expect(result.state[`refs/tags/${A}/light`]).toBe(refs[`refs/tags/${A}/light`]);
      expect(result.state[`refs/tags/${A}/v1`]).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  test('takes a path or URL as well as a remote name, and says when there is no log', () => {
    const c = forge.clone(forge.user('carol'));
    const byPath = forge.acl(['verify', forge.bare, '--json'], { cwd: c.dir });
    expect(byPath.code).toBe(0);
    expect(JSON.parse(byPath.stdout)).toMatchObject({ remote: forge.bare, ok: true, entries: 14 });
    const empty = `${forge.root}/empty.git`;
    forge.sh('git', ['init', '-q', '--bare', empty]);
    const none = forge.acl(['verify', empty], { cwd: c.dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      `git acl verify: ${empty} has no push log (${LOG}): its server does not log pushes (git acl init turns logging on)\n`,
    );
  });

  test('the starting state is trusted, so a log started on an existing repository verifies too', async () => {
    // Turn logging off and on again: init writes a new starting state with every ref as it is now.
    const tmp = forge.server(['update-ref', '-d', LOG]);
    expect(tmp.code).toBe(0);
    const keyFile = `${forge.root}/owner.asc`;
    const r = forge.acl(['init', forge.bare, '--owner-key', keyFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`started the push log ${LOG} (${Object.keys(forge.refs()).length - 1} refs recorded as the starting state)`);
    const c = forge.clone(forge.user('carol'));
    const v = forge.acl(['verify'], { cwd: c.dir });
    expect(v.stdout).toBe(`verified the push log of origin: 1 entry (all 1 checked), tip ${forge.ref(LOG)}\nowner: ${O}\n`);
    expect(v.code).toBe(0);
  });
});
