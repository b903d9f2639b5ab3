/**
 * Writing to the terminal: colours only on a TTY, never with --json, never
 * when NO_COLOR is set.
 *
 * The one place the commands' text reaches the terminal, so the one place
 * where it is made safe: much of what the commands print comes from a
 * repository, often someone else's (file names, rule text, tokens, ref
 * names, paths, remote names, lines git wrote on stderr), and a control
 * character there could write the user's clipboard, set the window title or
 * move the cursor to draw a fake "would accept" line. Every string handed to
 * `line` or `err` goes through core's escapeControls, newline included (one
 * call is one line). Colours are not characters in that text: a coloured
 * part is a Styled value, escaped like the rest and then wrapped in the
 * colour's codes here.
 */
import { escapeControls } from '../core/text.js';

type Style = 'red' | 'green' | 'yellow' | 'bold' | 'dim';

/** A part of a line printed in a colour (or plain, without colours). */
export interface Styled {
  readonly style: Style;
  readonly text: string;
}

/** What a command prints as one line: text, coloured parts, or a sequence of them. */
export type Text = string | Styled | readonly Text[];

export interface Out {
  color: boolean;
  line(text?: Text): void;
  err(text: Text): void;
  red(s: string): Styled;
  green(s: string): Styled;
  yellow(s: string): Styled;
  bold(s: string): Styled;
  dim(s: string): Styled;
}

const CODES: Record<Style, string> = { red: '31', green: '32', yellow: '33', bold: '1', dim: '2' };

export function useColor(json: boolean, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (json) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** One line of terminal-safe text: every string escaped, colours (when on) as SGR codes around escaped parts. */
export function render(text: Text, color: boolean): string {
  if (typeof text === 'string') return escapeControls(text);
  if ('style' in text) {
    const safe = escapeControls((text as Styled).text);
    return color ? `\x1b[${CODES[(text as Styled).style]}m${safe}\x1b[0m` : safe;
  }
  return (text as readonly Text[]).map((t) => render(t, color)).join('');
}

/** Text output on `stream` (stdout unless said otherwise); warnings and notes on stderr. */
export function makeOut(json: boolean, stream: NodeJS.WriteStream = process.stdout): Out {
  const color = useColor(json, stream);
  const errColor = useColor(json, process.stderr);
  const styled =
    (style: Style) =>
    (text: string): Styled => ({ style, text });
  return {
    color,
    line: (text = '') => void stream.write(`${render(text, color)}\n`),
    err: (text: Text) => {
      const safe = render(text, errColor);
      process.stderr.write(`${errColor ? safe.replace(/^(warning|note):/, (m) => `\x1b[33m${m}\x1b[0m`) : safe}\n`);
    },
    red: styled('red'),
    green: styled('green'),
    yellow: styled('yellow'),
    bold: styled('bold'),
    dim: styled('dim'),
  };
}

/**
 * JSON on stdout. JSON.stringify escapes C0 controls but writes C1
 * controls, bidi marks and other invisible characters as they are: those are
 * written as `\u` escapes too (the same JSON value, terminal-safe text).
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${safeJson(JSON.stringify(value, null, 2))}\n`);
}

export function safeJson(json: string): string {
  // Below U+0020 only the layout's own newlines are left (JSON.stringify escaped the rest): kept as they are.
  return escapeControls(json, (cp) =>
    cp < 0x20
      ? String.fromCharCode(cp)
      : cp > 0xffff
        ? `\\u${(0xd800 + ((cp - 0x10000) >> 10)).toString(16)}\\u${(0xdc00 + ((cp - 0x10000) & 0x3ff)).toString(16)}`
        : `\\u${cp.toString(16).padStart(4, '0')}`,
  );
}
