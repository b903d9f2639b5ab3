/**
 * bytesKey and bytesToHex take Node's native Buffer slices when they can (src/git/names.ts NativeSlices) and their
 * byte loops otherwise (a plain Uint8Array, as isomorphic-git gives in a browser): the two must give the very same
 * strings, for every byte value and range, or a name or an object id would read differently on the server.
 */
import { expect, test } from 'vitest';
import { bytesKey } from '../../src/git/names.js';
import { bytesToHex } from '../../src/git/objects.js';

/** Deterministic bytes (no test depends on chance): every value 0-255, then a mixed run. */
function sample(): Buffer {
  const b = Buffer.alloc(256 + 4096);
  for (let i = 0; i < 256; i++) b[i] = i;
  let x = 0x2545f491;
  for (let i = 256; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

test('a Buffer and a plain Uint8Array of the same bytes give the same key and hex, for every range', () => {
  const buf = sample();
  const plain = new Uint8Array(buf); // a copy whose prototype is Uint8Array's: the loops
  expect(Buffer.isBuffer(plain)).toBe(false);
  const ranges: Array<[number, number]> = [
    [0, 0],
    [0, 256],
    [5, 25],
    [300, 364],
    [300, 365],
    [100, Math.min(9000, buf.length)],
    [buf.length - 20, buf.length],
    [buf.length, buf.length],
  ];
  for (let s = 0; s < 256; s += 17) ranges.push([s, s + 20], [s, s + 32], [s, s + 65]);
  for (const [s, e] of ranges) {
    expect(bytesKey(buf, s, e)).toBe(bytesKey(plain, s, e));
    expect(bytesToHex(buf, s, e)).toBe(bytesToHex(plain, s, e));
  }
  // The strings themselves: one char per byte, lower-case hex.
  expect(bytesKey(buf, 0, 256)).toBe(String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i)));
  expect(bytesToHex(buf, 250, 256)).toBe('fafbfcfdfeff');
  expect(bytesKey(buf.subarray(10, 20))).toBe(bytesKey(plain.subarray(10, 20)));
  expect(bytesToHex(buf.subarray(10, 30))).toBe(bytesToHex(plain.subarray(10, 30)));
});

test('a range past the end is read by the loops, as before, on both kinds of arrays', () => {
  const buf = sample().subarray(0, 8);
  const plain = new Uint8Array(buf);
  expect(bytesKey(buf, 6, 10)).toBe(bytesKey(plain, 6, 10));
  expect(bytesToHex(buf, 6, 10)).toBe(bytesToHex(plain, 6, 10));
});
