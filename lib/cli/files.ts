/**
 * Output files are written atomically: to a temporary file in the target's directory,
 * flushed, then renamed over the target, so an error or interruption never leaves a
 * partial file behind. Output paths are checked before any work starts.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync, accessSync, constants } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, quote } from './errors';
import { describeFsError } from './csv';

/** Checks that `path` can be written: its directory exists and is writable, and it is not a directory. */
export function checkWritable(path: string, what: string): void {
  const dir = dirname(resolve(path));
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new CliError(`cannot write ${what} ${quote(path, 80)}: directory ${quote(dirname(path), 80)}: ${describeFsError(err)}`);
  }
  if (!st.isDirectory()) throw new CliError(`cannot write ${what} ${quote(path, 80)}: ${quote(dirname(path), 80)} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new CliError(`cannot write ${what} ${quote(path, 80)}: ${describeFsError(err)}`);
  }
  if (existsSync(path) && statSync(path).isDirectory()) throw new CliError(`cannot write ${what} ${quote(path, 80)}: it is a directory`);
}

/** Writes `data` to `path` atomically (temp file in the same directory, fsync, rename). @throws CliError */
export function writeFileAtomic(path: string, data: string | Uint8Array, what: string): void {
  const tmp = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx', 0o644);
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
    throw new CliError(`cannot write ${what} ${quote(path, 80)}: ${describeFsError(err)}`);
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
