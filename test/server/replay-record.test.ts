/**
 * The record of recent push-log entries (src/server/replay-record.ts): what it parses, what it refuses, and the
 * bounds serialising keeps. Any doubt about a record makes it null (the scan then reads the entries).
 */
import { describe, expect, test } from 'vitest';
import { parseRecord, RECORD_FORMAT, RECORD_MAX_BYTES, RECORD_MAX_ENTRIES, serialiseRecord } from '../../src/server/replay-record.js';
import type { EntrySummary } from '../../src/push/replay.js';

const id = (n: number, len = 40) => n.toString(16).padStart(len, '0');
const digest = 'ab'.repeat(32);
const push = (n: number, time: number, extra: Partial<EntrySummary> = {}): [string, EntrySummary] => [
  id(n),
  { kind: 'push', time, previous: id(n - 1), nonce: `${Math.floor(time / 1000)}-${'c'.repeat(40)}`, payload: digest, ...extra },
];
const doc = (entries: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ format: RECORD_FORMAT, entries, ...extra });
const row = (over: Partial<Record<number, unknown>> = {}): unknown[] => {
  const r: unknown[] = [id(2), 'push', 1_700_000_000_000, id(1), '1700000000-abc', digest];
  for (const [i, v] of Object.entries(over)) r[Number(i)] = v;
  return r;
};

describe('the record of recent entries', () => {
  test('round-trips every kind of entry, with and without a payload digest', () => {
    const entries = new Map<string, EntrySummary>([
      [id(1), { kind: 'start', time: 1_000 }],
      [id(2), { kind: 'owner', time: 2_000, previous: id(1) }],
      push(3, 3_000),
      [id(4), { kind: 'push', time: 4_000, previous: id(3), nonce: `4-${'c'.repeat(40)}` }],
    ]);
    const back = parseRecord(serialiseRecord(entries));
    expect(back).toEqual(entries);
    expect(Object.keys(back!.get(id(4))!)).toEqual(['kind', 'time', 'previous', 'nonce']);
  });

  test(`keeps the newest ${RECORD_MAX_ENTRIES} entries by time, whatever order they were added in`, () => {
    const entries = new Map<string, EntrySummary>();
    // Added oldest last for half of them: the bound goes by the entry's time, not by when it was learnt.
    for (let i = 1; i <= 300; i++) entries.set(...push(i, (i % 2 ? i : 1_000 - i) * 1_000));
    const back = parseRecord(serialiseRecord(entries))!;
    expect(back.size).toBe(RECORD_MAX_ENTRIES);
    const kept = [...entries].sort(([, a], [, b]) => b.time - a.time).slice(0, RECORD_MAX_ENTRIES);
    expect(new Set(back.keys())).toEqual(new Set(kept.map(([k]) => k)));
  });

  test('the largest record that can be written is read back (the byte bound is above it)', () => {
    const entries = new Map<string, EntrySummary>();
    // 64-hex ids, the longest nonce an entry may have, made of the characters JSON writes escaped.
    for (let i = 1; i <= RECORD_MAX_ENTRIES; i++)
      entries.set(id(i, 64), {
        kind: 'push',
        time: Number.MAX_SAFE_INTEGER - i,
        previous: id(i + 1, 64),
        nonce: '"\\'.repeat(128),
        payload: digest,
      });
    const text = serialiseRecord(entries);
    expect(text.length).toBeLessThanOrEqual(RECORD_MAX_BYTES);
    expect(parseRecord(text)?.size).toBe(RECORD_MAX_ENTRIES);
  });

  test('a record past its bounds is not believed', () => {
    expect(parseRecord(doc(Array.from({ length: RECORD_MAX_ENTRIES + 1 }, (_, i) => row({ 0: id(i + 10) }))))).toBeNull();
    expect(parseRecord(doc([row()]).padEnd(RECORD_MAX_BYTES + 1, ' '))).toBeNull();
    expect(parseRecord(doc([row()]).padEnd(RECORD_MAX_BYTES, ' '))?.size).toBe(1);
  });

  test.each([
    ['not JSON', '{"format":'],
    ['truncated', doc([row(), row({ 0: id(3) })]).slice(0, 150)],
    ['another format', JSON.stringify({ format: 'git-acl push-log recent 2', entries: [row()] })],
    ['an extra key', doc([row()], { tip: id(2) })],
    ['not an object', JSON.stringify([RECORD_FORMAT, [row()]])],
    ['entries not a list', JSON.stringify({ format: RECORD_FORMAT, entries: {} })],
    ['an id twice', doc([row(), row()])],
    ['a row of five', doc([row().slice(0, 5)])],
    ['an id that is no object id', doc([row({ 0: 'x'.repeat(40) })])],
    ['an unknown kind', doc([row({ 1: 'merge' })])],
    ['a time that is not an integer', doc([row({ 2: 1.5 })])],
    ['a negative time', doc([row({ 2: -1 })])],
    ['a time as a string', doc([row({ 2: '1700000000000' })])],
    ['a push without a previous entry', doc([row({ 3: null })])],
    ['a previous id of another length', doc([row({ 3: id(1, 64) })])],
    ['a start entry with a previous one', doc([row({ 1: 'start', 4: null, 5: null })])],
    ['a push without a nonce', doc([row({ 4: null })])],
    ['a nonce with a space', doc([row({ 4: '1700000000 abc' })])],
    ['a nonce past 256 bytes', doc([row({ 4: `1-${'a'.repeat(255)}` })])],
    ['an owner entry with a nonce', doc([row({ 1: 'owner', 5: null })])],
    ['an owner entry with a digest', doc([row({ 1: 'owner', 4: null })])],
    ['a digest that is not SHA-256 hex', doc([row({ 5: 'AB'.repeat(32) })])],
    ['a short digest', doc([row({ 5: 'ab'.repeat(20) })])],
  ])('a record with %s is not believed', (_what, text) => {
    expect(parseRecord(text)).toBeNull();
  });

  test('the rows those cases change are believed as they are', () => {
    expect(parseRecord(doc([row()]))?.get(id(2))).toEqual({
      kind: 'push',
      time: 1_700_000_000_000,
      previous: id(1),
      nonce: '1700000000-abc',
      payload: digest,
    });
    expect(parseRecord(doc([row({ 1: 'start', 3: null, 4: null, 5: null })]))?.get(id(2))).toEqual({
      kind: 'start',
      time: 1_700_000_000_000,
    });
    expect(parseRecord(doc([row({ 1: 'owner', 4: null, 5: null })]))?.get(id(2))).toEqual({
      kind: 'owner',
      time: 1_700_000_000_000,
      previous: id(1),
    });
    expect(parseRecord(doc([]))?.size).toBe(0);
  });
});
