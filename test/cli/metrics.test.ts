import { describe, expect, it } from 'vitest';
import { accuracy, argmaxRows, confusionMatrix, formatConfusion, regressionMetrics } from '../../lib/cli/metrics';

describe('classification metrics', () => {
  it('argmax picks the first maximum of each row', () => {
    expect(Array.from(argmaxRows(Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.5, 0]), 3))).toEqual([1, 0]);
  });

  it('counts true × predicted and formats with class names and recall', () => {
    const truth = [0, 0, 1, 1, 1, 2];
    const pred = [0, 1, 1, 1, 2, 2];
    const m = confusionMatrix(truth, pred, 3);
    expect(m).toEqual([
      [1, 1, 0],
      [0, 2, 1],
      [0, 0, 1],
    ]);
    expect(accuracy(truth, pred)).toBeCloseTo(4 / 6, 12);
    const lines = formatConfusion(m, ['cat', 'dog', 'a-very-long-class-name']);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/cat\s+dog\s+a-very-long…\s+recall$/);
    expect(lines[2]).toMatch(/^dog\s+0\s+2\s+1\s+0\.667$/);
  });
});

describe('regressionMetrics', () => {
  it('computes MAE, RMSE and R² from their definitions', () => {
    const truth = [1, 2, 3, 4];
    const pred = [1, 3, 2, 4];
    const m = regressionMetrics(truth, pred);
    expect(m.mae).toBeCloseTo(0.5, 12);
    expect(m.rmse).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(m.r2).toBeCloseTo(1 - 2 / 5, 12);
    expect(regressionMetrics([2, 2], [1, 3]).r2).toBeNaN();
  });
});
