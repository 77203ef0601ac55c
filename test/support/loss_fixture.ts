/**
 * The frozen PyTorch oracle of test/fixtures/losses.json (written by
 * test/fixtures/gen_losses.py): a tiny network 3 → Dense(4, tanh) → Dense(C, act), six rows,
 * and per case the weighted batch loss, its parameter gradients and, for some cases, five
 * full-batch SGD and Adam steps.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RefDense, RefParams } from '../reference/network';

export interface FixtureTrajectory {
  losses: number[];
  /** [kernel1, bias1, kernel2, bias2] after the five steps. */
  params: number[][];
}

export interface FixtureCase {
  name: string;
  loss: { name: string; fromLogits?: boolean; labelSmoothing?: number; delta?: number };
  activation: 'linear' | 'sigmoid' | 'softmax' | 'tanh';
  outputs: number;
  y: number[];
  classWeight: number[] | null;
  sampleWeight: number[] | null;
  rowWeights: number[];
  /** [kernel1 [3 × 4], bias1 [4], kernel2 [4 × C], bias2 [C]] (densely's layout). */
  params: number[][];
  value: number;
  grads: number[][];
  torchWeightedCrossEntropy?: number;
  sgd?: FixtureTrajectory;
  adam?: FixtureTrajectory;
}

export interface LossFixture {
  rows: number;
  inputs: number;
  hidden: number;
  x: number[];
  sgd: { learningRate: number };
  adam: { learningRate: number };
  cases: FixtureCase[];
}

export const FIXTURE: LossFixture = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'losses.json'), 'utf8'),
) as LossFixture;

/** The case's network for the float64 reference. */
export function refLayers(c: FixtureCase): RefDense[] {
  const { inputs, hidden } = FIXTURE;
  return [
    { inputs, units: hidden, activation: 'tanh', alpha: 0.01, useBias: true },
    { inputs: hidden, units: c.outputs, activation: c.activation, alpha: 0.01, useBias: true },
  ];
}

export function refParams(flat: number[][]): RefParams[] {
  return [
    { kernel: Float64Array.from(flat[0]!), bias: Float64Array.from(flat[1]!) },
    { kernel: Float64Array.from(flat[2]!), bias: Float64Array.from(flat[3]!) },
  ];
}

/** Whether the case's targets are class indices. */
export function isSparse(c: FixtureCase): boolean {
  return c.loss.name === 'sparseCategoricalCrossentropy';
}
