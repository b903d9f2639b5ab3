/** Splitting policy files into lines and whitespace-separated fields, with 1-based columns. */

export interface Token {
  text: string;
  /** 1-based, UTF-16 units. */
  col: number;
}

export interface Line {
  tokens: Token[];
  /** The line without its comment, trimmed: what diagnostics and decisions quote. */
  text: string;
  /** Column just past the last field, where a missing field would go. */
  endCol: number;
}

/** Lines of a file; CRLF and a leading byte-order mark are accepted. */
export function fileLines(content: string): string[] {
  return content.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
}

/**
 * `#` starts a comment anywhere (so a pattern cannot contain a literal `#`;
 * RE2 users write `\x23`). A backslash keeps the next whitespace character in
 * the field, so `\ ` puts a space into a pattern.
 */
export function tokeniseLine(raw: string): Line {
  const hash = raw.indexOf('#');
  const body = hash < 0 ? raw : raw.slice(0, hash);
  const tokens: Token[] = [];
  let i = 0;
  const n = body.length;
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\f' || c === '\v';
  while (i < n) {
    while (i < n && isSpace(body[i])) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSpace(body[i])) {
      if (body[i] === '\\' && i + 1 < n) i += 2;
      else i++;
    }
    tokens.push({ text: body.slice(start, i), col: start + 1 });
  }
  const last = tokens[tokens.length - 1];
  return { tokens, text: body.trim(), endCol: last ? last.col + last.text.length : 1 };
}

export function splitLine(content: string): Token[][] {
  return fileLines(content).map((l) => tokeniseLine(l).tokens);
}
