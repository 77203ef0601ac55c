/**
 * `densely/data`: data sources for `net.fitDataset`. {@link csvDataset} streams a
 * CSV file (larger than memory) into `{ x, y }` batches with the preprocessing of the
 * `densely train` command: statistics in a first streaming pass, batches in a second.
 *
 * ```js
 * import { csvDataset } from 'densely/data';
 * const data = await csvDataset('big.csv', { target: 'label', batchSize: 256 });
 * net.compile({ loss: data.loss, optimizer: 'adam' });
 * await net.fitDataset(data.batches, { epochs: 3 });
 * ```
 *
 * @module densely/data
 */
export type { Task } from './cli/columns';
export type { CategoricalFeature, Feature, NumericFeature, Preprocessing } from './cli/preprocess';
export { type CsvDataset, type CsvDatasetOptions, csvDataset } from './training/csv_dataset';
export type { DataBatch, DataSource } from './training/fit_dataset';
