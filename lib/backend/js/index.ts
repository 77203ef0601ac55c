/**
 * The pure-JS backend: the fallback wherever the native addon does not load, and the
 * baseline every benchmark compares with. Same numbers as the native core within the
 * parity tolerance (see `lib/backend/types.ts`).
 *
 * Single-threaded: `setThreads(n)` records `n` (so the facade can round-trip it) but the
 * work always runs on the calling thread, so `getThreads()` reports 1.
 *
 * @example
 * const model = jsBackend.createModel(spec);
 * model.setLoss('mse');
 */

import { findOutside } from '../../validate';
import type { Backend, BackendModel, ModelSpec } from '../types';
import { sgemm } from './gemm';
import { JsNetwork } from './network';

let requestedThreads = 1;

export const jsBackend: Backend = {
  name: 'js',
  isa: 'js',
  createModel(spec: ModelSpec): BackendModel {
    return new JsNetwork(spec);
  },
  sgemm,
  copyInRange(src: Float32Array, dst: Float32Array, lo: number, hi: number): number {
    dst.set(src);
    return findOutside(dst, lo, hi);
  },
  setThreads(n: number): void {
    requestedThreads = n;
  },
  getThreads(): number {
    return 1;
  },
};

/** The thread count last passed to `jsBackend.setThreads` (informational; the js backend runs on one thread). */
export function requestedJsThreads(): number {
  return requestedThreads;
}

export { sgemm } from './gemm';
export { JsNetwork } from './network';
