/**
 * Terminal-safe text: nothing the core prints that comes from a repository
 * (file names, rule text, tokens, ref names, paths, group names) may carry a
 * control character, a bidi control, an invisible format character or a lone
 * surrogate to the user's terminal. The oracle here is the JavaScript
 * engine's own Unicode data, independent of the core's fixed table.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { compilePolicy, escapeControls, evaluate, formatDiagnostic, formatTraceStep, lintPolicy } from '../../src/core/index.js';
import type { Operation, Policy, PolicyFile } from '../../src/core/index.js';
import { displayName, displayRule } from '../../src/core/explain.js';
import { ALICE, OWNER } from './helpers.js';

const DANGER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
/** What the brief of this work names explicitly, whatever Unicode says. */
const NAMED = (cp: number): boolean =>
  cp < 0x20 ||
  (cp >= 0x7f && cp <= 0x9f) ||
  cp === 0x61c ||
  cp === 0x200e ||
  cp === 0x200f ||
  (cp >= 0x202a && cp <= 0x202e) ||
  (cp >= 0x2066 && cp <= 0x2069);
const isLone = (ch: string): boolean => ch.length === 1 && ch.charCodeAt(0) >= 0xd800 && ch.charCodeAt(0) <= 0xdfff;
const dangerous = (ch: string): boolean => isLone(ch) || DANGER.test(ch) || NAMED(ch.codePointAt(0)!);

/** The first character of `s` that must never reach a terminal, or undefined. */
function firstDanger(s: string): string | undefined {
  for (const ch of s) if (dangerous(ch)) return `U+${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`;
  return undefined;
}

describe('escapeControls', () => {
  test('every code point: escaped exactly when dangerous, into printable ASCII', () => {
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const ch = cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
      const out = escapeControls(ch);
      const expected = dangerous(ch);
      if (expected ? !/^\\(x[0-9a-f]{2}|u[0-9a-f]{4}|u\{[0-9a-f]{5,6}\})$/.test(out) : out !== ch) wrong.push(cp.toString(16));
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  test('spellings: \\x1b as the core always wrote C0 controls, then \\u and \\u{}', () => {
    expect(escapeControls('a\x1b[2Jb\x7f\x9b\u202e\u2066\u{e0041}\ud800x\udc00')).toBe(
      'a\\x1b[2Jb\\x7f\\x9b\\u202e\\u2066\\u{e0041}\\ud800x\\udc00',
    );
    // Pairs stay pairs; everything printable is left alone, backslashes included.
    expect(escapeControls('😀 é \\x1b ‮')).toBe('😀 é \\x1b \\u202e');
  });

  test('any string: nothing dangerous is left, and everything safe is kept in order', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const out = escapeControls(s);
        expect(firstDanger(out)).toBeUndefined();
        const kept = [...s].filter((ch) => !dangerous(ch)).join('');
        expect(out.replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|u\{[0-9a-f]{5,6}\})/g, (m) => (dangerous(decode(m)) ? '' : m))).toBe(kept);
      }),
      { numRuns: 3000 },
    );
  });
});

function decode(escaped: string): string {
  const hex = escaped.replace(/^\\[xu]\{?|\}$/g, '');
  const cp = parseInt(hex, 16);
  return cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
}

// Text that a hostile repository could hold: any code point, with the dangerous ones made frequent.
const evil = fc.constantFrom(
  '\x1b',
  '\x1b]52;c;aGk=\x07',
  '\x9b',
  '\u202e',
  '\u2066',
  '\u200b',
  '\ufeff',
  '\u{e0041}',
  '\ud800',
  '\udfff',
  '\x00',
  '\x7f',
  '\u2028',
  '\u061c',
);
const hostile = fc
  .array(fc.oneof(evil, fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('a', '/', ' ', '"', '\\', '#')), { maxLength: 8 })
  .map((a) => a.join(''));

describe('what the core prints is terminal-safe', () => {
  test('displayName and displayRule', () => {
    fc.assert(
      fc.property(hostile, hostile, fc.integer({ min: 1, max: 9999 }), (name, text, line) => {
        expect(firstDanger(displayName(name))).toBeUndefined();
        expect(firstDanger(displayRule({ file: name, line, text, deny: false }))).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  test('diagnostics: messages and formatDiagnostic, whatever the file names and contents', () => {
    const dir = fc.constantFrom('refs/', 'branches/', 'groups/', 'keys/', 'refs/x/');
    const file: fc.Arbitrary<PolicyFile> = fc.record({
      path: fc.tuple(dir, hostile, fc.constantFrom('.conf', '.asc', '')).map(([d, n, e]) => d + n + e),
      content: fc
        .array(
          fc.oneof(
            hostile,
            hostile.map((h) => `anyone create-branch ^heads/${h}$`),
            hostile.map((h) => `${h} fast-foward ^x$`),
            hostile.map((h) => `anyone ${h} glob:${h}`),
            hostile.map((h) => `branch ${h}`),
          ),
          { maxLength: 5 },
        )
        .map((l) => l.join('\n')),
    });
    fc.assert(
      fc.property(fc.array(file, { maxLength: 4 }), (files) => {
        for (const d of lintPolicy(files)) {
          expect(firstDanger(d.message)).toBeUndefined();
          expect(firstDanger(formatDiagnostic(d))).toBeUndefined();
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('reasons and trace lines, whatever the rules, group names, user IDs and operation names', () => {
    // Rules as a library might hand them over (a Policy is plain data): hostile group names, user IDs,
    // scopes, ops as written, file names and text; the patterns themselves stay valid.
    const rule = fc.record({
      deny: fc.boolean(),
      subject: fc.oneof(
        fc.constant({ kind: 'anyone' as const }),
        fc.constant({ kind: 'owner' as const }),
        hostile.map((name) => ({ kind: 'group' as const, name })),
        hostile.map((id) => ({ kind: 'user' as const, id })),
      ),
      written: hostile,
      pattern: fc.constantFrom('^heads/.*$', '^.*$', 'glob:**', '^x$', '^heads/a\\x1b$', '^heads/a\x1b\u202e$', 'glob:heads/\u2066*'),
      scope: fc.option(fc.constantFrom('^heads/main$', 'glob:heads/**', '^heads/\\x{202e}$', '^heads/\x9b\u202e.*$', 'glob:**\ud800'), {
        nil: undefined,
      }),
      file: hostile,
      text: hostile,
    });
    const name = fc.tuple(fc.constantFrom('heads/', 'tags/', '', 'heads/a'), hostile).map(([a, b]) => a + b);
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 6 }),
        hostile,
        fc.array(name, { minLength: 1, maxLength: 4 }),
        (rules, who, names) => {
          const policy: Policy = {
            rules: rules.map((r, i) => ({
              kind: i % 2 === 0 ? 'ref' : 'tree',
              deny: r.deny,
              subject: r.subject,
              opsWritten: [r.written],
              ops: i % 2 === 0 ? ['create-branch', 'force'] : ['modify'],
              pattern: r.pattern,
              ...(r.scope !== undefined && i % 2 === 1 ? { scope: r.scope } : {}),
              source: { file: `x${r.file}`, line: i + 1, text: r.text },
            })),
            groups: {},
            diagnostics: [],
          };
          for (const r of policy.rules)
            if (r.subject.kind === 'group')
              policy.groups[r.subject.name] = { name: r.subject.name, file: 'g', members: [{ name: ALICE, line: 1, col: 1 }] };
          const compiled = compilePolicy(policy);
          const ops: Operation[] = names.flatMap((n): Operation[] => [
            { type: 'ref', op: 'create-branch', ref: `refs/${n}` },
            { type: 'tree', op: 'modify', branch: `refs/${n}`, path: n },
          ]);
          for (const userId of [who, ALICE]) {
            for (const d of evaluate(compiled, { userId, ownerId: OWNER }, ops, { trace: true })) {
              expect(firstDanger(d.reason)).toBeUndefined();
              for (const step of d.trace!) {
                expect(firstDanger(step.note)).toBeUndefined();
                expect(firstDanger(formatTraceStep(step))).toBeUndefined();
              }
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
