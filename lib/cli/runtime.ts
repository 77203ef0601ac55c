/** Backend choice and package facts shared by the subcommands. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendRequest } from '../backend/select';
import { backendInfo } from '../index';
import { packageRoot } from './files';

/**
 * The backend request to hand to the library. `auto` with no loadable addon becomes
 * `js` here, so the library's one-time fallback warning is not printed by the command
 * (the training summary says which backend ran and why).
 */
export function resolveRequest(request: BackendRequest): { backend: BackendRequest; note?: string } {
  if (request !== 'auto') return { backend: request };
  const info = backendInfo();
  if (info.native) return { backend: 'auto' };
  return {
    backend: 'js',
    note: `native backend unavailable: ${(info.reason ?? 'unknown reason').replace(/\s*\n\s*/g, ' ')}`,
  };
}

let version: string | undefined;

/** The package's version, from its package.json. */
export function packageVersion(): string {
  if (version === undefined) {
    try {
      version = String(
        (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version ??
          '0.0.0',
      );
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
