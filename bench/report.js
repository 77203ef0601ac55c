#!/usr/bin/env node
'use strict';
// Markdown tables from a `--json` result file, for bench/README.md's results section:
//   node bench/report.js results.json
// One table of every (trial, contender, threads) row, then the targets with their verdicts.
const fs = require('node:fs');
const { trials } = require('./trials');
const { medianAbsoluteDeviation } = require('./stats');

function number(value, unit) {
  if (unit === 'GFLOP/s' || unit === 'ms') return value.toFixed(1);
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

function ratio(value) {
  return value >= 0.1 ? value.toFixed(2) : value.toPrecision(2);
}

function main() {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node bench/report.js <results.json from --json>');
  const { header: h, peaks, results, sameProcess, targets } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const out = [];
  out.push(`- date: ${h.date}`);
  out.push(`- CPU: ${h.cpu}`);
  out.push(`- ISA picked (\`backendInfo().isa\`): ${h.isa}${h.native ? '' : ` (addon not loaded: ${h.nativeReason})`}`);
  out.push(`- threads benched: ${h.threads.join(', ')} (default ${h.defaultThreads})`);
  out.push(`- Node ${h.node}, densely ${h.densely}, commit ${h.commit}, mode: ${h.mode}`);
  const peakText = Object.entries(peaks ?? {}).map(
    ([t, p]) =>
      `${t} thread${t === '1' ? '' : 's'} ${p.isa ?? 'avx2'} ${p.used.toFixed(1)} GFLOP/s (this run ${p.measured.toFixed(1)}, after the trials ${p.measuredAfter?.toFixed(1) ?? 'n/a'})`,
  );
  if (peakText.length) out.push(`- FMA peak: ${peakText.join('; ')}`);
  out.push('');
  out.push('| trial | contender | threads | median | ± (MAD) | n | ratio | % of peak | epochs: first 3 → last 8 |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const trial of trials) {
    const rows = results.filter((r) => r.trial === trial.id);
    if (rows.length === 0) continue;
    // A bare baseline name means the row's own thread count (index.js baselineKey).
    const find = (key) => rows.find((r) => `${r.contender}@${r.threads}` === key && r.median !== undefined);
    const baseFor = (r) => {
      if (!trial.baseline) return undefined;
      if (trial.baseline.includes('@')) return find(trial.baseline);
      return find(`${trial.baseline}@${r.threads}`) ?? find(`${trial.baseline}@1`);
    };
    for (const r of rows) {
      const who = `| \`${trial.id}\` | ${r.contender} | ${r.threads} |`;
      if (r.median === undefined) {
        out.push(`${who} ${r.skipped ? `skipped: ${r.skipped}` : `error: ${r.error}`} | | | | | |`);
        continue;
      }
      const mad = medianAbsoluteDeviation(r.samples, r.median);
      const peak =
        trial.type === 'gemm' && peaks?.[r.threads] ? `${((100 * r.median) / peaks[r.threads].used).toFixed(0)}%` : '';
      const base = baseFor(r);
      const rel = base ? `${ratio(r.median / base.median)}× ${base.contender}@${base.threads}` : '';
      const epochs =
        r.first3 !== undefined
          ? `${number(r.first3, trial.unit)} → ${number(r.last8, trial.unit)} (${(r.last8 / r.first3).toFixed(2)}; ${r.epochs} epochs of ${r.rows})`
          : '';
      out.push(
        `${who} ${number(r.median, trial.unit)} ${trial.unit} | ${((100 * mad) / r.median).toFixed(1)}% | ${r.samples.length} | ${rel} | ${peak} | ${epochs} |`,
      );
    }
  }
  if (sameProcess?.results) {
    out.push('');
    out.push(
      `sgemm, 1 thread, densely's core and OpenBLAS in one process (native/sgemm_vs_openblas.cc), median of ${sameProcess.sweeps} sweeps:`,
    );
    out.push('');
    out.push('| trial | densely GFLOP/s | OpenBLAS GFLOP/s | ratio | sweeps |');
    out.push('|---|---:|---:|---:|---|');
    for (const [id, r] of Object.entries(sameProcess.results)) {
      out.push(
        `| \`${id}\` | ${r.densely.toFixed(1)} | ${r.openblas.toFixed(1)} | ${r.ratio.toFixed(3)} | ${r.ratios.map((x) => x.toFixed(3)).join(', ')} |`,
      );
    }
  }
  if (targets?.length) {
    out.push('');
    out.push('| target | trial | measured | verdict |');
    out.push('|---|---|---:|---|');
    for (const t of targets) {
      // Files from older runs may name trials or targets the table no longer has.
      const trial = trials.find((x) => x.id === t.trial) ?? { unit: '', targets: [] };
      const spec = trial.targets.find((x) => x.text === t.target) ?? {};
      const measured = t.missing
        ? `${t.missing} did not run`
        : spec.peak !== undefined
          ? `${(100 * t.value).toFixed(0)}% of peak`
          : spec.stability !== undefined
            ? `last-8 / first-3 ${t.value.toFixed(3)}`
            : spec.ratio !== undefined
              ? `${t.value < 10 ? t.value.toFixed(3) : ratio(t.value)}×`
              : `${number(t.value, trial.unit)} ${trial.unit}`;
      out.push(`| ${t.target} | \`${t.trial}\` | ${measured} | ${t.missing ? 'n/a' : t.met ? 'met' : '**not met**'} |`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`bench report: ${error.message}\n`);
  process.exitCode = 1;
}
