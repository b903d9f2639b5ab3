/**
 * A warm judge's wait for its push (the protocol: server/warm-judge.ts). Everything here happens before the judge
 * knows anything of a push, or to take one over; the judging itself is the hook's (hook/main.ts), unchanged.
 *
 * Failing closed: until it says `taken` the judge has touched nothing of the push, and the script falls back to
 * starting the hook itself when it hears anything else, or nothing (a judge that died). After `taken`, a judge that
 * ends without saying `exit <n>` (killed) is a rejection in the script.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { childProcess } from '../git/lazy-child-process.js';
import { codeFiles, codeIdentity, pushEnv, warmDir, warmTag } from '../server/warm-judge.js';

export interface TakenPush {
  /** The judge's answers FIFO: `exit <n>` goes there when the process ends. */
  statusFd: number;
  /** The script's stderr, where the hook's lines go. */
  outFd: number;
  /** The script's stdin: git's ref update commands. */
  stdinFd: number;
}

/** The longest request a script sends: two pids and the tag. */
const MAX_REQUEST = 64;
/** How long a claimed judge waits for the request before it gives up (the script sends it right after claiming). */
const CLAIMED_WAIT_MS = 10_000;

/**
 * Waits in `warmDir(gitDir)` for a script to hand over a push, for `seconds` at most; resolves once the push is
 * taken (environment, working directory and fds are then the push's), or ends the process. `code` is what the
 * judge started from (codeIdentity), checked again before taking a push.
 */
export function waitForPush(gitDir: string, seconds: number, here: string, code: string): Promise<TakenPush> {
  const dir = warmDir(gitDir);
  const tag = warmTag(join(here, 'start.cjs'), process.execPath);
  // One judge waiting is enough: of several started at once (pushes that ended together), the later ones end.
  if (!warmDirReady(gitDir) || waitingJudges(gitDir, tag).length > 0) process.exit(0);
  const stem = join(dir, `${tag}-${process.pid}`);
  const [rq, st, claim] = [`${stem}.rq`, `${stem}.st`, `${stem}.claim`];
  const made = childProcess().spawnSync('mkfifo', ['-m', '600', `${st}.tmp`, `${rq}.tmp`], { stdio: 'ignore' });
  if (made.status !== 0) process.exit(0);
  const statusFd = openSync(`${st}.tmp`, constants.O_RDWR);
  const requestFd = openSync(`${rq}.tmp`, constants.O_RDWR | constants.O_NONBLOCK);
  const cleanup = () => {
    for (const f of [rq, st, claim, `${st}.tmp`, `${rq}.tmp`]) {
      try {
        unlinkSync(f);
      } catch {
        // not there
      }
    }
  };
  // Once a push is taken, nothing of the wait may end the process: process.exit(0) would then say `exit 0`.
  let took = false;
  const quit = () => {
    if (took) return;
    cleanup();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, quit);
  // The answers FIFO is in place (and held) before the requests FIFO, which is what a script looks for.
  renameSync(`${st}.tmp`, st);
  renameSync(`${rq}.tmp`, rq);

  return new Promise<TakenPush>((resolve) => {
    const requests = new Socket({ fd: requestFd, readable: true, writable: false });
    let got = Buffer.alloc(0);
    // Set when the idle timeout found the judge claimed: its request is still to come. Cleared with the idle timer
    // once a request arrives: left running, it would end the judge in the middle of the push it took, and
    // process.exit(0) there is an `exit 0` (start.ts answerAtExit), an accepted push nobody judged.
    let claimedWait: NodeJS.Timeout | undefined;
    const idle = setTimeout(() => {
      // Ending races with a script claiming this judge: whoever creates the claim first has it.
      try {
        closeSync(openSync(claim, 'wx', 0o600));
      } catch {
        claimedWait = setTimeout(quit, CLAIMED_WAIT_MS);
        return;
      }
      quit();
    }, seconds * 1000);
    // A repository removed, or a judge's files taken away: nobody can hand it a push any more.
    const watch = setInterval(() => {
      try {
        lstatSync(rq);
      } catch {
        clearInterval(watch);
        if (!isClaimed(stem)) quit();
        return;
      }
      // One waiting judge per repository is enough: pushes that end together each start one. Of two unclaimed
      // judges, the one whose name sorts after the other's ends, if it can claim itself first (else a script has it).
      const own = `${tag}-${process.pid}.rq`;
      if (!waitingJudges(gitDir, tag).some((f) => f < own)) return;
      try {
        closeSync(openSync(claim, 'wx', 0o600));
      } catch {
        return;
      }
      clearInterval(watch);
      quit();
    }, 2000);
    watch.unref();
    requests.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      const nl = got.indexOf(0x0a);
      if (nl < 0) {
        if (got.length > MAX_REQUEST) refuse('bad request');
        return;
      }
      clearTimeout(idle);
      clearTimeout(claimedWait);
      clearInterval(watch);
      requests.pause();
      const m = /^([1-9][0-9]{0,9}) ([1-9][0-9]{0,9}) ([0-9a-f]{16})$/.exec(got.toString('latin1', 0, nl));
      if (!m || nl !== got.length - 1) return refuse('bad request');
      if (m[3] !== tag || codeIdentity(codeFiles(here)) !== code) return refuse('stale');
      const pid = Number(m[1]);
      let taken: TakenPush;
      let env: NodeJS.ProcessEnv;
      try {
        const proc = `/proc/${pid}`;
        // The pid is the script's only if that process holds both FIFOs, as the script does while it waits (7 and 9):
        // a pid read in another pid namespace, or gone and reused, names some other process.
        if (!sameFile(`${proc}/fd/7`, requestFd) || !sameFile(`${proc}/fd/9`, statusFd)) return refuse('not the sender');
        // The same view of the files: the judge reads the push's absolute paths (its quarantine, GIT_DIR when absolute,
        // the install) through its own root and mounts, and its relative ones below the script's working directory, so
        // a script in another mount (or user) namespace, or under another root, would be judged on files its own hook
        // would not read.
        if (
          ['mnt', 'user'].some((ns) => readlinkSync(`${proc}/ns/${ns}`) !== readlinkSync(`/proc/self/ns/${ns}`)) ||
          !sameFile(`${proc}/root`, '/proc/self/root')
        )
          return refuse('another namespace');
        const status = readFileSync(`${proc}/status`, 'latin1');
        const mine = readFileSync('/proc/self/status', 'latin1');
        // The same user and groups, the same resource limits: otherwise the hook the script would start is not
        // this process. The file mode mask it takes over.
        if (['Uid', 'Gid', 'Groups'].some((k) => field(status, k) !== field(mine, k)) || field(status, 'Uid') === undefined)
          return refuse('another user');
        if (asNodeRuns(readFileSync(`${proc}/limits`, 'latin1')) !== asNodeRuns(readFileSync('/proc/self/limits', 'latin1')))
          return refuse('other limits');
        const umask = field(status, 'Umask');
        if (umask === undefined || !/^[0-7]{1,4}$/.test(umask)) return refuse('no umask');
        env = pushEnv(readFileSync(`${proc}/environ`), Number(m[2]));
        if (!sameStart(env, process.env)) return refuse('another start');
        const stdinFd = openSync(`${proc}/fd/3`, constants.O_RDONLY);
        const outFd = openSync(`${proc}/fd/4`, constants.O_WRONLY | constants.O_APPEND);
        process.chdir(`${proc}/cwd`);
        process.umask(parseInt(umask, 8));
        taken = { statusFd, outFd, stdinFd };
      } catch {
        return refuse('cannot take');
      }
      took = true;
      cleanup();
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(signal, quit);
      for (const k of Object.keys(process.env)) delete process.env[k];
      Object.assign(process.env, env);
      requests.destroy();
      // For measurements (bench/): when this judge's push began.
      (globalThis as Record<symbol, unknown>)[Symbol.for('git-acl.taken-at')] = performance.now();
      writeSync(statusFd, 'taken\n');
      resolve(taken);
    });
    requests.on('error', quit);

    function refuse(why: string): void {
      try {
        writeSync(statusFd, `${why}\n`);
      } catch {
        // the script reads end-of-file instead: the same answer
      }
      quit();
    }
  });
}

/** Whether `a` (a /proc link) is the same file as `b`: another /proc link, or the file open on fd `b`. */
function sameFile(a: string, b: string | number): boolean {
  const x = statSync(a, { bigint: true });
  const y = typeof b === 'number' ? fstatSync(b, { bigint: true }) : statSync(b, { bigint: true });
  return x.dev === y.dev && x.ino === y.ino;
}

/**
 * /proc/<pid>/limits as a Node started under them runs: Node raises its soft limit of open files to the hard one at
 * start (node.cc, PlatformInit), the judge as the hook the script would start, so only the hard limit of open files
 * tells them apart. Compared as it is, a soft limit below the hard one (the usual 1024) made every judge refuse.
 */
function asNodeRuns(limits: string): string {
  return limits
    .split('\n')
    .map((line) => {
      const m = /^(Max open files)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
      return m ? `${m[1]} ${m[3]} ${m[4]!.trim()}` : line;
    })
    .join('\n');
}

/** A field of /proc/<pid>/status, whitespace as one space. */
function field(status: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status);
  return m?.[1]?.trim().replace(/[ \t]+/g, ' ');
}

/**
 * Whether a Node started with the push's environment would have started as this one did: the same NODE_* and UV_*
 * settings (options, memory limits, the thread pool), the same locale and time zone (read once, at Node's start;
 * over ssh a client may send LANG and LC_*), and the same start path (GIT_ACL_HOOK_START). A push that asks for
 * another start is the script's to start.
 */
export function sameStart(push: NodeJS.ProcessEnv, own: NodeJS.ProcessEnv): boolean {
  const startSetting = (k: string) => /^(NODE_|UV_|LC_)/.test(k) || ['LANG', 'LANGUAGE', 'TZ', 'GIT_ACL_HOOK_START'].includes(k);
  const keys = new Set([...Object.keys(push), ...Object.keys(own)].filter(startSetting));
  keys.delete('NODE_NO_WARNINGS');
  for (const k of keys) if (push[k] !== own[k]) return false;
  return true;
}

/**
 * Makes `warmDir(gitDir)` when missing; true when it is a directory of this user that nobody else can write to (whoever
 * can put a FIFO there can answer for a judge). Never throws.
 */
export function warmDirReady(gitDir: string): boolean {
  const dir = warmDir(gitDir);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // there already, or cannot be made: checked below
  }
  try {
    const d = lstatSync(dir);
    return d.isDirectory() && d.uid === process.getuid?.() && (d.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/**
 * The requests FIFOs of the live, unclaimed judges of `tag` waiting in `warmDir(gitDir)`, by name. What a judge that is
 * gone left there (killed: its FIFOs, and the claim of a script that found it dead) is removed on the way.
 */
export function waitingJudges(gitDir: string, tag: string): string[] {
  const dir = warmDir(gitDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const waiting: string[] = [];
  for (const f of names) {
    const m = /^([0-9a-f]{16})-([1-9][0-9]*)\.(rq|st|claim)(\.tmp)?$/.exec(f);
    if (!m) continue;
    if (!alive(Number(m[2]))) {
      try {
        unlinkSync(join(dir, f));
      } catch {
        // someone else's, or gone
      }
    } else if (m[1] === tag && m[3] === 'rq' && !m[4] && !isClaimed(join(dir, f.slice(0, -3)))) waiting.push(f);
  }
  return waiting;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isClaimed(stem: string): boolean {
  try {
    lstatSync(`${stem}.claim`);
    return true;
  } catch {
    return false;
  }
}
