/**
 * The in-flight record: what pre-receive hands to the hooks that run after it
 * for the same push (post-receive, and a reference-transaction hook), and at
 * the same time the push log's lock. One file, `$GIT_DIR/git-acl/in-flight`:
 *
 *     git-acl in-flight 1
 *     holder <pid> <start>        the receive-pack that runs the push (the hook's
 *                                 parent), or the admin command; <start> is the
 *                                 process's start time from /proc (`-` if unknown),
 *                                 so a reused pid is not taken for the holder
 *     kind push|admin
 *     certificate <blob id>       push: GIT_PUSH_CERT
 *     entry <commit id>           push: the log entry prepared for the judged updates
 *     log-parent <commit id>      push: the log tip the entry was prepared on
 *     policy <commit id>          push: the policy commit the push was judged by
 *     owner <user ID>             push: acl.owner at judgement
 *     pusher <user ID>            push: whose key verified the certificate
 *     nonce <nonce>               push
 *     time <ms>                   push: when it was admitted (Unix time in milliseconds)
 *     judged-at <ms>              push: when it was judged
 *     command <text>              admin: what holds the lock (`git acl init`, ...)
 *     <empty line>
 *     <old> <new> <ref>           push: the judged updates, the bytes of pre-receive's stdin
 *
 * Line-based so that the post-receive script (plain sh, no git-acl process
 * on the usual path) can read it with `read`. The file exists from the moment
 * pre-receive admits a push until the push is in the log: git's
 * receive-pack applies refs only after pre-receive exits, so while the record
 * exists no other git-acl push can move a ref (see log-lock.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const STATE_DIR = 'git-acl';
export const RECORD_NAME = 'in-flight';
export const RECORD_MAGIC = 'git-acl in-flight 1';

export function stateDir(gitDir: string): string {
  return join(gitDir, STATE_DIR);
}

export function recordPath(gitDir: string): string {
  return join(gitDir, STATE_DIR, RECORD_NAME);
}

export interface Holder {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); null when unknown. */
  start: string | null;
}

export interface InflightRecord {
  holder: Holder;
  kind: 'push' | 'admin';
  certificate?: string;
  entry?: string;
  logParent?: string;
  policy?: string;
  owner?: string;
  pusher?: string;
  nonce?: string;
  time?: number;
  judgedAt?: number;
  command?: string;
  /** push: the judged updates, `<old> <new> <ref>\n` lines (bytes as git fed pre-receive). */
  updates?: Uint8Array;
}

const PUSH_KEYS: Array<[keyof InflightRecord, string]> = [
  ['certificate', 'certificate'],
  ['entry', 'entry'],
  ['logParent', 'log-parent'],
  ['policy', 'policy'],
  ['owner', 'owner'],
  ['pusher', 'pusher'],
  ['nonce', 'nonce'],
  ['time', 'time'],
  ['judgedAt', 'judged-at'],
];

export function serialiseRecord(r: InflightRecord): Uint8Array {
  const lines = [RECORD_MAGIC, `holder ${r.holder.pid} ${r.holder.start ?? '-'}`, `kind ${r.kind}`];
  if (r.kind === 'push') {
    for (const [k, name] of PUSH_KEYS) if (r[k] !== undefined) lines.push(`${name} ${String(r[k])}`);
  } else if (r.command !== undefined) {
    lines.push(`command ${r.command.replace(/[\r\n]+/g, ' ')}`);
  }
  const head = Buffer.from(`${lines.join('\n')}\n\n`);
  return r.updates ? Buffer.concat([head, Buffer.from(r.updates)]) : head;
}

export function parseRecord(data: Uint8Array): InflightRecord {
  const buf = Buffer.from(data);
  const end = buf.indexOf('\n\n');
  if (end < 0) throw new Error('in-flight record: no end of header');
  const lines = buf.toString('utf8', 0, end).split('\n');
  if (lines[0] !== RECORD_MAGIC) throw new Error(`in-flight record: unknown format ${JSON.stringify(lines[0]?.slice(0, 40))}`);
  const holder = /^holder (\d+) (\d+|-)$/.exec(lines[1] ?? '');
  if (!holder) throw new Error('in-flight record: no holder');
  const kind = /^kind (push|admin)$/.exec(lines[2] ?? '');
  if (!kind) throw new Error('in-flight record: no kind');
  const r: InflightRecord = {
    holder: { pid: Number(holder[1]), start: holder[2] === '-' ? null : holder[2]! },
    kind: kind[1] as 'push' | 'admin',
  };
  for (const line of lines.slice(3)) {
    const sp = line.indexOf(' ');
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1);
    if (key === 'command') r.command = value;
    const known = PUSH_KEYS.find(([, name]) => name === key);
    if (!known) continue;
    if (known[0] === 'judgedAt' || known[0] === 'time') r[known[0]] = Number(value);
    else (r as unknown as Record<string, string>)[known[0]] = value;
  }
  const rest = buf.subarray(end + 2);
  if (r.kind === 'push') r.updates = new Uint8Array(rest);
  return r;
}

/** The record on disk, or null when there is none (or it cannot be read as one). */
export function readRecord(gitDir: string): { bytes: Uint8Array; record: InflightRecord | null } | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(recordPath(gitDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return { bytes, record: parseRecord(bytes) };
  } catch {
    return { bytes, record: null };
  }
}

/**
 * The receive-pack that runs this hook: the nearest ancestor that is one
 * (`git-receive-pack ...`, or `git receive-pack ...` as git-http-backend
 * starts it), else `from` itself (no /proc, or not under receive-pack).
 *
 * Not simply the parent: the lock must be held by the process that writes
 * the refs, for as long as it runs. A hook script that runs node without
 * `exec` (to turn a crash into one line) is node's parent, and it exits as
 * soon as node does, before receive-pack writes a single ref: a lock held in
 * its name would look abandoned, and the next push would take it over while
 * this push's refs are still to be written.
 */
export function findReceivePack(from: number = process.ppid): number {
  let pid = from;
  for (let depth = 0; depth < 8 && pid > 1; depth++) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      return from;
    }
    if (argv[0]?.split('/').pop() === 'git-receive-pack' || (argv[0]?.split('/').pop() === 'git' && argv.includes('receive-pack')))
      return pid;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return from;
    }
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(parent) || parent <= 0) return from;
    pid = parent;
  }
  return from;
}

/** The identity of process `pid` (see Holder). */
export async function holderOf(pid: number): Promise<Holder> {
  return { pid, start: await processStart(pid) };
}

async function processStart(pid: number): Promise<string | null> {
  return (await processStat(pid))?.start ?? null;
}

async function processStat(pid: number): Promise<{ state: string; start: string | null } | null> {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (the command name) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[19]; // field 22 overall
  return { state: fields[0] ?? '', start: start && /^\d+$/.test(start) ? start : null };
}

/**
 * Is the holder still running? A pid that now belongs to a process started at
 * another time is not the holder, and a zombie (exited, not yet reaped) is not
 * running.
 */
export async function isAlive(holder: Holder): Promise<boolean> {
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const stat = await processStat(holder.pid);
  if (stat === null) return true; // no /proc: the pid exists, take it for the holder
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return holder.start === null || stat.start === null || stat.start === holder.start;
}
