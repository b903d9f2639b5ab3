#!/usr/bin/env node
// git mr -- the merge-request git app, on a git-acl server.
//
// Put this file on your PATH as `git-mr` (executable) and git runs it as
// `git mr ...`. It works in any clone whose remote is protected by git-acl with
// the `merge-requests` preset, and keeps every byte of its data on the branch
// refs/heads/apps/merge-reqs/data; revisions are tags
// refs/tags/apps/merge-reqs/<USER_ID>/<N>-v<K>. See README.md beside this file
// and docs/git-apps.md for the layout and the rules that guard it.
//
// It never touches your checkout, index or current branch: it reads the data
// branch with `git ls-tree`/`git cat-file`, writes new commits with plumbing
// (a private index file, `git write-tree`, `git commit-tree`) and publishes each
// action with exactly one `git push --signed`. The server decides what is
// allowed; this tool does not pre-check permissions (run `git acl preview` for
// that), so a denied action fails with the hook's explanation and changes nothing.
//
// Plain ESM JavaScript, Node >= 20, no dependencies.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

const DATA_BRANCH = 'apps/merge-reqs/data';
const DATA_REF = `refs/heads/${DATA_BRANCH}`;
const TAG_PREFIX = 'refs/tags/apps/merge-reqs/';
const USER_ID = /^[0-9A-F]{40}$/;
const LABEL = /^[a-z0-9][a-z0-9-]*$/;
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const MAX_ATTEMPTS = 3;

const USAGE = `usage: git mr <command> [<args>]

Commands:
  create <title> --message <text> [--from <commit-ish>]
                          open a merge request for <commit-ish> (default HEAD):
                          title, first comment, labels open + needs-review, tag v1
  list [--label <label>] [--json]
                          list merge requests (all, or those with <label>)
  show <req> [--json]     title, labels, revisions, whether merged, comments
  comment <req> <text>    add a comment (in your own comments directory)
  label <req> (+<label> | -<label>)...
                          add or remove labels (the author and maintainers)
  title <req> <title>     change the title (the author)
  revise <req> --from <commit-ish> [--message <text>]
                          publish the next revision tag v<K+1> and a comment
  merge <req> [--into <branch>] [--message <text>]
                          (maintainers) merge the latest revision into <branch>
                          (default main) and relabel open/needs-review -> closed/merged
  whoami                  print your user ID (the fingerprint of user.signingkey)

<req> is <USER_ID>/<N>, where <USER_ID> may be "me" or an unambiguous prefix.
Options for every command: --remote <name> (default: git config mr.remote, or origin),
--no-fetch (list and show only: use what was fetched last).

Examples:
  git mr create "Fix the frobnicator" --message "It frobbed twice." --from topic
  git mr list --label needs-review
  git mr comment 3F2A/1 "Looks good, one nit: ..."
  git mr revise me/1 --from topic --message "Addressed the nit."
  git mr label 3F2A/1 +approved -needs-review
  git mr merge 3F2A/1 --into main`;

class UsageError extends Error {}
class MrError extends Error {}

// ---------------------------------------------------------------- git helpers

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    input: opts.input ?? '',
    env: opts.env ?? process.env,
    encoding: opts.encoding ?? 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw new MrError(`cannot run ${cmd}: ${r.error.message}`);
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function git(args, opts = {}) {
  const r = run('git', args, opts);
  if (r.code !== 0 && !opts.allowFail) {
    throw new MrError(`git ${args.join(' ')} failed: ${String(r.stderr).trim()}`);
  }
  return opts.allowFail ? r : String(r.stdout).replace(/\n$/, '');
}

function gitOk(args) {
  return run('git', args).code === 0;
}

function revParse(rev) {
  const r = git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { allowFail: true });
  return r.code === 0 ? r.stdout.trim() : null;
}

// ---------------------------------------------------------------- identity

let cachedId;
/** The user ID: the primary key fingerprint of `git config user.signingkey`, as `gpg --with-colons` prints it. */
function myId() {
  if (cachedId) return cachedId;
  const key = git(['config', 'user.signingkey'], { allowFail: true }).stdout.trim();
  if (!key) throw new MrError('no signing key: set one with `git config user.signingkey <fingerprint>` (git-acl identifies you by it)');
  const program = git(['config', 'gpg.program'], { allowFail: true }).stdout.trim() || 'gpg';
  const r = run(program, ['--batch', '--with-colons', '--fingerprint', '--', key.replace(/!$/, '')]);
  if (r.code !== 0) throw new MrError(`${program} does not know user.signingkey ${key}: ${r.stderr.trim()}`);
  let inPub = false;
  for (const line of r.stdout.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub') inPub = true;
    else if (f[0] === 'fpr' && inPub) {
      cachedId = f[9].toUpperCase();
      return cachedId;
    } else if (f[0] === 'sub') inPub = false;
  }
  throw new MrError(`cannot find the fingerprint of user.signingkey ${key} in: ${program} --with-colons --fingerprint`);
}

// ---------------------------------------------------------------- the data

function remoteName(opts) {
  return opts.remote ?? (git(['config', 'mr.remote'], { allowFail: true }).stdout.trim() || 'origin');
}

function trackingRef(remote) {
  return `refs/remotes/${remote}/${DATA_BRANCH}`;
}

/**
 * Fetch the data branch and every revision tag. The data branch may not exist
 * yet (before the first request); --prune drops tracking refs and tags of this
 * app that the remote no longer has.
 */
function fetchData(remote, extraRefspecs = []) {
  const r = git(
    [
      'fetch',
      '-q',
      '--prune',
      '--no-tags',
      '--no-write-fetch-head',
      remote,
      `+refs/heads/apps/merge-reqs/*:refs/remotes/${remote}/apps/merge-reqs/*`,
      `+${TAG_PREFIX}*:${TAG_PREFIX}*`,
      ...extraRefspecs,
    ],
    { allowFail: true },
  );
  if (r.code !== 0) throw new MrError(`cannot fetch from ${remote}: ${r.stderr.trim()}`);
}

/** Parse the data branch at `commit` into merge requests and label index entries. */
function readState(commit) {
  const state = { commit, entries: new Map(), reqs: new Map() };
  if (!commit) return state;
  const out = git(['ls-tree', '-r', '-z', '--full-tree', commit]);
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(' ');
    const path = rec.slice(tab + 1);
    state.entries.set(path, { mode, type, oid });
    const p = path.split('/');
    if (p[0] === 'merge-reqs' && p.length >= 4 && USER_ID.test(p[1]) && /^[0-9]+$/.test(p[2])) {
      const req = reqOf(state, p[1], Number(p[2]));
      if (p[3] === 'title' && p.length === 4) req.titleOid = oid;
      else if (p[3] === 'labels' && p.length === 5) req.labels.add(p[4]);
      else if (p[3] === 'comments' && p.length === 6 && /^[0-9]+$/.test(p[5]))
        req.comments.push({ author: p[4], k: Number(p[5]), oid, path });
    }
  }
  return state;
}

function reqOf(state, uid, n) {
  const key = `${uid}/${n}`;
  let req = state.reqs.get(key);
  if (!req) {
    req = { uid, n, key, titleOid: null, labels: new Set(), comments: [] };
    state.reqs.set(key, req);
  }
  return req;
}

function blob(oid) {
  return git(['cat-file', 'blob', oid]);
}

function title(req) {
  return req.titleOid ? blob(req.titleOid).split('\n')[0] : '(no title)';
}

/** Revision tags of a request, oldest first: [{k, ref, commit}]. */
function revisions(uid, n) {
  const out = git(['for-each-ref', '--format=%(refname) %(objectname) %(*objectname)', `${TAG_PREFIX}${uid}/`]);
  const revs = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [ref, oid, peeled] = line.split(' ');
    const m = ref.slice(TAG_PREFIX.length + uid.length + 1).match(/^([0-9]+)-v([0-9]+)$/);
    if (m && Number(m[1]) === n) revs.push({ k: Number(m[2]), ref, commit: peeled || oid });
  }
  return revs.sort((a, b) => a.k - b.k);
}

/** Resolve `<uid>/<n>`: uid is a full ID, `me`, or an unambiguous prefix of a known author. */
function resolveReq(state, spec) {
  const m = /^([^/]+)\/([0-9]+)$/.exec(spec ?? '');
  if (!m) throw new UsageError(`expected a merge request as <USER_ID>/<N> (or me/<N>), got '${spec ?? ''}'`);
  let uid = m[1] === 'me' ? myId() : m[1].toUpperCase();
  if (!USER_ID.test(uid)) {
    const authors = [...new Set([...state.reqs.values()].map((r) => r.uid))].filter((a) => a.startsWith(uid));
    if (authors.length !== 1) {
      throw new MrError(authors.length ? `'${m[1]}' is ambiguous: ${authors.join(', ')}` : `no author whose user ID starts with '${m[1]}'`);
    }
    uid = authors[0];
  }
  const req = state.reqs.get(`${uid}/${Number(m[2])}`);
  if (!req) throw new MrError(`no merge request ${uid}/${Number(m[2])} on ${DATA_BRANCH}`);
  return req;
}

// ---------------------------------------------------------------- writing

/** Symlink targets, relative so that they resolve inside a checkout of the data branch. */
const reqLabelTarget = (label) => `../../../../labels/${label}`;
const labelReqTarget = (uid, n) => `../../../merge-reqs/${uid}/${n}`;

function commentText(text) {
  return `${new Date().toISOString()}\n\n${text.replace(/\n*$/, '')}\n`;
}

function nextComment(req, uid) {
  return Math.max(0, ...req.comments.filter((c) => c.author === uid).map((c) => c.k)) + 1;
}

/** A set of path changes to the data branch. */
class Change {
  constructor() {
    this.ops = new Map(); // path -> {mode, content} | null (remove)
  }
  file(path, content) {
    this.ops.set(path, { mode: '100644', content });
    return this;
  }
  symlink(path, target) {
    this.ops.set(path, { mode: '120000', content: target });
    return this;
  }
  remove(path) {
    this.ops.set(path, null);
    return this;
  }
  addLabel(state, req, label) {
    if (req.labels.has(label) && !this.ops.has(`merge-reqs/${req.key}/labels/${label}`)) return this;
    this.symlink(`merge-reqs/${req.key}/labels/${label}`, reqLabelTarget(label));
    return this.symlink(`labels/${label}/${req.key}`, labelReqTarget(req.uid, req.n));
  }
  removeLabel(state, req, label) {
    for (const p of [`merge-reqs/${req.key}/labels/${label}`, `labels/${label}/${req.key}`]) {
      if (state.entries.has(p)) this.remove(p);
      else this.ops.delete(p);
    }
    return this;
  }
  get empty() {
    return this.ops.size === 0;
  }
}

/** Commit `change` on top of `base` (or as the first commit) without touching the work tree or the real index. */
function commitChange(base, change, message) {
  const index = git(['rev-parse', '--git-path', `mr-index-${process.pid}`]);
  const indexPath = isAbsolute(index) ? index : join(process.cwd(), index);
  const env = { ...process.env, GIT_INDEX_FILE: indexPath };
  try {
    git(['read-tree', base ? `${base}^{tree}` : EMPTY_TREE], { env });
    const lines = [];
    for (const [path, op] of change.ops) {
      if (op === null) lines.push(`0 ${'0'.repeat(40)}\t${path}`);
      else {
        const oid = git(['hash-object', '-w', '--stdin'], { input: op.content });
        lines.push(`${op.mode} ${oid}\t${path}`);
      }
    }
    git(['update-index', '--index-info'], { env, input: lines.join('\n') + '\n' });
    const tree = git(['write-tree'], { env });
    return git(['commit-tree', tree, ...(base ? ['-p', base] : []), '-m', message]);
  } finally {
    rmSync(indexPath, { force: true });
  }
}

/** One signed, atomic push. Returns {ok, retry}; git's own output (and the hook's `remote:` lines) go to stderr. */
function push(remote, refspecs) {
  const r = run('git', ['push', '--signed', '--atomic', '--porcelain', remote, ...refspecs]);
  // Lost a race: git's own refusal, or git-acl's (its hook refuses an old value that is no longer the ref's value,
  // rather than leave git to fail that ref alone after the others landed).
  const raced =
    (/non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref/.test(r.stderr + r.stdout) &&
      !/pre-receive hook declined/.test(r.stdout + r.stderr)) ||
    /remote: git-acl: \S+ (is at \S+, but this push expects it at|already exists \(at \S+\), but this push would create it|does not exist, but this push expects it at)/.test(
      r.stderr,
    );
  if (r.code !== 0 && raced) return { ok: false, retry: true };
  if (r.code !== 0) {
    process.stderr.write(r.stderr);
    for (const line of r.stdout.split('\n')) if (line.startsWith('!')) process.stderr.write(`${line}\n`);
  }
  return { ok: r.code === 0, retry: false };
}

/**
 * Fetch, plan against the fresh data, commit, push; again if somebody else
 * moved the data branch in between. `plan(state)` returns
 * {change, message, refspecs?, after?} or null for nothing to do.
 */
function transact(opts, plan) {
  const remote = remoteName(opts);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    fetchData(remote, opts.fetchExtra ?? []);
    const base = revParse(trackingRef(remote));
    const state = readState(base);
    const p = plan(state, remote);
    if (!p) return 0;
    const refspecs = [...(p.refspecs ?? [])];
    let commit = base;
    if (!p.change.empty) {
      commit = commitChange(base, p.change, p.message);
      refspecs.push(`${commit}:${DATA_REF}`);
    }
    const r = push(remote, refspecs);
    if (r.ok) {
      if (commit !== base) git(['update-ref', trackingRef(remote), commit]);
      p.after?.(commit);
      return 0;
    }
    if (!r.retry) {
      process.stderr.write(`git mr: the push was rejected; nothing changed on ${remote}\n`);
      return 1;
    }
  }
  process.stderr.write(`git mr: ${DATA_BRANCH} kept moving on ${remote}; try again\n`);
  return 1;
}

// ---------------------------------------------------------------- commands

function cmdCreate(opts) {
  const [titleText] = opts.args;
  if (!titleText) throw new UsageError('create needs a title');
  if (opts.message === undefined) throw new UsageError('create needs --message <text> (the first comment)');
  const from = revParse(opts.from ?? 'HEAD');
  if (!from) throw new MrError(`not a commit: ${opts.from ?? 'HEAD'}`);
  const me = myId();
  let created;
  const code = transact(opts, (state) => {
    const mine = [...state.reqs.values()].filter((r) => r.uid === me).map((r) => r.n);
    // A number is taken once it has a directory or a tag (tags cannot be deleted).
    const n = Math.max(0, ...mine, ...listTagNumbers(me)) + 1;
    const req = reqOf(readState(null), me, n);
    const change = new Change()
      .file(`merge-reqs/${me}/${n}/title`, `${titleText.split('\n')[0]}\n`)
      .file(`merge-reqs/${me}/${n}/comments/${me}/1`, commentText(`${opts.message}\n\n[v1: ${from}]`))
      .addLabel(state, req, 'open')
      .addLabel(state, req, 'needs-review');
    const tag = `${TAG_PREFIX}${me}/${n}-v1`;
    created = { key: `${me}/${n}`, tag, from };
    return {
      change,
      message: `mr ${me}/${n}: create "${titleText}" (v1 ${from.slice(0, 12)})`,
      refspecs: [`${from}:${tag}`],
      after: () => git(['update-ref', tag, from]),
    };
  });
  if (code === 0) console.log(`created merge request ${created.key} (v1: ${created.from.slice(0, 12)}, ${created.tag})`);
  return code;
}

function listTagNumbers(uid) {
  const out = git(['for-each-ref', '--format=%(refname)', `${TAG_PREFIX}${uid}/`]);
  return out
    .split('\n')
    .map((ref) => /\/([0-9]+)-v[0-9]+$/.exec(ref))
    .filter(Boolean)
    .map((m) => Number(m[1]));
}

function loadForReading(opts) {
  const remote = remoteName(opts);
  if (!opts.noFetch) fetchData(remote, opts.fetchExtra ?? []);
  return { remote, state: readState(revParse(trackingRef(remote))) };
}

function cmdList(opts) {
  const { state } = loadForReading(opts);
  if (opts.label !== undefined && !LABEL.test(opts.label))
    throw new UsageError(`not a label name: '${opts.label}' (labels are [a-z0-9][a-z0-9-]*)`);
  let reqs = [...state.reqs.values()];
  if (opts.label !== undefined) {
    // Go through the label index, labels/<label>/<uid>/<n>: the other direction of the symlinks.
    const keys = new Set();
    for (const path of state.entries.keys()) {
      const p = path.split('/');
      if (p.length === 4 && p[0] === 'labels' && p[1] === opts.label) keys.add(`${p[2]}/${Number(p[3])}`);
    }
    reqs = reqs.filter((r) => keys.has(r.key));
  }
  reqs.sort((a, b) => (a.uid === b.uid ? a.n - b.n : a.uid < b.uid ? -1 : 1));
  const rows = reqs.map((r) => ({ id: r.key, author: r.uid, number: r.n, title: title(r), labels: [...r.labels].sort() }));
  if (opts.json) console.log(JSON.stringify(rows, null, 2));
  else for (const r of rows) console.log(`${r.id}\t[${r.labels.join(', ')}]\t${r.title}`);
  return 0;
}

function describeReq(state, req, remote, into) {
  const revs = revisions(req.uid, req.n);
  const target = revParse(`refs/remotes/${remote}/${into}`);
  const latest = revs[revs.length - 1];
  const merged = Boolean(latest && target && gitOk(['merge-base', '--is-ancestor', latest.commit, target]));
  const comments = req.comments
    .map((c) => {
      const text = blob(c.oid);
      const nl = text.indexOf('\n\n');
      return {
        author: c.author,
        number: c.k,
        date: nl >= 0 ? text.slice(0, nl).trim() : '',
        text: (nl >= 0 ? text.slice(nl + 2) : text).replace(/\n$/, ''),
      };
    })
    .sort((a, b) =>
      a.date === b.date ? (a.author === b.author ? a.number - b.number : a.author < b.author ? -1 : 1) : a.date < b.date ? -1 : 1,
    );
  return {
    id: req.key,
    author: req.uid,
    number: req.n,
    title: title(req),
    labels: [...req.labels].sort(),
    revisions: revs.map((r) => ({ version: `v${r.k}`, tag: r.ref, commit: r.commit })),
    merged: { into, merged, verified: 'the latest revision is an ancestor of ' + `${remote}/${into}` },
    comments,
  };
}

function cmdShow(opts) {
  const into = opts.into ?? 'main';
  const { remote, state } = loadForReading({ ...opts, fetchExtra: [`+refs/heads/${into}:refs/remotes/${remoteName(opts)}/${into}`] });
  const d = describeReq(state, resolveReq(state, opts.args[0]), remote, into);
  if (opts.json) {
    console.log(JSON.stringify(d, null, 2));
    return 0;
  }
  console.log(`merge request ${d.id}: ${d.title}`);
  console.log(`author:    ${d.author}`);
  console.log(`labels:    ${d.labels.join(', ') || '(none)'}`);
  if (d.labels.includes('merged') && !d.merged.merged)
    console.log(`warning:   labelled merged, but its latest revision is not in ${remote}/${into}`);
  console.log(`merged:    ${d.merged.merged ? `yes, into ${into}` : 'no'}`);
  console.log('revisions:');
  for (const r of d.revisions) console.log(`  ${r.version}  ${r.commit.slice(0, 12)}  ${r.tag}`);
  console.log('comments:');
  for (const c of d.comments) {
    console.log(`--- ${c.author} #${c.number}, ${c.date}`);
    console.log(c.text.replace(/^/gm, '    '));
  }
  return 0;
}

function cmdComment(opts) {
  const [spec, ...words] = opts.args;
  const text = opts.message ?? words.join(' ');
  if (!text) throw new UsageError('comment needs a text: git mr comment <req> <text>');
  const me = myId();
  return transact(opts, (state) => {
    const req = resolveReq(state, spec);
    const k = nextComment(req, me);
    return {
      change: new Change().file(`merge-reqs/${req.key}/comments/${me}/${k}`, commentText(text)),
      message: `mr ${req.key}: comment ${me}/${k}`,
      after: () => console.log(`commented on ${req.key} (#${k})`),
    };
  });
}

function cmdTitle(opts) {
  const [spec, ...words] = opts.args;
  const text = words.join(' ');
  if (!text) throw new UsageError('title needs the new title: git mr title <req> <title>');
  return transact(opts, (state) => {
    const req = resolveReq(state, spec);
    return {
      change: new Change().file(`merge-reqs/${req.key}/title`, `${text.split('\n')[0]}\n`),
      message: `mr ${req.key}: title "${text}"`,
      after: () => console.log(`retitled ${req.key}`),
    };
  });
}

function cmdLabel(opts) {
  const [spec, ...edits] = opts.args;
  if (edits.length === 0) throw new UsageError('label needs +<label> or -<label>: git mr label <req> +approved -needs-review');
  for (const e of edits) {
    if (!/^[+-]/.test(e) || !LABEL.test(e.slice(1)))
      throw new UsageError(`expected +<label> or -<label> with a label [a-z0-9][a-z0-9-]*, got '${e}'`);
  }
  return transact(opts, (state) => {
    const req = resolveReq(state, spec);
    const change = new Change();
    for (const e of edits) {
      if (e[0] === '+') change.addLabel(state, req, e.slice(1));
      else change.removeLabel(state, req, e.slice(1));
    }
    if (change.empty) {
      console.log(`${req.key}: labels unchanged`);
      return null;
    }
    return {
      change,
      message: `mr ${req.key}: labels ${edits.join(' ')}`,
      after: () => console.log(`${req.key}: labels ${edits.join(' ')}`),
    };
  });
}

function cmdRevise(opts) {
  const [spec] = opts.args;
  if (!opts.from) throw new UsageError('revise needs --from <commit-ish>');
  const from = revParse(opts.from);
  if (!from) throw new MrError(`not a commit: ${opts.from}`);
  const me = myId();
  return transact(opts, (state) => {
    const req = resolveReq(state, spec);
    const k = Math.max(0, ...revisions(req.uid, req.n).map((r) => r.k)) + 1;
    const tag = `${TAG_PREFIX}${req.uid}/${req.n}-v${k}`;
    const c = nextComment(req, me);
    const text = `${opts.message ?? `Revision v${k}.`}\n\n[v${k}: ${from}]`;
    return {
      change: new Change().file(`merge-reqs/${req.key}/comments/${me}/${c}`, commentText(text)),
      message: `mr ${req.key}: revision v${k} (${from.slice(0, 12)})`,
      refspecs: [`${from}:${tag}`],
      after: () => {
        git(['update-ref', tag, from]);
        console.log(`published ${req.key} v${k} (${from.slice(0, 12)}, ${tag})`);
      },
    };
  });
}

function cmdMerge(opts) {
  const [spec] = opts.args;
  const into = opts.into ?? 'main';
  const me = myId();
  const remote = remoteName(opts);
  return transact({ ...opts, fetchExtra: [`+refs/heads/${into}:refs/remotes/${remote}/${into}`] }, (state) => {
    const req = resolveReq(state, spec);
    const revs = revisions(req.uid, req.n);
    const latest = revs[revs.length - 1];
    if (!latest) throw new MrError(`${req.key} has no revision tag to merge`);
    const target = revParse(`refs/remotes/${remote}/${into}`);
    if (!target) throw new MrError(`${remote} has no branch ${into}`);
    if (gitOk(['merge-base', '--is-ancestor', latest.commit, target])) throw new MrError(`${req.key} v${latest.k} is already in ${into}`);
    const mt = git(['merge-tree', '--write-tree', '--no-messages', target, latest.commit], { allowFail: true });
    if (mt.code !== 0)
      throw new MrError(`${req.key} v${latest.k} does not merge cleanly into ${into}; ask the author for a revision on top of ${into}`);
    const tree = mt.stdout.split('\n')[0].trim();
    const t = title(req);
    const mergeCommit = git([
      'commit-tree',
      tree,
      '-p',
      target,
      '-p',
      latest.commit,
      '-m',
      `Merge merge request ${req.key} v${latest.k}: ${t}\n\n${opts.message ?? ''}`.trimEnd(),
    ]);
    const change = new Change();
    for (const l of ['open', 'needs-review']) change.removeLabel(state, req, l);
    change.addLabel(state, req, 'closed').addLabel(state, req, 'merged');
    const c = nextComment(req, me);
    change.file(
      `merge-reqs/${req.key}/comments/${me}/${c}`,
      commentText(`${opts.message ?? 'Merged.'}\n\n[merged v${latest.k}: ${latest.commit} into ${into} as ${mergeCommit}]`),
    );
    return {
      change,
      message: `mr ${req.key}: merged v${latest.k} into ${into}`,
      refspecs: [`${mergeCommit}:refs/heads/${into}`],
      after: () => {
        git(['update-ref', `refs/remotes/${remote}/${into}`, mergeCommit]);
        console.log(`merged ${req.key} v${latest.k} into ${into} (${mergeCommit.slice(0, 12)})`);
      },
    };
  });
}

// ---------------------------------------------------------------- main

function parseArgs(argv) {
  const opts = { args: [] };
  const withValue = {
    '--message': 'message',
    '-m': 'message',
    '--from': 'from',
    '--label': 'label',
    '--into': 'into',
    '--remote': 'remote',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (name in withValue) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      opts[withValue[name]] = v;
    } else if (a === '--json') opts.json = true;
    else if (a === '--no-fetch') opts.noFetch = true;
    else if (a === '--') opts.args.push(...argv.slice(i + 1)), (i = argv.length);
    else if (a.startsWith('--') || (a.startsWith('-') && a.length > 1 && !/^-[a-z0-9]/.test(a)))
      throw new UsageError(`unknown option ${a}`);
    else opts.args.push(a);
  }
  return opts;
}

const COMMANDS = {
  create: cmdCreate,
  list: cmdList,
  show: cmdShow,
  comment: cmdComment,
  label: cmdLabel,
  title: cmdTitle,
  revise: cmdRevise,
  merge: cmdMerge,
  whoami: () => (console.log(myId()), 0),
};

function main(argv) {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const fn = COMMANDS[command];
  if (!fn) {
    process.stderr.write(`git mr: unknown command '${command}'\n\n${USAGE}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (!gitOk(['rev-parse', '--git-dir'])) throw new MrError('not in a git repository');
    return fn(parseArgs(rest));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`git mr ${command}: ${e.message}\n(see git mr --help)\n`);
      return 2;
    }
    if (e instanceof MrError) {
      process.stderr.write(`git mr ${command}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
