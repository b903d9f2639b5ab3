/**
 * A read-only file system for isomorphic-git that overlays extra object
 * directories (the push quarantine, alternates) onto `<gitDir>/objects/`.
 *
 * isomorphic-git reads only `<gitDir>/objects/` and knows neither git's
 * quarantine variables nor alternates (isomorphic-git issue #1091), so during
 * pre-receive it cannot see the pushed objects. This wrapper makes
 * `<gitDir>/objects/<rest>` resolve to `<dir>/<rest>` for each overlay
 * directory in turn, then to the real path; `readdir` there returns the union.
 *
 * It takes any promise-based fs (Node's `fs.promises`, lightning-fs's
 * `.promises`, ...) and imports nothing from Node itself. Every write throws
 * EROFS: reading a push must never change the repository.
 */

/** The subset of a promise fs that reading needs (Node's `fs.promises` and lightning-fs both fit). */
export interface PromiseFs {
  readFile(path: string, options?: unknown): Promise<unknown>;
  readdir(path: string, options?: unknown): Promise<unknown>;
  stat(path: string, options?: unknown): Promise<unknown>;
  lstat(path: string, options?: unknown): Promise<unknown>;
  readlink?(path: string, options?: unknown): Promise<unknown>;
}

/** The shape isomorphic-git accepts as `fs` (a PromiseFsClient). */
export interface IsoFs {
  promises: {
    readFile: (path: string, options?: unknown) => Promise<unknown>;
    writeFile: (...args: unknown[]) => Promise<never>;
    unlink: (...args: unknown[]) => Promise<never>;
    readdir: (path: string, options?: unknown) => Promise<unknown>;
    mkdir: (...args: unknown[]) => Promise<never>;
    rmdir: (...args: unknown[]) => Promise<never>;
    stat: (path: string, options?: unknown) => Promise<unknown>;
    lstat: (path: string, options?: unknown) => Promise<unknown>;
    readlink: (path: string, options?: unknown) => Promise<unknown>;
    symlink: (...args: unknown[]) => Promise<never>;
    chmod: (...args: unknown[]) => Promise<never>;
  };
}

/** Normalises a `/`-separated path: collapses `//` and `.`, resolves `..`, drops a trailing `/`. */
export function normalisePath(p: string): string {
  // Fast path: already normal (absolute or relative, no empty, `.` or `..` segment, no trailing slash).
  if (p.length > 1 && !p.endsWith('/') && !p.includes('//') && !/(^|\/)\.\.?(\/|$)/.test(p)) return p;
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const s = out.join('/');
  return abs ? `/${s}` : s || '.';
}

function erofs(path: unknown): Promise<never> {
  const e = new Error(`EROFS: read-only file system, ${String(path)}`) as Error & { code: string };
  e.code = 'EROFS';
  return Promise.reject(e);
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Wraps `base` so that reads under `<gitDir>/objects/` also look in
 * `overlays` (first match wins, overlays before the real directory).
 * `gitDir` and `overlays` must be given in the same form as the paths
 * isomorphic-git will use (normally absolute).
 */
export function overlayObjectsFs(
  base: PromiseFs,
  gitDir: string,
  overlays: readonly string[],
  options: { snapshot?: boolean } = {},
): IsoFs {
  const root = normalisePath(gitDir);
  const objects = `${root}/objects`;
  const pack = `${objects}/pack`;
  // isomorphic-git stats the git dir and lists objects/pack on EVERY object read; with
  // `snapshot` (default) both are read once. Packs written later are then not seen:
  // open a new store (a store is meant for one push, or one burst of reads).
  const snapshot = options.snapshot ?? true;
  const memo = new Map<string, Promise<unknown>>();
  const remember = (k: string, f: () => Promise<unknown>): Promise<unknown> => {
    if (!snapshot) return f();
    let p = memo.get(k);
    if (!p) {
      p = f();
      memo.set(k, p);
      p.catch(() => memo.delete(k));
    }
    return p;
  };
  const roots = overlays.map(normalisePath).filter((d, i, all) => d !== objects && all.indexOf(d) === i);

  /** The candidate real paths for `path`, in lookup order. */
  const candidates = (path: string): string[] => {
    const p = normalisePath(path);
    if (roots.length === 0) return [p];
    if (p === objects) return [...roots, p];
    if (!p.startsWith(`${objects}/`)) return [p];
    const rest = p.slice(objects.length);
    return [...roots.map((r) => r + rest), p];
  };

  async function first<T>(path: string, read: (p: string) => Promise<T>): Promise<T> {
    const paths = candidates(path);
    let lastErr: unknown;
    for (let i = 0; i < paths.length; i++) {
      try {
        return await read(paths[i]!);
      } catch (e) {
        // A missing overlay entry falls through; any other error is real.
        if (!isNotFound(e)) throw e;
        lastErr = e;
      }
    }
    throw lastErr;
  }

  return {
    promises: {
      readFile: (path, options) => first(path, (p) => base.readFile(p, options)),
      stat: (path, options) =>
        normalisePath(path) === root ? remember(`stat:${root}`, () => base.stat(root, options)) : first(path, (p) => base.stat(p, options)),
      lstat: (path, options) => first(path, (p) => base.lstat(p, options)),
      readlink: (path, options) => first(path, (p) => (base.readlink ? base.readlink(p, options) : erofs(p))),
      readdir: (path, options) =>
        normalisePath(path) === pack
          ? remember(`readdir:${pack}`, () => readdirUnion(pack, options)).then((l) => (Array.isArray(l) ? [...l] : l))
          : readdirUnion(path, options),
      writeFile: (path) => erofs(path),
      unlink: (path) => erofs(path),
      mkdir: (path) => erofs(path),
      rmdir: (path) => erofs(path),
      symlink: (_target, path) => erofs(path),
      chmod: (path) => erofs(path),
    },
  };

  async function readdirUnion(path: string, options: unknown): Promise<unknown> {
    const paths = candidates(path);
    if (paths.length === 1) return base.readdir(paths[0]!, options);
    const names = new Set<string>();
    let found = false;
    let lastErr: unknown;
    for (const p of paths) {
      try {
        const list = (await base.readdir(p, options)) as unknown[];
        found = true;
        for (const n of list) names.add(String(n));
      } catch (e) {
        if (!isNotFound(e)) throw e;
        lastErr = e;
      }
    }
    if (!found) throw lastErr;
    return [...names].sort();
  }
}
