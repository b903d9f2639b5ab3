/**
 * A `git` for the server's hooks to run in place of the real one, to watch
 * or hold the hook's git children (which objects it reads, a child that
 * hangs, a push held between its judgement and its admission).
 *
 * A wrapper earlier on PATH is not enough: git puts its exec path first on
 * the PATH of every hook. So this builds a private exec path (GIT_EXEC_PATH):
 * a link to every program of git's own, and `git` replaced by a script that
 * runs `body` (sh; "$@" are git's arguments, $REAL_GIT the real git) and
 * then the real git. Set the returned variables in the environment of the
 * `git push`: the client's git passes them to receive-pack and its hooks.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export function wrapGit(dir: string, body: string): { GIT_EXEC_PATH: string } {
  const execPath = execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();
  const real = path.join(execPath, 'git');
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(execPath)) {
    if (name === 'git') continue;
    fs.symlinkSync(path.join(execPath, name), path.join(dir, name));
  }
  fs.writeFileSync(path.join(dir, 'git'), `#!/bin/sh\nREAL_GIT='${real}'\n${body}\nexec "$REAL_GIT" "$@"\n`, { mode: 0o755 });
  return { GIT_EXEC_PATH: dir };
}

/**
 * Runs `push` (given the environment to push with) with every git command the server runs logged, as its first two
 * arguments (`cat-file --batch-command`, `config -z`); returns what push returned and those lines.
 */
export function withGitLog<T>(root: string, push: (env: { GIT_EXEC_PATH: string }) => T): { result: T; commands: string[] } {
  const dir = fs.mkdtempSync(path.join(root, 'wrap-'));
  const log = path.join(dir, 'commands');
  fs.writeFileSync(log, '');
  const result = push(wrapGit(path.join(dir, 'exec'), `printf '%s %s\\n' "$1" "$2" >> '${log}'`));
  return { result, commands: fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}
