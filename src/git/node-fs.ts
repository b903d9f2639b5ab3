/**
 * The Node side of the isomorphic-git store: the only file of the iso path
 * that imports `node:*`, so iso-store.ts and overlay-fs.ts stay browser-safe.
 */
import { promises as fsp } from 'node:fs';
import { resolve } from 'node:path';
import { openIsoStore, type IsoStore } from './iso-store.js';
import type { PromiseFs } from './overlay-fs.js';
import type { RepoLocation } from './store.js';

/** Node's promise fs in the shape the iso store takes. */
export const nodeFs: PromiseFs = {
  readFile: (p, o) => fsp.readFile(p, o as Parameters<typeof fsp.readFile>[1]),
  readdir: (p) => fsp.readdir(p),
  stat: (p) => fsp.stat(p),
  lstat: (p) => fsp.lstat(p),
  readlink: (p) => fsp.readlink(p),
};

/** Opens an isomorphic-git store on the local disk; relative paths are resolved against the current directory. */
export function openNodeIsoStore(location: RepoLocation): IsoStore {
  const abs: RepoLocation = { gitDir: resolve(location.gitDir) };
  if (location.objectDirectory) abs.objectDirectory = resolve(location.objectDirectory);
  if (location.alternateObjectDirectories) abs.alternateObjectDirectories = location.alternateObjectDirectories.map((d) => resolve(d));
  return openIsoStore(abs, { fs: nodeFs });
}
