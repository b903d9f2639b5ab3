/**
 * Red team (issue 12, item 7): the replay record admission keeps (src/server/replay-record.ts) against records
 * and logs the integrator's tests did not try, through the installed hook:
 * - a record, believed by its owner's rules, whose `previous` links loop (a self link, or two rows pointing at each
 *   other): the scan follows the record's links with no object read in between, so a loop would spin the hook's
 *   event loop for ever, with its time limit and signal handlers unable to run and the log's lock held, so every
 *   later push would wait out its lock and be refused; no real chain loops (ids are content hashes), so a loop
 *   is doubt about the record, and the verdict must be the one without it;
 * - the log ref moved by an admin (`git update-ref`) back before the original and forward again: the verdicts
 *   with the record equal those without it at every step;
 * - the certificate of a push git failed to apply (its entry recorded, never on the chain) replayed within the
 *   nonce slop: admitted with the record as without, and refused as a replay once that replay is logged.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ZERO_OID, type Clone, type Forge, type ForgeUser } from '../../support/forge.js';
import {
  LOG,
  logChain,
  replayInput,
  replayRefusal,
  replayScenario,
  writeRecordFile,
  type ReplayScenario,
} from '../push-log/replay-scenario.js';
import type { EntrySummary } from '../../../src/push/replay.js';
import { parseRecord, serialiseRecord } from '../../../src/server/replay-record.js';

let s: ReplayScenario;
let forge: Forge;
let bob: ForgeUser;
let c: Clone;
let recordFile: string;
let original: string;
let good: Buffer;

beforeAll(() => {
  s = replayScenario(2);
  ({ forge, bob, c, recordFile, original, good } = s);
});
afterAll(() => forge?.cleanup());

const chain = (): string[] => logChain(forge);
const refusal = (entry = original) => replayRefusal(s, entry);
const writeRecord = (data: string | Buffer): void => writeRecordFile(s, data);
const recorded = (): Map<string, EntrySummary> => parseRecord(good.toString('utf8'))!;

/**
 * The certificate again, as git hands it to the hook within receive.certNonceSlop. A hook still running after
 * `limitSeconds` is killed with its whole process group (coreutils `timeout` makes one; SIGKILL, as a spinning
 * event loop runs no handler; the hook's Node outlives a killed hook shell), so that the defect fails the test
 * instead of hanging it; a sound hook answers in a fraction of that, so the limit decides nothing when it passes.
 */
function replay(limitSeconds = 120): { code: number | null; stderr: string; killed: boolean } {
  const { env, stdin } = replayInput(s);
  const r = spawnSync('timeout', ['-s', 'KILL', String(limitSeconds), path.join(forge.bare, 'hooks', 'pre-receive')], {
    cwd: forge.bare,
    env: { ...forge.env, GIT_DIR: '.', ...env },
    input: stdin,
    encoding: 'utf8',
  });
  // An admitted replay holds the log's lock with no git to end it: end it here, as the other replay tests do.
  fs.rmSync(path.join(forge.bare, 'git-acl', 'in-flight'), { force: true });
  const killed = r.signal === 'SIGKILL' || r.status === 137;
  return { code: killed ? null : r.status, stderr: r.stderr, killed };
}

describe('a record whose previous links loop', () => {
  afterAll(() => writeRecord(good));

  test('a row that names itself as its previous entry: the replay is refused as without the record', () => {
    const r = recorded();
    const tip = chain()[0]!;
    r.set(tip, { ...r.get(tip)!, previous: tip });
    writeRecord(serialiseRecord(r));
    expect(parseRecord(fs.readFileSync(recordFile, 'utf8'))?.get(tip)?.previous).toBe(tip);
    expect(replay()).toEqual({ code: 1, stderr: refusal(), killed: false });
  });

  test('two rows that name each other: the replay is refused as without the record', () => {
    const r = recorded();
    const [a, b] = chain();
    r.set(b!, { ...r.get(b!)!, previous: a! });
    writeRecord(serialiseRecord(r));
    expect(replay()).toEqual({ code: 1, stderr: refusal(), killed: false });
  });

  test('a loop through an entry the record lacks (read from git in between): refused as without the record', () => {
    // chain: tip -> b -> c ...; the record lacks b and says c's previous is the tip. A walk reads b from git each turn.
    const r = recorded();
    const [tip, b, cc] = chain();
    r.delete(b!);
    r.set(cc!, { ...r.get(cc!)!, previous: tip! });
    writeRecord(serialiseRecord(r));
    expect(replay()).toEqual({ code: 1, stderr: refusal(), killed: false });
  });

  test('after the looping record, a push is logged and the log verifies', () => {
    const r = recorded();
    const tip = chain()[0]!;
    r.set(tip, { ...r.get(tip)!, previous: tip });
    writeRecord(serialiseRecord(r));
    const n = c.commitTree({ 'n.txt': 'n\n' }, [], 'n');
    expect(c.push(`${n}:refs/heads/${bob.id}/n`)).toMatchObject({ code: 0, remote: [] });
    expect(chain()[1]).toBe(tip);
    const v = forge.acl(['verify'], { cwd: c.dir });
    expect([v.code, v.stderr]).toEqual([0, '']);
  });
});

describe('the log ref moved by an admin', () => {
  test('back before the original, then forward again: the same verdicts with the record and without', () => {
    writeRecord(good);
    // post-receive's usual path moves the log ref and leaves the last push's in-flight record for the next taker of
    // the lock, which passes over it once its entry is the log tip. With the log moved back, that taker would log
    // that push again ("applied but not logged"): a note on the first replay only. End it as a taker would.
    fs.rmSync(path.join(forge.bare, 'git-acl', 'in-flight'), { force: true });
    const tip = forge.ref(LOG)!;
    const before = chain()[chain().indexOf(original) + 1]!;
    expect(forge.server(['update-ref', LOG, before, tip]).code).toBe(0);
    try {
      // The original is off the chain: no use is found, with the record (which holds it) or without.
      writeRecord(good);
      const withRecord = replay();
      fs.rmSync(recordFile);
      const without = replay();
      expect(withRecord).toEqual(without);
      expect(withRecord.code).toBe(0);
    } finally {
      expect(forge.server(['update-ref', LOG, tip, before]).code).toBe(0);
    }
    writeRecord(good);
    expect(replay()).toEqual({ code: 1, stderr: refusal(), killed: false });
    fs.rmSync(recordFile);
    expect(replay()).toEqual({ code: 1, stderr: refusal(), killed: false });
    writeRecord(good);
  });
});

describe('a certificate whose push git failed to apply, replayed within the nonce slop', () => {
  test('is admitted with the record (which holds the failed push\u2019s entry) as without it, then refused as a replay once logged', () => {
    writeRecord(good);
    const f = c.commitTree({ 'f.txt': 'f\n' }, [], 'f');
    const lockFile = path.join(forge.bare, 'refs', 'heads', bob.id, 'f.lock');
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    fs.writeFileSync(lockFile, '');
    try {
      expect(c.push(`${f}:refs/heads/${bob.id}/f`).code).not.toBe(0);
    } finally {
      fs.rmSync(lockFile);
    }
    const failed = forge.certificates().find((x) => x.text.includes(` ${f} refs/heads/${bob.id}/f\n`))!;
    const logBefore = forge.ref(LOG)!;
    const hook = (name: string, stdin: string) =>
      spawnSync(path.join(forge.bare, 'hooks', name), [], {
        cwd: forge.bare,
        env: {
          ...forge.env,
          GIT_DIR: '.',
          GIT_PUSH_CERT: failed.oid,
          GIT_PUSH_CERT_NONCE: nonce,
          GIT_PUSH_CERT_NONCE_STATUS: 'OK',
        },
        input: stdin,
        encoding: 'utf8',
      });
    const line = `${ZERO_OID} ${f} refs/heads/${bob.id}/f\n`;
    // The record holds the entry admission wrote for the failed push; the log never reached it.
    const nonce = /^nonce (.*)$/m.exec(failed.text)![1]!;
    const orphan = [...parseRecord(fs.readFileSync(recordFile, 'utf8'))!].find(([, s]) => s.nonce === nonce)?.[0];
    expect(orphan).toBeDefined();
    expect(chain()).not.toContain(orphan);
    const withRecord = hook('pre-receive', line);
    fs.rmSync(path.join(forge.bare, 'git-acl', 'in-flight'), { force: true });
    fs.rmSync(recordFile, { force: true });
    const without = hook('pre-receive', line);
    expect([withRecord.status, withRecord.stderr]).toEqual([0, '']);
    expect([without.status, without.stderr]).toEqual([0, '']);
    // The replay lands this time: git writes the ref, post-receive (the same receive-pack: this process) logs it.
    expect(forge.server(['update-ref', `refs/heads/${bob.id}/f`, f, '']).code).toBe(0);
    expect(hook('post-receive', line).status).toBe(0);
    const logged = forge.ref(LOG)!;
    expect(chain()[1]).toBe(logBefore);
    // Once more, now that it is in the log: refused, naming that entry, with the record as admission left it.
    expect(forge.server(['update-ref', '-d', `refs/heads/${bob.id}/f`]).code).toBe(0);
    const again = hook('pre-receive', line);
    fs.rmSync(path.join(forge.bare, 'git-acl', 'in-flight'), { force: true });
    expect([again.status, again.stderr]).toEqual([1, refusal(logged)]);
    writeRecord(good);
  });
});
