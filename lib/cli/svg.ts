/**
 * The learning curves as a standalone SVG document: one panel per metric (loss, and
 * accuracy when present), epochs on x, the training series solid and the validation
 * series dashed, the restored best epoch marked, a title, axes with ticks and a legend.
 * The loss axis is logarithmic (ticks at powers of 10) when the loss spans more than a
 * factor of 50, so the late epochs stay readable.
 */

export interface Curves {
  /** 1-based epoch numbers. */
  epochs: number[];
  loss: number[];
  valLoss?: number[];
  accuracy?: number[];
  valAccuracy?: number[];
  /** The epoch whose weights were kept, marked with a vertical line. */
  bestEpoch?: number;
}

const TRAIN_COLOR = '#1f77b4';
const VAL_COLOR = '#d95f02';
const PANEL_W = 460;
const PANEL_H = 340;
const PLOT = { left: 64, right: 20, top: 48, bottom: 78 };

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - d, hi + d, count);
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

function num(v: number): string {
  return Number(v.toFixed(2)).toString();
}

function tickLabel(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
    ? v.toExponential(1)
    : Number(v.toPrecision(6)).toString();
}

/** Whether a loss series spans enough orders of magnitude to be drawn on a log scale (all positive, max/min > 50). */
export function wantsLogScale(values: readonly number[]): boolean {
  const v = values.filter(Number.isFinite);
  return v.length > 1 && v.every((x) => x > 0) && Math.max(...v) / Math.min(...v) > 50;
}

function panel(
  x0: number,
  title: string,
  epochs: number[],
  train: number[],
  val: number[] | undefined,
  bestEpoch: number | undefined,
  log = false,
): string {
  const w = PANEL_W - PLOT.left - PLOT.right;
  const h = PANEL_H - PLOT.top - PLOT.bottom;
  const values = [...train, ...(val ?? [])].filter(Number.isFinite);
  const scale = log ? Math.log10 : (v: number): number => v;
  const yTicks = log
    ? Array.from(
        { length: Math.ceil(Math.log10(Math.max(...values))) - Math.floor(Math.log10(Math.min(...values))) + 1 },
        (_, i) => 10 ** (Math.floor(Math.log10(Math.min(...values))) + i),
      )
    : niceTicks(Math.min(...values), Math.max(...values));
  const yLo = scale(yTicks[0]!);
  const yHi = scale(yTicks[yTicks.length - 1]!);
  const last = epochs[epochs.length - 1] ?? 1;
  const xTicks = niceTicks(1, Math.max(last, 2), 6).filter(
    (t) => Number.isInteger(t) && t >= 1 && t <= Math.max(last, 2),
  );
  const xLo = 1;
  const xHi = Math.max(last, 2);
  const px = (e: number): number => x0 + PLOT.left + ((e - xLo) / (xHi - xLo)) * w;
  const py = (v: number): number => PLOT.top + h - ((scale(v) - yLo) / (yHi - yLo)) * h;
  const out: string[] = [];
  out.push(`<g class="panel">`);
  out.push(
    `<text x="${num(x0 + PLOT.left + w / 2)}" y="30" text-anchor="middle" font-size="15" font-weight="bold">${xmlEscape(title)}</text>`,
  );
  for (const t of yTicks) {
    const y = num(py(t));
    out.push(
      `<line x1="${num(x0 + PLOT.left)}" y1="${y}" x2="${num(x0 + PLOT.left + w)}" y2="${y}" stroke="#e5e5e5"/>`,
    );
    out.push(
      `<text x="${num(x0 + PLOT.left - 6)}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${tickLabel(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = num(px(t));
    out.push(`<line x1="${x}" y1="${num(PLOT.top + h)}" x2="${x}" y2="${num(PLOT.top + h + 4)}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${num(PLOT.top + h + 17)}" text-anchor="middle" font-size="11">${t}</text>`);
  }
  out.push(
    `<rect x="${num(x0 + PLOT.left)}" y="${PLOT.top}" width="${num(w)}" height="${num(h)}" fill="none" stroke="#333"/>`,
  );
  out.push(
    `<text x="${num(x0 + PLOT.left + w / 2)}" y="${num(PLOT.top + h + 36)}" text-anchor="middle" font-size="12">epoch</text>`,
  );
  out.push(
    `<text x="${num(x0 + 16)}" y="${num(PLOT.top + h / 2)}" text-anchor="middle" font-size="12" transform="rotate(-90 ${num(x0 + 16)} ${num(PLOT.top + h / 2)})">${xmlEscape(title.toLowerCase())}${log ? ' (log scale)' : ''}</text>`,
  );
  if (bestEpoch !== undefined) {
    const x = num(px(bestEpoch));
    out.push(
      `<line x1="${x}" y1="${PLOT.top}" x2="${x}" y2="${num(PLOT.top + h)}" stroke="#888" stroke-dasharray="2 3"/>`,
    );
    out.push(`<text x="${x}" y="${PLOT.top - 4}" text-anchor="middle" font-size="10" fill="#555">best</text>`);
  }
  const series = (vals: number[], color: string, dashed: boolean): void => {
    const pts = vals
      .map((v, i) => (Number.isFinite(v) ? `${num(px(epochs[i]!))},${num(py(v))}` : ''))
      .filter((p) => p !== '');
    if (pts.length === 1) {
      const [cx, cy] = pts[0]!.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
    } else if (pts.length > 1) {
      out.push(
        `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
  };
  series(train, TRAIN_COLOR, false);
  if (val) series(val, VAL_COLOR, true);
  const ly = PLOT.top + h + 58;
  const lx = x0 + PLOT.left + w / 2 - (val ? 95 : 40);
  out.push(
    `<line x1="${num(lx)}" y1="${num(ly)}" x2="${num(lx + 24)}" y2="${num(ly)}" stroke="${TRAIN_COLOR}" stroke-width="2"/>`,
  );
  out.push(`<text x="${num(lx + 30)}" y="${num(ly)}" dominant-baseline="middle" font-size="12">training</text>`);
  if (val) {
    out.push(
      `<line x1="${num(lx + 100)}" y1="${num(ly)}" x2="${num(lx + 124)}" y2="${num(ly)}" stroke="${VAL_COLOR}" stroke-width="2" stroke-dasharray="6 4"/>`,
    );
    out.push(`<text x="${num(lx + 130)}" y="${num(ly)}" dominant-baseline="middle" font-size="12">validation</text>`);
  }
  out.push(`</g>`);
  return out.join('\n');
}

/** The whole SVG document for `curves`, titled `title`. */
export function learningCurvesSvg(curves: Curves, title: string): string {
  const panels: string[] = [];
  const log = wantsLogScale([...curves.loss, ...(curves.valLoss ?? [])]);
  panels.push(panel(0, 'Loss', curves.epochs, curves.loss, curves.valLoss, curves.bestEpoch, log));
  if (curves.accuracy)
    panels.push(panel(PANEL_W, 'Accuracy', curves.epochs, curves.accuracy, curves.valAccuracy, curves.bestEpoch));
  const width = PANEL_W * panels.length;
  const height = PANEL_H + 30;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 -30 ${width} ${height}" font-family="sans-serif" role="img">`,
    `<title>${xmlEscape(title)}</title>`,
    `<rect x="0" y="-30" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="-6" text-anchor="middle" font-size="16">${xmlEscape(title)}</text>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
