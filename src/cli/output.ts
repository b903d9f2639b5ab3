/** Writing to the terminal: colours only on a TTY, never with --json, never when NO_COLOR is set. */

export interface Out {
  color: boolean;
  line(text?: string): void;
  err(text: string): void;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

export function useColor(json: boolean, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (json) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** Text output on `stream` (stdout unless said otherwise); warnings and notes on stderr. */
export function makeOut(json: boolean, stream: NodeJS.WriteStream = process.stdout): Out {
  const color = useColor(json, stream);
  const errColor = useColor(json, process.stderr);
  const paint = (on: boolean, code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return {
    color,
    line: (text = '') => void stream.write(`${text}\n`),
    err: (text: string) => void process.stderr.write(`${errColor ? text.replace(/^(warning|note):/, (m) => `\x1b[33m${m}\x1b[0m`) : text}\n`),
    red: paint(color, '31'),
    green: paint(color, '32'),
    yellow: paint(color, '33'),
    bold: paint(color, '1'),
    dim: paint(color, '2'),
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
