/**
 * A client that speaks git's receive-pack protocol itself, for adversarial
 * tests: it can send what `git push` never sends (two commands for one ref,
 * any old value, a hand-edited or tampered push certificate, no pack or an
 * empty one) and reports exactly what the server answered.
 *
 * It speaks protocol v0 as git 2.39's `git receive-pack <repo>` speaks it to a
 * local `git push` (builtin/receive-pack.c and send-pack.c):
 *
 *   server: `<oid> <ref>\0<capabilities>` (the first ref, or `capabilities^{}`
 *           in an empty repository), `<oid> <ref>` for the others, flush.
 *   client, unsigned: `<old> <new> <ref>\0<caps>`, `<old> <new> <ref>`..., flush.
 *   client, signed:   `push-cert\0<caps>`, then the certificate one line per
 *           pkt-line (newline kept), `push-cert-end\n`, flush. receive-pack
 *           then takes its commands from the certificate's update lines, so
 *           the commands and the signed lines cannot differ.
 *   client: with `push-options`, each option as a pkt-line, flush; then the
 *           pack (none when every command is a delete: receive-pack does not
 *           read one then).
 *   server: with `report-status`, `unpack <ok|error>`, `ok <ref>` / `ng <ref>
 *           <why>`, flush. With `side-band-64k` everything it says after the
 *           advertisement is multiplexed: band 1 the report, band 2 messages
 *           (the hooks' stderr, `error:` lines), band 3 a fatal error; without
 *           it the hooks' stderr reaches receive-pack's own stderr.
 *
 * The certificate is built as git's generate_push_cert builds it
 * (`certificate version 0.1`, `pusher <signing key> <time> <tz>`, `pushee`,
 * `nonce`, `push-option` lines, an empty line, one `<old> <new> <ref>` line
 * per command) and signed by the real gpg with the key given, as git's
 * sign_buffer does (`gpg --status-fd=2 -bsau <key>`): pass the forge's
 * environment so gpg finds the users' keys (GNUPGHOME).
 *
 *     const report = await receivePack(forge.bare, forge.env, {
 *       commands: [{ oldOid: P, newOid: X, ref: 'refs/heads/main' }],
 *       certificate: { signingKey: alice.id },
 *       pack: packObjects(clone.dir, forge.env, [X, `^${P}`]),
 *     });
 *     report.statuses  // [{ ref: 'refs/heads/main', ok: false, reason: 'pre-receive hook declined' }]
 *     report.remote    // the hook's lines, as `git push` shows them after `remote: `
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

/** One command: the ref's expected old value, its new value (40 zeros for absent) and its full name. */
export interface RefCommand {
  oldOid: string;
  newOid: string;
  /** Any bytes: a string is sent as UTF-8, a Uint8Array as is (for names that are not UTF-8). */
  ref: string | Uint8Array;
}

/** The server's ref advertisement. */
export interface Advertisement {
  /** Advertised refs, name → oid (`.have` lines and the `capabilities^{}` placeholder left out). */
  refs: Map<string, string>;
  /** Oids advertised as `.have` (objects of alternates). */
  haves: string[];
  /** Capabilities, name → value (`true` for a capability without `=value`). */
  capabilities: Map<string, string | true>;
  /** The nonce of `push-cert=<nonce>`; absent when the server does not take signed pushes (no receive.certNonceSeed). */
  nonce?: string;
}

export interface CertificateOptions {
  /**
   * The key gpg signs with (`gpg -u`), as `user.signingkey` would give it:
   * a fingerprint, or `<KEYID>!` to force exactly that (sub)key.
   */
  signingKey: string;
  /** The `pusher` line's identity; default `signingKey`, as git writes it. */
  pusher?: string;
  /** The `pusher` line's `<epoch seconds> <tz>`; default now, `+0000`. */
  timestamp?: string;
  /** The `pushee` line; default the repository path (what git writes for a local push); null leaves the line out. */
  pushee?: string | null;
  /** The `nonce` line; default the nonce the server advertised; null leaves the line out. */
  nonce?: string | null;
  /**
   * `push-option` lines; default the request's `pushOptions`. Set it to
   * something else to sign options that differ from those sent.
   */
  pushOptions?: string[];
  /** Rewrites the certificate before it is signed: the signature covers the edited text (a well-signed odd certificate). */
  editPayload?: (payload: string) => string;
  /** Rewrites the signed certificate (payload and signature) before it is sent: the signature no longer matches. */
  tamper?: (signed: string) => string;
}

export interface PushRequest {
  /** Sent in this order, as given: duplicates, any old value, any name. */
  commands: RefCommand[];
  /** Signs the push; absent: an unsigned push. */
  certificate?: CertificateOptions;
  /** Ask for the `atomic` capability (all or nothing). Default false, as `git push` without `--atomic`. */
  atomic?: boolean;
  /** Ask for `push-options` and send these options (the server must set receive.advertisePushOptions). */
  pushOptions?: string[];
  /** Ask for `side-band-64k`. Default true, as `git push` does. */
  sideBand?: boolean;
  /** Ask for `quiet` (no progress from the server). Default true. */
  quiet?: boolean;
  /** Ask for a report: `report-status` (v1, default), `report-status-v2`, or none. */
  reportStatus?: 'v1' | 'v2' | 'none';
  /**
   * The pack to send. Default: an empty pack when some command has a new
   * value, and none when all commands are deletes (what receive-pack expects).
   * `null` sends no pack at all (receive-pack then reports an unpack error).
   */
  pack?: Uint8Array | null;
  /** Extra capability words, sent verbatim after the others. */
  extraCapabilities?: string[];
}

export interface RefStatus {
  ref: string;
  ok: boolean;
  /** Why an `ng` ref was refused, e.g. `pre-receive hook declined`. */
  reason?: string;
  /** report-status-v2 `option ...` lines that followed this ref's `ok`. */
  options?: string[];
}

export interface PushReport {
  advertisement: Advertisement;
  /** `ok`, or receive-pack's unpack error; absent when no report was asked for or none came. */
  unpack?: string;
  /** One per `ok`/`ng` line of the report, in the server's order. */
  statuses: RefStatus[];
  /**
   * What the server said to the user: side-band 2 and 3, and receive-pack's
   * stderr (where hook output goes without side-band), split into lines as
   * `git push` shows them after `remote: ` (trailing blanks and empty lines dropped).
   */
  remote: string[];
  /** receive-pack's raw stderr. */
  stderr: string;
  /** receive-pack's exit code (0 even when refs are refused; non-zero after a `fatal:`). */
  exitCode: number | null;
  /** The exact certificate sent (signed payload, or tampered), when the push was signed. */
  certificate?: string;
  /** True when the report says `unpack ok` and every ref `ok`. */
  accepted: boolean;
}

/** A valid pack with no objects: what a delete-and-create push of existing objects may send. */
export const EMPTY_PACK: Uint8Array = (() => {
  const header = Buffer.from([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 0, 0, 0, 0]); // "PACK", version 2, 0 objects
  return Buffer.concat([header, createHash('sha1').update(header).digest()]);
})();

/**
 * A pack of the objects `git pack-objects --revs` selects from `revs`
 * (`<oid>` to include with everything it reaches, `^<oid>` to exclude what
 * that reaches), read from the repository at `repo` (a work tree or a git dir).
 */
export function packObjects(repo: string, env: NodeJS.ProcessEnv, revs: string[]): Uint8Array {
  return runPackObjects(repo, env, ['--revs'], `${revs.join('\n')}\n`);
}

/** A pack of exactly these objects (no walk): for a tree, blob or commit sent on its own. */
export function packObjectIds(repo: string, env: NodeJS.ProcessEnv, oids: string[]): Uint8Array {
  return runPackObjects(repo, env, [], `${oids.join('\n')}\n`);
}

function runPackObjects(repo: string, env: NodeJS.ProcessEnv, args: string[], input: string): Uint8Array {
  const r = spawnSync('git', ['pack-objects', '--stdout', '-q', ...args], { cwd: repo, env, input, maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`git pack-objects failed (${r.status}): ${r.stderr.toString()}`);
  return r.stdout;
}

/** The certificate text git would sign for these commands (no signature). */
export function certificatePayload(
  commands: RefCommand[],
  opts: { pusher: string; timestamp: string; pushee?: string | null; nonce?: string | null; pushOptions?: string[] },
): string {
  let cert = 'certificate version 0.1\n';
  cert += `pusher ${opts.pusher} ${opts.timestamp}\n`;
  if (opts.pushee) cert += `pushee ${opts.pushee}\n`;
  if (opts.nonce) cert += `nonce ${opts.nonce}\n`;
  for (const o of opts.pushOptions ?? []) cert += `push-option ${o}\n`;
  cert += '\n';
  for (const c of commands) cert += `${c.oldOid} ${c.newOid} ${refText(c.ref)}\n`;
  return cert;
}

/**
 * Signs `payload` as git's sign_buffer does (`gpg --status-fd=2 -bsau <key>`)
 * and returns payload + armored detached signature.
 */
export function signCertificate(payload: string, signingKey: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync('gpg', ['--status-fd=2', '-bsau', signingKey], { env, input: payload, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0 || !/^\[GNUPG:\] SIG_CREATED /m.test(r.stderr)) {
    throw new Error(`gpg failed to sign the push certificate with ${signingKey}: ${r.stderr.trim()}`);
  }
  return payload + r.stdout;
}

/**
 * Runs one push against the bare repository `repo`: spawns `git receive-pack
 * <repo>` with `env` (the forge's environment: the hook runs with it), reads
 * the advertisement, sends `request`, and returns the server's report.
 */
export async function receivePack(repo: string, env: NodeJS.ProcessEnv, request: PushRequest): Promise<PushReport> {
  const session = new Session(repo, env);
  try {
    const advertisement = await session.readAdvertisement();
    const { bytes, certificate } = buildRequest(repo, env, advertisement, request);
    session.send(bytes);
    const { stdout, stderr, exitCode } = await session.finish();
    const parsed = parseResponse(stdout, request.sideBand ?? true);
    const remote = splitRemote(parsed.messages + stderr);
    const accepted = parsed.unpack === 'ok' && parsed.statuses.length > 0 && parsed.statuses.every((s) => s.ok);
    const report: PushReport = { advertisement, statuses: parsed.statuses, remote, stderr, exitCode, accepted };
    if (parsed.unpack !== undefined) report.unpack = parsed.unpack;
    if (certificate !== undefined) report.certificate = certificate;
    return report;
  } finally {
    session.kill();
  }
}

/** Reads only the advertisement (then hangs up, as `git ls-remote` does). */
export async function advertisement(repo: string, env: NodeJS.ProcessEnv): Promise<Advertisement> {
  const session = new Session(repo, env);
  try {
    const adv = await session.readAdvertisement();
    session.send(Buffer.from('0000'));
    await session.finish();
    return adv;
  } finally {
    session.kill();
  }
}

// ---- request ----

function refText(ref: string | Uint8Array): string {
  return typeof ref === 'string' ? ref : Buffer.from(ref).toString('utf8');
}

function refBytes(ref: string | Uint8Array): Buffer {
  return typeof ref === 'string' ? Buffer.from(ref, 'utf8') : Buffer.from(ref);
}

function buildRequest(repo: string, env: NodeJS.ProcessEnv, adv: Advertisement, req: PushRequest): { bytes: Buffer; certificate?: string } {
  const caps: string[] = [];
  const report = req.reportStatus ?? 'v1';
  if (report === 'v1') caps.push('report-status');
  if (report === 'v2') caps.push('report-status-v2');
  if (req.sideBand ?? true) caps.push('side-band-64k');
  if (req.quiet ?? true) caps.push('quiet');
  if (req.atomic) caps.push('atomic');
  if (req.pushOptions) caps.push('push-options');
  caps.push('object-format=sha1', 'agent=git-acl-test-client');
  caps.push(...(req.extraCapabilities ?? []));
  // git's capability string starts with a space (send-pack.c builds it word by word as " <cap>").
  const capString = caps.map((c) => ` ${c}`).join('');

  const out: Buffer[] = [];
  let certificate: string | undefined;
  if (req.certificate) {
    const c = req.certificate;
    let payload = certificatePayload(req.commands, {
      pusher: c.pusher ?? c.signingKey,
      timestamp: c.timestamp ?? `${Math.floor(Date.now() / 1000)} +0000`,
      pushee: c.pushee === undefined ? repo : c.pushee,
      nonce: c.nonce === undefined ? adv.nonce : c.nonce,
      pushOptions: c.pushOptions ?? req.pushOptions ?? [],
    });
    if (c.editPayload) payload = c.editPayload(payload);
    certificate = signCertificate(payload, c.signingKey, env);
    if (c.tamper) certificate = c.tamper(certificate);
    out.push(pkt(Buffer.concat([Buffer.from('push-cert\0'), Buffer.from(capString)])));
    for (const line of linesWithNewline(certificate)) out.push(pkt(Buffer.from(line, 'utf8')));
    out.push(pkt(Buffer.from('push-cert-end\n')));
  } else {
    req.commands.forEach((c, i) => {
      const line = Buffer.concat([Buffer.from(`${c.oldOid} ${c.newOid} `), refBytes(c.ref)]);
      out.push(pkt(i === 0 ? Buffer.concat([line, Buffer.from('\0'), Buffer.from(capString)]) : line));
    });
  }
  out.push(FLUSH);
  if (req.pushOptions) {
    for (const o of req.pushOptions) out.push(pkt(Buffer.from(o, 'utf8')));
    out.push(FLUSH);
  }
  const needsPack = req.commands.some((c) => !/^0+$/.test(c.newOid));
  const pack = req.pack === undefined ? (needsPack ? EMPTY_PACK : null) : req.pack;
  if (pack) out.push(Buffer.from(pack));
  return certificate === undefined ? { bytes: Buffer.concat(out) } : { bytes: Buffer.concat(out), certificate };
}

/** Splits after each newline, keeping it (git's next_line); a last line without one is kept as is. */
function linesWithNewline(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

const FLUSH = Buffer.from('0000');
const MAX_PKT = 65520;

function pkt(payload: Buffer): Buffer {
  const len = payload.length + 4;
  if (len > MAX_PKT) throw new Error(`pkt-line too long (${len} bytes)`);
  return Buffer.concat([Buffer.from(len.toString(16).padStart(4, '0')), payload]);
}

// ---- response ----

type Packet = Buffer | 'flush';

/** Reads pkt-lines from `buf` starting at `pos`; returns null when the buffer holds no complete packet. */
function readPkt(buf: Buffer, pos: number): { packet: Packet; next: number } | null {
  if (buf.length - pos < 4) return null;
  const hex = buf.toString('latin1', pos, pos + 4);
  if (!/^[0-9a-f]{4}$/.test(hex)) throw new Error(`bad pkt-line length ${JSON.stringify(hex)} at byte ${pos}`);
  const len = parseInt(hex, 16);
  if (len === 0) return { packet: 'flush', next: pos + 4 };
  if (len < 4) throw new Error(`unexpected special packet ${hex} at byte ${pos}`);
  if (buf.length - pos < len) return null;
  return { packet: buf.subarray(pos + 4, pos + len), next: pos + len };
}

function parseAdvertisement(packets: Buffer[]): Advertisement {
  const adv: Advertisement = { refs: new Map(), haves: [], capabilities: new Map() };
  packets.forEach((p, i) => {
    let line = p;
    if (i === 0) {
      const nul = p.indexOf(0);
      if (nul >= 0) {
        for (const word of p
          .toString('utf8', nul + 1)
          .replace(/\n$/, '')
          .split(' ')) {
          if (!word) continue;
          const eq = word.indexOf('=');
          adv.capabilities.set(eq < 0 ? word : word.slice(0, eq), eq < 0 ? true : word.slice(eq + 1));
        }
        line = p.subarray(0, nul);
      }
    }
    const text = line.toString('utf8').replace(/\n$/, '');
    const sp = text.indexOf(' ');
    const oid = text.slice(0, sp);
    const name = text.slice(sp + 1);
    if (name === '.have') adv.haves.push(oid);
    else if (name !== 'capabilities^{}') adv.refs.set(name, oid);
  });
  const nonce = adv.capabilities.get('push-cert');
  if (typeof nonce === 'string') adv.nonce = nonce;
  return adv;
}

function parseResponse(stdout: Buffer, sideBand: boolean): { unpack?: string; statuses: RefStatus[]; messages: string } {
  let reportBytes: Buffer;
  let messages = '';
  if (sideBand) {
    const band1: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const r = readPkt(stdout, pos);
      if (!r) break;
      pos = r.next;
      if (r.packet === 'flush') continue;
      const band = r.packet[0];
      const data = r.packet.subarray(1);
      if (band === 1) band1.push(data);
      else if (band === 2) messages += data.toString('utf8');
      else if (band === 3) messages += `${data.toString('utf8')}\n`;
      else throw new Error(`unexpected side-band ${band}`);
    }
    reportBytes = Buffer.concat(band1);
  } else {
    reportBytes = stdout;
  }
  const statuses: RefStatus[] = [];
  let unpack: string | undefined;
  let pos = 0;
  for (;;) {
    const r = readPkt(reportBytes, pos);
    if (!r || r.packet === 'flush') break;
    pos = r.next;
    const line = r.packet.toString('utf8').replace(/\n$/, '');
    if (line.startsWith('unpack ')) unpack = line.slice('unpack '.length);
    else if (line.startsWith('ok ')) statuses.push({ ref: line.slice(3), ok: true });
    else if (line.startsWith('ng ')) {
      const rest = line.slice(3);
      const sp = rest.indexOf(' ');
      statuses.push(sp < 0 ? { ref: rest, ok: false } : { ref: rest.slice(0, sp), ok: false, reason: rest.slice(sp + 1) });
    } else if (line.startsWith('option ') && statuses.length > 0) {
      const last = statuses[statuses.length - 1]!;
      (last.options ??= []).push(line.slice('option '.length));
    } else throw new Error(`unexpected report line ${JSON.stringify(line)}`);
  }
  return unpack === undefined ? { statuses, messages } : { unpack, statuses, messages };
}

/** The lines `git push` would print after `remote: ` (its side-band demux also breaks lines at CR). */
function splitRemote(text: string): string[] {
  return text
    .split(/\r?\n|\r/)
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0);
}

// ---- process ----

class Session {
  private readonly child;
  private out: Buffer = Buffer.alloc(0);
  private err: Buffer[] = [];
  private waiter: (() => void) | null = null;
  private readonly closed: Promise<number | null>;
  private exited = false;

  constructor(repo: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('git', ['receive-pack', repo], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => {
      /* receive-pack may hang up early (a fatal error); what it said is in its output */
    });
    this.child.stdout.on('data', (b: Buffer) => {
      this.out = Buffer.concat([this.out, b]);
      this.wake();
    });
    this.child.stderr.on('data', (b: Buffer) => this.err.push(b));
    this.closed = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code) => {
        this.exited = true;
        this.wake();
        resolve(code);
      });
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async readAdvertisement(): Promise<Advertisement> {
    const packets: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const r = readPkt(this.out, pos);
      if (!r) {
        if (this.exited) {
          throw new Error(`git receive-pack ended before its advertisement was complete: ${Buffer.concat(this.err).toString().trim()}`);
        }
        await new Promise<void>((resolve) => (this.waiter = resolve));
        continue;
      }
      pos = r.next;
      if (r.packet === 'flush') break;
      packets.push(r.packet);
    }
    this.out = this.out.subarray(pos);
    return parseAdvertisement(packets);
  }

  send(bytes: Buffer): void {
    this.child.stdin.end(bytes);
  }

  async finish(): Promise<{ stdout: Buffer; stderr: string; exitCode: number | null }> {
    const exitCode = await this.closed;
    return { stdout: this.out, stderr: Buffer.concat(this.err).toString('utf8'), exitCode };
  }

  kill(): void {
    if (!this.exited) this.child.kill();
  }
}
