import { ERROR_CODES, nativeUnavailableError } from '../errors';
import { describe, invalid } from '../validate';
import { jsBackend } from './js/index';
import { loadNativeBackend } from './native/index';
import type { Backend, BackendName } from './types';

/**
 * The `backend` option of the facade: a {@link BackendName}, or `'auto'` (native when
 * the addon loads, else js with one warning; see {@link resolveBackend}).
 */
export type BackendRequest = 'auto' | BackendName;

let warned = false;

/** The one message of the 'auto' fallback warning and of the error `backend: 'native'` throws. */
export function nativeUnavailableMessage(reason: string): string {
  return `densely: the native backend could not be loaded (backend 'auto' falls back to the pure-JS backend). ${reason}`;
}

/**
 * Resolves a `backend` option. `'auto'` (default) picks native when the addon loads,
 * else js with one `process.emitWarning` (code DENSELY_FALLBACK_JS) saying why;
 * the env variable DENSELY_BACKEND (js | native) overrides what 'auto' means.
 * `'native'` throws when the addon cannot load.
 */
export function resolveBackend(request: unknown, name = 'backend'): Backend {
  if (request !== undefined && request !== 'auto' && request !== 'native' && request !== 'js') {
    throw invalid(`one of 'auto', 'native', 'js'`, name, describe(request));
  }
  let req: BackendRequest = (request as BackendRequest | undefined) ?? 'auto';
  if (req === 'auto') {
    const env = process.env.DENSELY_BACKEND;
    if (env === 'js' || env === 'native') req = env;
  }
  if (req === 'js') return jsBackend;
  const { backend, reason } = loadNativeBackend();
  if (backend) return backend;
  const message = nativeUnavailableMessage(reason ?? 'unknown reason');
  if (req === 'native') {
    throw nativeUnavailableError(message);
  }
  if (!warned) {
    warned = true;
    process.emitWarning(message, { code: ERROR_CODES.FALLBACK_JS });
  }
  return jsBackend;
}
