import { jsBackend } from './backend/js/index';
import { loadNativeBackend } from './backend/native/index';
import { expectInteger } from './validate';

/** The package version (kept in step with package.json by a test). */
export const VERSION = '0.1.0';

/** What {@link backendInfo} reports. */
export interface BackendInfo {
  /** Whether the native addon loaded. */
  native: boolean;
  /** Why it did not (each attempt and its error), when `native` is false. */
  reason?: string;
  /** Kernel set in use: 'avx512' | 'avx2' | 'sse2' | 'neon' | 'scalar' for native, 'js' otherwise. */
  isa: string;
  /** Threads the native core uses (1 on js, which is single-threaded). */
  threads: number;
  /** The package version, as {@link VERSION}. */
  version: string;
}

/**
 * What densely runs on in this process.
 * @example backendInfo() // { native: true, isa: 'avx2', threads: 2, version: '0.1.0' }
 */
export function backendInfo(): BackendInfo {
  const { backend, reason } = loadNativeBackend();
  if (backend) return { native: true, isa: backend.isa, threads: backend.getThreads(), version: VERSION };
  return {
    native: false,
    reason: reason ?? 'unknown',
    isa: jsBackend.isa,
    threads: jsBackend.getThreads(),
    version: VERSION,
  };
}

/**
 * Sets the number of threads of the native core's pool (default: the env variable
 * DENSELY_THREADS, else the available parallelism). Results are bit-identical for a
 * fixed thread count. The js backend is single-threaded and records the value only.
 * @throws RangeError unless n is an integer in [1, 1024].
 */
export function setThreads(n: number): void {
  const threads = expectInteger(n, 'n', 1, 1024);
  jsBackend.setThreads(threads);
  const { backend } = loadNativeBackend();
  if (backend) backend.setThreads(threads);
}
