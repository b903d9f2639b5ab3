/**
 * Where a hook reads objects from: the repository plus the push quarantine,
 * from the environment git gives pre-receive. No Node-only imports.
 */
import type { RepoLocation } from './store.js';
import { decodeName } from './names.js';

/**
 * Splits a colon-separated object-directory list the way git writes
 * `GIT_ALTERNATE_OBJECT_DIRECTORIES`: an entry starting with `"` is C-quoted.
 */
export function splitObjectDirectories(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    if (value[i] === ':') {
      i++;
      continue;
    }
    if (value[i] === '"') {
      let s = '';
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < value.length) {
          const c = value[i + 1]!;
          const oct = /^[0-7]{3}/.exec(value.slice(i + 1, i + 4));
          if (oct) {
            s += String.fromCharCode(parseInt(oct[0], 8));
            i += 4;
            continue;
          }
          s += ({ n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' } as Record<string, string>)[c] ?? c;
          i += 2;
        } else {
          s += value[i];
          i++;
        }
      }
      i++; // closing quote
      // Octal escapes are bytes: re-decode as UTF-8.
      out.push(decodeName(Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0xff)).text);
    } else {
      const end = value.indexOf(':', i);
      out.push(value.slice(i, end < 0 ? value.length : end));
      i = end < 0 ? value.length : end;
    }
  }
  return out.filter((d) => d.length > 0);
}

/**
 * The inverse of splitObjectDirectories, as git writes the list
 * (tmp-objdir.c `env_append`): a directory whose path holds `:` or starts
 * with `"` is C-quoted, so that git reads it back as one entry. Joining such
 * a path unquoted would make git look in two directories that do not exist,
 * and every object of the push would be "missing".
 */
export function joinObjectDirectories(dirs: readonly string[]): string {
  return dirs.map((d) => (d.includes(':') || d.startsWith('"') ? quoteC(d) : d)).join(':');
}

const C_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\v': '\\v',
};

/** git's quote_c_style: double quote, backslash and control characters escaped; other bytes (UTF-8 included) as they are, which git's unquoting accepts. */
function quoteC(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (C_ESCAPES[ch] !== undefined) out += C_ESCAPES[ch];
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * The RepoLocation of a hook: `gitDir` plus the push quarantine from the
 * environment git gives pre-receive (`GIT_OBJECT_DIRECTORY`, or
 * `GIT_QUARANTINE_PATH`, and `GIT_ALTERNATE_OBJECT_DIRECTORIES`).
 */
export function locationFromEnv(gitDir: string, env: Record<string, string | undefined>): RepoLocation {
  const loc: RepoLocation = { gitDir };
  const objectDirectory = env.GIT_OBJECT_DIRECTORY || env.GIT_QUARANTINE_PATH;
  if (objectDirectory) loc.objectDirectory = objectDirectory;
  const alternates = env.GIT_ALTERNATE_OBJECT_DIRECTORIES;
  if (alternates) loc.alternateObjectDirectories = splitObjectDirectories(alternates);
  return loc;
}

/**
 * The environment of a CliStore's children on `location`: `base` with the repository and its object directories
 * set from the location (also what the hook's loader starts its early cat-file with: src/server/early-children.ts).
 */
export function storeEnv(location: RepoLocation, base: Record<string, string | undefined>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...base };
  env.GIT_DIR = location.gitDir;
  if (location.objectDirectory) env.GIT_OBJECT_DIRECTORY = location.objectDirectory;
  if (location.alternateObjectDirectories) {
    // Quoted as git quotes them: a directory whose path holds `:` is one entry, not two.
    env.GIT_ALTERNATE_OBJECT_DIRECTORIES = joinObjectDirectories(location.alternateObjectDirectories);
  }
  env.GIT_NO_REPLACE_OBJECTS = '1';
  // Never prompt, never page, never run a configured external diff.
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_PAGER = 'cat';
  delete env.GIT_EXTERNAL_DIFF;
  return env;
}
