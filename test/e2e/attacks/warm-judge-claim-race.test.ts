/**
 * A warm judge's idle timeout racing a claim (src/hook/warm.ts). When the idle timer fires and finds the judge already
 * claimed (a script created `.claim` but its request has not arrived yet), the judge arms a `quit` in 10 s
 * (CLAIMED_WAIT_MS) in case the script never sends it. The request then arrives and the judge takes the push, but
 * that timer was never cleared: 10 s later, in the middle of the judgement, quit() calls process.exit(0), which the
 * judge's reallyExit wrapper (start.ts answerAtExit) reports as `exit 0`: the push is ACCEPTED without a verdict.
 *
 * The window (the script descheduled between creating `.claim` and writing its request, at the moment the idle
 * timer fires) is made deterministic here with an LD_PRELOAD that sleeps in the hook's shell right after it creates
 * the claim (a loaded server does the same by chance), and the judgement made longer than 10 s with a git wrapper
 * whose `git config` is slow (a big push, a busy disk, a push waiting for the log's lock do the same).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { remoteLines, run, type Clone, type Forge } from '../../support/forge.js';
import { forgeOnPrivateInstall } from '../../support/install.js';
import { wrapGit } from '../../support/git-wrapper.js';
import { POLICY } from './support.js';
import { judgesIn, until } from '../../support/warm.js';

let forge: Forge;
let owner: Clone;
let preload: string | null = null;

const C = String.raw`
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
extern char *program_invocation_short_name;
/* Sleeps CLAIM_DELAY_MS after the hook's shell created a judge's .claim (exclusive create). */
static void after(const char *p, int flags, int fd) {
  size_t n = p ? strlen(p) : 0;
  const char *d = getenv("CLAIM_DELAY_MS");
  if (fd >= 0 && d && (flags & O_EXCL) && n > 6 && strcmp(p + n - 6, ".claim") == 0 &&
      strcmp(program_invocation_short_name, "sh") == 0) {
    int e = errno;
    usleep((useconds_t)atoi(d) * 1000);
    errno = e;
  }
}
#define MODE(flags) mode_t m = 0; if (flags & (O_CREAT | O_TMPFILE)) { va_list a; va_start(a, flags); m = va_arg(a, int); va_end(a); }
int open(const char *p, int flags, ...) { MODE(flags) static int (*r)(const char *, int, ...); if (!r) r = dlsym(RTLD_NEXT, "open"); int fd = r(p, flags, m); after(p, flags, fd); return fd; }
int open64(const char *p, int flags, ...) { MODE(flags) static int (*r)(const char *, int, ...); if (!r) r = dlsym(RTLD_NEXT, "open64"); int fd = r(p, flags, m); after(p, flags, fd); return fd; }
int openat(int dir, const char *p, int flags, ...) { MODE(flags) static int (*r)(int, const char *, int, ...); if (!r) r = dlsym(RTLD_NEXT, "openat"); int fd = r(dir, p, flags, m); after(p, flags, fd); return fd; }
int openat64(int dir, const char *p, int flags, ...) { MODE(flags) static int (*r)(int, const char *, int, ...); if (!r) r = dlsym(RTLD_NEXT, "openat64"); int fd = r(dir, p, flags, m); after(p, flags, fd); return fd; }
`;

beforeAll(() => {
  ({ forge } = forgeOnPrivateInstall());
  owner = forge.clone('owner');
  const dir = fs.mkdtempSync(path.join(forge.root, 'preload-'));
  fs.writeFileSync(path.join(dir, 'claim-delay.c'), C);
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', path.join(dir, 'claim-delay.so'), path.join(dir, 'claim-delay.c'), '-ldl']);
    preload = path.join(dir, 'claim-delay.so');
  } catch {
    preload = null;
  }
});
afterAll(() => forge?.cleanup());

const judges = () => judgesIn(forge.bare);

test("a push whose claim races the judge's idle timeout is judged, not accepted when the judgement outlasts 10 s", async (ctx) => {
  if (!preload) return ctx.skip();
  const WARM = 2;
  forge.server(['config', 'acl.warmSeconds', String(WARM)]);
  const first = owner.commitTree({ 'a.txt': 'a\n' }, [], 'a');
  expect(owner.push(`${first}:refs/heads/a`).code).toBe(0);
  await until('a waiting judge', () => judges().length > 0);
  const ready = Date.now();

  // The owner may do anything but break the policy: a rule file that does not parse is refused (cold or warm).
  const tip = forge.ref(POLICY)!;
  const bad = owner.commitTree({ ...forge.policyFiles(), 'refs/bad.conf': 'this is not a rule\n' }, [tip], 'bad policy');
  const exec = wrapGit(path.join(forge.root, 'slow-config'), '[ "$1" = config ] && sleep 20');
  const before = forge.refs();
  const r = run('git', ['push', '--signed', '--porcelain', 'origin', `${bad}:${POLICY}`], {
    cwd: owner.dir,
    env: {
      ...forge.env,
      ...exec,
      LD_PRELOAD: preload,
      // The request arrives well after the judge's idle timer fired (WARM s after it began waiting).
      CLAIM_DELAY_MS: String(WARM * 1000 + 2000),
    },
  });
  // Sanity: the race was met (the push reached the hook before the judge's idle deadline).
  expect(Date.now() - ready).toBeGreaterThan(WARM * 1000 + 10_000);
  expect(r.code, r.stderr).not.toBe(0);
  expect(forge.refs()).toEqual(before);
  expect(remoteLines(r.stderr).join('\n')).toMatch(/git-acl: push rejected/);
}, 120_000);
