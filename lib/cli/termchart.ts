/**
 * A compact terminal line chart drawn with braille characters (each character cell is
 * 2 × 4 dots), with y labels at the top and bottom and epochs along x. Series overlap
 * freely; with `color`, each cell takes the color of the last series that drew in it.
 */

export interface Series {
  label: string;
  values: number[];
  /** ANSI SGR color code, e.g. 36 (cyan); used only when the chart is colored. */
  color: number;
  /** Drawn in dashes (every other character cell), so series differ without color. */
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  /** Plot width in character cells. */
  width: number;
  /** Plot height in character cells. */
  height: number;
  color: boolean;
  /** Plot log10 of the values (all must be positive); the labels still show the values. */
  log?: boolean;
}

/** Bit of the braille dot at (column 0..1, row 0..3) within a cell (Unicode braille patterns). */
const DOT = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

function label(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toPrecision(3);
}

/** Visible width of a string without ANSI escapes. */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes this strips.
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

/** The chart's lines (no trailing newlines). */
export function brailleChart(series: readonly Series[], opts: ChartOptions): string[] {
  const W = opts.width * 2;
  const H = opts.height * 4;
  const f = opts.log ? Math.log10 : (v: number): number => v;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const rawLo = all.length ? Math.min(...all) : 0;
  const rawHi = all.length ? Math.max(...all) : 1;
  let lo = f(rawLo);
  let hi = f(rawHi);
  if (hi === lo) {
    hi += 0.5;
    lo -= 0.5;
  }
  const bits = new Uint8Array(opts.width * opts.height);
  const owner = new Int8Array(opts.width * opts.height).fill(-1);
  const set = (x: number, y: number, s: number): void => {
    const cell = Math.floor(y / 4) * opts.width + Math.floor(x / 2);
    bits[cell]! |= DOT[x % 2]![y % 4]!;
    owner[cell] = s;
  };
  series.forEach((s, si) => {
    const n = s.values.length;
    if (n === 0) return;
    const yAt = (px: number): number => {
      const t = n === 1 ? 0 : (px / (W - 1)) * (n - 1);
      const i = Math.min(Math.floor(t), n - 1);
      const a = f(s.values[i]!);
      const b = f(s.values[Math.min(i + 1, n - 1)]!);
      const v = a + (b - a) * (t - i);
      return Math.round(((hi - v) / (hi - lo)) * (H - 1));
    };
    const last = n === 1 ? 0 : W - 1;
    let prev = yAt(0);
    for (let px = 0; px <= last; px++) {
      const y = yAt(px);
      if (!Number.isFinite(y)) continue;
      if (s.dashed && Math.floor(px / 2) % 2 === 1) {
        prev = y;
        continue;
      }
      const [a, b] = prev <= y ? [prev, y] : [y, prev];
      for (let yy = px === 0 ? y : a; yy <= b; yy++) set(px, Math.max(0, Math.min(H - 1, yy)), si);
      prev = y;
    }
  });
  const hiLabel = label(rawHi);
  const loLabel = label(rawLo);
  const gutter = Math.max(hiLabel.length, loLabel.length);
  const paint = (text: string, color: number): string => (opts.color ? `\x1b[${color}m${text}\x1b[0m` : text);
  const lines: string[] = [`${' '.repeat(gutter + 1)} ${opts.title}${opts.log ? ' (log scale)' : ''}`];
  for (let r = 0; r < opts.height; r++) {
    const axisLabel = r === 0 ? hiLabel : r === opts.height - 1 ? loLabel : '';
    let row = '';
    for (let c = 0; c < opts.width; c++) {
      const cell = r * opts.width + c;
      const ch = String.fromCharCode(0x2800 + bits[cell]!);
      row += owner[cell]! >= 0 ? paint(ch, series[owner[cell]!]!.color) : ch;
    }
    lines.push(`${axisLabel.padStart(gutter)} ${r === 0 || r === opts.height - 1 ? '┤' : '│'}${row}`);
  }
  lines.push(`${' '.repeat(gutter)} └${'─'.repeat(opts.width)}`);
  const n = Math.max(...series.map((s) => s.values.length), 1);
  const first = '1';
  const lastLabel = `${n} epochs`;
  lines.push(
    `${' '.repeat(gutter + 2)}${first}${lastLabel.padStart(Math.max(opts.width - first.length, lastLabel.length))}`,
  );
  return lines;
}

/** Places blocks of lines side by side, `gap` spaces apart (ANSI-aware padding). */
export function sideBySide(blocks: readonly string[][], gap = 4): string[] {
  const widths = blocks.map((b) => Math.max(...b.map(visibleLength)));
  const rows = Math.max(...blocks.map((b) => b.length));
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    out.push(
      blocks
        .map((b, i) => {
          const s = b[r] ?? '';
          return i === blocks.length - 1 ? s : s + ' '.repeat(widths[i]! - visibleLength(s) + gap);
        })
        .join('')
        .trimEnd(),
    );
  }
  return out;
}

/** The legend line: a short line sample per series. */
export function legend(series: readonly Series[], color: boolean): string {
  return series
    .map((s) => {
      const sample = s.dashed ? '⠒ ⠒' : '⠒⠒⠒';
      return `${color ? `\x1b[${s.color}m${sample}\x1b[0m` : sample} ${s.label}`;
    })
    .join('   ');
}
