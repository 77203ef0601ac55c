// One-sample predict of the XOR network (2→8 tanh→1 sigmoid) on the native and the js
// backend in one process, in interleaved rounds of 100,000 calls, so both see the same
// machine state; prints the median rates and the median of the per-round ratios.
// Run after `npm run build:ts` with the addon built: node bench/tools/predict-interleaved.mjs
import * as densely from '../../dist/esm/index.mjs';

const { Network, Dense } = densely;
densely.setThreads(1);
const make = (backend) =>
  new Network({
    backend,
    seed: 42,
    inputs: 2,
    layers: [new Dense(8, { activation: 'tanh' }), new Dense(1, { activation: 'sigmoid' })],
  });
const nets = { native: make('native'), js: make('js') };
const x = Float32Array.of(1, 0);
const rates = { native: [], js: [] };
const N = 100_000;
for (let r = 0; r < 41; r++) {
  for (const k of r % 2 ? ['native', 'js'] : ['js', 'native']) {
    const net = nets[k];
    const t0 = performance.now();
    for (let i = 0; i < N; i++) net.predict(x);
    rates[k].push(N / (performance.now() - t0) / 1e3);
  }
}
// Round 0 is warm-up.
const median = (a) => a.slice().sort((p, q) => p - q)[Math.floor(a.length / 2)];
const ratios = rates.native.slice(1).map((v, i) => v / rates.js[i + 1]);
console.log(
  `native ${median(rates.native.slice(1)).toFixed(2)} M calls/s, js ${median(rates.js.slice(1)).toFixed(2)} M calls/s, ` +
    `median per-round ratio native/js ${median(ratios).toFixed(3)}`,
);
