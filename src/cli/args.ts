/**
 * A small argument parser for the git-acl commands. Nothing heavy: `git acl
 * --help` must start fast.
 */
import { didYouMean } from '../core/suggest.js';

export interface OptionSpec {
  /** Long name without dashes, e.g. `json`. */
  name: string;
  /** One letter, without the dash. */
  short?: string;
  /** Metavariable for an option that takes a value (`--ref <ref>`); absent for a flag. */
  value?: string;
  /** May be given more than once; the values are collected in order. */
  multiple?: boolean;
  help: string;
}

export interface ParsedArgs {
  options: Record<string, string | string[] | boolean | undefined>;
  positionals: string[];
}

/** Every command's exit status: 0 ok (allowed, clean), 1 denied or an error, 2 a usage error. */
export const ExitCode = { ok: 0, fail: 1, usage: 2 } as const;

/** A mistake in how the command was called: exit code 2, with the command's usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show; undefined for git-acl as a whole. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** A problem the user can act on (a missing file, an unknown ref): exit code 1, one line. */
export class CliError extends Error {}

/**
 * Parses `argv` against `specs`. Accepts `--name value`, `--name=value`, `-x value`,
 * bundled short flags (`-hj`), and `--` to end the options. Unknown options throw
 * a UsageError naming the closest known option.
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command?: string): ParsedArgs {
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));

  const set = (spec: OptionSpec, value: string | true, shown: string) => {
    if (spec.multiple) {
      const prev = options[spec.name];
      options[spec.name] = [...(Array.isArray(prev) ? prev : []), value as string];
    } else {
      if (options[spec.name] !== undefined && options[spec.name] !== value) {
        throw new UsageError(`option ${shown} given more than once`, command);
      }
      options[spec.name] = value;
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) {
        const hint = didYouMean(
          name,
          specs.map((s) => s.name),
        );
        throw new UsageError(`unknown option --${name}${hint ? `; did you mean --${hint}?` : ''}`, command);
      }
      if (spec.value) {
        let value: string | undefined;
        if (eq >= 0) value = arg.slice(eq + 1);
        else if (i + 1 < argv.length) value = argv[++i];
        if (value === undefined) throw new UsageError(`option --${name} needs a value: --${name} ${spec.value}`, command);
        set(spec, value, `--${name}`);
      } else {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`, command);
        set(spec, true, `--${name}`);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = byShort.get(letter);
        if (!spec) {
          const longs = specs.map((s) => s.name);
          const hint = arg.length > 2 ? didYouMean(arg.slice(1), longs) : undefined;
          throw new UsageError(
            `unknown option -${letter}${hint ? `; did you mean --${hint}?` : arg.length > 2 ? ` (long options take two dashes: --${arg.slice(1)})` : ''}`,
            command,
          );
        }
        if (spec.value) {
          const rest = arg.slice(j + 1);
          const value: string | undefined = rest !== '' ? rest : argv[++i];
          if (value === undefined) throw new UsageError(`option -${letter} needs a value: -${letter} ${spec.value}`, command);
          set(spec, value, `-${letter}`);
          break;
        }
        set(spec, true, `-${letter}`);
      }
      continue;
    }
    positionals.push(arg);
  }
  return { options, positionals };
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(args: ParsedArgs, name: string): string[] {
  const v = args.options[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.options[name] === true;
}
