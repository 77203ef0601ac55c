/**
 * Finds and loads the densely addon. Never throws: returns `{ binding }`, or
 * `{ reason }` listing every attempt with its error and how to fix it.
 *
 * Attempts, in order:
 * 1. `process.env.DENSELY_NATIVE_PATH` — an explicit `.node` file (or a folder for
 *    node-gyp-build), for custom builds;
 * 2. `node-gyp-build(<package root>)` — `build/Release/densely.node` from
 *    `npx densely build-native` (`npm run build:native` in a clone), then
 *    `prebuilds/<platform>-<arch>/` shipped in the package.
 * The package root is the nearest folder above this file whose package.json is named
 * "densely" (the same walk works from `lib/` in the repository and from `dist/cjs/`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { NativeBinding } from './binding';

export type LoadResult =
  | { binding: NativeBinding; path: string; reason?: undefined }
  | { binding?: undefined; path?: undefined; reason: string };

/** The package root: the nearest ancestor of `from` with a package.json named "densely". */
export function findPackageRoot(from: string = __dirname): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown };
      if (pkg.name === 'densely') return dir;
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? String(err);
  return String(err);
}

function isBinding(value: unknown): value is NativeBinding {
  const b = value as Partial<NativeBinding> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.Model === 'function' &&
    typeof b.sgemm === 'function' &&
    typeof b.isa === 'function' &&
    b.abi === 1
  );
}

/**
 * The command that builds the addon for the package at `root`, and the folder to run
 * it in: inside a user's project (`<project>/node_modules/densely`) the CLI's
 * `npx densely build-native` from that project, which needs nothing the package does
 * not ship (node-gyp comes with npm; node-addon-api is fetched when missing); in a
 * clone, where npx would install the repository as a package, the npm script.
 */
export function fixCommand(root: string): { command: string; cwd: string } {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = root.lastIndexOf(marker);
  if (at >= 0) return { command: 'npx densely build-native', cwd: root.slice(0, at) || path.sep };
  return { command: 'npm run build:native', cwd: root };
}

/** node-gyp-build's search (build/Release, build/Debug, prebuilds/<platform>-<arch>) → the .node path. */
function resolveBuild(dir: string): string {
  return (require('node-gyp-build') as { resolve(dir: string): string }).resolve(dir);
}

/**
 * Loads the addon (see the file comment for the search order). The options exist for
 * tests: `explicit` stands in for DENSELY_NATIVE_PATH, `from` for this file's folder.
 */
export function loadBinding(options: { explicit?: string; from?: string } = {}): LoadResult {
  const attempts: string[] = [];
  const explicit = 'explicit' in options ? options.explicit : process.env.DENSELY_NATIVE_PATH;
  if (explicit) {
    try {
      const target = path.resolve(explicit);
      const file = fs.statSync(target).isDirectory() ? resolveBuild(target) : target;
      const loaded: unknown = require(file);
      if (isBinding(loaded)) return { binding: loaded, path: file };
      attempts.push(`DENSELY_NATIVE_PATH=${explicit}: loaded, but it is not a densely addon of this version`);
    } catch (err) {
      attempts.push(`DENSELY_NATIVE_PATH=${explicit}: ${message(err)}`);
    }
  }
  const from = options.from ?? __dirname;
  const root = findPackageRoot(from);
  if (root === undefined) {
    attempts.push(`package root: no package.json named "densely" above ${from}`);
  } else {
    try {
      const file = resolveBuild(root);
      const loaded: unknown = require(file);
      if (isBinding(loaded)) return { binding: loaded, path: file };
      attempts.push(`node-gyp-build(${root}): loaded, but it is not a densely addon of this version`);
    } catch (err) {
      attempts.push(`node-gyp-build(${root}): ${message(err)}`);
    }
  }
  const build = root === undefined ? undefined : fixCommand(root);
  const fix =
    build === undefined
      ? 'Set DENSELY_NATIVE_PATH to a built densely.node.'
      : `To fix: run \`${build.command}\` in ${build.cwd} ` +
        `(it compiles the addon for this machine and needs a C++17 compiler, make and python3), ` +
        `or set DENSELY_NATIVE_PATH to a built densely.node (no prebuilt binary was found for ${process.platform}-${process.arch}).`;
  return { reason: `Tried: ${attempts.map((a, i) => `(${i + 1}) ${a}`).join('; ')}. ${fix}` };
}
