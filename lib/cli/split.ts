/**
 * The train/validation split: stratified by class for classification (each class keeps
 * its share in both parts), a plain random split for regression. Seeded by
 * {@link Rng} from `lib/random.ts`, so a seed gives the same split everywhere.
 */
import { Rng } from '../random';

export interface Split {
  /** Row indices, ascending. */
  train: Int32Array;
  /** Row indices, ascending; empty when the fraction is 0 or the data too small. */
  validation: Int32Array;
}

/**
 * Splits `n` rows, sending a `fraction` (in [0, 1)) to validation.
 * With `labels` (class index per row) each class c with count n_c sends
 * round(fraction · n_c) rows, at most n_c − 1, so every class stays in training.
 * Without labels round(fraction · n) rows go, at most n − 1.
 */
export function splitRows(n: number, fraction: number, seed: number, labels?: Int32Array): Split {
  const rng = new Rng(seed);
  const isVal = new Uint8Array(n);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = labels ? labels[i]! : 0;
    let list = groups.get(g);
    if (!list) {
      list = [];
      groups.set(g, list);
    }
    list.push(i);
  }
  for (const g of [...groups.keys()].sort((a, b) => a - b)) {
    const idx = Int32Array.from(groups.get(g)!);
    const take = Math.min(Math.round(fraction * idx.length), idx.length - 1);
    rng.shuffle(idx);
    for (let k = 0; k < take; k++) isVal[idx[k]!] = 1;
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < n; i++) (isVal[i] ? validation : train).push(i);
  return { train: Int32Array.from(train), validation: Int32Array.from(validation) };
}
