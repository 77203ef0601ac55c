/**
 * Where the command's output files go, decided before any work starts, and writing them.
 *
 * - a regular file or a new path: written atomically, to a temporary file in the same
 *   directory, flushed, then renamed over the target (keeping an existing file's mode),
 *   so an error or interruption never leaves a partial file behind;
 * - a symbolic link: followed (through every link) to its target, which is then written as
 *   above: the target is replaced atomically and the link itself stays; a dangling link
 *   creates its target;
 * - a named pipe (FIFO), character device (`/dev/stdout`, `/dev/null`) or socket: written
 *   through in place, never replaced (a rename would turn it into a regular file); not
 *   atomic, since a reader sees bytes as they come; opening a pipe waits for a reader,
 *   as a shell redirection does;
 * - `-`: standard output, where a command allows it (`predict --out -`).
 * An output that is the same file as one of the command's inputs (same device and inode,
 * so through links and different spellings too) is refused before anything is read.
 */

import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describeFsError } from './csv';
import { CliError, quote, usageError } from './errors';

/** An output decided by {@link resolveOutput}. */
export type Output =
  | { kind: 'stdout'; shown: string }
  | { kind: 'replace'; shown: string; path: string; mode: number | null }
  | { kind: 'stream'; shown: string; path: string };

/** One of the command's inputs, which no output may overwrite. */
export interface InputFile {
  path: string;
  /** "the data file", "the model". */
  role: string;
}

function statOrNull(path: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch {
    return null;
  }
}

/** The final target of a symlink chain; for a dangling link, the missing path it names. */
function linkTarget(path: string, what: string): string {
  try {
    return realpathSync(path);
  } catch {
    let p = resolve(path);
    for (let hops = 0; hops < 40; hops++) {
      const st = statOrNull(p, false);
      if (st === null || !st.isSymbolicLink()) return p;
      p = resolve(dirname(p), readlinkSync(p));
    }
    throw new CliError(`cannot write ${what} ${quote(path, 80)}: too many levels of symbolic links`);
  }
}

function checkDirectory(path: string, shown: string, what: string): void {
  const dir = dirname(path);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new CliError(
      `cannot write ${what} ${quote(shown, 80)}: directory ${quote(dir, 80)}: ${describeFsError(err)}`,
    );
  }
  if (!st.isDirectory())
    throw new CliError(`cannot write ${what} ${quote(shown, 80)}: ${quote(dir, 80)} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new CliError(`cannot write ${what} ${quote(shown, 80)}: ${describeFsError(err)}`);
  }
}

/**
 * Decides how `path` is written (see the module comment) and checks it can be, refusing
 * an output that is one of `inputs`. Call it before any work starts.
 * @throws CliError (exit 1) when it cannot be written; a usage error (exit 2) for `-`
 *   where stdout is not allowed or an output that is an input.
 */
export function resolveOutput(
  path: string,
  what: string,
  option: string,
  inputs: readonly InputFile[],
  allowStdout = false,
): Output {
  if (path === '-') {
    if (!allowStdout)
      throw usageError(
        `${option} - (standard output) is not supported: standard output carries the report; give a file name`,
      );
    return { kind: 'stdout', shown: 'standard output' };
  }
  const existing = statOrNull(path, true);
  if (existing !== null) {
    for (const input of inputs) {
      const st = statOrNull(input.path, true);
      if (st !== null && st.dev === existing.dev && st.ino === existing.ino) {
        throw usageError(
          `${option} ${quote(path, 80)} is ${input.role} ${quote(input.path, 80)}: refusing to overwrite an input; choose another path`,
        );
      }
    }
  }
  const own = statOrNull(path, false);
  const target = own?.isSymbolicLink() ? linkTarget(path, what) : resolve(path);
  if (existing?.isDirectory()) throw new CliError(`cannot write ${what} ${quote(path, 80)}: it is a directory`);
  if (existing !== null && !existing.isFile()) {
    try {
      accessSync(target, constants.W_OK);
    } catch (err) {
      throw new CliError(`cannot write ${what} ${quote(path, 80)}: ${describeFsError(err)}`);
    }
    return { kind: 'stream', shown: path, path: target };
  }
  checkDirectory(target, path, what);
  return { kind: 'replace', shown: path, path: target, mode: existing === null ? null : existing.mode & 0o7777 };
}

/** Writes `data` to an output from {@link resolveOutput}. @throws CliError */
export async function writeOutput(
  out: Output,
  data: string | Uint8Array,
  what: string,
  stdout: NodeJS.WritableStream,
): Promise<void> {
  if (out.kind === 'stdout') {
    await new Promise<void>((done, fail) => {
      stdout.write(data, (err) =>
        err ? fail(new CliError(`cannot write ${what} to standard output: ${describeFsError(err)}`)) : done(),
      );
    });
    return;
  }
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (out.kind === 'stream') {
    let fd = -1;
    try {
      fd = openSync(out.path, constants.O_WRONLY);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      throw new CliError(`cannot write ${what} ${quote(out.shown, 80)}: ${describeFsError(err)}`);
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    return;
  }
  writeFileAtomic(out.path, bytes, what, out.shown, out.mode);
}

/** Writes `data` to `path` atomically (temp file in the same directory, fsync, rename). @throws CliError */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  what: string,
  shown = path,
  mode: number | null = null,
): void {
  const tmp = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    if (mode !== null) fchmodSync(fd, mode);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (err) {
    if (fd >= 0) {
      try {
        closeSync(fd);
      } catch {
        /* already failing; the original error is the one to report */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* the temp file may not exist */
    }
    throw new CliError(`cannot write ${what} ${quote(shown, 80)}: ${describeFsError(err)}`);
  }
}

/** The package root (the directory holding densely's package.json), from either lib/cli or dist/cjs/cli. */
export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'data'))) return dir;
    dir = dirname(dir);
  }
  return resolve(__dirname, '..', '..', '..');
}
