import { describe, expect, it } from 'vitest';
import { splitRows } from '../../lib/cli/split';

describe('splitRows', () => {
  it('keeps each class share in both parts (stratified)', () => {
    const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 70 ? 0 : i < 90 ? 1 : 2));
    const { train, validation } = splitRows(100, 0.2, 7, labels);
    expect(train.length + validation.length).toBe(100);
    const count = (idx: Int32Array, c: number) => Array.from(idx).filter((i) => labels[i] === c).length;
    expect([count(validation, 0), count(validation, 1), count(validation, 2)]).toEqual([14, 4, 2]);
    expect(new Set([...train, ...validation]).size).toBe(100);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = splitRows(50, 0.3, 1);
    expect(splitRows(50, 0.3, 1)).toEqual(a);
    expect(Array.from(splitRows(50, 0.3, 2).validation)).not.toEqual(Array.from(a.validation));
    expect(a.validation.length).toBe(15);
  });

  it('leaves every class in training and handles a zero fraction', () => {
    const labels = Int32Array.from([0, 1, 1, 1]);
    const s = splitRows(4, 0.9, 3, labels);
    expect(Array.from(s.train).some((i) => labels[i] === 0)).toBe(true);
    expect(Array.from(s.train).some((i) => labels[i] === 1)).toBe(true);
    expect(splitRows(4, 0, 3, labels).validation.length).toBe(0);
  });
});
