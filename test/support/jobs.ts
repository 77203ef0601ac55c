/**
 * Helpers for the tests of concurrent jobs (per-network thread caps, predictAsync): a
 * seeded wide network whose GEMMs really split across threads, its data, and a counter
 * of event-loop turns.
 */
import { Dense, Network } from '../../lib/index';
import { Rng } from '../../lib/random';
import { BACKEND } from './backend';

/** Inputs of {@link wideNet}. */
export const WIDE_INPUTS = 64;
/** Outputs of {@link wideNet}. */
export const WIDE_OUTPUTS = 8;

/** A compiled network wide enough that its GEMMs split across threads on native. */
export function wideNet(seed: number, threads?: number): Network {
  const net = new Network({
    inputs: WIDE_INPUTS,
    layers: [new Dense(256, { activation: 'relu' }), new Dense(WIDE_OUTPUTS, { activation: 'softmax' })],
    backend: BACKEND,
    seed,
    ...(threads === undefined ? {} : { threads }),
  });
  net.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
  return net;
}

/** `rows` seeded rows of uniform inputs in [-1, 1) and one-hot targets for {@link wideNet}. */
export function wideData(rows: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * WIDE_INPUTS);
  for (let i = 0; i < x.length; i++) x[i] = rng.nextFloat() * 2 - 1;
  const y = new Float32Array(rows * WIDE_OUTPUTS);
  for (let r = 0; r < rows; r++) y[r * WIDE_OUTPUTS + (r % WIDE_OUTPUTS)] = 1;
  return { x, y };
}

/** All of a network's weights, concatenated (for bit-for-bit comparisons). */
export function flatWeights(net: Network): Float32Array {
  const parts = net.getWeights().flatMap((w) => (w.bias ? [w.kernel, w.bias] : [w.kernel]));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Counts event-loop turns (setImmediate callbacks) until `stop()`. */
export function countTurns(): { stop: () => number } {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      running = false;
      return turns;
    },
  };
}
